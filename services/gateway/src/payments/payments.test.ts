/**
 * The gateway's payment routes: tiers, the Idempotency-Key header, what the
 * gateway asks the payments service and how it answers with the reply, the
 * balance check before a payout, and 503 when payments does not answer.
 *
 * This is a test of the gateway's mapping, not of the payments service: the
 * requests are answered by a small handler served in this test over the
 * kit's request/reply on the real RabbitMQ (the same path the payments
 * service serves); the ledger, auth and Redis are the real ones.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  paymentsRequestQueue,
  type DepositView,
  type PaymentsReply,
  type PaymentsRequest,
  type PayoutView,
} from '@t50/contracts';
import { createLogger, createRabbitTransport, serveRequests, type Subscription, type Transport } from '@t50/kit';
import { startGatewayHarness, type GatewayHarness, type SignedInUser } from '../testing/harness';

let h: GatewayHarness;
let full: SignedInUser;
let basic: SignedInUser;
let server: Transport;
let serving: Subscription | undefined;
/** What the test's payments handler received, in order. */
const received: PaymentsRequest[] = [];
/** What it answers next; default: a view built from the request. */
let nextReply: ((request: PaymentsRequest) => unknown) | undefined;

const logger = createLogger({ service: 'test-gateway-payments', level: 'silent' });
const now = new Date().toISOString();

function deposit(overrides: Partial<DepositView> = {}): DepositView {
  return {
    id: 'dep_1',
    provider: 'sandbox',
    asset: 'USD',
    amount: '2500',
    state: 'created',
    redirectUrl: 'http://127.0.0.1:9/checkout/dep_1',
    expiresAt: now,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

function payout(overrides: Partial<PayoutView> = {}): PayoutView {
  return {
    id: 'pay_1',
    provider: 'sandbox',
    asset: 'USD',
    amount: '700',
    state: 'requested',
    destination: 'my bank',
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

function defaultReply(request: PaymentsRequest): PaymentsReply {
  switch (request.type) {
    case 'payments.deposit.create':
      return { type: 'deposit', deposit: deposit({ amount: request.data.amount, asset: request.data.asset }) };
    case 'payments.deposit.get':
      return { type: 'deposit', deposit: deposit({ id: request.data.depositId, state: 'succeeded' }) };
    case 'payments.payout.create':
      return { type: 'payout', payout: payout({ amount: request.data.amount, destination: request.data.destination }) };
    case 'payments.list':
      return { type: 'list', deposits: [deposit()], payouts: [payout()] };
    case 'payments.providers':
      return { type: 'providers', providers: ['sandbox', 'paypal'] };
  }
}

async function servePayments(): Promise<void> {
  serving = await serveRequests(
    server,
    paymentsRequestQueue,
    (delivery) => {
      const request = JSON.parse(delivery.body.toString('utf8')) as PaymentsRequest;
      received.push(request);
      const reply = nextReply ?? defaultReply;
      nextReply = undefined;
      return Promise.resolve(reply(request));
    },
    { logger },
  );
}

before(async () => {
  h = await startGatewayHarness('payments', { PAYMENTS_TIMEOUT_MS: 1_500 });
  server = await createRabbitTransport({ url: h.ledger.brokerUrl, logger, connectionName: 'test-payments' });
  await servePayments();
  full = await h.register();
  basic = await h.register();
  await h.setTier(full.userId, 'full');
  await h.setTier(basic.userId, 'basic');
});
after(async () => {
  await serving?.close();
  await server?.close();
  await h?.close();
});

const key = () => `test-${randomUUID()}`;

/** `null`: no Idempotency-Key header. */
function post(user: SignedInUser, url: string, body: unknown, idempotencyKey: string | null = key()) {
  return h.call('POST', url, {
    token: user.token,
    body,
    ...(idempotencyKey === null ? {} : { headers: { 'idempotency-key': idempotencyKey } }),
  });
}

const depositBody = { provider: 'sandbox', asset: 'USD', amount: '2500' };
const payoutBody = { provider: 'sandbox', asset: 'USD', amount: '700', destination: 'my bank' };

describe('who may use the payment routes', () => {
  test('tier Basic is refused with 403 tier_too_low naming Full; nothing reaches payments', async () => {
    const before = received.length;
    const answers = [
      await post(basic, '/v1/deposits', depositBody),
      await h.call('GET', '/v1/deposits/dep_1', { token: basic.token }),
      await post(basic, '/v1/payouts', payoutBody),
      await h.call('GET', '/v1/payments', { token: basic.token }),
      await h.call('GET', '/v1/payments/providers', { token: basic.token }),
    ];
    for (const answer of answers) {
      assert.equal(answer.status, 403, answer.text);
      assert.equal(answer.body?.code, 'tier_too_low');
      assert.equal(answer.body?.requiredTier, 'full');
    }
    assert.equal((await h.call('GET', '/v1/payments')).status, 401);
    assert.equal(received.length, before);
  });
});

describe('deposits', () => {
  test('start one: the user from the token, the key, the web app’s return page; 201 with the redirect', async () => {
    const idempotencyKey = key();
    const answer = await post(full, '/v1/deposits', depositBody, idempotencyKey);
    assert.equal(answer.status, 201, answer.text);
    assert.equal(answer.body?.redirectUrl, 'http://127.0.0.1:9/checkout/dep_1');
    assert.equal(answer.body?.state, 'created');
    assert.equal(answer.body?.amount, '2500');
    const request = received.at(-1);
    assert.equal(request?.type, 'payments.deposit.create');
    assert.deepEqual(request?.data, {
      userId: full.userId,
      idempotencyKey,
      provider: 'sandbox',
      asset: 'USD',
      amount: '2500',
      returnUrl: 'http://localhost:80/deposits/{id}',
    });
  });

  test('the Idempotency-Key header is required and checked; amounts are strings: 400, nothing sent', async () => {
    const before = received.length;
    const missing = await post(full, '/v1/deposits', depositBody, null);
    assert.equal(missing.status, 400, missing.text);
    assert.equal(missing.body?.code, 'invalid_request');
    assert.match(JSON.stringify(missing.body?.errors), /idempotency-key/);
    for (const bad of ['short', 'has space in it', 'x'.repeat(129), 'semi;colon12']) {
      const answer = await post(full, '/v1/deposits', depositBody, bad);
      assert.equal(answer.status, 400, `${bad}: ${answer.text}`);
    }
    const numeric = await post(full, '/v1/deposits', { ...depositBody, amount: 2500 });
    assert.equal(numeric.status, 400);
    assert.equal(numeric.body?.code, 'invalid_request');
    for (const body of [
      { ...depositBody, amount: '0' },
      { ...depositBody, asset: 'ETH' },
      { ...depositBody, provider: 'bank' },
      { ...depositBody, userId: basic.userId },
    ]) {
      assert.equal((await post(full, '/v1/deposits', body)).status, 400, JSON.stringify(body));
    }
    assert.equal(received.length, before);
  });

  test('a refusal of the payments service is answered as it is', async () => {
    nextReply = () => ({
      type: 'problem',
      problem: {
        status: 422,
        code: 'amount_above_limit',
        title: 'The amount is above the limit',
        detail: 'At most 1000000.',
      },
    });
    const answer = await post(full, '/v1/deposits', { ...depositBody, amount: '99999999' });
    assert.equal(answer.status, 422, answer.text);
    assert.equal(answer.body?.code, 'amount_above_limit');
    assert.equal(answer.body?.title, 'The amount is above the limit');
    assert.equal(answer.body?.detail, 'At most 1000000.');
    assert.equal(answer.headers['content-type'], 'application/problem+json; charset=utf-8');
  });

  test('read one, asking the provider now with refresh=true', async () => {
    const answer = await h.call('GET', '/v1/deposits/dep_42?refresh=true', { token: full.token });
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body?.id, 'dep_42');
    assert.equal(answer.body?.state, 'succeeded');
    assert.deepEqual(received.at(-1)?.data, { userId: full.userId, depositId: 'dep_42', refresh: true });
    await h.call('GET', '/v1/deposits/dep_42', { token: full.token });
    assert.deepEqual(received.at(-1)?.data, { userId: full.userId, depositId: 'dep_42', refresh: false });
    nextReply = () => ({
      type: 'problem',
      problem: { status: 404, code: 'deposit_not_found', title: 'No such deposit' },
    });
    const missing = await h.call('GET', '/v1/deposits/dep_other', { token: full.token });
    assert.equal(missing.status, 404);
    assert.equal(missing.body?.code, 'deposit_not_found');
  });

  test('a reply outside the contract is a 500 with the request id, not passed on', async () => {
    nextReply = () => ({ type: 'deposit', deposit: { ...deposit(), amount: 2500 } });
    const answer = await post(full, '/v1/deposits', depositBody);
    assert.equal(answer.status, 500, answer.text);
    assert.equal(answer.body?.code, 'internal_error');
    nextReply = () => ({ type: 'list', deposits: [], payouts: [] });
    assert.equal((await post(full, '/v1/deposits', depositBody)).status, 500);
  });
});

describe('payouts and the list', () => {
  test('more than the available balance: 422 insufficient_funds at once, nothing sent', async () => {
    const before = received.length;
    const answer = await post(full, '/v1/payouts', payoutBody);
    assert.equal(answer.status, 422, answer.text);
    assert.equal(answer.body?.code, 'insufficient_funds');
    assert.equal(answer.body?.available, '0');
    assert.equal(received.length, before);
  });

  test('covered: 202 with the payout; a retry of a sent key is not checked against the balance again', async () => {
    await h.fund(full.userId, 'USD', 700n);
    const idempotencyKey = key();
    const answer = await post(full, '/v1/payouts', payoutBody, idempotencyKey);
    assert.equal(answer.status, 202, answer.text);
    assert.equal(answer.body?.state, 'requested');
    assert.deepEqual(received.at(-1)?.data, {
      userId: full.userId,
      idempotencyKey,
      provider: 'sandbox',
      asset: 'USD',
      amount: '700',
      destination: 'my bank',
    });

    // The money leaves another way (as a hold for the first attempt would take it).
    const other = await h.register();
    await h.setTier(other.userId, 'full');
    const sent = await h.call('POST', '/v1/sends', {
      token: full.token,
      body: { toEmail: other.email, asset: 'USD', amount: '700' },
    });
    assert.equal(sent.status, 201, sent.text);
    const retry = await post(full, '/v1/payouts', payoutBody, idempotencyKey);
    assert.equal(retry.status, 202, retry.text);
    const fresh = await post(full, '/v1/payouts', payoutBody);
    assert.equal(fresh.status, 422);
    assert.equal(fresh.body?.code, 'insufficient_funds');
  });

  test('the list: deposits and payouts, newest first, at most limit of each', async () => {
    const answer = await h.call('GET', '/v1/payments?limit=5', { token: full.token });
    assert.equal(answer.status, 200, answer.text);
    assert.equal((answer.body?.deposits as unknown[]).length, 1);
    assert.equal((answer.body?.payouts as unknown[]).length, 1);
    assert.deepEqual(received.at(-1)?.data, { userId: full.userId, limit: 5 });
    assert.equal((await h.call('GET', '/v1/payments?limit=101', { token: full.token })).status, 400);
  });

  test('the providers: those the payments service has enabled, in its order', async () => {
    const answer = await h.call('GET', '/v1/payments/providers', { token: full.token });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body, { providers: ['sandbox', 'paypal'] });
    assert.equal(received.at(-1)?.type, 'payments.providers');
  });
});

describe('when the payments service does not answer', () => {
  test('503 payments_unavailable; the request it could not answer in time is never handled later', async () => {
    await serving?.close();
    serving = undefined;
    const answer = await post(full, '/v1/deposits', depositBody);
    assert.equal(answer.status, 503, answer.text);
    assert.equal(answer.body?.code, 'payments_unavailable');
    const listed = await h.call('GET', '/v1/payments', { token: full.token });
    assert.equal(listed.status, 503);

    const before = received.length;
    await servePayments();
    const again = await h.call('GET', '/v1/payments?limit=3', { token: full.token });
    assert.equal(again.status, 200, again.text);
    // Only the new request was handled: the two the gateway gave up on were dropped.
    assert.deepEqual(
      received.slice(before).map((request) => request.type),
      ['payments.list'],
    );
  });
});
