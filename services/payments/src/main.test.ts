/**
 * The standalone payments service as deployed: main.ts in its own process on
 * the real PostgreSQL and RabbitMQ, beside a real ledger. The gateway's
 * requests arrive over payments.requests (the kit's request/reply), the
 * sandbox's webhooks over HTTP. A process killed while a payout is held (the
 * provider not yet called) pays it out exactly once after its restart. A
 * dependency that cannot be reached ends the start with a clear line.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { paymentsRequestQueue, type LedgerEvent, type PaymentsReply } from '@t50/contracts';
import {
  createLogger,
  createPostgresDatabase,
  createRabbitTransport,
  createRpcClient,
  type Database,
  type RpcClient,
  type Transport,
} from '@t50/kit';
import {
  assertStartFailedOn,
  createTestDatabase,
  startExpectingFailure,
  startTsProcess,
  unreachableDependencies,
  waitForStdout,
  type StartedProcess,
  type TestDatabase,
} from '@t50/kit/testing';
import { startTestLedger, type TestLedger } from '@t50/transactions/testing';
import { depositRequest, eventually, freePort, newUserId, payoutRequest, testWebhookSecret } from './testing/harness';

const serviceRoot = fileURLToPath(new URL('..', import.meta.url));

let ledger: TestLedger;
let database: TestDatabase;
let db: Database;
let transport: Transport;
let rpc: RpcClient;
let port: number;

before(async () => {
  ledger = await startTestLedger('payments-main-ledger');
  database = await createTestDatabase('payments_main');
  db = createPostgresDatabase({ url: database.url, maxConnections: 2 });
  const logger = createLogger({ service: 'payments-main-test', level: 'silent' });
  transport = await createRabbitTransport({ url: ledger.brokerUrl, logger, connectionName: 'payments-main-test' });
  rpc = await createRpcClient({ transport, logger, name: 'payments-main-test' });
  port = await freePort();
});
after(async () => {
  await rpc.close();
  await transport.close();
  await db.close();
  await ledger.close();
  await database.drop();
});

const environment = (): Record<string, string> => ({
  PAYMENTS_DATABASE_URL: database.url,
  RABBITMQ_URL: ledger.brokerUrl,
  PAYMENTS_PORT: String(port),
  PAYMENTS_PUBLIC_URL: `http://127.0.0.1:${port}`,
  SANDBOX_WEBHOOK_SECRET: testWebhookSecret,
  PAYMENTS_SANDBOX_TEST_CONTROL: 'true',
  PAYMENTS_PAYOUT_CLAIM_MS: '1000',
  PAYMENTS_PAYOUT_RETRY_INTERVAL_MS: '200',
  PAYMENTS_OUTBOX_POLL_INTERVAL_MS: '100',
  LOG_LEVEL: 'info',
});

async function startMain(): Promise<StartedProcess> {
  const started = startTsProcess(serviceRoot, 'src/main.ts', environment());
  await waitForStdout(started, new RegExp(`^payments listening on http://127\\.0\\.0\\.1:${port}$`, 'm'), 90_000);
  return started;
}

const ask = async (request: { id: string; type: string }) =>
  (await rpc.request(paymentsRequestQueue, request, { timeoutMs: 20_000 })) as PaymentsReply;

const posted = (transferId: string) => (event: LedgerEvent) =>
  event.type === 'ledger.transfer.posted' && event.data.transfer.transferId === transferId;

async function balance(userId: string): Promise<string> {
  const response = await ledger.service.app.inject({
    method: 'GET',
    url: `/v1/accounts/user:${userId}:USD`,
    headers: { 'x-api-key': 'test-key-0123456789abcdef0123456789abcdef' },
  });
  return response.json<{ balance: string }>().balance;
}

describe('main (the standalone payments service)', () => {
  it(
    'serves requests and webhooks; killed with a payout held, it pays it out once after a restart',
    { timeout: 300_000 },
    async () => {
      let started = await startMain();
      try {
        assert.equal((await fetch(`http://127.0.0.1:${port}/health/ready`)).status, 200);
        const userId = newUserId();
        await ledger.send({
          id: `gateway.user.registered:${userId}`,
          type: 'gateway.user.registered',
          version: 1,
          data: { userId },
        });

        // A deposit over the broker, paid on the sandbox page, credited by the ledger.
        const created = await ask(depositRequest({ userId, amount: '3000' }));
        assert.equal(created.type, 'deposit', JSON.stringify(created));
        const deposit = created.type === 'deposit' ? created.deposit : undefined;
        const paid = await fetch(`${deposit!.redirectUrl!}/pay`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'card=4242424242424242',
          redirect: 'manual',
        });
        assert.equal(paid.status, 303);
        await ledger.events.waitFor(posted(`deposit:sandbox:${deposit!.id}`), 30_000);
        assert.equal(await balance(userId), '3000');

        // A payout whose provider cannot be reached: held by the ledger, not paid out; then the process dies.
        const faults = await fetch(`http://127.0.0.1:${port}/sandbox/test-control/faults`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ down: true }),
        });
        assert.equal(faults.status, 200);
        const requested = await ask(payoutRequest({ userId, amount: '1000' }));
        assert.equal(requested.type, 'payout', JSON.stringify(requested));
        const payoutId = requested.type === 'payout' ? requested.payout.id : '';
        await eventually(
          async () => {
            const [row] = await db.query<{ state: string; attempts: number }>(
              'select state, attempts from payouts where id = $1',
              [payoutId],
            );
            return row?.state === 'held' && row.attempts > 0 ? row : undefined;
          },
          30_000,
          'the payout held and tried',
        );
        started.child.kill('SIGKILL');
        await started.exitCode(10_000);
        assert.equal((await db.query('select 1 from sandbox_payouts where payout_id = $1', [payoutId])).length, 0);

        // The restarted process (the provider reachable again) pays it out, once.
        started = await startMain();
        await ledger.events.waitFor(posted(`payout:${payoutId}:completed`), 60_000);
        assert.equal((await db.query('select 1 from sandbox_payouts where payout_id = $1', [payoutId])).length, 1);
        const [payout] = await db.query<{ state: string }>('select state from payouts where id = $1', [payoutId]);
        assert.equal(payout?.state, 'completed');
        assert.equal(await balance(userId), '2000');

        // A request that does not match the schema is answered with a problem, not dropped.
        const bad = await ask({ id: randomUUID(), type: 'payments.deposit.create', data: { amount: 5 } } as never);
        assert.deepEqual(bad.type === 'problem' && bad.problem.code, 'invalid_request');
      } finally {
        started.child.kill('SIGTERM');
        assert.equal(await started.exitCode(30_000), 0, started.output());
      }
    },
  );

  it(
    'refuses to start when an enabled provider has no keys: names the keys, exit 1',
    { timeout: 120_000 },
    async () => {
      const failed = await startExpectingFailure(serviceRoot, 'src/main.ts', {
        ...environment(),
        PAYMENTS_PROVIDERS: 'sandbox,stripe',
      });
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /^payments: invalid configuration/m);
      assert.match(failed.stderr, /STRIPE_SECRET_KEY is required/);
      assert.match(failed.stderr, /STRIPE_WEBHOOK_SECRET is required/);
    },
  );

  for (const unreachable of unreachableDependencies({
    databaseKey: 'PAYMENTS_DATABASE_URL',
    databaseName: 't50_payments',
    brokerUrl: () => ledger.brokerUrl,
  })) {
    it(`with ${unreachable.what}: one clear line, exit 1`, { timeout: 120_000 }, async () => {
      const failed = await startExpectingFailure(serviceRoot, 'src/main.ts', {
        ...environment(),
        PAYMENTS_PORT: '0',
        ...unreachable.env(),
      });
      assertStartFailedOn(failed, 'payments', unreachable.dependency);
    });
  }
});
