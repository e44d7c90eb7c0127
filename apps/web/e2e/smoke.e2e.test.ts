/**
 * The browser-test infrastructure, end to end: the real embedded platform in a
 * child process serves the built app; Chromium opens it under the gateway's
 * strict Content-Security-Policy without a single violation; the login page
 * appears; a reload on one of the app's own pages still gets the app; a demo
 * user logs in through the API from the page itself (same origin, no CORS);
 * and after stop() nothing answers any more.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, startPlatform, type RunningPlatform } from './harness';

describe('smoke: platform + browser', () => {
  let platform: RunningPlatform;
  let browser: Browser;

  before(async () => {
    platform = await startPlatform();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await platform?.stop();
  });

  test('the app loads under its security headers, and a demo user logs in from the page', async () => {
    const context = await browser.newContext({ baseURL: platform.url });
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      const problems: string[] = [];
      // A blocked script, style or request shows as a console error naming the policy; an app crash as a page error.
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text()))
          problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('response', (answer) => {
        if (new URL(answer.url()).pathname.startsWith('/assets/') && answer.status() !== 200)
          problems.push(`${answer.status()} ${answer.url()}`);
      });

      const response = await page.goto('/');
      assert.equal(response?.status(), 200);
      const headers = response?.headers() ?? {};
      assert.match(headers['content-security-policy'] ?? '', /default-src 'self'; script-src 'self'/);
      assert.equal(headers['x-content-type-options'], 'nosniff');
      assert.equal(headers['referrer-policy'], 'no-referrer');
      assert.equal(await page.title(), 'Transactions50');
      // Not signed in: the app shows its login page.
      await page.getByRole('heading', { name: 'Log in' }).waitFor();

      // A reload on one of the app's own pages: the gateway answers with the app, which shows its page.
      const deep = await page.goto('/register');
      assert.equal(deep?.status(), 200);
      await page.getByRole('heading', { name: 'Create an account' }).waitFor();

      const alice = platform.demoUsers.find((user) => user.email === 'alice@example.com');
      assert.ok(alice !== undefined, 'alice is a demo user');
      const seen = await page.evaluate(async ({ email, password }) => {
        const login = await fetch('/v1/auth/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password }),
        });
        const session = (await login.json()) as { accessToken: string };
        const me = await fetch('/v1/me', { headers: { authorization: `Bearer ${session.accessToken}` } });
        const accounts = await fetch('/v1/accounts', { headers: { authorization: `Bearer ${session.accessToken}` } });
        return { login: login.status, me: (await me.json()) as unknown, accounts: (await accounts.json()) as unknown };
      }, alice);
      assert.equal(seen.login, 200);
      assert.equal((seen.me as { email: string }).email, 'alice@example.com');
      assert.equal((seen.me as { tier: string }).tier, 'full');
      const balances = (seen.accounts as { balances: { asset: string; balance: string }[] }).balances;
      for (const asset of ['USD', 'EUR', 'ETH'])
        assert.ok(BigInt(balances.find((row) => row.asset === asset)?.balance ?? '0') > 0n, `alice holds ${asset}`);

      assert.deepEqual(problems, [], 'no Content-Security-Policy violation, no page error, every asset loaded');
    } finally {
      await context.close();
    }
  });

  test('stop() ends the platform: its port no longer answers', async () => {
    const url = platform.url;
    await platform.stop();
    await assert.rejects(fetch(`${url}/health/live`, { signal: AbortSignal.timeout(5_000) }));
  });
});
