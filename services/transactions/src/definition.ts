/**
 * The ledger as a service definition (@t50/kit's `ServiceDefinition`): run
 * standalone by main.ts (`runService`) on PostgreSQL and RabbitMQ, and by
 * embedded mode (apps/embedded/src/services/transactions.ts) on its schema of
 * the shared PGlite and the in-process broker.
 */
import { needTransport, type NoExtras, type ServiceDefinition } from '@t50/kit';
import { loadTransactionsConfig, transactionsConfigSpec, type TransactionsConfig } from './config';
import { createTransactionsService, migrationsDirectory, type TransactionsService } from './service';

export const transactionsDefinition: ServiceDefinition<TransactionsConfig, NoExtras, TransactionsService> = {
  name: 'transactions',
  configSpec: transactionsConfigSpec,
  loadConfig: loadTransactionsConfig,
  migrations: migrationsDirectory,
  build: ({ config, db, logger, ...deps }) =>
    createTransactionsService({ config, db, transport: needTransport(deps), logger, migrate: false }),
  standalone: {
    database: (config) => ({ url: config.TRANSACTIONS_DATABASE_URL, maxConnections: config.LEDGER_DB_POOL_SIZE }),
    broker: (config) => config.RABBITMQ_URL,
    listen: (config) => ({ host: config.TRANSACTIONS_HOST, port: config.TRANSACTIONS_PORT }),
  },
};
