/**
 * The auth service's configuration: every key it reads, read once from the
 * environment, validated, documented. Nothing else in the service reads
 * `process.env`.
 */
import { commonConfig, ConfigError, integer, loadConfig, string, url, type ConfigOf, type ConfigSpec } from '@t50/kit';

/**
 * OWASP's minimum for argon2id (Password Storage Cheat Sheet): 19 MiB of memory,
 * 2 passes, 1 lane. The environment may raise these, never lower them; tests
 * that need speed pass a config object to `createAuthService` directly.
 */
export const owaspArgon2Minimum = { memoryKib: 19_456, iterations: 2, parallelism: 1 } as const;

export const authConfigSpec = {
  ...commonConfig,
  AUTH_DATABASE_URL: {
    parse: url,
    default: '',
    secret: true,
    doc: 'PostgreSQL URL of the auth database; wins over DATABASE_URL',
  },
  DATABASE_URL: {
    parse: url,
    default: '',
    secret: true,
    doc: 'PostgreSQL URL of the auth database, used when AUTH_DATABASE_URL is not set',
  },
  PORT: { parse: integer(0, 65_535), default: 4001, doc: 'HTTP port (0: any free port)' },
  HOST: { parse: string, default: '127.0.0.1', doc: 'address the HTTP server listens on' },
  ARGON2_MEMORY_KIB: {
    parse: integer(owaspArgon2Minimum.memoryKib, 4_194_304),
    default: owaspArgon2Minimum.memoryKib,
    doc: 'argon2id memory cost in KiB (at least 19456); raising it upgrades stored hashes at their next login',
  },
  ARGON2_ITERATIONS: {
    parse: integer(owaspArgon2Minimum.iterations, 100),
    default: owaspArgon2Minimum.iterations,
    doc: 'argon2id passes (at least 2)',
  },
  ARGON2_PARALLELISM: {
    parse: integer(owaspArgon2Minimum.parallelism, 255),
    default: owaspArgon2Minimum.parallelism,
    doc: 'argon2id lanes (at least 1)',
  },
  RATE_LIMIT_EMAIL_MAX_FAILURES: {
    parse: integer(1, 1_000_000),
    default: 10,
    doc: 'failed password checks allowed per email in one window; past it the answer is 429',
  },
  RATE_LIMIT_EMAIL_WINDOW_SECONDS: {
    parse: integer(1, 86_400),
    default: 900,
    doc: 'length of the fixed per-email window, in seconds',
  },
  RATE_LIMIT_ADDRESS_MAX_FAILURES: {
    parse: integer(1, 1_000_000),
    default: 100,
    doc: 'failed password checks allowed per client address in one window; past it the answer is 429',
  },
  RATE_LIMIT_ADDRESS_WINDOW_SECONDS: {
    parse: integer(1, 86_400),
    default: 900,
    doc: 'length of the fixed per-address window, in seconds',
  },
} satisfies ConfigSpec;

export type AuthConfig = ConfigOf<typeof authConfigSpec>;

/** What `createAuthService` needs; the composition roots pass the whole `AuthConfig`. */
export type AuthServiceConfig = Pick<
  AuthConfig,
  | 'ARGON2_MEMORY_KIB'
  | 'ARGON2_ITERATIONS'
  | 'ARGON2_PARALLELISM'
  | 'RATE_LIMIT_EMAIL_MAX_FAILURES'
  | 'RATE_LIMIT_EMAIL_WINDOW_SECONDS'
  | 'RATE_LIMIT_ADDRESS_MAX_FAILURES'
  | 'RATE_LIMIT_ADDRESS_WINDOW_SECONDS'
>;

export function loadAuthConfig(environment: Record<string, string | undefined> = process.env): AuthConfig {
  return loadConfig(authConfigSpec, environment);
}

/**
 * The database URL for standalone runs (main, CLIs). Embedded mode brings its
 * own database and never calls this, which is why neither key is required by
 * the spec itself.
 */
export function databaseUrlOf(config: Pick<AuthConfig, 'AUTH_DATABASE_URL' | 'DATABASE_URL'>): string {
  const chosen = config.AUTH_DATABASE_URL !== '' ? config.AUTH_DATABASE_URL : config.DATABASE_URL;
  if (chosen === '') {
    throw new ConfigError(['AUTH_DATABASE_URL or DATABASE_URL is required (PostgreSQL URL of the auth database)']);
  }
  return chosen;
}
