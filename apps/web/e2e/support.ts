/**
 * Helpers for the browser tests: accessibility checks with axe-core, page
 * screenshots at phone and desktop widths, and the steps several journeys share.
 * Everything reads the screen by roles and labels, as a person would.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import type { AxeResults } from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const screenshots = resolve(import.meta.dirname, '..', '..', '..', 'docs', 'screenshots');

export const desktop = { width: 1280, height: 800 };
export const phone = { width: 390, height: 844 };

export async function newUserPage(browser: Browser, url: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: url, viewport: desktop, acceptDownloads: true, locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { context, page };
}

/** No serious or critical axe-core violation on the page as it is now (run through CDP, so the page's CSP does not block it). */
export async function assertAccessible(page: Page, label: string): Promise<void> {
  const loaded = await page.evaluate(() => 'axe' in window);
  if (!loaded) await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe.run(document, {
      resultTypes: ['violations'],
    }),
  );
  const bad = results.violations.filter(
    (violation) => violation.impact === 'serious' || violation.impact === 'critical',
  );
  assert.deepEqual(
    bad.map(
      (violation) =>
        `${violation.id} (${violation.impact ?? ''}): ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    ),
    [],
    `accessibility violations on ${label}`,
  );
}

/** docs/screenshots/<name>-1280.png and -390.png, with the axe check at both widths. */
export async function capture(page: Page, name: string): Promise<void> {
  mkdirSync(screenshots, { recursive: true });
  for (const size of [desktop, phone]) {
    await page.setViewportSize(size);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(150);
    await assertAccessible(page, `${name} at ${size.width} px`);
    await page.screenshot({ path: join(screenshots, `${name}-${size.width}.png`), fullPage: true });
  }
  await page.setViewportSize(desktop);
}

/** A valid 64x40 PNG (a grey card with a darker band), built by hand so the test needs no image files. */
export function documentPng(): Buffer {
  const width = 64;
  const height = 40;
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y += 1) {
    const row = y * (width * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < width; x += 1) {
      const shade = y > 8 && y < 14 ? 90 : x < 18 && y > 18 && y < 34 ? 150 : 225;
      raw.fill(shade, row + 1 + x * 3, row + 4 + x * 3);
    }
  }
  return png(width, height, raw);
}

function png(width: number, height: number, raw: Buffer): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export const strongPassword = 'violet-harbour-ledger-7';

export async function register(page: Page, email: string, password = strongPassword): Promise<void> {
  await page.goto('/register');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Verification' }).waitFor();
}

export async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Your wallet' }).waitFor();
}

export async function fillLevel1(page: Page, overrides: Record<string, string> = {}): Promise<void> {
  const values: Record<string, string> = {
    'First name': 'Ada',
    'Last name': 'Lovelace',
    'Date of birth': '1990-05-17',
    'Street and number': 'Unter den Linden 1',
    'Postal code': '10117',
    City: 'Berlin',
    'Country code': 'DE',
    Phone: '+4930123456',
    ...overrides,
  };
  for (const [label, value] of Object.entries(values)) await page.getByLabel(label, { exact: true }).fill(value);
}

export async function fillLevel2(page: Page, documentNumber: string, expiryDate = '2035-01-31'): Promise<void> {
  await page.getByLabel('Document type').selectOption('passport');
  await page.getByLabel('Document number').fill(documentNumber);
  await page.getByLabel('Issuing country').fill('DE');
  await page.getByLabel('Expiry date').fill(expiryDate);
}

/** Drops a file on the drop zone as a drag from the desktop would. */
export async function dropFile(page: Page, name: string, mimeType: string, bytes: Buffer): Promise<void> {
  await page.locator('.dropzone').evaluate(
    (zone, file) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(file.bytes)], file.name, { type: file.mimeType }));
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    },
    { name, mimeType, bytes: [...bytes] },
  );
}

export function balanceOf(page: Page, asset: string) {
  return page.getByLabel(`${asset} balance`);
}

/** The operator opens a submission from the queue by its document number and approves or rejects it. */
export async function review(
  page: Page,
  documentNumber: string,
  decision: { approve: true } | { reason: string },
): Promise<void> {
  await page.getByRole('link', { name: 'KYC review' }).click();
  await page.getByRole('heading', { name: 'KYC review' }).waitFor();
  await page.getByRole('link', { name: `Review ${documentNumber}` }).click();
  await page.getByRole('heading', { name: 'KYC submission' }).waitFor();
  if ('approve' in decision) {
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Approved.').waitFor();
  } else {
    await page.getByLabel('Reason for rejection').fill(decision.reason);
    await page.getByRole('button', { name: 'Reject' }).click();
    await page.getByText(`Rejected. Reason: ${decision.reason}`).waitFor();
  }
}
