/**
 * Publishes committed outbox rows with publisher confirms, then deletes them.
 * Rows come straight from the writer after each commit (low latency); at start
 * the relay first publishes whatever a previous run left in the table. A row
 * may be published twice (a crash between confirm and delete): events carry
 * stable ids, and consumers deduplicate on them.
 *
 * Rows can also be committed without ever reaching the relay: when the
 * connection dies after PostgreSQL committed a batch but before the writer
 * got the answer, the writer's retry finds the batch recorded and produces
 * no rows. A sweeper publishes such stranded rows (older than a few seconds,
 * not in hand) instead of leaving them for the next start.
 */
import type { Database, Logger, OutgoingMessage, Transport } from '@t50/kit';
import { backoffDelayMs, sleep, textArray } from '@t50/kit';
import type { PersistedOutboxRow } from '../ledger/store';

export interface OutboxRelay {
  enqueue(rows: readonly PersistedOutboxRow[]): Promise<void>;
  /** Publishes rows left by an earlier run. */
  recover(): Promise<number>;
  /** Publishes what is queued, then stops. */
  close(): Promise<void>;
}

/** Rows per publish-and-delete round: the events of a few of the writer's batches. */
const maxPerPublish = 2000;
/**
 * Rows waiting to be published. When the relay falls behind, the writer's
 * `enqueue` waits, and with it the next commit: backpressure instead of
 * memory (the former bound, 100,000 rows of ~1-2 KB events, allowed well over
 * 100 MB).
 */
const maxQueued = 4000;
/** Rows this old, and not in the relay's hands, were stranded by a lost commit answer. */
const strandedAfterSeconds = 10;
const sweepIntervalMs = 5_000;

interface OutboxTableRow extends Record<string, unknown> {
  seq: string;
  event_id: string;
  exchange: string;
  routing_key: string;
  type: string;
  correlation_id: string | null;
  payload: unknown;
}

const outboxColumns = 'seq::text, event_id, exchange, routing_key, type, correlation_id, payload';

const fromTable = (row: OutboxTableRow): PersistedOutboxRow => ({
  seq: row.seq,
  eventId: row.event_id,
  exchange: row.exchange,
  routingKey: row.routing_key,
  type: row.type,
  correlationId: row.correlation_id ?? undefined,
  payload: row.payload,
});

export function createOutboxRelay(deps: { db: Database; transport: Transport; logger: Logger }): OutboxRelay {
  const { db, transport, logger } = deps;
  const queue: PersistedOutboxRow[] = [];
  let running: Promise<void> | undefined;
  let spaceWaiters: (() => void)[] = [];
  /** Sequence numbers queued or being published: the sweeper leaves them alone. */
  const inHand = new Set<string>();
  let recovering = false;
  let closed = false;
  let sweeping: Promise<void> | undefined;

  const toMessage = (row: PersistedOutboxRow): OutgoingMessage => ({
    exchange: row.exchange,
    routingKey: row.routingKey,
    body: row.payload,
    messageId: row.eventId,
    type: row.type,
    ...(row.correlationId === undefined || row.correlationId === null ? {} : { correlationId: row.correlationId }),
  });

  async function publish(rows: readonly PersistedOutboxRow[]): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await transport.publishMany(rows.map(toMessage));
        await db.transaction(async (tx) => {
          // The only commit that need not wait for its WAL flush: if a crash
          // loses this delete, the rows are published again at the next start,
          // which the at-least-once contract allows. The next events wait for
          // this round, so an fsync here was latency on every event.
          await tx.query('set local synchronous_commit = off');
          // A join, not `= any`, for the reason given in store.ts.
          await tx.query(
            'delete from outbox using unnest($1::text::bigint[]) as done (seq) where outbox.seq = done.seq',
            [textArray(rows.map((row) => row.seq))],
          );
        });
        for (const row of rows) inHand.delete(row.seq);
        return;
      } catch (error) {
        const delay = backoffDelayMs(attempt, { baseMs: 100, maxMs: 5_000, jitter: 'full' });
        logger.warn({ err: error, attempt, rows: rows.length, retryInMs: delay }, 'outbox publish failed; retrying');
        await sleep(delay);
      }
    }
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const rows = queue.splice(0, maxPerPublish);
      const waiters = spaceWaiters;
      spaceWaiters = [];
      for (const wake of waiters) wake();
      await publish(rows);
    }
  }

  function kick(): void {
    running ??= drain().finally(() => {
      running = undefined;
      if (queue.length > 0) kick();
    });
  }

  async function enqueue(rows: readonly PersistedOutboxRow[]): Promise<void> {
    if (rows.length === 0) return;
    while (queue.length >= maxQueued) await new Promise<void>((resolve) => spaceWaiters.push(resolve));
    for (const row of rows) inHand.add(row.seq);
    queue.push(...rows);
    kick();
  }

  async function sweepStranded(): Promise<void> {
    const rows = await db.query<OutboxTableRow>(
      `select ${outboxColumns} from outbox where created_at < now() - make_interval(secs => $2) order by seq limit $1`,
      [maxPerPublish, strandedAfterSeconds],
    );
    const stranded = rows.filter((row) => !inHand.has(row.seq));
    if (stranded.length === 0) return;
    logger.warn(
      { events: stranded.length },
      'publishing committed events the relay was never handed (a commit whose answer was lost)',
    );
    await enqueue(stranded.map(fromTable));
  }

  const sweeper = setInterval(() => {
    if (recovering || closed || sweeping !== undefined) return;
    sweeping = sweepStranded()
      .catch((error: unknown) => logger.warn({ err: error }, 'outbox sweep failed; will try again'))
      .finally(() => {
        sweeping = undefined;
      });
  }, sweepIntervalMs);
  sweeper.unref();

  /** Publishes the rows a previous run left (bounded by the table's size at start). */
  async function recoverLeftRows(): Promise<number> {
    let total = 0;
    // Bounded by the table's size at start: each round deletes what it published.
    for (let round = 0; round < 10_000; round += 1) {
      const rows = await db.query<OutboxTableRow>(`select ${outboxColumns} from outbox order by seq limit $1`, [
        maxPerPublish,
      ]);
      if (rows.length === 0) break;
      await publish(rows.map(fromTable));
      total += rows.length;
    }
    if (total > 0) logger.info({ events: total }, 'published events left by an earlier run');
    return total;
  }

  return {
    enqueue,
    async recover() {
      recovering = true;
      try {
        return await recoverLeftRows();
      } finally {
        recovering = false;
      }
    },
    async close() {
      closed = true;
      clearInterval(sweeper);
      await sweeping;
      while (running !== undefined) await running;
    },
  };
}
