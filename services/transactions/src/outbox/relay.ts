/**
 * Publishes committed outbox rows with publisher confirms, then deletes them.
 * Rows come straight from the writer after each commit (low latency); at start
 * the relay first publishes whatever a previous run left in the table. A row
 * may be published twice (a crash between confirm and delete): events carry
 * stable ids, and consumers deduplicate on them.
 */
import type { Database, Logger, OutgoingMessage, Transport } from '@t50/kit';
import type { PersistedOutboxRow } from '../ledger/store';
import { textArray } from '../ledger/store';

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

export function createOutboxRelay(deps: { db: Database; transport: Transport; logger: Logger }): OutboxRelay {
  const { db, transport, logger } = deps;
  const queue: PersistedOutboxRow[] = [];
  let running: Promise<void> | undefined;
  let spaceWaiters: (() => void)[] = [];

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
          await tx.query('delete from outbox using unnest($1::text::bigint[]) as done (seq) where outbox.seq = done.seq', [
            textArray(rows.map((row) => row.seq)),
          ]);
        });
        return;
      } catch (error) {
        const delay = Math.min(5000, 50 * 2 ** Math.min(attempt, 10));
        logger.warn({ err: error, attempt, rows: rows.length, retryInMs: delay }, 'outbox publish failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
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

  return {
    async enqueue(rows) {
      if (rows.length === 0) return;
      while (queue.length >= maxQueued) await new Promise<void>((resolve) => spaceWaiters.push(resolve));
      queue.push(...rows);
      kick();
    },
    async recover() {
      let total = 0;
      // Bounded by the table's size at start: each round deletes what it published.
      for (let round = 0; round < 10_000; round += 1) {
        const rows = await db.query<{
          seq: string;
          event_id: string;
          exchange: string;
          routing_key: string;
          type: string;
          correlation_id: string | null;
          payload: unknown;
        }>('select seq::text, event_id, exchange, routing_key, type, correlation_id, payload from outbox order by seq limit $1', [
          maxPerPublish,
        ]);
        if (rows.length === 0) break;
        await publish(
          rows.map((row) => ({
            seq: row.seq,
            eventId: row.event_id,
            exchange: row.exchange,
            routingKey: row.routing_key,
            type: row.type,
            correlationId: row.correlation_id ?? undefined,
            payload: row.payload,
          })),
        );
        total += rows.length;
      }
      if (total > 0) logger.info({ events: total }, 'published events left by an earlier run');
      return total;
    },
    async close() {
      while (running !== undefined) await running;
    },
  };
}
