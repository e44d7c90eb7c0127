/**
 * The payment routes' own answers. `insufficient_funds` is also a send's
 * answer (money/errors.ts): one code means one answer. `payments_unavailable`
 * is the one 5xx here: the payments service did not answer, nothing the user
 * did wrong (http/problems.test.ts pins the 4xx codes of the other domains).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MoneyError, moneyProblems } from '../money/errors';
import { PaymentsError, paymentsProblems } from './errors';

test('insufficient_funds is the same answer for a payout as for a send', () => {
  assert.deepEqual(paymentsProblems[PaymentsError.InsufficientFunds], moneyProblems[MoneyError.InsufficientFunds]);
});

test('payments_unavailable is a 503 that says to try again', () => {
  const spec = paymentsProblems[PaymentsError.Unavailable];
  assert.equal(spec.status, 503);
  assert.equal(spec.code, 'payments_unavailable');
  assert.match(spec.title, /try again/);
});
