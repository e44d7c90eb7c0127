/**
 * Composition root of the standalone transactions service: real PostgreSQL
 * and RabbitMQ, from the environment. Run: `npm run -w @t50/transactions start`.
 * The kit's `runService` owns the start path: configuration errors, dependency
 * deadlines, the ready line and exit codes.
 */
import { hostname } from 'node:os';
import {
  createPostgresDatabase,
  createRabbitTransport,
  ensureDatabaseExists,
  initTracing,
  registerWithConsul,
  runService,
} from '@t50/kit';
import { loadTransactionsConfig } from './config';
import { createTransactionsService } from './service';

await runService({
  name: 'transactions',
  loadConfig: loadTransactionsConfig,
  async start({ config, logger, lifecycle, dependency }) {
    const stopTracing = initTracing({ serviceName: 'transactions', endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
    lifecycle.onClose('tracing', stopTracing);

    await dependency('PostgreSQL', () => ensureDatabaseExists(config.TRANSACTIONS_DATABASE_URL));
    const db = createPostgresDatabase({
      url: config.TRANSACTIONS_DATABASE_URL,
      maxConnections: config.LEDGER_DB_POOL_SIZE,
      applicationName: 'transactions',
    });
    lifecycle.onClose('database', () => db.close());
    const transport = await dependency('RabbitMQ', () =>
      createRabbitTransport({ url: config.RABBITMQ_URL, logger, connectionName: 'transactions' }),
    );
    lifecycle.onClose('broker', () => transport.close());

    const service = await createTransactionsService({ config, db, transport, logger });
    lifecycle.onClose('service', () => service.close());
    await service.app.listen({ host: config.TRANSACTIONS_HOST, port: config.TRANSACTIONS_PORT });
    const address = service.app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.TRANSACTIONS_PORT;
    const url = `http://${config.TRANSACTIONS_HOST}:${port}`;
    logger.info({ url }, 'transactions service listening');

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
    return { url };
  },
});
