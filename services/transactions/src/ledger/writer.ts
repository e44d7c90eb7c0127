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
 *
 * A broken invariant (`InvariantViolation`, checked before every write) is a
 * bug in this code, not a bad message, so it is never retried: the writer
 * halts. It logs one fatal line with the batch's message ids, sets
 * `ledger_writer_halted` to 1, and fails that batch, everything queued and
 * every later submit with a `WriterHaltedError`; the consumer then stops and
 * gives its deliveries back to the queue (messages/consumer.ts), and the
 * service reports itself not ready. Only a restart (after a fix) resumes.
 */
import type { Database, Logger } from '@t50/kit';
import { backoffDelayMs, sleep } from '@t50/kit';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { applyBatch, type BatchWrites, type ItemResult } from './engine';
import { assertBalancedWrites, InvariantViolation } from './invariants';
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

/** For tests only. */
export interface WriterHooks {
  /**
   * Sees each batch's writes after the engine produced them and before the
   * invariants are checked; a test changes them to play an engine bug.
   */
  readonly beforeInvariantCheck?: (writes: BatchWrites, items: readonly WorkItem[]) => void;
}

/** What a halted writer gives every caller: the command was not applied, and will not be until a restart. */
export class WriterHaltedError extends Error {
  override readonly name = 'WriterHaltedError';
  constructor(partition: number) {
    super(`the ledger writer of partition ${partition} is halted: a batch broke an invariant (see the fatal log line)`);
  }
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
  /** True once a batch broke an invariant: the writer takes no more work until the service restarts. */
  readonly halted: boolean;
  /** Resolves when the writer halts (normally never). */
  readonly whenHalted: Promise<void>;
  /** Stops taking work once the queue is drained; waits for the batch in flight. */
  close(): Promise<void>;
}

const nonTransientAttempts = 3;

/** A writer's parts and state, shared by the functions of its batch loop. */
interface WriterContext {
  readonly db: Database;
  readonly logger: Logger;
  readonly metrics: WriterMetrics;
  readonly scope: PartitionScope;
  /** The metrics' labels: `{ partition: '<index>' }`. */
  readonly labels: { readonly partition: string };
  readonly assets: () => ReadonlyMap<string, number>;
  readonly outbox: OutboxSink;
  readonly hooks: WriterHooks;
  readonly maxBackoffMs: number;
  readonly state: {
    closed: boolean;
    halted: boolean;
  };
  /** Called once, when the writer halts. */
  readonly onHalt: () => void;
}

export function createLedgerWriter(deps: {
  db: Database;
  logger: Logger;
  assets: () => ReadonlyMap<string, number>;
  outbox: OutboxSink;
  registry: Registry;
  options: WriterOptions;
  /** The partition this writer owns (default: the only one). */
  partition?: PartitionScope;
  hooks?: WriterHooks;
}): LedgerWriter {
  const { options } = deps;
  const scope = deps.partition ?? onePartition;
  const maxQueued = options.maxQueued ?? 50_000;
  let announceHalt = (): void => undefined;
  const whenHalted = new Promise<void>((resolve) => {
    announceHalt = resolve;
  });
  const writer: WriterContext = {
    db: deps.db,
    logger: deps.logger,
    metrics: writerMetrics(deps.registry),
    scope,
    labels: { partition: String(scope.index) },
    assets: deps.assets,
    outbox: deps.outbox,
    hooks: deps.hooks ?? {},
    maxBackoffMs: options.maxBackoffMs ?? 5000,
    state: { closed: false, halted: false },
    onHalt: () => announceHalt(),
  };
  writer.metrics.halted.set(writer.labels, 0);
  const queue: Pending[] = [];
  let running: Promise<void> | undefined;
  let spaceWaiters: (() => void)[] = [];

  function wakeProducers(): void {
    const waiters = spaceWaiters;
    spaceWaiters = [];
    for (const wake of waiters) wake();
  }

  async function drain(): Promise<void> {
    // Bounded: each turn takes at most maxBatch items; the loop ends when the queue is empty.
    while (queue.length > 0) {
      const batch = queue.splice(0, writer.state.halted ? queue.length : options.maxBatch);
      wakeProducers();
      if (writer.state.halted) {
        for (const pending of batch) pending.reject(new WriterHaltedError(scope.index));
        continue;
      }
      await commitWithRetry(writer, batch);
    }
  }

  function kick(): void {
    running ??= drain().finally(() => {
      running = undefined;
      if (queue.length > 0) kick();
    });
  }

  async function enqueue(items: readonly WorkItem[]): Promise<Promise<ItemResult>[]> {
    if (writer.state.halted) throw new WriterHaltedError(scope.index);
    if (writer.state.closed) throw new Error('the ledger writer is closed');
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
      // A halted writer answers each item with its error, as it would a batch that failed.
      if (writer.state.halted)
        return items.map(() => ({ status: 'rejected', reason: new WriterHaltedError(scope.index) }));
      return Promise.allSettled(await enqueue(items));
    },
    get halted() {
      return writer.state.halted;
    },
    whenHalted,
    async close() {
      writer.state.closed = true;
      while (running !== undefined) await running;
    },
  };
}

/** Loads, applies, checks and writes one batch in one transaction; then hands its events to the outbox. */
async function commit(writer: WriterContext, items: readonly WorkItem[]): Promise<ItemResult[]> {
  const { scope, labels, metrics } = writer;
  const started = performance.now();
  const { results, persisted } = await writer.db.transaction(async (tx) => {
    const now = new Date();
    const snapshot = await loadSnapshot(tx, items, writer.assets(), scope);
    const applied = applyBatch(items, snapshot, now, scope);
    writer.hooks.beforeInvariantCheck?.(applied.writes, items);
    // Throws InvariantViolation: the transaction rolls back, nothing of the batch is written.
    assertBalancedWrites(applied.writes);
    const outbox = buildOutbox(items, applied.results, now, scope);
    const written = await writeBatch(tx, {
      writes: applied.writes,
      outbox,
      recordedAt: now,
      accounts: snapshot.accounts,
    });
    return { results: applied.results, persisted: written };
  });
  metrics.batchSize.observe(labels, items.length);
  metrics.batchSeconds.observe(labels, (performance.now() - started) / 1000);
  for (const result of results) metrics.outcomes.inc({ ...labels, outcome: result.status });
  await writer.outbox.enqueue(persisted);
  return results;
}

/**
 * Commits `batch`, retrying; resolves or rejects every item's caller. A half
 * of a split batch (`split`) is split again at its first non-transient
 * failure: the whole batch already failed that way several times.
 */
async function commitWithRetry(writer: WriterContext, batch: readonly Pending[], split = false): Promise<void> {
  const { logger, metrics, labels } = writer;
  for (let attempt = split ? nonTransientAttempts : 1; ; attempt += 1) {
    if (writer.state.halted) {
      for (const pending of batch) pending.reject(new WriterHaltedError(writer.scope.index));
      return;
    }
    try {
      const results = await commit(
        writer,
        batch.map((pending) => pending.item),
      );
      batch.forEach((pending, index) => pending.resolve(results[index]!));
      return;
    } catch (error) {
      if (error instanceof InvariantViolation) {
        halt(writer, batch, error);
        return;
      }
      metrics.retries.inc(labels);
      const transient = isTransient(error);
      if (!transient && attempt >= nonTransientAttempts) {
        if (batch.length === 1) {
          logger.error({ err: error, messageId: batch[0]!.item.messageId }, 'command failed; handing it back');
          batch[0]!.reject(error);
          return;
        }
        // Split to find the item that fails; its neighbours still commit.
        const half = Math.ceil(batch.length / 2);
        await commitWithRetry(writer, batch.slice(0, half), true);
        await commitWithRetry(writer, batch.slice(half), true);
        return;
      }
      if (writer.state.closed && transient) {
        for (const pending of batch) pending.reject(error);
        return;
      }
      const delay = backoffDelayMs(attempt, { baseMs: 100, maxMs: writer.maxBackoffMs, jitter: 'full' });
      logger.warn({ err: error, attempt, batch: batch.length, retryInMs: delay }, 'batch failed; retrying');
      await sleep(delay);
    }
  }
}

/** Stops the writer for good (until a restart): loudly, once, with what an operator needs to find the batch. */
function halt(writer: WriterContext, batch: readonly Pending[], violation: InvariantViolation): void {
  writer.state.halted = true;
  writer.metrics.halted.set(writer.labels, 1);
  writer.logger.fatal(
    {
      partition: writer.scope.index,
      invariant: violation.message,
      messageIds: batch.map((pending) => pending.item.messageId),
    },
    'ledger invariant broken: nothing of the batch was written; this partition stops consuming and the service is not ready until it is restarted with a fix',
  );
  writer.onHalt();
  for (const pending of batch) pending.reject(new WriterHaltedError(writer.scope.index));
}

const metricsByRegistry = new WeakMap<Registry, WriterMetrics>();

/** One set per registry, shared by the writers of all partitions (labelled by partition). */
function writerMetrics(registry: Registry): WriterMetrics {
  let metrics = metricsByRegistry.get(registry);
  if (metrics === undefined) {
    metrics = createWriterMetrics(registry);
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}

type WriterMetrics = ReturnType<typeof createWriterMetrics>;

function createWriterMetrics(registry: Registry) {
  return {
    halted: new Gauge({
      name: 'ledger_writer_halted',
      help: "1 when the partition's writer stopped on a broken invariant (a bug: see the fatal log line; restart after a fix)",
      labelNames: ['partition'],
      registers: [registry],
    }),
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
