/** The configuration: limits, providers and their keys, secrets from files. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '@t50/kit';
import { loadPaymentsConfig, parseLimits } from './config';

function problemsOf(environment: Record<string, string>): string[] {
  try {
    loadPaymentsConfig(environment);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `a ConfigError, not: ${String(error)}`);
    return [...error.problems];
  }
  return [];
}

describe('payments configuration', () => {
  it('defaults: the sandbox only, limits for USD and EUR', () => {
    const config = loadPaymentsConfig({});
    assert.equal(config.PAYMENTS_PROVIDERS, 'sandbox');
    assert.deepEqual(parseLimits(config.PAYMENTS_DEPOSIT_LIMITS), {
      USD: { min: 100n, max: 1_000_000n },
      EUR: { min: 100n, max: 1_000_000n },
    });
  });

  it('limits: every fiat asset, min <= max, whole numbers, nothing else', () => {
    assert.deepEqual(parseLimits(' EUR=5..10 , USD=1..99999999999999999999 '), {
      EUR: { min: 5n, max: 10n },
      USD: { min: 1n, max: 99_999_999_999_999_999_999n },
    });
    for (const bad of [
      'USD=1..10',
      'USD=10..1,EUR=1..2',
      'USD=1..10,EUR=1..2,GBP=1..2',
      'USD=1.5..10,EUR=1..2',
      'USD=0..10,EUR=1..2',
      'USD=-1..10,EUR=1..2',
    ]) {
      assert.throws(() => parseLimits(bad), Error, bad);
      assert.equal(problemsOf({ PAYMENTS_PAYOUT_LIMITS: bad }).length, 1, bad);
    }
  });

  it('an unknown provider, or an enabled one without its keys, fails with the names of the keys', () => {
    assert.match(problemsOf({ PAYMENTS_PROVIDERS: 'sandbox,venmo' }).join('\n'), /PAYMENTS_PROVIDERS is invalid/);
    const problems = problemsOf({ PAYMENTS_PROVIDERS: 'stripe,paypal' }).join('\n');
    for (const key of [
      'STRIPE_SECRET_KEY',
      'STRIPE_WEBHOOK_SECRET',
      'PAYPAL_CLIENT_ID',
      'PAYPAL_CLIENT_SECRET',
      'PAYPAL_WEBHOOK_ID',
    ]) {
      assert.match(problems, new RegExp(`${key} is required`));
    }
  });

  it('a secret from <KEY>_FILE; both set, or an unreadable file, is an error that shows no value', () => {
    const folder = mkdtempSync(join(tmpdir(), 't50-payments-config-'));
    try {
      const file = join(folder, 'stripe-key');
      writeFileSync(file, 'sk_test_from_a_file_0123456789\n');
      const config = loadPaymentsConfig({
        PAYMENTS_PROVIDERS: 'stripe',
        STRIPE_SECRET_KEY_FILE: file,
        STRIPE_WEBHOOK_SECRET: 'whsec_0123456789',
      });
      assert.equal(config.STRIPE_SECRET_KEY, 'sk_test_from_a_file_0123456789');
      const both = problemsOf({ STRIPE_SECRET_KEY: 'sk_test_inline_0123456789', STRIPE_SECRET_KEY_FILE: file });
      assert.deepEqual(both, ['STRIPE_SECRET_KEY and STRIPE_SECRET_KEY_FILE are both set; set one']);
      const missing = problemsOf({ SANDBOX_WEBHOOK_SECRET_FILE: join(folder, 'nope') });
      assert.deepEqual(missing, ['SANDBOX_WEBHOOK_SECRET_FILE is invalid: the file cannot be read']);
      writeFileSync(file, 'has a space in it');
      const spaced = problemsOf({ STRIPE_SECRET_KEY_FILE: file }).join('\n');
      assert.match(spaced, /STRIPE_SECRET_KEY is invalid/);
      assert.doesNotMatch(spaced, /space in it/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
