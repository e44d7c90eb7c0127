/**
 * Embedded mode's configuration: every key it reads, read once from the
 * environment and validated (a bad value stops the start with the key's name).
 * The ledger, auth and gateway tuning keys are the services' own specs, so they mean the
 * same here as in a standalone run. Nothing else in embedded mode reads
 * `process.env`.
 */
import { authConfigSpec } from '@t50/auth';
import { gatewayConfigSpec } from '@t50/gateway';
import { boolean, commonConfig, integer, loadConfig, string, type ConfigOf, type ConfigSpec } from '@t50/kit';
import { transactionsConfigSpec } from '@t50/transactions/config';

/** Port offsets from EMBEDDED_PORT leave room for this many services. */
export const maxPortOffset = 9;

export const embeddedConfigSpec = {
  EMBEDDED_DATA_DIR: {
    parse: string,
    default: '.data',
    doc: 'folder for the database (one PGlite, a schema per service), generated keys, the log file and the pid file; created if missing (with its parents), kept across restarts; relative to the working directory',
  },
  EMBEDDED_HOST: { parse: string, default: '127.0.0.1', doc: 'address every embedded service listens on' },
  EMBEDDED_PORT: {
    parse: integer(0, 65_535 - maxPortOffset),
    default: 4000,
    doc: 'base port: gateway +0, auth +1, transactions +2; 0 gives each service any free port',
  },
  EMBEDDED_SEED: {
    parse: boolean,
    default: true,
    doc: 'fill the ledger with sample users and transfers, and make the demo users (alice@example.com, bob@example.com, operator@example.com) at start (idempotent: a restart adds nothing)',
  },
  EMBEDDED_KYC_AUTO_APPROVE: {
    parse: boolean,
    default: true,
    doc: 'a sandbox reviewer approves every KYC level 2 submission at once; false: submissions wait for an operator (e.g. the demo user operator@example.com)',
  },
  GATEWAY_WEB_DIR: {
    parse: string,
    default: 'apps/web/dist',
    doc: 'the built web app the gateway serves at its URL (relative to the working directory); without index.html there, the API alone; empty: no web app',
  },
  EMBEDDED_WEB_BUILD: {
    parse: boolean,
    default: true,
    doc: '`npm start` first builds the web app when apps/web/dist is missing or older than its sources (scripts/build-web.mjs reads this key)',
  },
  LOG_LEVEL: commonConfig.LOG_LEVEL,
  OTEL_EXPORTER_OTLP_ENDPOINT: commonConfig.OTEL_EXPORTER_OTLP_ENDPOINT,
  LEDGER_BATCH_MAX_MESSAGES: transactionsConfigSpec.LEDGER_BATCH_MAX_MESSAGES,
  LEDGER_BATCH_MAX_WAIT_MS: transactionsConfigSpec.LEDGER_BATCH_MAX_WAIT_MS,
  LEDGER_MAX_MESSAGE_BYTES: transactionsConfigSpec.LEDGER_MAX_MESSAGE_BYTES,
  LEDGER_HOLD_SWEEP_INTERVAL_MS: transactionsConfigSpec.LEDGER_HOLD_SWEEP_INTERVAL_MS,
  ARGON2_MEMORY_KIB: authConfigSpec.ARGON2_MEMORY_KIB,
  ARGON2_ITERATIONS: authConfigSpec.ARGON2_ITERATIONS,
  ARGON2_PARALLELISM: authConfigSpec.ARGON2_PARALLELISM,
  RATE_LIMIT_EMAIL_MAX_FAILURES: authConfigSpec.RATE_LIMIT_EMAIL_MAX_FAILURES,
  RATE_LIMIT_EMAIL_WINDOW_SECONDS: authConfigSpec.RATE_LIMIT_EMAIL_WINDOW_SECONDS,
  RATE_LIMIT_ADDRESS_MAX_FAILURES: authConfigSpec.RATE_LIMIT_ADDRESS_MAX_FAILURES,
  RATE_LIMIT_ADDRESS_WINDOW_SECONDS: authConfigSpec.RATE_LIMIT_ADDRESS_WINDOW_SECONDS,
  ACCESS_TOKEN_TTL_SECONDS: gatewayConfigSpec.ACCESS_TOKEN_TTL_SECONDS,
  RATE_LIMIT_WINDOW_SECONDS: gatewayConfigSpec.RATE_LIMIT_WINDOW_SECONDS,
  RATE_LIMIT_LOGIN_PER_ADDRESS: gatewayConfigSpec.RATE_LIMIT_LOGIN_PER_ADDRESS,
  RATE_LIMIT_LOGIN_PER_EMAIL: gatewayConfigSpec.RATE_LIMIT_LOGIN_PER_EMAIL,
  RATE_LIMIT_REGISTER_PER_ADDRESS: gatewayConfigSpec.RATE_LIMIT_REGISTER_PER_ADDRESS,
  RATE_LIMIT_MONEY_PER_USER: gatewayConfigSpec.RATE_LIMIT_MONEY_PER_USER,
  RATE_LIMIT_MONEY_PER_ADDRESS: gatewayConfigSpec.RATE_LIMIT_MONEY_PER_ADDRESS,
} satisfies ConfigSpec;

export type EmbeddedConfig = ConfigOf<typeof embeddedConfigSpec>;

export const loadEmbeddedConfig = (environment?: Record<string, string | undefined>): EmbeddedConfig =>
  loadConfig(embeddedConfigSpec, environment);
