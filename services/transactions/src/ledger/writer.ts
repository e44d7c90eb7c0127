/**
 * The single writer of a ledger partition. Every command, from the broker or
 * from HTTP, goes through `submit`; the writer takes what has queued up (up to
 * `maxBatch` items), applies it in order in memory, writes it in one database
 * transaction, commits once, and only then resolves the callers (who ack) and
 * hands the batch's events to the outbox relay.
 *
 * A database error fails the whole batch, which is retried with backoff;
 * idempotency makes that safe. Connection-type failures (database down) are
 * retried for as long as the service runs; anything else is retried a few
 * times, then the batch is split in halves (each half in its own
 * transaction, split again at once if it fails) to isolate the item that
 * fails: its neighbours commit, and only that item's caller gets the error.
 * `submitEach` reports each item's own result, so the broker path settles
 * each delivery by its own outcome (the failing one is retried and finally
 * dead-lettered with the reason; the others are acked).
 */
import type { Database, Logger } from '@t50/kit';
import { backoffDelayMs, sleep } from '@t50/kit';
import { Counter, Histogram, type Registry } from 'prom-client';
import { applyBatch, type ItemResult } from './engine';
import { assertBalancedWrites } from './invariants';
import { buildOutbox } from './events';
import { onePartition, type PartitionScope, type WorkItem } from './model';
import { loadSnapshot, writeBatch, type PersistedOutboxRow } from './store';

export interface WriterOptions {
  readonly maxBatch: number;
  /** Cap of the wait between retries of a failed batch. */
  readonly maxBackoffMs?: number;
  /** Queued items beyond this make `submit` wait (backpressure). */
  readonly maxQueued?: number;
}

export interface OutboxSink {
  /** Takes committed outbox rows for publishing; may wait while its own queue is full. */
  enqueue(rows: readonly PersistedOutboxRow[]): Promise<void>;
}

interface Pending {
  readonly item: WorkItem;
  readonly resolve: (result: ItemResult) => void;
  readonly reject: (error: unknown) => void;
}

export interface LedgerWriter {
  /** Resolves with every item's result once all are committed; rejects if any item failed. */
  submit(items: readonly WorkItem[]): Promise<ItemResult[]>;
  /** Each item's own outcome: its result once committed, or the error that kept it from being written. */
  submitEach(items: readonly WorkItem[]): Promise<PromiseSettledResult<ItemResult>[]>;
  /** Stops taking work once the queue is drained; waits for the batch in flight. */
  close(): Promise<void>;
}

const nonTransientAttempts = 3;

export function createLedgerWriter(deps: {
  db: Database;
  logger: Logger;
  assets: () => ReadonlyMap<string, number>;
  outbox: OutboxSink;
  registry: Registry;
  options: WriterOptions;
  /** The partition this writer owns (default: the only one). */
  partition?: PartitionScope;
}): LedgerWriter {
  const { db, logger, outbox, options } = deps;
  const scope = deps.partition ?? onePartition;
  const partitionLabel = { partition: String(scope.index) };
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  const maxQueued = options.maxQueued ?? 50_000;
  const queue: Pending[] = [];
  let running: Promise<void> | undefined;
  let closed = false;
  let spaceWaiters: (() => void)[] = [];

  const metrics = writerMetrics(deps.registry);

  async function commit(items: readonly WorkItem[]): Promise<ItemResult[]> {
    const started = performance.now();
    const { results, persisted } = await db.transaction(async (tx) => {
      const now = new Date();
      const snapshot = await loadSnapshot(tx, items, deps.assets(), scope);
      const applied = applyBatch(items, snapshot, now, scope);
      // A defect in the engine, not bad input: nothing of the batch is written.
      assertBalancedWrites(applied.writes);
      const rows = buildOutbox(items, applied.results, now, scope);
      const written = await writeBatch(tx, applied.writes, rows, now, snapshot.accounts);
      return { results: applied.results, persisted: written };
    });
    metrics.batchSize.observe(partitionLabel, items.length);
    metrics.batchSeconds.observe(partitionLabel, (performance.now() - started) / 1000);
    for (const result of results) metrics.outcomes.inc({ ...partitionLabel, outcome: result.status });
    await outbox.enqueue(persisted);
    return results;
  }

  /**
   * Commits `batch`, retrying; resolves or rejects every item's caller. A half
   * of a split batch (`split`) is split again at its first non-transient
   * failure: the whole batch already failed that way several times.
   */
  async function commitWithRetry(batch: readonly Pending[], split = false): Promise<void> {
    for (let attempt = split ? nonTransientAttempts : 1; ; attempt += 1) {
      try {
        const results = await commit(batch.map((pending) => pending.item));
        batch.forEach((pending, index) => pending.resolve(results[index]!));
        return;
      } catch (error) {
        metrics.retries.inc(partitionLabel);
        const transient = isTransient(error);
        if (!transient && attempt >= nonTransientAttempts) {
          if (batch.length === 1) {
            logger.error({ err: error, messageId: batch[0]!.item.messageId }, 'command failed; handing it back');
            batch[0]!.reject(error);
            return;
          }
          // Split to find the item that fails; its neighbours still commit.
          const half = Math.ceil(batch.length / 2);
          await commitWithRetry(batch.slice(0, half), true);
          await commitWithRetry(batch.slice(half), true);
          return;
        }
        if (closed && transient) {
          for (const pending of batch) pending.reject(error);
          return;
        }
        const delay = backoffDelayMs(attempt, { baseMs: 100, maxMs: maxBackoffMs, jitter: 'full' });
        logger.warn({ err: error, attempt, batch: batch.length, retryInMs: delay }, 'batch failed; retrying');
        await sleep(delay);
      }
    }
  }

  async function drain(): Promise<void> {
    // Bounded: each turn takes at most maxBatch items; the loop ends when the queue is empty.
    while (queue.length > 0) {
      const batch = queue.splice(0, options.maxBatch);
      const waiters = spaceWaiters;
      spaceWaiters = [];
      for (const wake of waiters) wake();
      await commitWithRetry(batch);
    }
  }

  function kick(): void {
    running ??= drain().finally(() => {
      running = undefined;
      if (queue.length > 0) kick();
    });
  }

  async function enqueue(items: readonly WorkItem[]): Promise<Promise<ItemResult>[]> {
    if (closed) throw new Error('the ledger writer is closed');
    while (queue.length >= maxQueued) await new Promise<void>((resolve) => spaceWaiters.push(resolve));
    const promises = items.map(
      (item) => new Promise<ItemResult>((resolve, reject) => queue.push({ item, resolve, reject })),
    );
    kick();
    return promises;
  }

  return {
    async submit(items) {
      return Promise.all(await enqueue(items));
    },
    async submitEach(items) {
      return Promise.allSettled(await enqueue(items));
    },
    async close() {
      closed = true;
      while (running !== undefined) await running;
    },
  };
}

const metricsByRegistry = new WeakMap<Registry, ReturnType<typeof createWriterMetrics>>();

/** One set per registry, shared by the writers of all partitions (labelled by partition). */
function writerMetrics(registry: Registry): ReturnType<typeof createWriterMetrics> {
  let metrics = metricsByRegistry.get(registry);
  if (metrics === undefined) {
    metrics = createWriterMetrics(registry);
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}

function createWriterMetrics(registry: Registry) {
  return {
    outcomes: new Counter({
      name: 'ledger_commands_total',
      help: 'Commands by outcome',
      labelNames: ['outcome', 'partition'],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'ledger_batch_size',
      help: 'Commands per committed batch',
      labelNames: ['partition'],
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000],
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'ledger_batch_seconds',
      help: 'Time to load, apply and commit one batch',
      labelNames: ['partition'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'ledger_batch_retries_total',
      help: 'Batches retried after a database error',
      labelNames: ['partition'],
      registers: [registry],
    }),
  };
}

/** Errors worth retrying forever: the database is away or busy, not the batch wrong. */
export function isTransient(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  if (/^(08|57|53|40)/.test(code)) return true;
  return [
    'ECONNREFUSED',
    'ECONNRESET',
    'EPIPE',
    'ETIMEDOUT',
    'CONNECTION_CLOSED',
    'CONNECTION_ENDED',
    'CONNECTION_DESTROYED',
    'CONNECT_TIMEOUT',
    'TRANSACTION_TIMEOUT',
  ].includes(code);
}
