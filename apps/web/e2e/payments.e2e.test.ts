/**
 * Fiat in and out through the pages, in a real browser against the real
 * embedded platform with the payments service and its sandbox provider: a
 * deposit paid on the sandbox's checkout page with the test card (the balance
 * goes up), a declined card (the reason is shown, nothing moves), a payout
 * (the balance goes down), the payments list, and what a user below tier Full
 * is told. axe-core runs on every page (capture), at 1280 px and 390 px.

 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, startPlatform } from './harness';
import { assertAccessible, balanceOf, capture, logIn, newUserPage, register } from './support';

type Platform = Awaited<ReturnType<typeof startPlatform>>;

/** "1,234.56 USD" -> 123456n: the shown balance in cents, with bigint (never a float). */
async function usdCents(page: Page): Promise<bigint> {
  await page.goto('/');
  const text = (await balanceOf(page, 'USD').textContent()) ?? '';
  const match = /^(-?)([\d,]+)\.(\d{2}) USD$/.exec(text.trim());
  assert.ok(match !== null, `a USD balance, not '${text}'`);
  const cents = BigInt(`${match[2]?.replaceAll(',', '') ?? ''}${match[3] ?? ''}`);
  return match[1] === '-' ? -cents : cents;
}

/** Waits until the home page shows `expected` cents of USD (the ledger posts asynchronously). */
async function waitForUsd(page: Page, expected: bigint): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const shown = await usdCents(page);
    if (shown === expected) return;
    if (Date.now() > deadline) assert.equal(shown, expected, 'the USD balance on the home page');
    await page.waitForTimeout(500);
  }
}

async function startDeposit(page: Page, amount: string): Promise<void> {
  await page.getByRole('link', { name: 'Payments', exact: true }).click();
  await page.getByRole('heading', { name: 'Payments' }).waitFor();
  await page.getByRole('link', { name: 'Add money' }).click();
  await page.getByRole('heading', { name: 'Add money' }).waitFor();
  // Only what is enabled is offered: embedded mode runs the sandbox alone.
  // The choice appears once the enabled providers have loaded (allTextContents does not wait).
  await page.getByLabel('Pay with').waitFor();
  assert.deepEqual(await page.getByLabel('Pay with').locator('option').allTextContents(), ['Sandbox (test money)']);
  await page.getByLabel('Pay with').selectOption('sandbox');
  await page.getByLabel('Currency').selectOption('USD');
  await page.getByLabel('Amount').fill(amount);
}

/** On the sandbox's checkout page (served by the payments service): pay with `card`. */
async function payOnSandbox(page: Page, card: string): Promise<void> {
  await page.getByRole('heading', { name: 'Pay by card' }).waitFor();
  await page.getByLabel('Card number').fill(card);
  await page.getByRole('button', { name: /^Pay / }).click();
}

describe('payments in the browser', () => {
  let platform: Platform;
  let browser: Browser;

  before(async () => {
    platform = await startPlatform();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await platform?.stop();
  });

  const alice = () => {
    const user = platform.demoUsers.find((candidate) => candidate.email === 'alice@example.com');
    assert.ok(user !== undefined, 'the demo user alice');
    return user;
  };

  test('below tier Full: the Payments page says why and offers the way to Full', async () => {
    const { context, page } = await newUserPage(browser, platform.url);
    try {
      await register(page, `payments-browsing-${Date.now().toString(36)}@example.com`);
      await page.getByRole('link', { name: 'Payments', exact: true }).click();
      await page.getByText('Your tier is Browsing: adding and withdrawing money needs tier Full').waitFor();
      assert.equal(await page.getByRole('link', { name: 'Add money' }).count(), 0);
      await capture(page, 'payments-not-full');
      await page.goto('/withdraw');
      await page.getByText('Your tier is Browsing: withdrawing money needs tier Full').waitFor();
      assert.equal(await page.getByRole('button', { name: 'Review' }).count(), 0);
    } finally {
      await context.close();
    }
  });

  test('deposit with the sandbox card 4242 4242 4242 4242: back on the deposit page, succeeded, balance up', async () => {
    const { context, page } = await newUserPage(browser, platform.url);
    try {
      await logIn(page, alice().email, alice().password);
      const before = await usdCents(page);

      // Typed as decimal text; the form refuses what is not an amount before anything is sent.
      await startDeposit(page, '25.001');
      await page.getByRole('button', { name: 'Continue to payment' }).click();
      await page.getByText('USD has at most 2 decimal places.').waitFor();
      await page.getByLabel('Amount').fill('25.00');
      await capture(page, 'deposit');
      await page.getByRole('button', { name: 'Continue to payment' }).click();

      await payOnSandbox(page, '4242 4242 4242 4242');
      await page.waitForURL(/\/deposits\/[^/]+$/);
      await page.getByRole('heading', { name: 'Deposit' }).waitFor();
      await page.getByText('Deposit succeeded: 25.00 USD was added to your balance.').waitFor({ timeout: 30_000 });
      await capture(page, 'deposit-succeeded');

      await waitForUsd(page, before + 2500n);
    } finally {
      await context.close();
    }
  });

  test('a declined card: the deposit page shows it failed and why; the balance stays', async () => {
    const { context, page } = await newUserPage(browser, platform.url);
    try {
      await logIn(page, alice().email, alice().password);
      const before = await usdCents(page);
      await startDeposit(page, '12.34');
      await page.getByRole('button', { name: 'Continue to payment' }).click();
      await payOnSandbox(page, '4000 0000 0000 0002');
      // The sandbox may show the refusal on its own page first, with the way back.
      const back = page.getByRole('link', { name: /Go back|Cancel and go back/ });
      if (!/\/deposits\//.test(page.url()) && (await back.count()) > 0) await back.first().click();
      await page.waitForURL(/\/deposits\/[^/]+$/);
      const failed = page.getByRole('alert').filter({ hasText: /Deposit (failed|expired)/ });
      await failed.waitFor({ timeout: 30_000 });
      assert.match((await failed.textContent()) ?? '', /No money was taken\./);
      await capture(page, 'deposit-failed');
      await waitForUsd(page, before);
      // In the list the declined amount is struck through and said not to have moved, never "+12.34".
      await page.getByRole('link', { name: 'Payments', exact: true }).click();
      const table = page.getByRole('table', { name: 'Deposits and withdrawals, newest first' });
      const row = table
        .getByRole('row')
        .filter({ hasText: /(Failed|Expired)/ })
        .filter({ hasText: '12.34 USD' });
      await row.first().waitFor();
      const text = (await row.first().textContent()) ?? '';
      assert.match(text, /12\.34 USD \(not moved\)/);
      assert.doesNotMatch(text, /\+12\.34/);
    } finally {
      await context.close();
    }
  });

  test('withdraw 10.00 USD to the sandbox: completed, balance down; both in the payments list', async () => {
    const { context, page } = await newUserPage(browser, platform.url);
    try {
      await logIn(page, alice().email, alice().password);
      const before = await usdCents(page);

      await page.getByRole('link', { name: 'Payments', exact: true }).click();
      await page.getByRole('link', { name: 'Withdraw' }).click();
      await page.getByRole('heading', { name: 'Withdraw' }).waitFor();
      await page.getByLabel('Pay out with').waitFor();
      assert.deepEqual(await page.getByLabel('Pay out with').locator('option').allTextContents(), [
        'Sandbox (test money)',
      ]);
      await page.getByLabel('Pay out with').selectOption('sandbox');
      await page.getByLabel('Destination').fill('Test bank account');
      await page.getByLabel('Currency').selectOption('USD');
      await page.getByLabel('Amount').fill('10.00');
      await capture(page, 'withdraw');
      await page.getByRole('button', { name: 'Review' }).click();
      await page.getByRole('heading', { name: 'Confirm the withdrawal' }).waitFor();
      await capture(page, 'withdraw-confirm');
      await page.getByRole('button', { name: 'Withdraw 10.00 USD' }).click();
      await page.getByText('Withdrawal completed: 10.00 USD was paid out.').waitFor({ timeout: 30_000 });
      await capture(page, 'withdraw-completed');

      await waitForUsd(page, before - 1000n);

      await page.getByRole('link', { name: 'Payments', exact: true }).click();
      const table = page.getByRole('table', { name: 'Deposits and withdrawals, newest first' });
      await table.waitFor();
      const firstRow = table.getByRole('row').nth(1);
      assert.match((await firstRow.textContent()) ?? '', /Withdrawal.*10\.00 USD.*Completed/);
      // Both deposits of the tests above (the list loads after the page, so wait for the second).
      await table
        .getByRole('link', { name: /^Deposit / })
        .nth(1)
        .waitFor();
      await capture(page, 'payments');
      await assertAccessible(page, 'payments list');
    } finally {
      await context.close();
    }
  });
});
