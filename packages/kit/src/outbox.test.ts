/**
 * The kit's outbox against the real PostgreSQL and RabbitMQ: events go out
 * once, confirmed; a failed publish leaves them pending with the error and a
 * later run sends them; no transaction (no row lock) is held while the broker
 * is being talked to; two publishers never send the same event twice.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createPostgresDatabase, type Database } from './db';
import { createLogger } from './logger';
import { createOutboxPublisher, enqueueOutboxEvent } from './outbox';
import { createTestDatabase, createTestVhost, type TestDatabase, type TestVhost } from './testing';
import { sleep } from './timing';
import { createRabbitTransport, type OutgoingMessage, type Transport } from './transport';

const logger = createLogger({ service: 'test-outbox', level: 'silent' });
const exchange = 't50.test.events';
const queue = 'test.outbox';
let database: TestDatabase;
let vhost: TestVhost;
let db: Database;
let transport: Transport;

before(async () => {
  database = await createTestDatabase('kit_outbox');
  vhost = await createTestVhost('kit-outbox');
  db = createPostgresDatabase({ url: database.url, maxConnections: 4 });
  await db.exec(`
    create table outbox (
      message_id text primary key,
      exchange text not null,
      routing_key text not null,
      body jsonb not null,
      created_at timestamptz not null default now(),
      published_at timestamptz,
      claimed_until timestamptz,
      attempts integer not null default 0,
      last_error text
    );
    create index outbox_unpublished on outbox (created_at) where published_at is null;`);
  transport = await createRabbitTransport({ url: vhost.url, logger });
  await transport.declareExchange(exchange);
  await transport.declareQueue({ name: queue, bindings: [{ exchange, routingKey: 'test.#' }] });
});
after(async () => {
  await transport?.close();
  await db?.close();
  await Promise.allSettled([database?.drop(), vhost?.drop()]);
});

async function enqueueEvents(count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => `test.happened:${randomUUID()}`);
  await db.transaction(async (tx) => {
    for (const id of ids) {
      await enqueueOutboxEvent(tx, {
        messageId: id,
        exchange,
        routingKey: 'test.happened',
        body: { id, type: 'test.happened', data: {} },
      });
    }
  });
  return ids;
}

/** Message ids that reach the queue within the time given, in arrival order. */
async function drainQueue(quietMs = 300): Promise<string[]> {
  const ids: string[] = [];
  let last = performance.now();
  const subscription = await transport.consume(queue, (delivery) => {
    ids.push(String(delivery.messageId));
    last = performance.now();
    return Promise.resolve();
  });
  const deadline = performance.now() + 10_000;
  while (performance.now() - last < quietMs && performance.now() < deadline) await sleep(25);
  await subscription.close();
  return ids;
}

const pendingCount = async () =>
  Number((await db.query<{ n: string }>('select count(*)::text as n from outbox where published_at is null'))[0]?.n);

describe('outbox publisher', () => {
  test('publishes committed events once, in order, and marks them published', async () => {
    const publisher = createOutboxPublisher({ db, transport, logger, pollIntervalMs: 60_000, batchSize: 7 });
    try {
      const ids = await enqueueEvents(20);
      assert.equal(await publisher.flush(), 20);
      assert.equal(await publisher.flush(), 0, 'nothing twice');
      assert.deepEqual(await drainQueue(), ids);
      assert.equal(await pendingCount(), 0);
    } finally {
      await publisher.close();
    }
  });

  test('a failed publish keeps the events pending with the error; the timer sends them when the broker is back', async () => {
    let brokerDown = true;
    const flaky: Transport = Object.create(transport) as Transport;
    flaky.publishMany = (messages: readonly OutgoingMessage[]) =>
      brokerDown ? Promise.reject(new Error('connection closed')) : transport.publishMany(messages);
    const publisher = createOutboxPublisher({ db, transport: flaky, logger, pollIntervalMs: 40 });
    try {
      const ids = await enqueueEvents(3);
      assert.equal(await publisher.flush(), 0);
      const rows = await db.query<{ attempts: number; last_error: string; claimed_until: Date | null }>(
        'select attempts, last_error, claimed_until from outbox where published_at is null',
      );
      assert.equal(rows.length, 3);
      for (const row of rows) {
        assert.ok(row.attempts >= 1, `the failed publish counted an attempt, attempts: ${row.attempts}`);
        assert.match(row.last_error, /connection closed/);
        assert.equal(row.claimed_until, null, 'the claim is released for the next try');
      }
      brokerDown = false;
      const deadline = performance.now() + 10_000;
      while ((await pendingCount()) > 0) {
        assert.ok(performance.now() < deadline, 'the timer publishes them');
        await sleep(25);
      }
      assert.deepEqual(await drainQueue(), ids);
    } finally {
      await publisher.close();
    }
  });

  test('no row is locked while the broker is being talked to', async () => {
    let release: () => void = () => undefined;
    let entered: () => void = () => undefined;
    const inPublish = new Promise<void>((resolve) => (entered = resolve));
    const slow: Transport = Object.create(transport) as Transport;
    slow.publishMany = async (messages: readonly OutgoingMessage[]) => {
      entered();
      await new Promise<void>((resolve) => (release = resolve));
      return transport.publishMany(messages);
    };
    const publisher = createOutboxPublisher({ db, transport: slow, logger, pollIntervalMs: 60_000 });
    try {
      const [id] = await enqueueEvents(1);
      const flushed = publisher.flush();
      await inPublish;
      // Another transaction can lock the row at once: the publisher holds no transaction now.
      const locked = await db.transaction((tx) =>
        tx.query('select message_id from outbox where message_id = $1 for update nowait', [id]),
      );
      assert.equal(locked.length, 1);
      release();
      assert.equal(await flushed, 1);
      assert.deepEqual(await drainQueue(), [id]);
    } finally {
      release();
      await publisher.close();
    }
  });

  test('two publishers at once send every event exactly once', async () => {
    const first = createOutboxPublisher({ db, transport, logger, pollIntervalMs: 60_000, batchSize: 10 });
    const second = createOutboxPublisher({ db, transport, logger, pollIntervalMs: 60_000, batchSize: 10 });
    try {
      const ids = await enqueueEvents(200);
      const [a, b] = await Promise.all([first.flush(), second.flush()]);
      const rest = (await first.flush()) + (await second.flush());
      assert.equal(a + b + rest, 200);
      const received = await drainQueue();
      assert.equal(received.length, 200);
      assert.deepEqual(new Set(received), new Set(ids));
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
