/**
 * The gateway as a service definition (@t50/kit's `ServiceDefinition`): run
 * standalone by main.ts (`runService`) on PostgreSQL, RabbitMQ and Redis, and
 * by embedded mode (apps/embedded/src/services/gateway.ts) on its schema of the
 * shared PGlite, the in-process broker and a hot store in process memory.
 */
import { Redis } from 'ioredis';
import { needTransport, type ServiceDefinition } from '@t50/kit';
import { gatewayConfigSpec, loadGatewayConfig, type GatewayConfig } from './config';
import { createGatewayService, migrationsDirectory, serviceName, type GatewayService } from './service';
import { createRedisStore, type HotStore } from './store/hot-store';

/** What differs between the modes. */
export interface GatewayExtras {
  /** Hot user data, rate limits, token revocations: Redis standalone, process memory in embedded mode. */
  readonly store: HotStore;
  /** Embedded mode only: a sandbox reviewer approves KYC level 2 at once. */
  readonly sandboxKycReviewer?: boolean;
}

export const gatewayDefinition: ServiceDefinition<GatewayConfig, GatewayExtras, GatewayService> = {
  name: serviceName,
  configSpec: gatewayConfigSpec,
  loadConfig: loadGatewayConfig,
  migrations: migrationsDirectory,
  build: ({ config, db, logger, extras, ...deps }) =>
    createGatewayService({
      db,
      transport: needTransport(deps),
      store: extras.store,
      logger,
      config,
      migrate: false,
      ...(extras.sandboxKycReviewer === undefined ? {} : { sandboxKycReviewer: extras.sandboxKycReviewer }),
    }),
  standalone: {
    database: (config) => ({ url: config.GATEWAY_DATABASE_URL }),
    broker: (config) => config.RABBITMQ_URL,
    listen: (config) => ({ host: config.GATEWAY_HOST, port: config.GATEWAY_PORT, tags: ['http', 'v1', 'public'] }),
    async extras({ config, logger, lifecycle, dependency }) {
      const redis = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 3 });
      redis.on('error', (error: unknown) => logger.warn({ err: error }, 'redis error'));
      await dependency('Redis', () => redis.connect(), {
        // ioredis keeps reconnecting in the background: stop it.
        abandon: () => redis.disconnect(),
      });
      lifecycle.onClose('redis', async () => {
        await redis.quit();
      });
      return { store: createRedisStore(redis, config.REDIS_KEY_PREFIX) };
    },
  },
};
