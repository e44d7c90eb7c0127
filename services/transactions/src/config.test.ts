/** The ledger's API keys are checked by format at start; the error names the key, never its value. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ConfigError } from '@t50/kit';
import { loadTransactionsConfig } from './config';

test('TRANSACTIONS_API_KEYS: well-formed keys load; a key with spaces, quotes or a line break stops the start', () => {
  const one = randomBytes(32).toString('hex');
  const two = randomBytes(32).toString('base64url');
  assert.deepEqual(loadTransactionsConfig({ TRANSACTIONS_API_KEYS: ` ${one}, ${two} ` }).TRANSACTIONS_API_KEYS, [
    one,
    two,
  ]);
  for (const bad of [`> @t50/x start\n${one}`, `"${one}"`, `${one} ${two}`, 'short-key', `${one};${two}`]) {
    assert.throws(
      () => loadTransactionsConfig({ TRANSACTIONS_API_KEYS: bad }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, `a ConfigError, not: ${String(error)}`);
        assert.match(error.message, /TRANSACTIONS_API_KEYS is invalid: expected/);
        assert.equal(error.message.includes(one), false, 'the value is never shown');
        assert.equal(error.message.includes(two), false);
        return true;
      },
    );
  }
});
