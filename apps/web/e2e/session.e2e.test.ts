/**
 * Silent refresh in a real browser: with 60-second access tokens the app asks
 * POST /v1/auth/refresh (HttpOnly cookie) before the token runs out, and its
 * next API calls carry the new token, without the person doing anything.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, startPlatform, type RunningPlatform } from './harness';
import { balanceOf, logIn, newUserPage } from './support';

describe('web app session refresh in Chromium', () => {
  let platform: RunningPlatform;
  let browser: Browser;

  before(async () => {
    platform = await startPlatform({ env: { ACCESS_TOKEN_TTL_SECONDS: '60' } });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await platform?.stop();
  });

  test('the access token is refreshed through the cookie before it expires, and used from then on', async () => {
    const alice = platform.demoUsers.find((user) => user.email === 'alice@example.com');
    assert.ok(alice !== undefined, 'alice is one of the demo users');
    const { context, page } = await newUserPage(browser, platform.url);
    try {
      const login = page.waitForResponse((response) => response.url().endsWith('/v1/auth/login'));
      await logIn(page, alice.email, alice.password);
      const first = ((await (await login).json()) as { accessToken: string }).accessToken;
      // 60 s tokens are refreshed 5 s after they are issued (a minute early, at least 5 s from now).
      const refreshed = await page.waitForResponse((response) => response.url().endsWith('/v1/auth/refresh'), {
        timeout: 20_000,
      });
      assert.equal(refreshed.status(), 200);
      const second = ((await refreshed.json()) as { accessToken: string }).accessToken;
      assert.notEqual(second, first);
      const next = page.waitForRequest((request) => request.url().includes('/v1/accounts'));
      await page.getByRole('link', { name: 'History' }).first().click();
      await page.getByRole('link', { name: 'Home' }).click();
      await balanceOf(page, 'USD').waitFor();
      const used = (await next).headers().authorization;
      assert.ok(used !== undefined && used !== `Bearer ${first}`, 'the next call carries a refreshed token');
    } finally {
      await context.close();
    }
  });
});
