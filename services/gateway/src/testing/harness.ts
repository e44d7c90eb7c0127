/**
 * Test support: a gateway on its own fresh PostgreSQL database and Redis key
 * prefix, in front of a real auth service (its own database, listening on a
 * free port) and a real ledger (its own database and RabbitMQ vhost, listening
 * on a free port). The gateway publishes to the ledger's vhost, so a
 * registration really opens ledger accounts. Calls go through Fastify's inject
 * (the whole HTTP pipeline without a socket); the gateway's calls to auth and
 * the ledger go over real HTTP on 127.0.0.1.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createAuthService, migrateAuthDatabase, type AuthService } from '@t50/auth';
import { userAccountId, type AccountView, type LedgerEvent } from '@t50/contracts';
import { createLogger, createPostgresDatabase, createRabbitTransport, type Database, type Transport } from '@t50/kit';
import { createTestDatabase, eventually, type TestDatabase } from '@t50/kit/testing';
import { startTestLedger, testApiKey, type TestLedger } from '@t50/transactions/testing';
import type { Tier } from '../access/tiers';
import { parseSigningKey, type GatewayServiceConfig } from '../config';
import { createGatewayService, migrateGatewayDatabase, type GatewayService } from '../service';
import { createRedisStore } from '../store/hot-store';

export const goodPassword = 'correct horse battery staple';

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  /** The parsed JSON body; undefined when there is none. */
  readonly body: Record<string, unknown> | undefined;
  readonly text: string;
  readonly rawPayload: Buffer;
}

export interface CallOptions {
  /** A JSON value, a raw string, or a Buffer (sent as is). */
  readonly body?: unknown;
  readonly token?: string;
  readonly cookie?: string;
  readonly headers?: Record<string, string>;
  /** The client address the gateway sees (rate limits). */
  readonly remoteAddress?: string;
}

export interface SignedInUser {
  readonly userId: string;
  readonly email: string;
  readonly token: string;
  /** The refresh cookie as sent back: `t50_refresh=<token>`. */
  readonly cookie: string;
}

export interface GatewayHarness {
  readonly db: Database;
  readonly ledger: TestLedger;
  readonly auth: AuthService;
  /** The auth service's own database (to check what it stored). */
  readonly authDb: Database;
  readonly redis: Redis;
  readonly redisPrefix: string;
  readonly config: GatewayServiceConfig;
  service: GatewayService;
  /** Milliseconds added to the gateway's clock. */
  clockOffsetMs: number;
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'HEAD', url: string, options?: CallOptions): Promise<Reply>;
  /** Registers a user over HTTP and waits until the ledger opened their accounts. */
  register(email?: string, options?: { waitForAccounts?: boolean }): Promise<SignedInUser>;
  /** Sets a user's tier directly (tests of what a tier may do), invalidating the cache as the service would. */
  setTier(userId: string, tier: Tier): Promise<void>;
  makeOperator(userId: string): Promise<void>;
  /** Credits a user's ledger account through a real deposit event and waits for it to post. */
  fund(userId: string, asset: 'USD' | 'EUR' | 'ETH', amount: bigint): Promise<void>;
  accountsOf(userId: string): Promise<AccountView[]>;
  /** Waits until `check` holds, polling every 25 ms; fails after `timeoutMs`. */
  eventually<T>(check: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
  countRows(table: string): Promise<number>;
  /** Redis keys under this harness's prefix. */
  redisKeys(): Promise<string[]>;
  /** Restarts the gateway (same database and Redis prefix) with other config. */
  restart(overrides?: Partial<GatewayServiceConfig>): Promise<void>;
  close(): Promise<void>;
}

/** A fresh Ed25519 key as PKCS#8 PEM. */
export function newSigningKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export async function startGatewayHarness(
  name: string,
  overrides: Partial<GatewayServiceConfig> = {},
  options: { sandboxKycReviewer?: boolean } = {},
): Promise<GatewayHarness> {
  // What was started so far, undone in reverse if a later step fails, so no database or vhost is left behind.
  const undo: (() => Promise<unknown>)[] = [];
  try {
    return await startHarness(name, overrides, options, undo);
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw error;
  }
}

async function startHarness(
  name: string,
  overrides: Partial<GatewayServiceConfig>,
  options: { sandboxKycReviewer?: boolean },
  undo: (() => Promise<unknown>)[],
): Promise<GatewayHarness> {
  const logger = createLogger({ service: `test-gateway-${name}`, level: process.env.TEST_LOG_LEVEL ?? 'error' });
  const ledger = await startTestLedger(`gw_${name}`);
  undo.push(() => ledger.close());
  await ledger.service.app.listen({ host: '127.0.0.1', port: 0 });

  const authDatabase: TestDatabase = await createTestDatabase(`gwauth_${name}`);
  undo.push(() => authDatabase.drop());
  await migrateAuthDatabase(authDatabase.url, logger);
  const authDb = createPostgresDatabase({
    url: authDatabase.url,
    maxConnections: 4,
    applicationName: `test-auth-${name}`,
  });
  const auth = await createAuthService({
    db: authDb,
    logger,
    migrate: false,
    // Far below OWASP's argon2id minimum, for speed; the auth service's own tests cover the real parameters.
    config: {
      ARGON2_MEMORY_KIB: 256,
      ARGON2_ITERATIONS: 1,
      ARGON2_PARALLELISM: 1,
      RATE_LIMIT_EMAIL_MAX_FAILURES: 1000,
      RATE_LIMIT_EMAIL_WINDOW_SECONDS: 900,
      RATE_LIMIT_ADDRESS_MAX_FAILURES: 1000,
      RATE_LIMIT_ADDRESS_WINDOW_SECONDS: 900,
    },
  });
  const authKey = await auth.keys.create('gateway');
  undo.push(() => authDb.close());
  undo.push(() => auth.close());
  await auth.app.listen({ host: '127.0.0.1', port: 0 });

  const gatewayDatabase = await createTestDatabase(`gw_${name}`);
  undo.push(() => gatewayDatabase.drop());
  await migrateGatewayDatabase(gatewayDatabase.url, logger);
  const db = createPostgresDatabase({
    url: gatewayDatabase.url,
    maxConnections: 6,
    applicationName: `test-gateway-${name}`,
  });
  undo.push(() => db.close());
  const transport: Transport = await createRabbitTransport({ url: ledger.brokerUrl, logger });
  undo.push(() => transport.close());
  const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 3 });
  undo.push(() => redis.quit());
  const redisPrefix = `t50test:gateway:${name}:${randomBytes(4).toString('hex')}:`;
  const store = createRedisStore(redis, redisPrefix);

  const urlOf = (service: { app: { server: { address(): unknown } } }) => {
    const address = service.app.server.address() as { port: number };
    return `http://127.0.0.1:${address.port}`;
  };
  const config: GatewayServiceConfig = {
    AUTH_SERVICE_URL: urlOf(auth),
    AUTH_API_KEY: authKey.plaintext,
    TRANSACTIONS_URL: urlOf(ledger.service),
    TRANSACTIONS_API_KEY: testApiKey,
    REDIS_KEY_PREFIX: redisPrefix,
    JWT_PRIVATE_KEY: parseSigningKey(newSigningKeyPem()),
    JWT_KEY_ID: '',
    JWT_ISSUER: 't50-gateway',
    JWT_AUDIENCE: 't50-web',
    ACCESS_TOKEN_TTL_SECONDS: 7200,
    REFRESH_TOKEN_TTL_SECONDS: 30 * 86_400,
    COOKIE_SECURE: true,
    USER_CACHE_TTL_SECONDS: 300,
    TRUSTED_PROXY_HOPS: 0,
    RATE_LIMIT_WINDOW_SECONDS: 60,
    RATE_LIMIT_LOGIN_PER_ADDRESS: 10_000,
    RATE_LIMIT_LOGIN_PER_EMAIL: 10_000,
    RATE_LIMIT_REGISTER_PER_ADDRESS: 10_000,
    RATE_LIMIT_MONEY_PER_USER: 10_000,
    RATE_LIMIT_MONEY_PER_ADDRESS: 10_000,
    OUTBOX_POLL_INTERVAL_MS: 200,
    GATEWAY_WEB_DIR: '',
    ...overrides,
  };

  const start = (settings: GatewayServiceConfig) =>
    createGatewayService({
      db,
      transport,
      store,
      logger,
      config: settings,
      migrate: false,
      now: () => Date.now() + harness.clockOffsetMs,
      sandboxKycReviewer: options.sandboxKycReviewer ?? false,
    });

  const harness: GatewayHarness = {
    db,
    ledger,
    auth,
    authDb,
    redis,
    redisPrefix,
    config,
    clockOffsetMs: 0,
    service: undefined as unknown as GatewayService,

    async call(method, url, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
      if (options.cookie !== undefined) headers.cookie = options.cookie;
      let payload: string | Buffer | undefined;
      if (options.body !== undefined) {
        if (Buffer.isBuffer(options.body) || typeof options.body === 'string') payload = options.body;
        else payload = JSON.stringify(options.body);
        headers['content-type'] ??= Buffer.isBuffer(options.body) ? 'application/octet-stream' : 'application/json';
      }
      const response = await harness.service.app.inject({
        method,
        url,
        headers,
        ...(payload === undefined ? {} : { payload }),
        ...(options.remoteAddress === undefined ? {} : { remoteAddress: options.remoteAddress }),
      });
      const text = response.body;
      let body: Record<string, unknown> | undefined;
      if (text !== '' && /json/.test(String(response.headers['content-type']))) {
        body = JSON.parse(text) as Record<string, unknown>;
      }
      return { status: response.statusCode, headers: response.headers, body, text, rawPayload: response.rawPayload };
    },

    async register(email = `user-${randomUUID()}@example.com`, options = {}) {
      const reply = await harness.call('POST', '/v1/auth/register', { body: { email, password: goodPassword } });
      if (reply.status !== 201) throw new Error(`registering ${email} answered ${reply.status} ${reply.text}`);
      const body = reply.body as { accessToken: string; user: { userId: string; email: string } };
      const user = {
        userId: body.user.userId,
        email: body.user.email,
        token: body.accessToken,
        cookie: cookieOf(reply),
      };
      if (options.waitForAccounts ?? true) {
        await harness.eventually(async () => ((await harness.accountsOf(user.userId)).length === 3 ? true : undefined));
      }
      return user;
    },

    async setTier(userId, tier) {
      await db.query('update profiles set tier = $2 where user_id = $1', [userId, tier]);
      await harness.service.users.invalidate(userId);
    },

    async makeOperator(userId) {
      await db.query(`update profiles set role = 'operator' where user_id = $1`, [userId]);
      await harness.service.users.invalidate(userId);
    },

    async fund(userId, asset, amount) {
      const id = randomUUID();
      const message =
        asset === 'ETH'
          ? {
              id,
              type: 'wallet.deposit.confirmed',
              version: 1,
              data: { txHash: `0x${randomBytes(32).toString('hex')}`, logIndex: 0, userId, amount: amount.toString() },
            }
          : {
              id,
              type: 'payments.deposit.succeeded',
              version: 1,
              data: { paymentId: id, provider: 'sandbox', userId, asset, amount: amount.toString() },
            };
      await ledger.send(message);
      await ledger.events.waitFor(
        (event: LedgerEvent) =>
          event.type === 'ledger.transfer.posted' &&
          event.data.transfer.legs.some(
            (leg) => leg.creditAccountId === userAccountId(userId, asset) && leg.amount === amount.toString(),
          ),
      );
    },

    async accountsOf(userId) {
      const reply = await ledger.service.app.inject({
        method: 'GET',
        url: `/v1/owners/${userId}/accounts`,
        headers: { 'x-api-key': testApiKey },
      });
      return (JSON.parse(reply.body) as { accounts: AccountView[] }).accounts;
    },

    eventually: (check, timeoutMs) => eventually(check, timeoutMs === undefined ? {} : { timeoutMs }),

    async countRows(table) {
      if (!/^[a-z_0-9]+$/.test(table)) throw new Error('table name');
      const [row] = await db.query<{ count: string }>(`select count(*) as count from ${table}`);
      return Number(row?.count ?? Number.NaN);
    },

    async redisKeys() {
      const keys: string[] = [];
      let cursor = '0';
      for (let round = 0; round < 10_000; round += 1) {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
        keys.push(...found);
        cursor = next;
        if (cursor === '0') break;
      }
      return keys;
    },

    async restart(more = {}) {
      await harness.service.close();
      try {
        harness.service = await start({ ...config, ...more });
      } catch (error) {
        // Refused to start with that config: back on the original one, so the test can go on and close.
        harness.service = await start(config);
        throw error;
      }
    },

    async close() {
      await harness.service.close();
      const keys = await harness.redisKeys();
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      await transport.close();
      await db.close();
      await auth.close();
      await authDb.close();
      await ledger.close();
      await Promise.allSettled([gatewayDatabase.drop(), authDatabase.drop()]);
    },
  };
  harness.service = await start(config);
  return harness;
}

/** `t50_refresh=<token>` from a reply's Set-Cookie, ready to send back in a Cookie header. */
export function cookieOf(reply: Reply): string {
  const header = reply.headers['set-cookie'];
  const first = Array.isArray(header) ? header[0] : header;
  if (typeof first !== 'string') throw new Error(`no set-cookie in ${reply.status} ${reply.text}`);
  return first.split(';')[0] ?? '';
}
