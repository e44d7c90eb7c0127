/**
 * The composition root for a standalone auth service on a real PostgreSQL:
 * tracing first, then config, database, migrations, HTTP, Consul; one place
 * that owns graceful shutdown.
 */
import {
  createLifecycle,
  createLogger,
  createPostgresDatabase,
  ensureDatabaseExists,
  handleProcessSignals,
  initTracing,
  registerWithConsul,
} from '@t50/kit';
import { databaseUrlOf, loadAuthConfig } from './config';
import { createAuthService, migrateAuthDatabase, serviceName } from './service';

const config = loadAuthConfig();
const logger = createLogger({ service: serviceName, level: config.LOG_LEVEL });
const lifecycle = createLifecycle(logger);
handleProcessSignals(lifecycle, logger);

async function start(): Promise<void> {
  const stopTracing = initTracing({ serviceName, endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  lifecycle.onClose('tracing', stopTracing);

  const databaseUrl = databaseUrlOf(config);
  await ensureDatabaseExists(databaseUrl);
  await migrateAuthDatabase(databaseUrl, logger);
  const db = createPostgresDatabase({ url: databaseUrl, applicationName: serviceName });
  lifecycle.onClose('database', () => db.close());

  const service = await createAuthService({ db, logger, config, migrate: false });
  lifecycle.onClose('http', () => service.close());

  await service.app.listen({ host: config.HOST, port: config.PORT });
  const address = service.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.PORT;

  if (config.CONSUL_HTTP_ADDR !== '') {
    const deregister = await registerWithConsul(
      {
        consulAddress: config.CONSUL_HTTP_ADDR,
        serviceName,
        serviceId: `${serviceName}-${config.SERVICE_ADVERTISE_HOST}-${port}`,
        host: config.SERVICE_ADVERTISE_HOST,
        port,
        tags: ['http', 'v1'],
      },
      logger,
    );
    // Registered last, so it runs first: leave the catalogue before the server stops.
    lifecycle.onClose('consul', deregister);
  }
}

start().catch((error: unknown) => {
  logger.fatal({ err: error }, 'start failed');
  void lifecycle.shutdown('start failed').then(() => process.exit(1));
});
