/**
 * Composition root of the standalone transactions service: real PostgreSQL
 * and RabbitMQ, from the environment. Run: `npm run -w @t50/transactions start`.
 */
import { hostname } from 'node:os';
import {
  createLifecycle,
  createLogger,
  createPostgresDatabase,
  createRabbitTransport,
  ensureDatabaseExists,
  handleProcessSignals,
  initTracing,
  registerWithConsul,
} from '@t50/kit';
import { loadTransactionsConfig } from './config';
import { createTransactionsService } from './service';

const config = loadTransactionsConfig();
const logger = createLogger({ service: 'transactions', level: config.LOG_LEVEL });
const lifecycle = createLifecycle(logger);
handleProcessSignals(lifecycle, logger);

async function start(): Promise<void> {
  const stopTracing = initTracing({ serviceName: 'transactions', endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  lifecycle.onClose('tracing', stopTracing);

  await ensureDatabaseExists(config.TRANSACTIONS_DATABASE_URL);
  const db = createPostgresDatabase({
    url: config.TRANSACTIONS_DATABASE_URL,
    maxConnections: config.LEDGER_DB_POOL_SIZE,
    applicationName: 'transactions',
  });
  lifecycle.onClose('database', () => db.close());
  const transport = await createRabbitTransport({ url: config.RABBITMQ_URL, logger, connectionName: 'transactions' });
  lifecycle.onClose('broker', () => transport.close());

  const service = await createTransactionsService({ config, db, transport, logger });
  lifecycle.onClose('service', () => service.close());
  await service.app.listen({ host: config.TRANSACTIONS_HOST, port: config.TRANSACTIONS_PORT });
  const address = service.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.TRANSACTIONS_PORT;
  logger.info({ url: `http://${config.TRANSACTIONS_HOST}:${port}` }, 'transactions service listening');

  if (config.CONSUL_HTTP_ADDR !== '') {
    const deregister = await registerWithConsul(
      {
        consulAddress: config.CONSUL_HTTP_ADDR,
        serviceName: 'transactions',
        serviceId: `transactions-${hostname()}-${port}`,
        host: config.SERVICE_ADVERTISE_HOST,
        port,
      },
      logger,
    );
    lifecycle.onClose('consul', deregister);
  }
}

start().catch((error: unknown) => {
  logger.fatal({ err: error }, 'start failed');
  void lifecycle.shutdown('start failed').then(() => process.exit(1));
});
