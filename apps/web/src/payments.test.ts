import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newIdempotencyKey } from './ids';
import { isCheckoutUrl, isFinalDeposit, isFinalPayout, reasonText, toneOf } from './payments';

/** The gateway's rule for the header (IdempotencyKey in packages/contracts/src/payments.ts). */
const keyPattern = /^[A-Za-z0-9:._-]{8,128}$/;

test('an Idempotency-Key is fresh for each submission and passes the gateway’s rule', () => {
  const keys = new Set(Array.from({ length: 100 }, () => newIdempotencyKey()));
  assert.equal(keys.size, 100);
  for (const key of keys) assert.match(key, keyPattern);
});

test('only an http(s) checkout URL is followed', () => {
  assert.equal(isCheckoutUrl('https://checkout.stripe.com/c/pay/cs_test_1'), true);
  assert.equal(isCheckoutUrl('http://127.0.0.1:4003/sandbox/checkout/sbx_1'), true);
  assert.equal(isCheckoutUrl('javascript:alert(1)'), false);
  assert.equal(isCheckoutUrl('data:text/html,hi'), false);
  assert.equal(isCheckoutUrl('/relative/path'), false);
  assert.equal(isCheckoutUrl(undefined), false);
});

test('final states stop the polling; their tone is what the person sees', () => {
  assert.deepEqual((['created', 'processing', 'succeeded', 'failed', 'expired'] as const).map(isFinalDeposit), [
    false,
    false,
    true,
    true,
    true,
  ]);
  assert.deepEqual(
    (['requested', 'held', 'submitted', 'completed', 'failed', 'rejected'] as const).map(isFinalPayout),
    [false, false, false, true, true, true],
  );
  assert.equal(toneOf('succeeded'), 'good');
  assert.equal(toneOf('rejected'), 'bad');
  assert.equal(toneOf('processing'), 'pending');
});

test('a reason ends the sentence once', () => {
  assert.equal(reasonText('the card was declined'), ': the card was declined.');
  assert.equal(reasonText('Insufficient funds.'), ': Insufficient funds.');
  assert.equal(reasonText(undefined), '.');
  assert.equal(reasonText('  '), '.');
});
