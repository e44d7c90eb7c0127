/**
 * The composition root for a standalone gateway: database (created if
 * missing, migrated), broker, Redis, HTTP. The kit's `runService` owns the
 * start path: configuration errors, tracing, dependency deadlines, Consul, the
 * ready line, graceful shutdown and exit codes.
 */
import { Redis } from 'ioredis';
import { runService } from '@t50/kit';
import { loadGatewayConfig } from './config';
import { createGatewayService, migrateGatewayDatabase, serviceName } from './service';
import { createRedisStore } from './store/hot-store';

await runService({
  name: serviceName,
  loadConfig: loadGatewayConfig,
  async start({ config, logger, lifecycle, dependency, postgres, rabbitmq, serve }) {
    const db = await postgres(config.GATEWAY_DATABASE_URL, { prepare: (url) => migrateGatewayDatabase(url, logger) });
    const transport = await rabbitmq(config.RABBITMQ_URL);

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
    return {
      url: await serve(service.app, {
        host: config.GATEWAY_HOST,
        port: config.GATEWAY_PORT,
        tags: ['http', 'v1', 'public'],
      }),
    };
  },
});
