/**
 * The composition root for a standalone auth service on a real PostgreSQL:
 * tracing first, then config, database, migrations, HTTP, Consul; one place
 * that owns graceful shutdown. The kit's `runService` owns the start path:
 * configuration errors, dependency deadlines, the ready line and exit codes.
 */
import { createPostgresDatabase, ensureDatabaseExists, initTracing, registerWithConsul, runService } from '@t50/kit';
import { databaseUrlOf, loadAuthConfig } from './config';
import { createAuthService, migrateAuthDatabase, serviceName } from './service';

await runService({
  name: serviceName,
  loadConfig: loadAuthConfig,
  async start({ config, logger, lifecycle, dependency }) {
    const stopTracing = initTracing({ serviceName, endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
    lifecycle.onClose('tracing', stopTracing);

    const databaseUrl = databaseUrlOf(config);
    await dependency('PostgreSQL', () => ensureDatabaseExists(databaseUrl));
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
    return { url: `http://${config.HOST}:${port}` };
  },
});
