/**
 * A real ledger for tests and benchmarks: its own PostgreSQL database and
 * RabbitMQ vhost, the service wired as in production, a publisher, and a
 * queue that collects every ledger event so a test can wait for what a user
 * would see.
 */
import { randomUUID } from 'node:crypto';
import { exchanges, type LedgerEvent } from '@t50/contracts';
import {
  createLogger,
  createPostgresDatabase,
  createRabbitTransport,
  deadLetterQueueName,
  sleep,
  type Database,
  type Delivery,
  type Logger,
  type Subscription,
  type Transport,
} from '@t50/kit';
import { createTestDatabase, createTestVhost, eventually } from '@t50/kit/testing';
import type { WriterHooks } from './ledger/writer';
import { createTransactionsService, type TransactionsService, type TransactionsServiceConfig } from './service';
import { ledgerQueue } from './messages/consumer';

export const testApiKey = 'test-key-0123456789abcdef0123456789abcdef';

export interface DeadLetter {
  readonly body: string;
  readonly reason: string;
  readonly messageId: string | undefined;
}

export interface EventCollector {
  readonly events: LedgerEvent[];
  /** Waits until `predicate` holds for some event; fails after `timeoutMs`. */
  waitFor(predicate: (event: LedgerEvent) => boolean, timeoutMs?: number): Promise<LedgerEvent>;
  /** Waits until at least `count` events match. */
  waitForCount(predicate: (event: LedgerEvent) => boolean, count: number, timeoutMs?: number): Promise<LedgerEvent[]>;
  close(): Promise<void>;
}

export async function collectEvents(transport: Transport, name = `test.events.${randomUUID()}`): Promise<EventCollector> {
  await transport.declareExchange(exchanges.events);
  await transport.declareQueue({ name, bindings: [{ exchange: exchanges.events, routingKey: 'ledger.#' }] });
  const events: LedgerEvent[] = [];
  const subscription = await transport.consumeBatch(
    name,
    (batch) => {
      for (const delivery of batch) events.push(JSON.parse(delivery.body.toString('utf8')) as LedgerEvent);
      return Promise.resolve(batch.map(() => ({ kind: 'ack' as const })));
    },
    { maxMessages: 1000, maxWaitMs: 2 },
  );
  async function waitForCount(predicate: (event: LedgerEvent) => boolean, count: number, timeoutMs = 15_000) {
    return eventually(
      () => {
        const found = events.filter(predicate);
        return found.length >= count ? found : undefined;
      },
      { timeoutMs, intervalMs: 10, what: () => `${count} events (${events.filter(predicate).length} seen)` },
    );
  }
  return {
    events,
    waitForCount,
    async waitFor(predicate, timeoutMs) {
      const [first] = await waitForCount(predicate, 1, timeoutMs);
      return first!;
    },
    close: () => subscription.close(),
  };
}

/**
 * Reads what sits in a dead-letter queue (consuming it): everything that
 * arrives within `waitMs` (a window, not a wait for something: what a test
 * expects to be absent must have had the time to arrive).
 */
export async function drainDeadLetters(transport: Transport, queue = ledgerQueue, waitMs = 500): Promise<DeadLetter[]> {
  const found: DeadLetter[] = [];
  const subscription: Subscription = await transport.consume(
    deadLetterQueueName(queue),
    (delivery: Delivery) => {
      found.push({
        body: delivery.body.toString('utf8'),
        reason: String(delivery.headers['x-t50-death-reason'] ?? ''),
        messageId: delivery.messageId,
      });
      return Promise.resolve();
    },
    { prefetch: 100 },
  );
  await sleep(waitMs);
  await subscription.close();
  return found;
}

export interface TestLedger {
  readonly service: TransactionsService;
  readonly db: Database;
  readonly transport: Transport;
  readonly events: EventCollector;
  readonly logger: Logger;
  readonly databaseUrl: string;
  readonly brokerUrl: string;
  /** The test's RabbitMQ vhost (for rabbitmqctl). */
  readonly vhost: string;
  /** Publishes a message (an envelope object or raw bytes) to the ledger's queue via its exchange binding. */
  send(message: unknown, options?: { routingKey?: string; replyTo?: string; correlationId?: string }): Promise<void>;
  close(): Promise<void>;
}

/** The ledger's configuration in tests: one partition, small batch waits, a fast hold sweep. */
export function testLedgerConfig(overrides: Partial<TransactionsServiceConfig> = {}): TransactionsServiceConfig {
  return {
    TRANSACTIONS_API_KEYS: [testApiKey],
    LEDGER_QUEUE: ledgerQueue,
    LEDGER_PARTITIONS: 1,
    LEDGER_COMMAND_ROUTE: 'writer',
    LEDGER_COMMAND_TIMEOUT_MS: 30_000,
    LEDGER_BATCH_MAX_MESSAGES: 500,
    LEDGER_BATCH_MAX_WAIT_MS: 5,
    LEDGER_MAX_MESSAGE_BYTES: 65_536,
    LEDGER_HOLD_SWEEP_INTERVAL_MS: 200,
    ...overrides,
  };
}

export interface TestLedgerOptions {
  /** Default: a logger at TEST_LOG_LEVEL (silent). */
  readonly logger?: Logger;
  readonly writerHooks?: WriterHooks;
}

export async function startTestLedger(
  name: string,
  overrides: Partial<TransactionsServiceConfig> = {},
  options: TestLedgerOptions = {},
): Promise<TestLedger> {
  const database = await createTestDatabase(name);
  const vhost = await createTestVhost(name);
  const logger =
    options.logger ?? createLogger({ service: `test-${name}`, level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const db = createPostgresDatabase({ url: database.url, maxConnections: 4 });
  const transport = await createRabbitTransport({ url: vhost.url, logger });
  const config = testLedgerConfig(overrides);
  const service = await createTransactionsService({
    config,
    db,
    transport,
    logger,
    ...(options.writerHooks === undefined ? {} : { writerHooks: options.writerHooks }),
  });
  const events = await collectEvents(transport);
  return {
    service,
    db,
    transport,
    events,
    logger,
    databaseUrl: database.url,
    brokerUrl: vhost.url,
    vhost: vhost.vhost,
    async send(message, options = {}) {
      const type = Buffer.isBuffer(message) || typeof message !== 'object' || message === null ? undefined : (message as { type?: unknown }).type;
      const routingKey = options.routingKey ?? (typeof type === 'string' ? (type.startsWith('ledger.') ? `ledger.command.${type}` : type) : 'ledger.command.unknown');
      const id = typeof message === 'object' && message !== null && !Buffer.isBuffer(message) ? (message as { id?: unknown }).id : undefined;
      await transport.publish({
        exchange: routingKey.startsWith('ledger.command.') ? exchanges.commands : exchanges.events,
        routingKey,
        body: typeof message === 'string' ? Buffer.from(message) : message,
        messageId: typeof id === 'string' ? id : randomUUID(),
        ...(options.replyTo === undefined ? {} : { replyTo: options.replyTo }),
        ...(options.correlationId === undefined ? {} : { correlationId: options.correlationId }),
      });
    },
    async close() {
      await events.close();
      await service.close();
      await transport.close();
      await db.close();
      await Promise.allSettled([database.drop(), vhost.drop()]);
    },
  };
}
