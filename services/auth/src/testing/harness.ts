/**
 * Test support: an auth service on its own fresh PostgreSQL database, a valid
 * API key, the log lines it wrote, and a helper that calls its HTTP API (through
 * Fastify's inject: the whole HTTP pipeline, without a socket).
 */
import { createLogger, createPostgresDatabase, type Database } from '@t50/kit';
import { createTestDatabase, type TestDatabase } from '@t50/kit/testing';
import type { AuthServiceConfig } from '../config';
import { createAuthService, migrateAuthDatabase, type AuthService } from '../service';

/** Far below OWASP's minimum, for speed; tests of the real parameters say so. */
export const fastArgon2 = { ARGON2_MEMORY_KIB: 256, ARGON2_ITERATIONS: 1, ARGON2_PARALLELISM: 1 } as const;

export const defaultArgon2 = { ARGON2_MEMORY_KIB: 19_456, ARGON2_ITERATIONS: 2, ARGON2_PARALLELISM: 1 } as const;

export const testConfig: AuthServiceConfig = {
  ...fastArgon2,
  RATE_LIMIT_EMAIL_MAX_FAILURES: 1000,
  RATE_LIMIT_EMAIL_WINDOW_SECONDS: 900,
  RATE_LIMIT_ADDRESS_MAX_FAILURES: 1000,
  RATE_LIMIT_ADDRESS_WINDOW_SECONDS: 900,
};

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  /** The parsed JSON body; undefined when there is none. */
  readonly body: Record<string, unknown> | undefined;
  readonly text: string;
}

export interface CallOptions {
  /** A JSON value to send, or a raw string (sent as is). */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** The API key to send; default: the harness's valid key; null: none. */
  readonly apiKey?: string | null;
}

export interface Harness {
  readonly db: Database;
  readonly testDatabase: TestDatabase;
  service: AuthService;
  apiKey: string;
  /** Every log line written so far, as written. */
  readonly logs: string[];
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, options?: CallOptions): Promise<Reply>;
  /** Closes the service and starts a new one on the same database (e.g. with other config). */
  restart(config?: Partial<AuthServiceConfig>): Promise<void>;
  countRows(table: 'credentials' | 'api_keys' | 'auth_failure_windows'): Promise<number>;
  close(): Promise<void>;
}

export async function startHarness(prefix: string, config: Partial<AuthServiceConfig> = {}): Promise<Harness> {
  const testDatabase = await createTestDatabase(prefix);
  const logs: string[] = [];
  const logger = createLogger({
    service: 'auth',
    level: 'trace',
    destination: {
      write(line: string) {
        logs.push(line);
      },
    },
  });
  await migrateAuthDatabase(testDatabase.url, logger);
  const db = createPostgresDatabase({ url: testDatabase.url, applicationName: `test-${prefix}` });
  const start = (overrides: Partial<AuthServiceConfig>) =>
    createAuthService({ db, logger, config: { ...testConfig, ...overrides }, migrate: false });
  const harness: Harness = {
    db,
    testDatabase,
    service: await start(config),
    apiKey: '',
    logs,
    async call(method, url, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const apiKey = options.apiKey === undefined ? harness.apiKey : options.apiKey;
      if (apiKey !== null) headers['x-api-key'] = apiKey;
      let payload: string | undefined;
      if (options.body !== undefined) {
        payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await harness.service.app.inject({
        method,
        url,
        headers,
        ...(payload === undefined ? {} : { payload }),
      });
      const text = response.body;
      let body: Record<string, unknown> | undefined;
      if (text !== '' && /json/.test(String(response.headers['content-type']))) {
        body = JSON.parse(text) as Record<string, unknown>;
      }
      return { status: response.statusCode, headers: response.headers, body, text };
    },
    async restart(overrides = {}) {
      await harness.service.close();
      harness.service = await start({ ...config, ...overrides });
    },
    async countRows(table) {
      const [row] = await db.query<{ count: string }>(`select count(*) as count from ${table}`);
      return Number(row?.count ?? Number.NaN);
    },
    async close() {
      await harness.service.close();
      await db.close();
      await testDatabase.drop();
    },
  };
  const created = await harness.service.keys.create('test-caller');
  harness.apiKey = created.plaintext;
  return harness;
}

/** A password that passes the policy. */
export const goodPassword = 'correct horse battery staple';

/** Creates a credential over HTTP and returns its user id. */
export async function createCredential(harness: Harness, email: string, password = goodPassword): Promise<string> {
  const reply = await harness.call('POST', '/v1/credentials', { body: { email, password } });
  if (reply.status !== 201 || typeof reply.body?.userId !== 'string') {
    throw new Error(`creating ${email} answered ${reply.status} ${reply.text}`);
  }
  return reply.body.userId;
}
