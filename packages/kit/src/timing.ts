/**
 * Time in one place: waiting, retry delays, jobs that run every so often, and
 * a queue with a bound. Services use these instead of writing their own
 * `new Promise(setTimeout)` or backoff formula, so a retry policy reads the
 * same everywhere and every loop and queue has a limit.
 */
import { setTimeout as wait } from 'node:timers/promises';
import type { Logger } from 'pino';

/** Resolves after `ms` milliseconds; rejects with an AbortError when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return wait(Math.max(0, ms), undefined, signal === undefined ? undefined : { signal });
}

export interface BackoffPolicy {
  /** The delay before the first retry, before jitter. */
  readonly baseMs: number;
  /** No delay is longer than this. */
  readonly maxMs: number;
  /**
   * 'full': a random delay between 0 and the exponential one (retries of many
   * clients spread out instead of arriving together); 'none': exactly the
   * exponential delay (tests, and a single client).
   */
  readonly jitter: 'full' | 'none';
}

export const defaultBackoff: BackoffPolicy = { baseMs: 50, maxMs: 5_000, jitter: 'full' };

/**
 * The delay before retry number `attempt` (1 for the first retry):
 * min(maxMs, baseMs * 2^(attempt-1)), with jitter as the policy says.
 * `random` returns a number in [0, 1); Math.random unless a test fixes it.
 */
export function backoffDelayMs(
  attempt: number,
  policy: BackoffPolicy = defaultBackoff,
  random: () => number = Math.random,
): number {
  // Capped exponent: 2^30 already exceeds any sensible maxMs, and larger powers would overflow to Infinity.
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return policy.jitter === 'full' ? Math.floor(random() * (ceiling + 1)) : ceiling;
}

export interface PeriodicJob {
  /** Runs the job now unless a run is under way; resolves when that run ends. */
  runNow(): Promise<void>;
  /** Stops the timer and waits for a run under way. */
  stop(): Promise<void>;
}

/**
 * Runs `run` every `intervalMs`, never two runs at once (a slow run delays the
 * next instead of piling up); a failed run is logged and the next tick tries
 * again. The timer does not keep the process alive.
 */
export function startPeriodicJob(options: {
  readonly name: string;
  readonly intervalMs: number;
  readonly run: () => Promise<void>;
  readonly logger: Logger;
}): PeriodicJob {
  let running: Promise<void> | undefined;
  let stopped = false;
  const runOnce = (): Promise<void> => {
    if (running !== undefined) return running;
    running = options
      .run()
      .catch((error: unknown) =>
        options.logger.warn({ err: error, job: options.name }, 'periodic job failed; will run again'),
      )
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => {
    if (!stopped) void runOnce();
  }, options.intervalMs);
  timer.unref();
  return {
    runNow: () => (stopped ? Promise.resolve() : runOnce()),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * A first-in first-out queue that holds at most `capacity` items: `push`
 * waits while it is full, so a fast producer is slowed to the consumer's pace
 * instead of filling memory.
 */
export class BoundedQueue<T> {
  readonly #items: T[] = [];
  #spaceWaiters: (() => void)[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a positive integer, not ${capacity}`);
  }

  get size(): number {
    return this.#items.length;
  }

  /** Adds the items, waiting for room as needed; a batch larger than the capacity goes in as room frees up. */
  async push(...items: T[]): Promise<void> {
    for (const item of items) {
      while (this.#items.length >= this.capacity)
        await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
      this.#items.push(item);
    }
  }

  /** Takes up to `count` items from the front and wakes producers waiting for room. */
  take(count: number): T[] {
    const taken = this.#items.splice(0, Math.max(0, count));
    if (taken.length > 0) {
      const waiters = this.#spaceWaiters;
      this.#spaceWaiters = [];
      for (const wake of waiters) wake();
    }
    return taken;
  }
}
