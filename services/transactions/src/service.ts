/**
 * The transactions service, wired from its parts. `createTransactionsService`
 * takes its database and transport from the caller (the standalone main uses
 * PostgreSQL and RabbitMQ; embedded mode uses PGlite and the in-process
 * transport), so the same code runs in both.
 */
import { fileURLToPath } from 'node:url';
import { createHttpServer, runMigrations, type Database, type HttpServer, type Logger, type Subscription, type Transport } from '@t50/kit';
import { Registry } from 'prom-client';
import { startHoldExpiry } from './holds/expiry';
import { registerRoutes, type SubmitCommand } from './http/routes';
import { loadAssets } from './ledger/reads';
import { ensurePartitionAccounts } from './ledger/store';
import { createLedgerWriter, type LedgerWriter } from './ledger/writer';
import { declareLedgerTopology, partitionQueueName, routerQueueName, startLedgerConsumer } from './messages/consumer';
import { expireCommand, parseValue } from './messages/parse';
import { createHoldPartitions, routeOf } from './messages/partition';
import { storedOutcome, waitForOutcome } from './ledger/reads';
import { startPartitionRouter } from './messages/router';
import { createOutboxRelay } from './outbox/relay';
import type { TransactionsConfig } from './config';

export const migrationsDirectory = fileURLToPath(new URL('./migrations', import.meta.url));

export type TransactionsServiceConfig = Pick<
  TransactionsConfig,
  | 'TRANSACTIONS_API_KEYS'
  | 'LEDGER_QUEUE'
  | 'LEDGER_PARTITIONS'
  | 'LEDGER_COMMAND_ROUTE'
  | 'LEDGER_COMMAND_TIMEOUT_MS'
  | 'LEDGER_BATCH_MAX_MESSAGES'
  | 'LEDGER_BATCH_MAX_WAIT_MS'
  | 'LEDGER_MAX_MESSAGE_BYTES'
  | 'LEDGER_HOLD_SWEEP_INTERVAL_MS'
>;

export interface TransactionsService {
  readonly app: HttpServer;
  /** One writer per partition, index = partition. */
  readonly writers: readonly LedgerWriter[];
  /** Voids every expired hold now (tests; the service also does it on its own). */
  sweepExpiredHolds(): Promise<number>;
  /** Stops consuming, finishes the batch in flight, publishes its events, closes HTTP. Leaves db and transport open. */
  close(): Promise<void>;
}

export async function createTransactionsService(deps: {
  config: TransactionsServiceConfig;
  db: Database;
  transport: Transport;
  logger: Logger;
}): Promise<TransactionsService> {
  const { config, db, transport } = deps;
  const logger = deps.logger.child({ component: 'transactions' });
  await runMigrations(db, migrationsDirectory, logger);
  const partitions = config.LEDGER_PARTITIONS;
  await ensurePartitionAccounts(db, partitions);
  let assets = await loadAssets(db);
  const registry = new Registry();
  const relay = createOutboxRelay({ db, transport, logger });
  const writers = Array.from({ length: partitions }, (_, index) =>
    createLedgerWriter({
      db,
      logger: partitions === 1 ? logger : logger.child({ partition: index }),
      assets: () => assets,
      outbox: relay,
      registry,
      options: { maxBatch: config.LEDGER_BATCH_MAX_MESSAGES },
      partition: { index, count: partitions },
    }),
  );
  const holds = createHoldPartitions(db, partitions);
  const viaQueue = config.LEDGER_COMMAND_ROUTE === 'queue';
  const queueOf = (partition: number) => partitionQueueName(config.LEDGER_QUEUE, partition, partitions);
  const submit: SubmitCommand = async (value, raw) => {
    const route = routeOf(value, partitions);
    const partition = 'partition' in route ? route.partition : ((await holds.lookup(route.holdId)) ?? 0);
    const parsed = parseValue(value, raw, partition);
    if (!parsed.ok) return parsed;
    if (!viaQueue) {
      const [result] = await writers[partition]!.submit([parsed.item]);
      return { ok: true, result: result! };
    }
    // Through the partition's queue: its active consumer (in whichever instance) writes; the inbox row says when.
    const size = Buffer.byteLength(JSON.stringify(value));
    if (size > config.LEDGER_MAX_MESSAGE_BYTES) {
      // The consumer would dead-letter it: say so now instead of waiting for an outcome that never comes.
      return { ok: false, reason: `message_too_large: ${size} bytes, the limit is ${config.LEDGER_MAX_MESSAGE_BYTES}` };
    }
    const { messageId } = parsed.item;
    const earlier = await storedOutcome(db, messageId);
    if (earlier !== undefined) return { ok: true, stored: earlier, again: true };
    await transport.publish({
      exchange: '',
      routingKey: queueOf(partition),
      body: value,
      messageId,
      type: parsed.item.commandType,
      correlationId: raw.correlationId,
    });
    const stored = await waitForOutcome(db, messageId, config.LEDGER_COMMAND_TIMEOUT_MS);
    return stored === undefined ? { ok: true, pending: messageId } : { ok: true, stored };
  };
  const expireThroughWriter = async (partition: number, holdIds: readonly string[]) => {
    await writers[partition]!.submit(
      holdIds.map((holdId) => ({ messageId: `expire:${holdId}`, commandType: 'ledger.hold.expire', command: expireCommand(holdId) })),
    );
  };
  const expireThroughQueue = async (partition: number, holdIds: readonly string[]) => {
    await transport.publishMany(
      holdIds.map((pendingId) => ({
        exchange: '',
        routingKey: queueOf(partition),
        body: { id: `expire:${pendingId}`, type: 'ledger.hold.expire', version: 1, data: { pendingId } },
        messageId: `expire:${pendingId}`,
        type: 'ledger.hold.expire',
      })),
    );
  };
  // Assets change only by migration; reload now and then so a new one is seen without a restart.
  const assetReload = setInterval(() => {
    loadAssets(db).then(
      (loaded) => (assets = loaded),
      (error: unknown) => logger.warn({ err: error }, 'asset reload failed'),
    );
  }, 60_000);
  assetReload.unref();

  await declareLedgerTopology(transport, config.LEDGER_QUEUE, partitions);
  await relay.recover();
  const expiry = startHoldExpiry({
    db,
    logger,
    intervalMs: config.LEDGER_HOLD_SWEEP_INTERVAL_MS,
    partitions,
    dispatch: viaQueue ? expireThroughQueue : expireThroughWriter,
  });

  const app = await createHttpServer({
    name: 'transactions',
    version: '0.1.0',
    description: 'The Transactions50 ledger: accounts, transfers, holds, entries, verify. Amounts are decimal strings in minor units.',
    logger,
    registry,
    readiness: { database: () => db.ping(), broker: () => transport.isReady() },
    securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
  });
  registerRoutes(app, { db, submit, apiKeys: config.TRANSACTIONS_API_KEYS });

  const batching = { maxMessages: config.LEDGER_BATCH_MAX_MESSAGES, maxWaitMs: config.LEDGER_BATCH_MAX_WAIT_MS, maxMessageBytes: config.LEDGER_MAX_MESSAGE_BYTES };
  const subscriptions: Subscription[] = [];
  for (const [index, writer] of writers.entries()) {
    subscriptions.push(
      await startLedgerConsumer(transport, writer, { ...batching, queue: config.LEDGER_QUEUE, partition: { index, count: partitions } }),
    );
  }
  if (partitions > 1) {
    subscriptions.push(
      await startPartitionRouter({
        transport,
        holds,
        queue: routerQueueName(config.LEDGER_QUEUE),
        partitionQueue: queueOf,
        partitions,
        ...batching,
      }),
    );
  }
  logger.info({ queue: config.LEDGER_QUEUE, partitions, batch: config.LEDGER_BATCH_MAX_MESSAGES }, 'ledger consuming');

  return {
    app,
    writers,
    sweepExpiredHolds: () => expiry.sweep(),
    async close() {
      clearInterval(assetReload);
      for (const subscription of subscriptions) await subscription.close();
      await expiry.close();
      for (const writer of writers) await writer.close();
      await relay.close();
      await app.close();
    },
  };
}
