/**
 * A DELIBERATELY BROKEN transactions service, for the chaos harness's honesty
 * test only (never used by the product): the same service as main.ts
 * (createTransactionsService), but its transport acknowledges every batch to
 * RabbitMQ before the ledger has committed it, and runs the real handler
 * afterwards. A SIGKILL then loses whatever was acked and not yet committed,
 * and the harness must report it (lost > 0, exit code non-zero).
 *
 * Dead letters still reach the dead-letter queue (published by this wrapper
 * once the handler decided), so the only defect is the ack before commit.
 */
import {
  createLogger,
  createPostgresDatabase,
  createRabbitTransport,
  deadLetterQueueName,
  ensureDatabaseExists,
  type BatchHandler,
  type Transport,
} from '@t50/kit';
import { loadTransactionsConfig } from '../../services/transactions/src/config';
import { createTransactionsService } from '../../services/transactions/src/service';

const config = loadTransactionsConfig();
const logger = createLogger({ service: 'transactions-faulty', level: config.LOG_LEVEL });
logger.warn('THIS IS THE DELIBERATELY FAULTY VARIANT (acks before commit), for the chaos honesty test');

await ensureDatabaseExists(config.TRANSACTIONS_DATABASE_URL);
const db = createPostgresDatabase({
  url: config.TRANSACTIONS_DATABASE_URL,
  maxConnections: config.LEDGER_DB_POOL_SIZE,
  applicationName: 'transactions',
});
const inner = await createRabbitTransport({ url: config.RABBITMQ_URL, logger, connectionName: 'transactions-faulty' });

/** Acks first, commits later: the bug under test. */
const ackBeforeCommit =
  (queue: string, handler: BatchHandler): BatchHandler =>
  (batch) => {
    void handler(batch).then(
      async (outcomes) => {
        const dead = outcomes.flatMap((outcome, index) =>
          outcome.kind === 'dead-letter' ? [{ outcome, delivery: batch[index]! }] : [],
        );
        await inner.publishMany(
          dead.map(({ outcome, delivery }) => ({
            exchange: '',
            routingKey: deadLetterQueueName(queue),
            body: delivery.body,
            messageId: delivery.messageId ?? 'unknown',
            headers: {
              ...delivery.headers,
              'x-t50-death-reason': outcome.kind === 'dead-letter' ? outcome.reason : '',
            },
          })),
        );
      },
      (error: unknown) => logger.error({ err: error }, 'batch failed after it was acked: its messages are lost'),
    );
    return Promise.resolve(batch.map(() => ({ kind: 'ack' as const })));
  };

const transport: Transport = {
  declareExchange: (name) => inner.declareExchange(name),
  declareQueue: (spec) => inner.declareQueue(spec),
  publish: (message) => inner.publish(message),
  publishMany: (messages) => inner.publishMany(messages),
  consume: (queue, handler, options) => inner.consume(queue, handler, options),
  consumeBatch: (queue, handler, options) => inner.consumeBatch(queue, ackBeforeCommit(queue, handler), options),
  isReady: () => inner.isReady(),
  close: () => inner.close(),
};

const service = await createTransactionsService({ config, db, transport, logger });
await service.app.listen({ host: config.TRANSACTIONS_HOST, port: config.TRANSACTIONS_PORT });

const stop = () => {
  void service
    .close()
    .then(() => inner.close())
    .then(() => db.close())
    .finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
