/**
 * `npm start` with a bad configuration: a few readable lines on stderr naming
 * the bad keys (no value, no stack trace) and exit code 1, like the
 * standalone services.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { startExpectingFailure } from '@t50/kit/testing';

const appRoot = fileURLToPath(new URL('..', import.meta.url));

void describe('embedded mode with a bad configuration', () => {
  void it(
    'names the bad keys on stderr, without a stack trace or the value, and exits 1',
    { timeout: 120_000 },
    async () => {
      const failed = await startExpectingFailure(appRoot, 'src/main.ts', { LOG_LEVEL: 'level-secret-value' });
      assert.equal(failed.code, 1, failed.output);
      assert.match(failed.stderr, /^embedded mode: invalid configuration/);
      assert.match(failed.stderr, /LOG_LEVEL is invalid/);
      assert.doesNotMatch(failed.stderr, /\n\s+at /, 'no stack trace');
      assert.doesNotMatch(failed.output, /level-secret-value/, 'no value');
    },
  );
});
