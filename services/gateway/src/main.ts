/**
 * The composition root for a standalone gateway: tracing first, then config,
 * database (created if missing, migrated), broker, Redis, HTTP, Consul; one
 * place that owns graceful shutdown. The kit's `runService` owns the start
 * path: configuration errors, dependency deadlines, the ready line and exit codes.
 */
import { Redis } from 'ioredis';
import {
  createPostgresDatabase,
  createRabbitTransport,
  ensureDatabaseExists,
  initTracing,
  registerWithConsul,
  runService,
} from '@t50/kit';
import { loadGatewayConfig } from './config';
import { createGatewayService, migrateGatewayDatabase, serviceName } from './service';
import { createRedisStore } from './store/hot-store';

await runService({
  name: serviceName,
  loadConfig: loadGatewayConfig,
  async start({ config, logger, lifecycle, dependency }) {
    const stopTracing = initTracing({ serviceName, endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
    lifecycle.onClose('tracing', stopTracing);

    await dependency('PostgreSQL', () => ensureDatabaseExists(config.GATEWAY_DATABASE_URL));
    await migrateGatewayDatabase(config.GATEWAY_DATABASE_URL, logger);
    const db = createPostgresDatabase({ url: config.GATEWAY_DATABASE_URL, applicationName: serviceName });
    lifecycle.onClose('database', () => db.close());

    const transport = await dependency('RabbitMQ', () => createRabbitTransport({ url: config.RABBITMQ_URL, logger }));
    lifecycle.onClose('broker', () => transport.close());

    const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3 });
    redis.on('error', (error: unknown) => logger.warn({ err: error }, 'redis error'));
    await dependency('Redis', () => redis.connect(), {
      // ioredis keeps reconnecting in the background: stop it.
      abandon: () => redis.disconnect(),
    });
    lifecycle.onClose('redis', async () => {
      await redis.quit();
    });
    const store = createRedisStore(redis, config.REDIS_KEY_PREFIX);

    const service = await createGatewayService({ db, transport, store, logger, config, migrate: false });
    lifecycle.onClose('http', () => service.close());

    await service.app.listen({ host: config.GATEWAY_HOST, port: config.GATEWAY_PORT });
    const address = service.app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.GATEWAY_PORT;

    if (config.CONSUL_HTTP_ADDR !== '') {
      const deregister = await registerWithConsul(
        {
          consulAddress: config.CONSUL_HTTP_ADDR,
          serviceName,
          serviceId: `${serviceName}-${config.SERVICE_ADVERTISE_HOST}-${port}`,
          host: config.SERVICE_ADVERTISE_HOST,
          port,
          tags: ['http', 'v1', 'public'],
        },
        logger,
      );
      // Registered last, so it runs first: leave the catalogue before the server stops.
      lifecycle.onClose('consul', deregister);
    }
    return { url: `http://${config.GATEWAY_HOST}:${port}` };
  },
});
