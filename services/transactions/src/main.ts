/**
 * Composition root of the standalone transactions service: real PostgreSQL
 * and RabbitMQ, from the environment. Run: `npm run -w @t50/transactions start`.
 * The kit's `runService` owns the start path: configuration errors, tracing,
 * dependency deadlines, Consul, the ready line and exit codes.
 */
import { runService } from '@t50/kit';
import { loadTransactionsConfig } from './config';
import { createTransactionsService } from './service';

await runService({
  name: 'transactions',
  loadConfig: loadTransactionsConfig,
  async start({ config, logger, lifecycle, postgres, rabbitmq, serve }) {
    const db = await postgres(config.TRANSACTIONS_DATABASE_URL, { maxConnections: config.LEDGER_DB_POOL_SIZE });
    const transport = await rabbitmq(config.RABBITMQ_URL);
    const service = await createTransactionsService({ config, db, transport, logger });
    lifecycle.onClose('service', () => service.close());
    return { url: await serve(service.app, { host: config.TRANSACTIONS_HOST, port: config.TRANSACTIONS_PORT }) };
  },
});
