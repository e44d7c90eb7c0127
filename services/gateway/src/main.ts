/**
 * The composition root for a standalone gateway: tracing first, then config,
 * database (created if missing, migrated), broker, Redis, HTTP, Consul; one
 * place that owns graceful shutdown.
 */
import { Redis } from 'ioredis';
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
import { loadGatewayConfig } from './config';
import { createGatewayService, migrateGatewayDatabase, serviceName } from './service';
import { createRedisStore } from './store/hot-store';

const config = loadGatewayConfig();
const logger = createLogger({ service: serviceName, level: config.LOG_LEVEL });
const lifecycle = createLifecycle(logger);
handleProcessSignals(lifecycle, logger);

async function start(): Promise<void> {
  const stopTracing = initTracing({ serviceName, endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  lifecycle.onClose('tracing', stopTracing);

  await ensureDatabaseExists(config.GATEWAY_DATABASE_URL);
  await migrateGatewayDatabase(config.GATEWAY_DATABASE_URL, logger);
  const db = createPostgresDatabase({ url: config.GATEWAY_DATABASE_URL, applicationName: serviceName });
  lifecycle.onClose('database', () => db.close());

  const transport = await createRabbitTransport({ url: config.RABBITMQ_URL, logger });
  lifecycle.onClose('broker', () => transport.close());

  const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3 });
  redis.on('error', (error: unknown) => logger.warn({ err: error }, 'redis error'));
  await redis.connect();
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
}

start().catch((error: unknown) => {
  logger.fatal({ err: error }, 'start failed');
  void lifecycle.shutdown('start failed').then(() => process.exit(1));
});
