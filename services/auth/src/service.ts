/**
 * The auth service, assembled from its parts: used by the standalone
 * composition root (main.ts) and by embedded mode, which passes its own
 * database (PGlite) and logger.
 */
import { fileURLToPath } from 'node:url';
import {
  createHttpServer,
  createPostgresDatabase,
  runMigrations,
  type Database,
  type HttpServer,
  type Logger,
} from '@t50/kit';
import { Registry } from 'prom-client';
import type { AuthServiceConfig } from './config';
import { registerCredentialRoutes } from './credentials/routes';
import { createCredentialService, type CredentialService } from './credentials/service';
import { createPasswordHasher } from './credentials/passwords';
import { loadPasswordPolicy } from './credentials/policy';
import { apiKeySecurityScheme, requireApiKey } from './keys/hooks';
import { createApiKeyService, type ApiKeyService } from './keys/service';
import { createAuthMetrics } from './metrics';
import { createFailureLimiter, type LimitRule } from './ratelimit/service';

export { ensureEmbeddedGatewayKey } from './keys/service';

export const serviceName = 'auth';
export const serviceVersion = '0.1.0';
export const migrationsDirectory = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * Large enough that a ~1 MB password reaches the schema and gets a 400 from its
 * length limit rather than a 413; small enough to bound the work of a request.
 */
export const bodyLimitBytes = 2 * 1024 * 1024;

/** How often windows that ended are deleted from the failure counters. */
const purgeIntervalMs = 60_000;

export interface AuthServiceDeps {
  readonly db: Database;
  readonly logger: Logger;
  readonly config: AuthServiceConfig;
  /**
   * Apply pending migrations first (default true). Safe for a one-connection
   * database (PGlite in embedded mode). With a pooled PostgreSQL database pass
   * false and call `migrateAuthDatabase(url)` first: the kit's runMigrations
   * takes a session advisory lock, and a pool may run the unlock on another
   * connection, leaving the lock held so the next migration run waits forever.
   */
  readonly migrate?: boolean;
}

export interface AuthService {
  /** Not listening yet: call `listen` (standalone) or `inject` (embedded). */
  readonly app: HttpServer;
  readonly credentials: CredentialService;
  readonly keys: ApiKeyService;
  /** Stops the HTTP server and the background purge; the database stays open (its owner closes it). */
  close(): Promise<void>;
}

/**
 * Applies pending migrations through one dedicated connection, closed after,
 * so the migration lock is always released (see `AuthServiceDeps.migrate`).
 */
export async function migrateAuthDatabase(url: string, logger: Logger): Promise<string[]> {
  const db = createPostgresDatabase({ url, maxConnections: 1, applicationName: `${serviceName}-migrate` });
  try {
    return await runMigrations(db, migrationsDirectory, logger);
  } finally {
    await db.close();
  }
}

export async function createAuthService(deps: AuthServiceDeps): Promise<AuthService> {
  const { db, logger, config } = deps;
  if (deps.migrate ?? true) await runMigrations(db, migrationsDirectory, logger);

  const registry = new Registry();
  const metrics = createAuthMetrics(registry);
  const hasher = await createPasswordHasher({
    memoryKib: config.ARGON2_MEMORY_KIB,
    iterations: config.ARGON2_ITERATIONS,
    parallelism: config.ARGON2_PARALLELISM,
  });
  const policy = await loadPasswordPolicy();
  const limits = {
    email: {
      scope: 'email',
      maxFailures: config.RATE_LIMIT_EMAIL_MAX_FAILURES,
      windowSeconds: config.RATE_LIMIT_EMAIL_WINDOW_SECONDS,
      onSuccess: 'reset',
    },
    address: {
      scope: 'address',
      maxFailures: config.RATE_LIMIT_ADDRESS_MAX_FAILURES,
      windowSeconds: config.RATE_LIMIT_ADDRESS_WINDOW_SECONDS,
      onSuccess: 'refund',
    },
  } satisfies Record<string, LimitRule>;
  const limiter = createFailureLimiter(db, [limits.email, limits.address]);
  const keys = createApiKeyService({ db, logger });
  const credentials = createCredentialService({ db, logger, hasher, policy, limiter, limits, metrics });

  const app = await createHttpServer({
    name: serviceName,
    version: serviceVersion,
    description:
      'Credentials (email + argon2id password hash) and nothing else. Only trusted services call it: ' +
      'every /v1 request needs a service API key in the x-api-key header.',
    logger,
    readiness: { database: () => db.ping() },
    registry,
    securitySchemes: { apiKey: apiKeySecurityScheme },
    bodyLimitBytes,
  });
  await app.register(
    (scope: HttpServer, _options, done) => {
      requireApiKey(scope, keys, (reason) => metrics.apiKeyRejections.inc({ reason }));
      registerCredentialRoutes(scope, credentials);
      done();
    },
    { prefix: '/v1' },
  );

  let purging: Promise<void> = Promise.resolve();
  const purgeTimer = setInterval(() => {
    purging = limiter.purgeExpired().then(
      (deleted) => {
        if (deleted > 0) logger.debug({ deleted }, 'expired failure windows purged');
      },
      (error: unknown) => logger.warn({ err: error }, 'purging failure windows failed'),
    );
  }, purgeIntervalMs);
  purgeTimer.unref();

  logger.info({ argon2: hasher.parameters, commonPasswords: policy.commonPasswordCount, limits }, 'auth service ready');
  return {
    app,
    credentials,
    keys,
    async close() {
      clearInterval(purgeTimer);
      await app.close();
      await purging;
    },
  };
}
