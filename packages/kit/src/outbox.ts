/**
 * The transactional outbox, for every service that publishes events: an event
 * is inserted in the same transaction as the change that caused it, and a
 * publisher sends committed events to the broker with publisher confirms.
 *
 * The publisher never holds a transaction open while it talks to the broker:
 * 1. claim: a short transaction marks up to `batchSize` unpublished rows as
 *    claimed for `leaseMs` (`for update skip locked`: two instances never
 *    claim the same row) and commits;
 * 2. publish: all claimed events at once, pipelined, confirmed by the broker;
 * 3. settle: a short transaction marks them published, or, when the publish
 *    failed, releases the claim and records the error, and the next run
 *    (after a backoff) tries again.
 * A crash between 2 and 3 publishes the events again when the lease ends:
 * consumers deduplicate on the message id, as the at-least-once contract says.
 *
 * The table (each service creates it in its own migrations):
 *
 *   create table outbox (
 *     message_id text primary key,
 *     exchange text not null,
 *     routing_key text not null,
 *     body jsonb not null,
 *     created_at timestamptz not null default now(),
 *     published_at timestamptz,
 *     claimed_until timestamptz,
 *     attempts integer not null default 0,
 *     last_error text
 *   );
 *   create index outbox_unpublished on outbox (created_at) where published_at is null;
 */
import type { Logger } from 'pino';
import { textArray, type Queryable } from './db';
import { backoffDelayMs, startPeriodicJob } from './timing';
import type { OutgoingMessage, Transport } from './transport';

export interface OutboxEvent {
  readonly messageId: string;
  readonly exchange: string;
  readonly routingKey: string;
  /** The envelope: { id, type, version, occurredAt, data }; its `type` is the message's type. */
  readonly body: Record<string, unknown>;
}

/** Inserts an event in the caller's transaction; it is published after the commit. */
export async function enqueueOutboxEvent(tx: Queryable, event: OutboxEvent): Promise<void> {
  // clock_timestamp(), not now(): events of one transaction keep the order they were enqueued in.
  await tx.query(
    'insert into outbox (message_id, exchange, routing_key, body, created_at) values ($1, $2, $3, $4::text::jsonb, clock_timestamp())',
    [event.messageId, event.exchange, event.routingKey, JSON.stringify(event.body)],
  );
}

export interface OutboxPublisher {
  /** Publishes what is pending now, in the background; a call during a run asks for one more run. */
  kick(): void;
  /** Publishes what is pending and resolves when done; returns how many events went out. */
  flush(): Promise<number>;
  /** Stops the timer and waits for a run under way. */
  close(): Promise<void>;
}

export interface OutboxPublisherOptions {
  readonly db: Queryable & { transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> };
  readonly transport: Transport;
  readonly logger: Logger;
  /** How often pending events are looked for without a kick (events of a crashed run, failed publishes). */
  readonly pollIntervalMs: number;
  /** Most events claimed and published in one round. Default 100. */
  readonly batchSize?: number;
  /** How long a claim keeps other publishers off an event. Default 30 s. */
  readonly leaseMs?: number;
}

interface ClaimedRow extends Record<string, unknown> {
  message_id: string;
  /** created_at to the microsecond, as sortable text (a Date keeps only milliseconds). */
  enqueued: string;
  exchange: string;
  routing_key: string;
  body: Record<string, unknown>;
}

/** Rounds one run goes through at most; the timer picks up the rest. Bounds a run however much is pending. */
const maxRoundsPerRun = 100;

export function createOutboxPublisher(options: OutboxPublisherOptions): OutboxPublisher {
  const { db, transport, logger } = options;
  const batchSize = options.batchSize ?? 100;
  const leaseMs = options.leaseMs ?? 30_000;
  let running: Promise<number> | undefined;
  let again = false;
  let closed = false;
  let failures = 0;
  let notBefore = 0;

  const claim = (): Promise<ClaimedRow[]> =>
    db.transaction((tx) =>
      tx.query<ClaimedRow>(
        `update outbox set claimed_until = now() + make_interval(secs => $2::double precision / 1000)
         where message_id in (
           select message_id from outbox
           where published_at is null and (claimed_until is null or claimed_until < now())
           order by created_at limit $1 for update skip locked)
         returning message_id, exchange, routing_key, body, to_char(created_at, 'YYYYMMDDHH24MISSUS') as enqueued`,
        [batchSize, leaseMs],
      ),
    );

  const toMessage = (row: ClaimedRow): OutgoingMessage => ({
    exchange: row.exchange,
    routingKey: row.routing_key,
    body: row.body,
    messageId: row.message_id,
    type: typeof row.body.type === 'string' ? row.body.type : row.routing_key,
  });

  /** One claim-publish-settle round; returns how many went out (0: nothing pending, or the publish failed). */
  async function round(): Promise<{ published: number; more: boolean }> {
    // `returning` gives no order: publish in the order the events were enqueued.
    const rows = (await claim()).sort((a, b) => (a.enqueued < b.enqueued ? -1 : a.enqueued > b.enqueued ? 1 : 0));
    if (rows.length === 0) return { published: 0, more: false };
    const ids = rows.map((row) => row.message_id);
    try {
      await transport.publishMany(rows.map(toMessage));
    } catch (error) {
      failures += 1;
      const retryInMs = backoffDelayMs(failures, { baseMs: 100, maxMs: 10_000, jitter: 'full' });
      notBefore = performance.now() + retryInMs;
      await db.query(
        `update outbox set attempts = attempts + 1, last_error = $2, claimed_until = null
         where message_id = any($1::text::text[]) and published_at is null`,
        [textArray(ids), error instanceof Error ? error.message.slice(0, 500) : 'publish failed'],
      );
      logger.warn({ err: error, events: rows.length, retryInMs }, 'outbox publish failed; will retry');
      return { published: 0, more: false };
    }
    failures = 0;
    await db.query(
      `update outbox set published_at = now(), attempts = attempts + 1, claimed_until = null, last_error = null
       where message_id = any($1::text::text[])`,
      [textArray(ids)],
    );
    return { published: rows.length, more: rows.length === batchSize };
  }

  async function run(): Promise<number> {
    let total = 0;
    do {
      again = false;
      if (performance.now() < notBefore) break;
      try {
        for (let rounds = 0; rounds < maxRoundsPerRun && !closed; rounds += 1) {
          const { published, more } = await round();
          total += published;
          if (!more) break;
        }
      } catch (error) {
        logger.warn({ err: error }, 'outbox run failed; will retry');
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

  const poller = startPeriodicJob({
    name: 'outbox',
    intervalMs: options.pollIntervalMs,
    logger,
    run: async () => {
      if (!closed) await start();
    },
  });

  return {
    kick() {
      if (!closed) void start();
    },
    async flush() {
      if (running !== undefined) await running;
      notBefore = 0;
      return start();
    },
    async close() {
      closed = true;
      await poller.stop();
      if (running !== undefined) await running;
    },
  };
}
