/**
 * The transactions service, wired from its parts. `createTransactionsService`
 * takes its database and transport from the caller (the standalone main uses
 * PostgreSQL and RabbitMQ; embedded mode uses PGlite and the in-process
 * transport), so the same code runs in both.
 */
import { fileURLToPath } from 'node:url';
import {
  createHttpServer,
  runMigrations,
  startPeriodicJob,
  type Database,
  type HttpServer,
  type Logger,
  type Subscription,
  type Transport,
} from '@t50/kit';
import { Registry } from 'prom-client';
import { startHoldExpiry } from './holds/expiry';
import { registerRoutes } from './http/routes';
import { loadAssets } from './ledger/reads';
import { ensurePartitionAccounts } from './ledger/store';
import { createLedgerWriter, type LedgerWriter, type WriterHooks } from './ledger/writer';
import { declareLedgerTopology, partitionQueueName, routerQueueName, startLedgerConsumer } from './messages/consumer';
import { createHoldPartitions } from './messages/partition';
import { startPartitionRouter } from './messages/router';
import { createCommandRouting } from './messages/submit';
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
  /** Apply pending migrations first (default true); false when the runner applied them (the service definition). */
  migrate?: boolean;
  /** Tests only: see `WriterHooks`. */
  writerHooks?: WriterHooks;
}): Promise<TransactionsService> {
  const { config, db, transport } = deps;
  const logger = deps.logger.child({ component: 'transactions' });
  if (deps.migrate ?? true) await runMigrations(db, migrationsDirectory, logger);
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
      ...(deps.writerHooks === undefined ? {} : { hooks: deps.writerHooks }),
    }),
  );
  const holds = createHoldPartitions(db, partitions);
  const queueOf = (partition: number) => partitionQueueName(config.LEDGER_QUEUE, partition, partitions);
  const routing = createCommandRouting({ config, db, transport, writers, holds, queueOf });
  // Assets change only by migration; reload now and then so a new one is seen without a restart.
  const assetReload = startPeriodicJob({
    name: 'asset reload',
    intervalMs: 60_000,
    logger,
    run: async () => {
      assets = await loadAssets(db);
    },
  });

  await declareLedgerTopology(transport, config.LEDGER_QUEUE, partitions);
  await relay.recover();
  const expiry = startHoldExpiry({
    db,
    logger,
    intervalMs: config.LEDGER_HOLD_SWEEP_INTERVAL_MS,
    partitions,
    dispatch: routing.expire,
  });

  const app = await createHttpServer({
    name: 'transactions',
    version: '0.1.0',
    description:
      'The Transactions50 ledger: accounts, transfers, holds, entries, verify. Amounts are decimal strings in minor units.',
    logger,
    registry,
    readiness: {
      database: () => db.ping(),
      broker: () => transport.isReady(),
      // A writer halted by a broken invariant stays halted until a restart (ledger/writer.ts).
      writers: () => writers.every((writer) => !writer.halted),
    },
    securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
  });
  registerRoutes(app, { db, submit: routing.submit, apiKeys: config.TRANSACTIONS_API_KEYS });

  const batching = {
    maxMessages: config.LEDGER_BATCH_MAX_MESSAGES,
    maxWaitMs: config.LEDGER_BATCH_MAX_WAIT_MS,
    maxMessageBytes: config.LEDGER_MAX_MESSAGE_BYTES,
  };
  const subscriptions: Subscription[] = [];
  for (const [index, writer] of writers.entries()) {
    subscriptions.push(
      await startLedgerConsumer(transport, writer, {
        ...batching,
        queue: config.LEDGER_QUEUE,
        partition: { index, count: partitions },
      }),
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
      await assetReload.stop();
      for (const subscription of subscriptions) await subscription.close();
      await expiry.close();
      for (const writer of writers) await writer.close();
      await relay.close();
      await app.close();
    },
  };
}
