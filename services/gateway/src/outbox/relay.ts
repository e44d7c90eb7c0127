/**
 * The outbox relay: publishes events committed to the `outbox` table, with
 * publisher confirms, and marks each published only after the broker confirmed
 * it. It runs right after a commit (`kick`) and on a timer, so an event whose
 * publication failed (broker down) is retried until it goes out. Consumers
 * deduplicate on the message id, so publishing twice after a crash is harmless.
 */
import type { Logger, Queryable, Transport } from '@t50/kit';

/** Most events published in one run; the timer picks up the rest. */
const batchSize = 100;

export interface OutboxEvent {
  readonly messageId: string;
  readonly exchange: string;
  readonly routingKey: string;
  /** The envelope: { id, type, version, occurredAt, data }. */
  readonly body: Record<string, unknown>;
}

/** Inserts an event in the caller's transaction. */
export async function enqueue(tx: Queryable, event: OutboxEvent): Promise<void> {
  await tx.query('insert into outbox (message_id, exchange, routing_key, body) values ($1, $2, $3, $4::text::jsonb)', [
    event.messageId,
    event.exchange,
    event.routingKey,
    JSON.stringify(event.body),
  ]);
}

export interface OutboxRelay {
  /** Publishes what is pending now (in the background); calls while a run is going queue one more run. */
  kick(): void;
  /** Publishes what is pending and resolves when done; returns how many went out. */
  flush(): Promise<number>;
  close(): Promise<void>;
}

export function createOutboxRelay(deps: {
  db: { transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> };
  transport: Transport;
  logger: Logger;
  pollIntervalMs: number;
}): OutboxRelay {
  const { db, transport, logger } = deps;
  let running: Promise<number> | undefined;
  let again = false;
  let closed = false;

  async function publishBatch(): Promise<number> {
    return db.transaction(async (tx) => {
      // Skip locked: two instances never publish the same row at once.
      const rows = await tx.query<{
        message_id: string;
        exchange: string;
        routing_key: string;
        body: Record<string, unknown>;
      }>(
        `select message_id, exchange, routing_key, body from outbox
         where published_at is null order by created_at limit $1 for update skip locked`,
        [batchSize],
      );
      let published = 0;
      for (const row of rows) {
        try {
          await transport.publish({
            exchange: row.exchange,
            routingKey: row.routing_key,
            body: row.body,
            messageId: row.message_id,
            type: typeof row.body.type === 'string' ? row.body.type : row.routing_key,
          });
          await tx.query('update outbox set published_at = now(), attempts = attempts + 1 where message_id = $1', [
            row.message_id,
          ]);
          published += 1;
        } catch (error) {
          await tx.query('update outbox set attempts = attempts + 1, last_error = $2 where message_id = $1', [
            row.message_id,
            error instanceof Error ? error.message.slice(0, 500) : 'publish failed',
          ]);
          logger.warn({ err: error, messageId: row.message_id }, 'outbox publish failed; will retry');
          break;
        }
      }
      return published;
    });
  }

  async function run(): Promise<number> {
    let total = 0;
    do {
      again = false;
      try {
        total += await publishBatch();
      } catch (error) {
        logger.warn({ err: error }, 'outbox relay run failed; will retry');
      }
    } while (again && !closed);
    return total;
  }

  function start(): Promise<number> {
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = run().finally(() => {
      running = undefined;
    });
    return running;
  }

  const timer = setInterval(() => {
    if (!closed) void start();
  }, deps.pollIntervalMs);
  timer.unref();

  return {
    kick() {
      if (!closed) void start();
    },
    async flush() {
      if (running !== undefined) await running;
      return start();
    },
    async close() {
      closed = true;
      clearInterval(timer);
      if (running !== undefined) await running;
    },
  };
}
