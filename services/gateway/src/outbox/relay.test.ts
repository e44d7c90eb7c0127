/**
 * The outbox relay against the real PostgreSQL and RabbitMQ: an event is
 * marked published only after the broker confirmed it; while publishing fails
 * (broker down) it stays pending and is retried on the timer until it goes out.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { exchanges } from '@t50/contracts';
import { createLogger, createPostgresDatabase, createRabbitTransport, type Database, type Transport } from '@t50/kit';
import { createTestDatabase, createTestVhost, eventually, type TestDatabase, type TestVhost } from '@t50/kit/testing';
import { migrateGatewayDatabase } from '../service';
import { createOutboxRelay, enqueue } from './relay';

const logger = createLogger({ service: 'test-outbox', level: 'silent' });
let database: TestDatabase;
let vhost: TestVhost;
let db: Database;
let transport: Transport;

before(async () => {
  database = await createTestDatabase('gw_outbox');
  vhost = await createTestVhost('gw-outbox');
  await migrateGatewayDatabase(database.url, logger);
  db = createPostgresDatabase({ url: database.url, maxConnections: 2 });
  transport = await createRabbitTransport({ url: vhost.url, logger });
  await transport.declareExchange(exchanges.events);
  await transport.declareQueue({
    name: 'test.registered',
    bindings: [{ exchange: exchanges.events, routingKey: 'gateway.#' }],
  });
});
after(async () => {
  await transport?.close();
  await db?.close();
  await Promise.allSettled([database?.drop(), vhost?.drop()]);
});

/**
 * Every message the queue received before now: a marker is published (with confirms) behind them and the
 * queue is read until the marker comes out, so a duplicate confirmed earlier cannot be missed.
 */
async function received(): Promise<string[]> {
  const marker = `marker:${randomUUID()}`;
  await transport.publish({ exchange: '', routingKey: 'test.registered', messageId: marker, body: {} });
  const ids: string[] = [];
  const subscription = await transport.consume('test.registered', async (delivery) => {
    ids.push(String(delivery.messageId));
    return Promise.resolve();
  });
  try {
    await eventually(() => (ids.includes(marker) ? true : undefined), { timeoutMs: 5_000, what: 'the marker' });
  } finally {
    await subscription.close();
  }
  return ids.filter((id) => id !== marker);
}

test('a failed publish stays pending, is retried on the timer, and is published exactly when confirmed', async () => {
  let brokerDown = true;
  const flaky: Transport = {
    ...transport,
    publish: async (message) => {
      if (brokerDown) throw new Error('connection closed');
      return transport.publish(message);
    },
    publishMany: async (messages) => {
      if (brokerDown) throw new Error('connection closed');
      return transport.publishMany(messages);
    },
  };
  const relay = createOutboxRelay({ db, transport: flaky, logger, pollIntervalMs: 50 });
  const id = `gateway.user.registered:${randomUUID()}`;
  await db.transaction((tx) =>
    enqueue(tx, {
      messageId: id,
      exchange: exchanges.events,
      routingKey: 'gateway.user.registered',
      body: { id, type: 'gateway.user.registered', version: 1, data: { userId: randomUUID() } },
    }),
  );
  try {
    assert.equal(await relay.flush(), 0);
    const [pending] = await db.query<{ published_at: Date | null; attempts: number; last_error: string }>(
      'select published_at, attempts, last_error from outbox where message_id = $1',
      [id],
    );
    assert.equal(pending?.published_at, null);
    assert.ok((pending?.attempts ?? 0) >= 1, 'the failed publish counted an attempt');
    assert.match(pending?.last_error ?? '', /connection closed/);

    brokerDown = false;
    // No kick: the timer alone must bring it out.
    await eventually(
      async () => {
        const [row] = await db.query<{ published: boolean }>(
          'select published_at is not null as published from outbox where message_id = $1',
          [id],
        );
        return row?.published === true ? true : undefined;
      },
      { timeoutMs: 5_000, what: 'published by the timer' },
    );
    assert.deepEqual(await received(), [id]);
    assert.equal(await relay.flush(), 0, 'nothing is published twice');
  } finally {
    await relay.close();
  }
});
