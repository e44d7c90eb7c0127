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
import { registerRoutes } from './http/routes';
import { loadAssets } from './ledger/reads';
import { createLedgerWriter, type LedgerWriter } from './ledger/writer';
import { declareLedgerTopology, startLedgerConsumer } from './messages/consumer';
import { createOutboxRelay } from './outbox/relay';
import type { TransactionsConfig } from './config';

export const migrationsDirectory = fileURLToPath(new URL('./migrations', import.meta.url));

export type TransactionsServiceConfig = Pick<
  TransactionsConfig,
  | 'TRANSACTIONS_API_KEYS'
  | 'LEDGER_QUEUE'
  | 'LEDGER_BATCH_MAX_MESSAGES'
  | 'LEDGER_BATCH_MAX_WAIT_MS'
  | 'LEDGER_MAX_MESSAGE_BYTES'
  | 'LEDGER_HOLD_SWEEP_INTERVAL_MS'
>;

export interface TransactionsService {
  readonly app: HttpServer;
  readonly writer: LedgerWriter;
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
  let assets = await loadAssets(db);
  const registry = new Registry();
  const relay = createOutboxRelay({ db, transport, logger });
  const writer = createLedgerWriter({
    db,
    logger,
    assets: () => assets,
    outbox: relay,
    registry,
    options: { maxBatch: config.LEDGER_BATCH_MAX_MESSAGES },
  });
  // Assets change only by migration; reload now and then so a new one is seen without a restart.
  const assetReload = setInterval(() => {
    loadAssets(db).then(
      (loaded) => (assets = loaded),
      (error: unknown) => logger.warn({ err: error }, 'asset reload failed'),
    );
  }, 60_000);
  assetReload.unref();

  await declareLedgerTopology(transport, config.LEDGER_QUEUE);
  await relay.recover();
  const expiry = startHoldExpiry({ db, writer, logger, intervalMs: config.LEDGER_HOLD_SWEEP_INTERVAL_MS });

  const app = await createHttpServer({
    name: 'transactions',
    version: '0.1.0',
    description: 'The Transactions50 ledger: accounts, transfers, holds, entries, verify. Amounts are decimal strings in minor units.',
    logger,
    registry,
    readiness: { database: () => db.ping(), broker: () => transport.isReady() },
    securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
  });
  registerRoutes(app, { db, writer, apiKeys: config.TRANSACTIONS_API_KEYS });

  const subscription: Subscription = await startLedgerConsumer(transport, writer, {
    maxMessages: config.LEDGER_BATCH_MAX_MESSAGES,
    maxWaitMs: config.LEDGER_BATCH_MAX_WAIT_MS,
    maxMessageBytes: config.LEDGER_MAX_MESSAGE_BYTES,
    queue: config.LEDGER_QUEUE,
  });
  logger.info({ queue: config.LEDGER_QUEUE, batch: config.LEDGER_BATCH_MAX_MESSAGES }, 'ledger consuming');

  return {
    app,
    writer,
    sweepExpiredHolds: () => expiry.sweep(),
    async close() {
      clearInterval(assetReload);
      await subscription.close();
      await expiry.close();
      await writer.close();
      await relay.close();
      await app.close();
    },
  };
}
