/**
 * The gateway's payment routes in front of the real payments service (its own
 * database, the sandbox provider, HTTP on a local port for the checkout page
 * and the sandbox's webhooks) and the real ledger, all on one RabbitMQ vhost:
 * a deposit paid with the sandbox test card credits the user once, a payout
 * takes the money out, a repeated Idempotency-Key answers the first deposit
 * and a changed one is refused, and the payments service's own refusals reach
 * the client as it wrote them.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createLogger, createPostgresDatabase, createRabbitTransport, type Database, type Transport } from '@t50/kit';
import { createTestDatabase, type TestDatabase } from '@t50/kit/testing';
import { createPaymentsService, loadPaymentsConfig, type PaymentsService } from '@t50/payments';
import { startGatewayHarness, type GatewayHarness, type SignedInUser } from '../testing/harness';

let h: GatewayHarness;
let user: SignedInUser;
let paymentsDatabase: TestDatabase;
let paymentsDb: Database;
let paymentsTransport: Transport;
let payments: PaymentsService;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

before(async () => {
  h = await startGatewayHarness('withpayments');
  const logger = createLogger({ service: 'test-payments', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  paymentsDatabase = await createTestDatabase('gw_payments');
  paymentsDb = createPostgresDatabase({ url: paymentsDatabase.url, maxConnections: 4 });
  paymentsTransport = await createRabbitTransport({ url: h.ledger.brokerUrl, logger });
  const port = await freePort();
  const config = loadPaymentsConfig({
    PAYMENTS_PUBLIC_URL: `http://127.0.0.1:${port}`,
    SANDBOX_WEBHOOK_SECRET: `whsec_${randomUUID().replaceAll('-', '')}`,
    PAYMENTS_OUTBOX_POLL_INTERVAL_MS: '100',
    PAYMENTS_PAYOUT_RETRY_INTERVAL_MS: '200',
    PAYMENTS_RECONCILE_INTERVAL_MS: '3600000',
  });
  payments = await createPaymentsService({ db: paymentsDb, transport: paymentsTransport, logger, config });
  await payments.app.listen({ host: '127.0.0.1', port });
  user = await h.register();
  await h.setTier(user.userId, 'full');
});
after(async () => {
  await payments?.close();
  await paymentsTransport?.close();
  await paymentsDb?.close();
  await paymentsDatabase?.drop();
  await h?.close();
});

const key = () => `test-${randomUUID()}`;

function post(url: string, body: unknown, idempotencyKey = key()) {
  return h.call('POST', url, { token: user.token, body, headers: { 'idempotency-key': idempotencyKey } });
}

async function usd(): Promise<{ balance: string; available: string }> {
  const reply = await h.call('GET', '/v1/accounts', { token: user.token });
  const row = (reply.body?.balances as { asset: string; balance: string; available: string }[]).find(
    (balance) => balance.asset === 'USD',
  );
  assert.ok(row !== undefined, reply.text);
  return row;
}

describe('deposits and payouts through the payments service', () => {
  test('deposit 25.00 USD with the sandbox test card: succeeded, the balance goes up once', async () => {
    const idempotencyKey = key();
    const body = { provider: 'sandbox', asset: 'USD', amount: '2500' };
    const created = await post('/v1/deposits', body, idempotencyKey);
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body?.state, 'created');
    const redirectUrl = String(created.body?.redirectUrl);
    assert.match(redirectUrl, /^http:\/\/127\.0\.0\.1:\d+\/sandbox\/checkout\//);
    const depositId = String(created.body?.id);

    const again = await post('/v1/deposits', body, idempotencyKey);
    assert.equal(again.status, 201, again.text);
    assert.equal(again.body?.id, depositId, 'the same key and body answer the first deposit');
    const changed = await post('/v1/deposits', { ...body, amount: '2600' }, idempotencyKey);
    assert.equal(changed.status, 409, changed.text);
    assert.equal(changed.body?.code, 'idempotency_key_reused');

    // The person pays on the sandbox's checkout page and is sent back to the web app's deposit page.
    const paid = await fetch(`${redirectUrl}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ card: '4242 4242 4242 4242' }).toString(),
      redirect: 'manual',
    });
    await paid.arrayBuffer();
    assert.equal(paid.status, 303);
    assert.equal(paid.headers.get('location'), `http://localhost:80/deposits/${encodeURIComponent(depositId)}`);

    const succeeded = await h.eventually(async () => {
      const reply = await h.call('GET', `/v1/deposits/${encodeURIComponent(depositId)}?refresh=true`, {
        token: user.token,
      });
      assert.equal(reply.status, 200, reply.text);
      return reply.body?.state === 'succeeded' ? reply.body : undefined;
    });
    assert.equal(succeeded.amount, '2500');
    await h.eventually(async () => ((await usd()).balance === '2500' ? true : undefined));
  });

  test('a payout of 7.00 USD: 202, then completed, the balance goes down; more than is left is 422 at once', async () => {
    const created = await post('/v1/payouts', {
      provider: 'sandbox',
      asset: 'USD',
      amount: '700',
      destination: 'test bank account',
    });
    assert.equal(created.status, 202, created.text);
    const payoutId = String(created.body?.id);
    await h.eventually(async () => {
      const list = await h.call('GET', '/v1/payments', { token: user.token });
      const payout = (list.body?.payouts as { id: string; state: string }[]).find((row) => row.id === payoutId);
      return payout?.state === 'completed' ? payout : undefined;
    });
    await h.eventually(async () => ((await usd()).balance === '1800' ? true : undefined));

    const tooMuch = await post('/v1/payouts', {
      provider: 'sandbox',
      asset: 'USD',
      amount: '1801',
      destination: 'test bank account',
    });
    assert.equal(tooMuch.status, 422, tooMuch.text);
    assert.equal(tooMuch.body?.code, 'insufficient_funds');
  });

  test('the payments service’s refusals reach the client as it wrote them', async () => {
    const tooLarge = await post('/v1/deposits', { provider: 'sandbox', asset: 'USD', amount: '100000000' });
    assert.equal(tooLarge.status, 422, tooLarge.text);
    assert.equal(tooLarge.body?.code, 'amount_out_of_range');
    const notEnabled = await post('/v1/deposits', { provider: 'stripe', asset: 'USD', amount: '2500' });
    assert.equal(notEnabled.status, 422, notEnabled.text);
    assert.equal(notEnabled.body?.code, 'provider_not_enabled');
    const missing = await h.call('GET', '/v1/deposits/no-such-deposit', { token: user.token });
    assert.equal(missing.status, 404, missing.text);
    assert.equal(missing.body?.code, 'deposit_not_found');

    const listed = await h.call('GET', '/v1/payments?limit=10', { token: user.token });
    assert.equal(listed.status, 200, listed.text);
    assert.equal((listed.body?.deposits as unknown[]).length, 1, 'only the deposit that was made');
    assert.equal((listed.body?.payouts as unknown[]).length, 1);
  });
});
