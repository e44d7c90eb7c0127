// Four partitions, the standalone ledger in its own process, killed with
// SIGKILL twice while deposits and sends between partitions flow through the
// router: after a restart every message counts exactly once, every send
// between partitions has both halves, the transit accounts are back to zero,
// and each user's balance is what the messages say.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { partitionOf, transitAccountKind, userAccountId, type DomainEvent } from '@t50/contracts';
import { createLogger, createPostgresDatabase, createRabbitTransport, sleep, type Database } from '@t50/kit';
import { startTsProcess, until, type StartedProcess } from '@t50/kit/testing';
import { verifyLedger } from '../src/verify/verify';
import { deposit, registered, uid, asMessage, useStandaloneServers } from './helpers';

const serviceRoot = fileURLToPath(new URL('..', import.meta.url));
const partitions = 4;
const users = 40;
const sends = 3000;
const initial = 100_000n;

const servers = useStandaloneServers('ledger-partitions-crash');

const start = (): StartedProcess =>
  startTsProcess(serviceRoot, 'src/main.ts', {
    TRANSACTIONS_DATABASE_URL: servers.database.url,
    RABBITMQ_URL: servers.vhost.url,
    TRANSACTIONS_PORT: '0',
    TRANSACTIONS_API_KEYS: 'partitions-crash-key-0123456789abcdef0123',
    CONSUL_HTTP_ADDR: servers.consul.address,
    LEDGER_PARTITIONS: String(partitions),
    LEDGER_BATCH_MAX_MESSAGES: '100',
    LOG_LEVEL: 'warn',
  });

const count = async (db: Database, sql: string, params: unknown[] = []) =>
  Number((await db.query<{ n: string }>(sql, params))[0]?.n ?? 0);

/** Waits for `condition` while the service runs; fails at once if it exits. */
async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string, started: StartedProcess): Promise<void> {
  await until(
    async () => {
      if (await condition()) return true;
      assert.equal(started.child.exitCode, null, `the service exited:\n${started.output().slice(-4000)}`);
      return false;
    },
    { timeoutMs, intervalMs: 50, what: () => `${what}\n${started.output().slice(-4000)}` },
  );
}

/** Registered with (the fake) Consul: the service has declared its queues and consumes. */
async function untilRegistered(started: StartedProcess): Promise<void> {
  const registrations = () => servers.consul.calls.filter((call) => call.url === '/v1/agent/service/register').length;
  const before = registrations();
  await waitUntil(() => Promise.resolve(registrations() > before), 60_000, 'a Consul registration', started);
}

void describe('ledger partitions under SIGKILL', () => {
  void it('counts every deposit and both halves of every send exactly once across two kills', { timeout: 240_000 }, async () => {
    const logger = createLogger({ service: 'partitions-crash-test', level: 'silent' });
    const transport = await createRabbitTransport({ url: servers.vhost.url, logger, connectionName: 'partitions-crash-test' });
    const db = createPostgresDatabase({ url: servers.database.url, maxConnections: 2 });
    let service = start();
    try {
      await untilRegistered(service);
      const ids = Array.from({ length: users }, () => uid('pc'));
      const setup = ids.flatMap((user) => [registered(user), deposit(user, String(initial), uid('pi_'))]);
      await transport.publishMany(setup.map(asMessage));
      await waitUntil(
        async () => (await count(db, "select count(*)::text as n from transfers where code = 'deposit'")) === users,
        60_000,
        'the deposits',
        service,
      );

      // Sends between random users (most cross partitions), published without a partition: the router places them.
      const expected = new Map(ids.map((user) => [user, initial]));
      let crossing = 0;
      const messages: DomainEvent[] = [];
      for (let index = 0; index < sends; index += 1) {
        const from = ids[index % users]!;
        const to = ids[(index * 7 + 3) % users]!;
        if (from === to) continue;
        const amount = BigInt(1 + (index % 50));
        expected.set(from, expected.get(from)! - amount);
        expected.set(to, expected.get(to)! + amount);
        if (partitionOf(from, partitions) !== partitionOf(to, partitions)) crossing += 1;
        messages.push({
          id: `send-msg-${index}`,
          type: 'gateway.send.requested',
          version: 1,
          data: { sendId: `pc-${index}`, fromUserId: from, toUserId: to, asset: 'USD', amount: amount.toString() },
        });
      }
      assert.ok(crossing > messages.length / 2, 'most sends cross partitions');
      for (let first = 0; first < messages.length; first += 500) await transport.publishMany(messages.slice(first, first + 500).map(asMessage));

      const firstHalves = () => count(db, "select count(*)::text as n from transfers where id like 'send:pc-%' and id not like '%:transit'");
      const secondHalves = () => count(db, "select count(*)::text as n from transfers where id like 'send:pc-%:transit'");
      // Kill it twice mid-stream: once while first halves are being written, once while second halves still arrive.
      for (const [label, progress] of [
        ['first', async () => (await firstHalves()) > messages.length / 4],
        ['second', async () => (await secondHalves()) > crossing / 2],
      ] as const) {
        await waitUntil(progress, 120_000, `progress before the ${label} kill`, service);
        service.child.kill('SIGKILL');
        await service.exitCode(10_000);
        const done = (await firstHalves()) + (await secondHalves());
        assert.ok(done < messages.length + crossing, `the ${label} kill came mid-stream (${done} halves written)`);
        service = start();
      }

      await waitUntil(
        async () => (await firstHalves()) === messages.length && (await secondHalves()) === crossing,
        120_000,
        `all sends (first ${await firstHalves()}/${messages.length}, second ${await secondHalves()}/${crossing})`,
        service,
      );
      await sleep(500); // a real pause: nothing more may arrive
      assert.equal(await firstHalves(), messages.length, 'each send recorded once');
      assert.equal(await secondHalves(), crossing, 'each crossing send has exactly one second half');
      assert.equal(await count(db, "select count(*)::text as n from transfers where id like '%:refund'"), 0, 'no refunds: every recipient exists');
      assert.equal(
        await count(db, "select count(*)::text as n from inbox where outcome ->> 'status' <> 'applied'"),
        0,
        'nothing refused',
      );
      const balances = new Map(
        (
          await db.query<{ id: string; balance: string }>(
            "select id, (posted_credits - posted_debits)::text as balance from accounts where owner_type = 'user' and asset = 'USD'",
          )
        ).map((row) => [row.id, BigInt(row.balance)]),
      );
      for (const user of ids) assert.equal(balances.get(userAccountId(user, 'USD')), expected.get(user), `balance of ${user}`);
      const [transit] = await db.query<{ total: string }>(
        "select coalesce(sum(posted_credits - posted_debits), 0)::text as total from accounts where code = $1",
        [transitAccountKind],
      );
      assert.equal(transit?.total, '0', 'nothing left in transit');
      const report = await verifyLedger(db);
      assert.equal(report.ok, true, JSON.stringify(report));
    } finally {
      service.child.kill('SIGKILL');
      await service.exitCode(10_000);
      await transport.close();
      await db.close();
    }
  });
});
