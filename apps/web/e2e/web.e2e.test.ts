/**
 * The web app in a real browser (Debian's Chromium through playwright-core)
 * against the real embedded platform: every journey a person takes, read by
 * roles and labels, with axe-core on every page and screenshots of the main
 * pages at 390 px and 1280 px in docs/screenshots/.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, startPlatform } from './harness';
import {
  assertAccessible,
  balanceOf,
  capture,
  documentPng,
  dropFile,
  fillLevel1,
  fillLevel2,
  logIn,
  newUserPage,
  register,
  review,
  strongPassword,
} from './support';

type Platform = Awaited<ReturnType<typeof startPlatform>>;

describe('web app in Chromium', () => {
  let platform: Platform;
  let browser: Browser;
  const run = Date.now().toString(36);

  const demo = (role: string, index = 0) => {
    const user = platform.demoUsers.filter((candidate) => candidate.role === role)[index];
    assert.ok(user !== undefined, `a demo user with role ${role}`);
    return user;
  };

  before(async () => {
    // The sandbox reviewer approves KYC level 2 at once, except document numbers starting with PENDING:
    // those wait for an operator, so both paths run on one platform.
    platform = await startPlatform();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await platform?.stop();
  });

  test('register -> KYC level 1 -> level 2 with an upload -> tier Full; bad input shows the API message', async () => {
    const { context, page } = await newUserPage(browser, platform.url);
    try {
      await page.goto('/login');
      await capture(page, 'login');
      // Bad input answered by the API: wrong credentials, a common password, a taken email.
      await page.getByLabel('Email').fill(`nobody-${run}@example.com`);
      await page.getByLabel('Password').fill('not the password at all');
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('alert').getByText('The email or password is wrong.').waitFor();

      await page.goto('/register');
      await page.getByLabel('Email').fill(`ada-${run}@example.com`);
      await page.getByLabel('Password').fill('password1234');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page
        .getByRole('alert')
        .getByText(/commonly used passwords/)
        .waitFor();
      await capture(page, 'register-error');
      await page.getByLabel('Password').fill('short');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByText('Use at least 12 characters.').waitFor();
      await page.getByLabel('Password').fill(strongPassword);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('heading', { name: 'Verification' }).waitFor();
      await capture(page, 'verify-level1');

      // Client-side checks match the API's: age, E.164 phone, address.
      await fillLevel1(page, { 'Date of birth': '2015-01-01', Phone: '030 123456', 'Postal code': '!' });
      await page.getByRole('button', { name: 'Submit level 1' }).click();
      await page.getByText('You must be 18 or older.').waitFor();
      await page.getByText(/international form: \+ then country code/).waitFor();
      await page.getByText(/postal code of 2 to 12/).waitFor();
      // A rule only the API checks (at most 200 characters) comes back on the field.
      await fillLevel1(page, { 'Street and number': 'a'.repeat(201) });
      await page.getByRole('button', { name: 'Submit level 1' }).click();
      await page.getByRole('alert').getByText('The request is not valid. Check the marked fields.').waitFor();
      await page.getByText('Must not have more than 200 characters.').waitFor();
      await fillLevel1(page);
      await page.getByRole('button', { name: 'Submit level 1' }).click();
      await page.getByRole('heading', { name: 'Level 2: identity document' }).waitFor();
      await page.getByText('Basic', { exact: true }).first().waitFor();

      // Level 2: a file that is not an image is refused by the API (dropped on the zone).
      await dropFile(page, 'notes.txt', 'text/plain', Buffer.from('just some text, not a document'));
      await page.getByText('The file is not a JPEG, PNG or PDF.', { exact: false }).waitFor();
      // An expired document is refused by the API, with its message.
      await page
        .getByLabel('Document file')
        .setInputFiles({ name: 'passport.png', mimeType: 'image/png', buffer: documentPng() });
      await page.getByText(/Uploaded passport\.png/).waitFor();
      const documentNumber = `P${run}`.toUpperCase();
      await fillLevel2(page, documentNumber, '2020-01-31');
      await page.getByRole('button', { name: 'Submit level 2' }).click();
      await page
        .getByRole('alert')
        .getByText(/The identity document has expired/)
        .waitFor();
      await capture(page, 'verify-level2');
      await fillLevel2(page, documentNumber);
      await page.getByRole('button', { name: 'Submit level 2' }).click();
      // Embedded mode: the sandbox reviewer approves at once.
      await page.getByText('Your identity is verified: you have tier Full.').waitFor();
      await page.getByRole('link', { name: 'Home' }).click();
      await page.getByText('You can send USD, EUR and ETH to other users.').waitFor();
      await capture(page, 'home-new-user');
    } finally {
      await context.close();
    }
  });

  test('a Browsing user is shown why a send is not allowed', async () => {
    const { context, page } = await newUserPage(browser, platform.url);
    try {
      await register(page, `browsing-${run}@example.com`);
      await page.getByRole('link', { name: 'Home' }).click();
      await page.getByText('Start level 1').waitFor();
      await page.getByRole('link', { name: 'Send' }).first().click();
      await page.getByText(/Your tier is Browsing: sending money needs identity verification/).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Review' }).isDisabled(), true);
      await capture(page, 'send-browsing');
    } finally {
      await context.close();
    }
  });

  test('a demo user sends to another (confirmation; a retry and a double click send once); both see it in their history', async () => {
    const alice = demo('user', 0);
    const bob = demo('user', 1);
    // Unique per run, so the rows of this send can be counted.
    const amount = `12.${10 + (Date.now() % 90)}`;
    const sender = await newUserPage(browser, platform.url);
    const receiver = await newUserPage(browser, platform.url);
    try {
      const page = sender.page;
      await logIn(page, alice.email, alice.password);
      await balanceOf(page, 'USD').waitFor();
      const before = await balanceOf(page, 'USD').innerText();
      // The home page's interactive time from the browser's Performance API (printed, not asserted).
      await page.reload();
      await balanceOf(page, 'USD').waitFor();
      const timing = await page.evaluate(() => {
        const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        return { domInteractive: Math.round(navigation.domInteractive), balancesShown: Math.round(performance.now()) };
      });
      process.stdout.write(
        `# home page: domInteractive ${timing.domInteractive} ms, balances on screen ${timing.balancesShown} ms after navigation start\n`,
      );
      await capture(page, 'home');

      await page.getByRole('link', { name: 'Send' }).first().click();
      await page.getByLabel('Recipient email').fill(`nobody-${run}@example.com`);
      await page.getByLabel('Asset').selectOption('USD');
      await page.getByLabel('Amount').fill('1.234');
      await page.getByRole('button', { name: 'Review' }).click();
      await page.getByText('USD has at most 2 decimal places.').waitFor();
      await page.getByLabel('Amount').fill(amount);
      await page.getByRole('button', { name: 'Review' }).click();
      await page.getByRole('button', { name: `Send ${amount} USD` }).click();
      await page.getByRole('alert').getByText('No user has this email address.', { exact: false }).waitFor();
      await capture(page, 'send-error');

      await page.getByLabel('Recipient email').fill(bob.email);
      await page.getByLabel('Amount').fill('99999999');
      await page.getByRole('button', { name: 'Review' }).click();
      await page.getByRole('button', { name: /^Send 99,999,999.00 USD$/ }).click();
      await page
        .getByRole('alert')
        .getByText(/Insufficient funds/)
        .waitFor();

      await page.getByLabel('Amount').fill(amount);
      await page.getByRole('button', { name: 'Review' }).click();
      await page.getByRole('heading', { name: 'Confirm the send' }).waitFor();
      await capture(page, 'send-confirm');
      // The first answer is lost on the way back (the gateway did record the send); the retry, a double
      // click, carries the same sendId, so the money moves once and the app says so.
      await page.route('**/v1/sends', async (route) => {
        await route.fetch();
        await route.abort('connectionreset');
      });
      await page.getByRole('button', { name: `Send ${amount} USD` }).click();
      await page.getByRole('alert').getByText('The server could not be reached.', { exact: false }).waitFor();
      await page.unroute('**/v1/sends');
      await page.getByRole('button', { name: `Send ${amount} USD` }).dblclick();
      await page.getByText(`Sent ${amount} USD.`).waitFor();
      await page.getByText('This send had already gone through; nothing moved twice.').waitFor();
      await capture(page, 'send-done');

      await page.getByRole('link', { name: 'Home' }).click();
      await balanceOf(page, 'USD').waitFor();
      const afterText = await balanceOf(page, 'USD').innerText();
      assert.equal(
        cents(before) - cents(afterText),
        BigInt(amount.replace('.', '')),
        `one send of ${amount} USD: ${before} -> ${afterText}`,
      );

      await page.getByRole('link', { name: 'History' }).first().click();
      const sent = page.getByRole('row').filter({ hasText: `−${amount} USD` });
      await sent.first().waitFor();
      assert.equal(await sent.count(), 1, 'a lost answer, a retry and a double click sent once');
      await capture(page, 'history');
      // Filters: kind "Send" keeps it, "Deposit" does not; CSV exports what the filters show.
      await page.getByLabel('Kind').selectOption('send');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await sent.first().waitFor();
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export CSV' }).click(),
      ]);
      const csv = await readFile((await download.path()) ?? '', 'utf8');
      const lines = csv.trim().split('\r\n');
      assert.equal(lines[0], 'effective_at,kind,direction,amount,balance_after,asset,transfer_id');
      assert.ok(
        lines.slice(1).every((line) => line.includes('"send"')),
        csv,
      );
      assert.ok(
        lines.some((line) => line.includes(`"out","${amount}"`)),
        csv,
      );
      const today = new Date();
      const yesterday = new Date(today.getTime() - 86_400_000).toISOString().slice(0, 10);
      await page.getByLabel('Kind').selectOption('deposit');
      await page.getByLabel('To').fill(yesterday);
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText('Nothing matches these filters.').waitFor();
      await page.getByLabel('Kind').selectOption('send');
      await page.getByLabel('To').fill('');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await sent.first().getByRole('link').click();
      await page.getByRole('heading', { name: 'Transfer' }).waitFor();
      await page.getByText('Sent', { exact: true }).waitFor();
      await capture(page, 'transfer');

      const other = receiver.page;
      await logIn(other, bob.email, bob.password);
      await other.getByRole('link', { name: 'History' }).first().click();
      await other
        .getByRole('row')
        .filter({ hasText: `+${amount} USD` })
        .first()
        .waitFor();
    } finally {
      await sender.context.close();
      await receiver.context.close();
    }
  });

  test('a reload keeps the session; logout ends it; the access token is never in web storage', async () => {
    const alice = demo('user', 0);
    const { context, page } = await newUserPage(browser, platform.url);
    try {
      await logIn(page, alice.email, alice.password);
      await page.goto('/settings');
      await page.getByRole('heading', { name: 'Settings' }).waitFor();
      await page.reload();
      await page.getByRole('heading', { name: 'Settings' }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Log out' }).isVisible(), true);
      const stored = await page.evaluate(
        () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
      );
      assert.doesNotMatch(stored, /eyJ/, 'no token in localStorage or sessionStorage');
      const cookies = await context.cookies();
      assert.ok(
        cookies.some((cookie) => cookie.httpOnly && cookie.name === 't50_refresh'),
        'refresh cookie is HttpOnly',
      );

      // Settings: wrong password (API), the balance_not_zero answer and the way out.
      await page
        .getByRole('form', { name: 'Change password' })
        .getByLabel('Current password')
        .fill('wrong password here');
      await page
        .getByRole('form', { name: 'Change password' })
        .getByLabel('New password')
        .fill('another-long-password-9');
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByRole('form', { name: 'Change password' }).getByRole('alert').waitFor();
      await page.getByRole('form', { name: 'Change email' }).getByLabel('New email').fill(demo('user', 1).email);
      await page.getByRole('form', { name: 'Change email' }).getByLabel('Current password').fill(alice.password);
      await page.getByRole('button', { name: 'Change email' }).click();
      await page
        .getByRole('form', { name: 'Change email' })
        .getByText('The email address is already registered.')
        .waitFor();
      await page.getByRole('form', { name: 'Delete account' }).getByLabel('Password').fill(alice.password);
      await page.getByRole('button', { name: 'Delete my account' }).click();
      await page.getByText('The account still holds money.', { exact: false }).waitFor();
      await page.getByText(/Send what is left to another user/).waitFor();
      await capture(page, 'settings');

      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
      await page.reload();
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
      await page.goto('/history/USD');
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
    } finally {
      await context.close();
    }
  });

  test('settings: a new user changes email and password, then deletes the account', async () => {
    const { context, page } = await newUserPage(browser, platform.url);
    try {
      await register(page, `leaver-${run}@example.com`);
      await page.getByRole('link', { name: 'Settings' }).click();
      const email = page.getByRole('form', { name: 'Change email' });
      await email.getByLabel('New email').fill(`leaver2-${run}@example.com`);
      await email.getByLabel('Current password').fill(strongPassword);
      await page.getByRole('button', { name: 'Change email' }).click();
      await email.getByText(`Your email address is now leaver2-${run}@example.com.`, { exact: false }).waitFor();
      const password = page.getByRole('form', { name: 'Change password' });
      await password.getByLabel('Current password').fill(strongPassword);
      await password.getByLabel('New password').fill('password1234');
      await page.getByRole('button', { name: 'Change password' }).click();
      await password
        .getByRole('alert')
        .getByText(/commonly used passwords/)
        .waitFor();
      await password.getByLabel('Current password').fill(strongPassword);
      await password.getByLabel('New password').fill('a-new-and-long-password-2');
      await page.getByRole('button', { name: 'Change password' }).click();
      await password.getByText('Your password is changed.', { exact: false }).waitFor();
      const remove = page.getByRole('form', { name: 'Delete account' });
      await remove.getByLabel('Password').fill('a-new-and-long-password-2');
      await page.getByRole('button', { name: 'Delete my account' }).click();
      await page.getByText('Your account is deleted.').waitFor();
      await logInFails(page, `leaver2-${run}@example.com`, 'a-new-and-long-password-2');
    } finally {
      await context.close();
    }
  });

  test('an operator approves a pending KYC level 2 submission with its document shown inline; the user reaches Full', async () => {
    const person = await newUserPage(browser, platform.url);
    const operator = await newUserPage(browser, platform.url);
    const documentNumber = `PENDING-A${run}`.toUpperCase();
    try {
      const page = person.page;
      await register(page, `approved-${run}@example.com`);
      await fillLevel1(page, { 'First name': 'Katherine', 'Last name': 'Johnson' });
      await page.getByRole('button', { name: 'Submit level 1' }).click();
      await page
        .getByLabel('Document file')
        .setInputFiles({ name: 'id.png', mimeType: 'image/png', buffer: documentPng() });
      await page.getByText(/Uploaded id\.png/).waitFor();
      await fillLevel2(page, documentNumber);
      await page.getByRole('button', { name: 'Submit level 2' }).click();
      await page.getByText('Pending review').waitFor();
      await page.getByText('An operator is checking your document.', { exact: false }).waitFor();
      await capture(page, 'verify-pending');

      const desk = operator.page;
      await logIn(desk, demo('operator').email, demo('operator').password);
      await desk.getByRole('link', { name: 'KYC review' }).click();
      await desk.getByRole('link', { name: `Review ${documentNumber}` }).waitFor();
      await capture(desk, 'review-queue');
      await desk.getByRole('link', { name: `Review ${documentNumber}` }).click();
      await desk.getByText('Katherine Johnson').waitFor();
      const image = desk.getByRole('img', { name: 'The uploaded identity document' });
      await image.waitFor();
      await desk.waitForFunction(() => document.querySelector<HTMLImageElement>('.document img')?.complete === true);
      assert.equal(
        await image.evaluate((element) => (element as HTMLImageElement).naturalWidth),
        64,
        'the document is shown inline',
      );
      await capture(desk, 'review-submission');
      await desk.getByRole('button', { name: 'Approve' }).click();
      await desk.getByText('Approved.').waitFor();

      await page.reload();
      await page.getByText('Your identity is verified: you have tier Full.').waitFor();
      await page.getByRole('link', { name: 'Home' }).click();
      await page.getByText('You can send USD, EUR and ETH to other users.').waitFor();
    } finally {
      await person.context.close();
      await operator.context.close();
    }
  });

  test('an operator rejects a KYC level 2 submission with a reason; the user sees it and can submit again', async () => {
    const person = await newUserPage(browser, platform.url);
    const operator = await newUserPage(browser, platform.url);
    const documentNumber = `PENDING-R${run}`.toUpperCase();
    try {
      const page = person.page;
      await register(page, `rejected-${run}@example.com`);
      await fillLevel1(page, { 'First name': 'Grace', 'Last name': 'Hopper' });
      await page.getByRole('button', { name: 'Submit level 1' }).click();
      await page
        .getByLabel('Document file')
        .setInputFiles({ name: 'id.png', mimeType: 'image/png', buffer: documentPng() });
      await page.getByText(/Uploaded id\.png/).waitFor();
      await fillLevel2(page, documentNumber);
      await page.getByRole('button', { name: 'Submit level 2' }).click();
      await page.getByText('Pending review').waitFor();

      const desk = operator.page;
      await logIn(desk, demo('operator').email, demo('operator').password);
      await desk.getByRole('link', { name: 'KYC review' }).click();
      await desk.getByRole('link', { name: `Review ${documentNumber}` }).click();
      await desk.getByText('Grace Hopper').waitFor();
      await desk.getByRole('button', { name: 'Reject' }).click();
      await desk.getByText('Say why, so the person knows what to correct.').waitFor();
      await review(desk, documentNumber, { reason: 'The photo is too small to read; upload a sharper scan.' });
      await desk.getByRole('link', { name: '← Review queue' }).click();
      await desk.getByRole('heading', { name: 'KYC review' }).waitFor();
      // No longer in the queue (waited for: the list may still be rendering).
      await desk
        .getByRole('link', { name: `Review ${documentNumber}` })
        .waitFor({ state: 'detached', timeout: 10_000 });

      await page.reload();
      await page.getByText('Rejected', { exact: true }).waitFor();
      await page.getByText('The photo is too small to read; upload a sharper scan.').waitFor();
      await page.getByRole('button', { name: 'Submit level 2' }).waitFor();
      await capture(page, 'verify-rejected');
    } finally {
      await person.context.close();
      await operator.context.close();
    }
  });

  test('keyboard-only login; a plain user cannot open the review pages; unknown addresses say so', async () => {
    const { context, page } = await newUserPage(browser, platform.url);
    try {
      // Keyboard only: the skip link first, then the brand, then the form in reading order; Enter submits.
      await page.goto('/login');
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('type')), 'email');
      await page.keyboard.type(demo('user', 1).email);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('type')), 'password');
      await page.keyboard.type(demo('user', 1).password);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Your wallet' }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'KYC review' }).count(), 0);
      await page.goto('/review');
      await page.getByText('Only operators can review identity documents.').waitFor();
      await page.goto('/no-such-page');
      await page.getByRole('heading', { name: 'Page not found' }).waitFor();
      await assertAccessible(page, 'not found');
    } finally {
      await context.close();
    }
  });
});

function cents(text: string): bigint {
  const match = /(-?[\d,]+)\.(\d{2}) USD/.exec(text);
  assert.ok(match !== null, text);
  return BigInt((match[1] ?? '').replaceAll(',', '') + (match[2] ?? ''));
}

async function logInFails(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').getByText('The email or password is wrong.').waitFor();
}
