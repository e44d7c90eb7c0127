/**
 * The transactions service's configuration: every key it reads, validated at
 * start. docs/configuration.md lists the same keys.
 */
import { serviceApiKeyPattern } from '@t50/contracts';
import { commonConfig, integer, loadConfig, oneOf, string, url, type ConfigOf } from '@t50/kit';

export const transactionsConfigSpec = {
  ...commonConfig,
  TRANSACTIONS_DATABASE_URL: {
    parse: url,
    default: 'postgres://postgres@127.0.0.1:5432/t50_transactions',
    doc: 'PostgreSQL database of the ledger (created at start if missing)',
  },
  RABBITMQ_URL: { parse: url, default: 'amqp://guest:guest@127.0.0.1:5672', doc: 'RabbitMQ broker', secret: true },
  TRANSACTIONS_HOST: { parse: string, default: '127.0.0.1', doc: 'HTTP listen address' },
  TRANSACTIONS_PORT: { parse: integer(0, 65535), default: 4002, doc: 'HTTP listen port' },
  TRANSACTIONS_API_KEYS: {
    parse: (raw: string) => {
      const keys = raw.split(',').map((key) => key.trim()).filter((key) => key.length > 0);
      if (keys.some((key) => !serviceApiKeyPattern.test(key))) {
        // Never the value: it is a secret.
        throw new Error('expected comma-separated keys of 32 to 512 characters from letters, digits and ._~+/=- each');
      }
      return keys;
    },
    doc: 'comma-separated API keys of the services allowed to call the HTTP API (x-api-key header); 32 to 512 characters from letters, digits and ._~+/=- each',
    secret: true,
  },
  LEDGER_QUEUE: { parse: string, default: 'ledger.inbox', doc: 'base name of the ledger queues: `<name>` with one partition, `<name>.p<k>` and `<name>.router` with several' },
  LEDGER_PARTITIONS: {
    parse: integer(1, 64),
    default: 1,
    doc: 'ledger partitions, each with its own queue, writer and platform accounts (docs/scaling.md); every instance and producer must agree on it; it is recorded at the first start and another value is refused (no resharding)',
  },
  LEDGER_COMMAND_ROUTE: {
    parse: oneOf('writer', 'queue'),
    default: 'writer',
    doc: "where HTTP commands and hold expiries go: 'writer' applies them with this process's writer of the partition (one instance); 'queue' publishes them to the partition's queue, so that only its active consumer writes, and HTTP answers once the outcome is committed (several instances)",
  },
  LEDGER_COMMAND_TIMEOUT_MS: {
    parse: integer(100, 600_000),
    default: 30_000,
    doc: "with LEDGER_COMMAND_ROUTE=queue: how long POST /v1/commands waits for the outcome before answering 504 (the command stays queued; sending it again with the same id returns its outcome)",
  },
  LEDGER_BATCH_MAX_MESSAGES: { parse: integer(1, 10_000), default: 250, doc: 'most commands written in one transaction (250 keeps the service under 300 MB; 1,000 costs ~15% less CPU per transfer at saturation: docs/performance.md)' },
  LEDGER_BATCH_MAX_WAIT_MS: { parse: integer(0, 10_000), default: 5, doc: 'longest wait for a batch to fill' },
  LEDGER_MAX_MESSAGE_BYTES: { parse: integer(1024, 16 * 1024 * 1024), default: 65_536, doc: 'larger messages are dead-lettered' },
  LEDGER_HOLD_SWEEP_INTERVAL_MS: { parse: integer(50, 3_600_000), default: 1000, doc: 'how often expired holds are voided' },
  LEDGER_DB_POOL_SIZE: { parse: integer(2, 100), default: 8, doc: 'PostgreSQL connections, shared by the writers (one per partition), the outbox relay and reads' },
} as const;

export type TransactionsConfig = ConfigOf<typeof transactionsConfigSpec>;

export const loadTransactionsConfig = (environment?: Record<string, string | undefined>): TransactionsConfig =>
  loadConfig(transactionsConfigSpec, environment);
