/**
 * The gateway, assembled from its parts: used by the standalone composition
 * root (main.ts) and by embedded mode, which passes its own database (PGlite),
 * transport (in-process), hot store and, if it likes, in-process clients.
 */
import { fileURLToPath } from 'node:url';
import { exchanges } from '@t50/contracts';
import {
  createHttpServer,
  createPostgresDatabase,
  runMigrations,
  type Database,
  type HttpServer,
  type Logger,
  type Transport,
} from '@t50/kit';
import { Registry } from 'prom-client';
import { assertEveryRouteHasARule, installAccessControl } from './access/policy';
import { createAuthClient, type AuthClient } from './clients/auth';
import { createTransactionsClient, type TransactionsClient } from './clients/transactions';
import type { GatewayServiceConfig } from './config';
import { createGatewayMetrics } from './metrics';
import { createKycService, type KycService } from './kyc/service';
import { registerKycRoutes } from './kyc/routes';
import { createMoneyService, type MoneyService } from './money/service';
import { registerMoneyRoutes } from './money/routes';
import { createOutboxRelay, type OutboxRelay } from './outbox/relay';
import { createPaymentsClient } from './payments/client';
import { registerPaymentRoutes } from './payments/routes';
import { createUserCache, type UserCache } from './profiles/hot';
import { registerProfileRoutes } from './profiles/routes';
import { createAccountService, type AccountService } from './profiles/service';
import { createRateLimiter } from './ratelimit/limiter';
import { registerSessionRoutes } from './sessions/routes';
import { createSessionService, type SessionService } from './sessions/service';
import { createTokenIssuer, type TokenIssuer } from './sessions/tokens';
import type { HotStore } from './store/hot-store';
import { serveWebApp } from './web/static';

export const serviceName = 'gateway';
export const serviceVersion = '0.1.0';
export const migrationsDirectory = fileURLToPath(new URL('./migrations', import.meta.url));

/** Room for a 5 MiB KYC document; every other route keeps the kit's 1 MiB default. */
export const defaultBodyLimitBytes = 1024 * 1024;

export interface GatewayServiceDeps {
  readonly db: Database;
  readonly transport: Transport;
  /** Redis (createRedisStore) or anything honouring the HotStore contract. */
  readonly store: HotStore;
  readonly logger: Logger;
  readonly config: GatewayServiceConfig;
  /** Default: HTTP clients to AUTH_SERVICE_URL and TRANSACTIONS_URL. */
  readonly auth?: AuthClient;
  readonly transactions?: TransactionsClient;
  /**
   * Apply pending migrations first (default true); safe with one connection
   * (PGlite). With a pooled PostgreSQL pass false and call
   * `migrateGatewayDatabase(url)` first (the kit's advisory lock must be
   * released on the connection that took it).
   */
  readonly migrate?: boolean;
  /** The clock in milliseconds (tests move it). */
  readonly now?: () => number;
  /** Embedded mode only: a sandbox reviewer approves KYC level 2 at once. Never set by main.ts. */
  readonly sandboxKycReviewer?: boolean;
}

export interface GatewayService {
  /** Not listening yet: call `listen` (standalone) or `inject` (embedded). */
  readonly app: HttpServer;
  readonly outbox: OutboxRelay;
  readonly sessions: SessionService;
  readonly users: UserCache;
  readonly tokens: TokenIssuer;
  readonly accounts: AccountService;
  readonly kyc: KycService;
  readonly money: MoneyService;
  /** Stops HTTP and the outbox relay; db, transport and store stay open (their owner closes them). */
  close(): Promise<void>;
}

export async function migrateGatewayDatabase(url: string, logger: Logger): Promise<string[]> {
  const db = createPostgresDatabase({ url, maxConnections: 1, applicationName: `${serviceName}-migrate` });
  try {
    return await runMigrations(db, migrationsDirectory, logger);
  } finally {
    await db.close();
  }
}

export async function createGatewayService(deps: GatewayServiceDeps): Promise<GatewayService> {
  const { db, transport, store, config } = deps;
  const logger = deps.logger.child({ component: serviceName });
  if (deps.migrate ?? true) await runMigrations(db, migrationsDirectory, logger);
  const now = deps.now ?? Date.now;

  const auth = deps.auth ?? createAuthClient({ baseUrl: config.AUTH_SERVICE_URL, apiKey: config.AUTH_API_KEY });
  const transactions =
    deps.transactions ??
    createTransactionsClient({ baseUrl: config.TRANSACTIONS_URL, apiKey: config.TRANSACTIONS_API_KEY });

  await transport.declareExchange(exchanges.events);
  const outbox = createOutboxRelay({ db, transport, logger, pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS });
  const tokens = await createTokenIssuer({
    signingKey: config.JWT_PRIVATE_KEY,
    keyId: config.JWT_KEY_ID,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    now,
  });
  const registry = new Registry();
  const metrics = createGatewayMetrics(registry);
  const sessions = createSessionService({
    metrics,
    db,
    store,
    tokens,
    logger,
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
    now,
  });
  const users = createUserCache({ db, store, ttlSeconds: config.USER_CACHE_TTL_SECONDS });
  const accounts = createAccountService({ db, auth, transactions, sessions, users, outbox, logger });
  const kyc = createKycService({ db, users, logger, now, sandboxReviewer: deps.sandboxKycReviewer ?? false });
  if (deps.sandboxKycReviewer === true)
    logger.warn('KYC level 2 is approved by the sandbox reviewer: embedded mode only');
  const money = createMoneyService({ db, transactions, logger });
  const limiter = createRateLimiter(store);
  const payments = await createPaymentsClient({ transport, logger, timeoutMs: config.PAYMENTS_TIMEOUT_MS ?? 15_000 });

  const app = await createHttpServer({
    name: serviceName,
    version: serviceVersion,
    description:
      'The public HTTP API of Transactions50: registration and sessions, profile, tiers (Browsing, Basic, Full), KYC, ' +
      "and the signed-in user's balances, history and sends. Amounts are decimal strings in minor units (cents, wei). " +
      'Errors are RFC 9457 problem documents with a stable `code`.',
    logger,
    registry,
    bodyLimitBytes: defaultBodyLimitBytes,
    readiness: {
      database: () => db.ping(),
      // Named after what exists: Redis standalone, process memory in embedded mode.
      hot_store: () => store.ping(),
      broker: () => transport.isReady(),
    },
    readinessKinds: { hot_store: store.kind },
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    // Secure cookies mean the gateway is reached over TLS: browsers should keep to it.
    hsts: config.COOKIE_SECURE,
  });

  const served: string[] = [];
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1/')) return;
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      if (method !== 'HEAD') served.push(`${method} ${route.url}`);
    }
  });
  await app.register(
    (scope: HttpServer, _options, done) => {
      installAccessControl(scope, {
        sessions,
        users,
        limiter,
        logger,
        trustedProxyHops: config.TRUSTED_PROXY_HOPS,
        metrics,
        limits: {
          windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
          loginPerAddress: config.RATE_LIMIT_LOGIN_PER_ADDRESS,
          loginPerEmail: config.RATE_LIMIT_LOGIN_PER_EMAIL,
          registerPerAddress: config.RATE_LIMIT_REGISTER_PER_ADDRESS,
          moneyPerUser: config.RATE_LIMIT_MONEY_PER_USER,
          moneyPerAddress: config.RATE_LIMIT_MONEY_PER_ADDRESS,
        },
      });
      registerSessionRoutes(scope, { accounts, sessions, tokens, cookieSecure: config.COOKIE_SECURE, now });
      registerProfileRoutes(scope, { accounts });
      registerKycRoutes(scope, { kyc });
      registerMoneyRoutes(scope, { money });
      registerPaymentRoutes(scope, { payments, money, store, publicUrl: config.GATEWAY_PUBLIC_URL ?? '' });
      done();
    },
    { prefix: '/v1' },
  );
  if (config.GATEWAY_WEB_DIR !== '') await serveWebApp(app, config.GATEWAY_WEB_DIR);
  await app.ready();
  assertEveryRouteHasARule(served);

  // Events committed before a crash go out now.
  outbox.kick();
  logger.info({ keyId: tokens.keyId, routes: served.length }, 'gateway ready');
  return {
    app,
    outbox,
    sessions,
    users,
    tokens,
    accounts,
    kyc,
    money,
    async close() {
      await app.close();
      await outbox.close();
      await payments.close();
    },
  };
}
