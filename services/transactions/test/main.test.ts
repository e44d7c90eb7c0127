// The standalone ledger as deployed: main.ts in its own process against the
// real PostgreSQL and RabbitMQ, registered with Consul (a local fake agent),
// and stopped by SIGTERM while it is busy: it finishes the batch in flight,
// acks only what it committed, deregisters and exits 0. Nothing is lost: what
// it did not commit is still in the queue, and a restart applies it once.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { userAccountId } from '@t50/contracts';
import { createLogger, createPostgresDatabase, createRabbitTransport } from '@t50/kit';
import {
  assertStartFailedOn,
  eventually,
  startExpectingFailure,
  startTsProcess,
  unreachableDependencies,
  until,
  waitForStdout,
  type StartedProcess,
} from '@t50/kit/testing';
import { deposit, registered, uid, asMessage, useStandaloneServers } from './helpers';

const serviceRoot = fileURLToPath(new URL('..', import.meta.url));
const apiKey = 'main-test-key-0123456789abcdef0123456789';

const servers = useStandaloneServers('ledger-main');

const environment = () => ({
  TRANSACTIONS_DATABASE_URL: servers.database.url,
  RABBITMQ_URL: servers.vhost.url,
  TRANSACTIONS_PORT: '0',
  TRANSACTIONS_API_KEYS: apiKey,
  CONSUL_HTTP_ADDR: servers.consul.address,
  LOG_LEVEL: 'info',
});

async function registration(started: StartedProcess): Promise<{ ID: string; Port: number }> {
  const call = await eventually(
    () => {
      assert.equal(started.child.exitCode, null, `main exited early:\n${started.output()}`);
      return servers.consul.calls.find((candidate) => candidate.url === '/v1/agent/service/register');
    },
    { timeoutMs: 60_000, intervalMs: 100, what: () => `a Consul registration:\n${started.output()}` },
  );
  return JSON.parse(call.body) as { ID: string; Port: number };
}

void describe('main (the standalone ledger)', () => {
  void it(
    'serves, and on SIGTERM finishes its batch, acks only what it committed, deregisters and exits 0',
    { timeout: 180_000 },
    async () => {
      const started = startTsProcess(serviceRoot, 'src/main.ts', environment());
      const logger = createLogger({ service: 'ledger-main-test', level: 'silent' });
      const transport = await createRabbitTransport({
        url: servers.vhost.url,
        logger,
        connectionName: 'ledger-main-test',
      });
      const db = createPostgresDatabase({ url: servers.database.url, maxConnections: 1 });
      try {
        const registered_ = await registration(started);
        const base = `http://127.0.0.1:${registered_.Port}`;
        // One human line on stdout when ready, with the address it serves.
        await waitForStdout(started, new RegExp(`^transactions listening on ${base}$`, 'm'));
        assert.equal((await fetch(`${base}/health/ready`)).status, 200);

        const user = uid('main');
        await transport.publish(asMessage(registered(user)));
        await transport.publish(asMessage(deposit(user, '500')));
        const balance = async () => {
          const response = await fetch(`${base}/v1/accounts/${userAccountId(user, 'USD')}`, {
            headers: { 'x-api-key': apiKey },
          });
          return response.status === 200 ? ((await response.json()) as { balance: string }).balance : undefined;
        };
        await until(async () => (await balance()) === '500', { timeoutMs: 30_000, intervalMs: 100, what: 'a balance of 500' });
        assert.equal(await balance(), '500');
        assert.equal(
          (await fetch(`${base}/v1/accounts/${userAccountId(user, 'USD')}`)).status,
          401,
          'no API key, no answer',
        );

        // Keep it busy, then stop it mid-stream.
        const published = 20_000;
        const load = Array.from({ length: published }, (_, index) => asMessage(deposit(user, '1', `pi_main_${index}`)));
        for (let start = 0; start < load.length; start += 2000)
          await transport.publishMany(load.slice(start, start + 2000));
        const committedSoFar = async () =>
          Number(
            (
              await db.query<{ n: string }>(
                "select count(*)::text as n from inbox where message_id like 'msg-pi_main_%'",
              )
            )[0]?.n,
          );
        await until(async () => (await committedSoFar()) > 0, { timeoutMs: 30_000, intervalMs: 20, what: 'a first commit' });
        started.child.kill('SIGTERM');
        assert.equal(await started.exitCode(30_000), 0, started.output());
        assert.match(started.output(), /"msg":"shutting down"/);
        assert.ok(
          servers.consul.calls.some(
            (call) => call.url === `/v1/agent/service/deregister/${encodeURIComponent(registered_.ID)}`,
          ),
          'deregistered from Consul',
        );

        // Stopped mid-stream: some committed, the rest still in the queue (not acked).
        const committed = await committedSoFar();
        assert.ok(
          committed > 0 && committed < published,
          `stopped mid-stream (committed ${committed} of ${published})`,
        );

        // Started again, it takes the rest: every deposit counted exactly once, none lost.
        const restarted = startTsProcess(serviceRoot, 'src/main.ts', environment());
        try {
          await until(async () => (await committedSoFar()) >= published, {
            timeoutMs: 120_000,
            intervalMs: 100,
            what: () => `every deposit committed:\n${restarted.output().slice(-4000)}`,
          });
          assert.equal(await committedSoFar(), published, restarted.output());
          const [row] = await db.query<{ balance: string }>(
            'select (posted_credits - posted_debits)::text as balance from accounts where id = $1',
            [userAccountId(user, 'USD')],
          );
          assert.equal(row?.balance, String(500 + published), 'the balance counts each deposit once');
          restarted.child.kill('SIGTERM');
          assert.equal(await restarted.exitCode(30_000), 0, restarted.output());
        } finally {
          restarted.child.kill('SIGKILL');
        }
      } finally {
        started.child.kill('SIGKILL');
        await transport.close();
        await db.close();
      }
    },
  );

  // Each unreachable dependency: one line naming it on stderr, no stack, no credentials, exit 1 within 30 s.
  const unreachable = unreachableDependencies({
    databaseKey: 'TRANSACTIONS_DATABASE_URL',
    databaseName: 't50_transactions',
    brokerUrl: () => servers.vhost.url,
  });
  for (const { what, dependency, env } of unreachable) {
    void it(
      `with ${what}: "start failed: ${dependency}" on stderr and exit 1 within 30 s`,
      { timeout: 120_000 },
      async () => {
        const failed = await startExpectingFailure(serviceRoot, 'src/main.ts', { ...environment(), ...env() });
        assertStartFailedOn(failed, 'transactions', dependency);
      },
    );
  }

  void it(
    'refuses a bad configuration in a few lines naming the keys: no stack, no value, exit 1',
    { timeout: 120_000 },
    async () => {
      const { TRANSACTIONS_API_KEYS: _omitted, ...rest } = environment();
      const failed = await startExpectingFailure(serviceRoot, 'src/main.ts', {
        ...rest,
        TRANSACTIONS_PORT: 'port-secret-value',
      });
      assert.equal(failed.code, 1, failed.output);
      assert.match(failed.stderr, /^transactions: invalid configuration/);
      assert.match(failed.stderr, /TRANSACTIONS_API_KEYS is required/);
      assert.match(failed.stderr, /TRANSACTIONS_PORT is invalid/);
      assert.doesNotMatch(failed.stderr, /\n\s+at /, 'no stack trace');
      assert.doesNotMatch(failed.output, /port-secret-value/, 'no value');
      assert.ok(failed.stderr.split('\n').length < 10, failed.stderr);
    },
  );
});
