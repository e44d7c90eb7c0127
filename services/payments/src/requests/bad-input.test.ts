/**
 * Bad requests on payments.requests: each is answered with a problem (a 4xx
 * status and a stable code) and changes nothing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { PaymentsReply } from '@t50/contracts';
import {
  depositRequest,
  newKey,
  newUserId,
  payoutRequest,
  startPaymentsHarness,
  type PaymentsHarness,
} from '../testing/harness';

let harness: PaymentsHarness;
before(async () => {
  harness = await startPaymentsHarness('payments-bad-input', {
    env: {
      PAYMENTS_DEPOSIT_LIMITS: 'USD=100..50000,EUR=200..40000',
      PAYMENTS_PAYOUT_LIMITS: 'USD=500..20000,EUR=500..20000',
    },
  });
});
after(async () => {
  await harness.close();
});

function problemOf(reply: PaymentsReply): [number, string] {
  assert.equal(reply.type, 'problem', JSON.stringify(reply));
  return reply.type === 'problem' ? [reply.problem.status, reply.problem.code] : [0, ''];
}

async function nothingRecorded(): Promise<void> {
  assert.equal(await harness.countRows('deposits'), 0);
  assert.equal(await harness.countRows('payouts'), 0);
  assert.equal(await harness.countRows('idempotency_keys'), 0);
  assert.equal(await harness.countRows('outbox'), 0);
  assert.equal(await harness.countRows('sandbox_checkouts'), 0);
}

const userId = newUserId();
const deposit = (data: Record<string, unknown>) => {
  const request = depositRequest({ userId, amount: '1000' });
  return { ...request, data: { ...request.data, ...data } };
};
const payout = (data: Record<string, unknown>) => {
  const request = payoutRequest({ userId, amount: '1000' });
  return { ...request, data: { ...request.data, ...data } };
};

describe('a deposit request', () => {
  const cases: [string, unknown, [number, string]][] = [
    ['an amount as a JSON number', deposit({ amount: 1000 }), [400, 'invalid_request']],
    ['a negative amount', deposit({ amount: '-1000' }), [400, 'invalid_request']],
    ['a zero amount', deposit({ amount: '0' }), [400, 'invalid_request']],
    ['a fractional amount', deposit({ amount: '10.50' }), [400, 'invalid_request']],
    ['an amount with a leading zero', deposit({ amount: '01000' }), [400, 'invalid_request']],
    ['an unknown currency', deposit({ asset: 'GBP' }), [400, 'invalid_request']],
    ['a crypto asset', deposit({ asset: 'ETH' }), [400, 'invalid_request']],
    ['an unknown provider', deposit({ provider: 'venmo' }), [400, 'invalid_request']],
    ['a short Idempotency-Key', deposit({ idempotencyKey: 'short' }), [400, 'invalid_request']],
    ['a return URL that is not http(s)', deposit({ returnUrl: 'javascript:alert(1)' }), [400, 'invalid_request']],
    ['an extra field', deposit({ note: 'hi' }), [400, 'invalid_request']],
    ['a missing field', { ...deposit({}), data: { userId, amount: '1000' } }, [400, 'invalid_request']],
    ['over the maximum', deposit({ amount: '50001' }), [422, 'amount_out_of_range']],
    ['under the minimum', deposit({ amount: '99' }), [422, 'amount_out_of_range']],
    ['under the EUR minimum', deposit({ asset: 'EUR', amount: '199' }), [422, 'amount_out_of_range']],
    ['a 78-digit amount', deposit({ amount: '9'.repeat(78) }), [422, 'amount_out_of_range']],
    ['a provider that is not enabled', deposit({ provider: 'stripe' }), [422, 'provider_not_enabled']],
  ];
  for (const [name, request, expected] of cases) {
    it(`with ${name}: ${expected[0]} ${expected[1]}, nothing recorded`, async () => {
      assert.deepEqual(problemOf(await harness.request(request)), expected);
      await nothingRecorded();
    });
  }

  it('that is not a request at all: 400 invalid_request', async () => {
    for (const request of [
      null,
      'text',
      42,
      [],
      {},
      { type: 'payments.deposit.create' },
      { ...deposit({}), type: 'payments.unknown' },
    ]) {
      assert.deepEqual(problemOf(await harness.request(request)), [400, 'invalid_request']);
    }
    await nothingRecorded();
  });

  it('within the limits on the boundary is accepted', async () => {
    const reply = await harness.request(deposit({ amount: '50000', idempotencyKey: newKey() }));
    assert.equal(reply.type, 'deposit');
    await harness.db.query('delete from idempotency_keys');
    await harness.db.query('delete from deposits');
    await harness.db.query('delete from sandbox_checkouts');
  });
});

describe('a payout request', () => {
  const cases: [string, unknown, [number, string]][] = [
    ['an amount as a JSON number', payout({ amount: 1000 }), [400, 'invalid_request']],
    ['a negative amount', payout({ amount: '-5' }), [400, 'invalid_request']],
    ['an unknown currency', payout({ asset: 'JPY' }), [400, 'invalid_request']],
    ['an empty destination', payout({ destination: '' }), [400, 'invalid_request']],
    ['a destination with U+0000', payout({ destination: 'bank\u0000' }), [400, 'invalid_request']],
    ['over the maximum', payout({ amount: '20001' }), [422, 'amount_out_of_range']],
    ['under the minimum', payout({ amount: '499' }), [422, 'amount_out_of_range']],
    [
      'a provider that is not enabled',
      payout({ provider: 'paypal', destination: 'someone@example.com' }),
      [422, 'provider_not_enabled'],
    ],
    ['a destination of only spaces', payout({ destination: '   ' }), [422, 'invalid_destination']],
  ];
  for (const [name, request, expected] of cases) {
    it(`with ${name}: ${expected[0]} ${expected[1]}, nothing recorded`, async () => {
      assert.deepEqual(problemOf(await harness.request(request)), expected);
      await nothingRecorded();
    });
  }
});

describe('reading', () => {
  it("another user's deposit, or one that does not exist: 404 deposit_not_found", async () => {
    const created = await harness.createDeposit({ userId: newUserId(), amount: '1000' });
    for (const [owner, id] of [
      [newUserId(), created.id],
      [userId, `dep-${randomUUID()}`],
    ] as const) {
      const reply = await harness.request({
        id: randomUUID(),
        type: 'payments.deposit.get',
        version: 1,
        data: { userId: owner, depositId: id, refresh: true },
      });
      assert.deepEqual(problemOf(reply), [404, 'deposit_not_found']);
    }
  });

  it("the list shows the user's own, newest first", async () => {
    const owner = newUserId();
    const first = await harness.createDeposit({ userId: owner, amount: '1000' });
    const second = await harness.createDeposit({ userId: owner, amount: '2000' });
    await harness.createDeposit({ userId: newUserId(), amount: '3000' });
    const reply = await harness.request({
      id: randomUUID(),
      type: 'payments.list',
      version: 1,
      data: { userId: owner, limit: 10 },
    });
    assert.equal(reply.type, 'list');
    assert.deepEqual(reply.type === 'list' && reply.deposits.map((item) => item.id), [second.id, first.id]);
    assert.deepEqual(reply.type === 'list' && reply.payouts, []);
  });

  it('the providers are the enabled ones only (here the sandbox); data other than {} is refused', async () => {
    const ask = (data: unknown) => harness.request({ id: randomUUID(), type: 'payments.providers', version: 1, data });
    assert.deepEqual(await ask({}), { type: 'providers', providers: ['sandbox'] });
    assert.deepEqual(problemOf(await ask({ userId: newUserId() })), [400, 'invalid_request']);
  });
});
