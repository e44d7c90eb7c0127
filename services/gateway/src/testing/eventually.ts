/**
 * Waiting in tests: for a condition, with a deadline, never for a fixed time.
 * `eventually` polls `check` until it gives a value (anything but undefined)
 * and fails the test with `what` once the deadline has passed.
 */
import { sleep } from '@t50/kit';

export interface EventuallyOptions {
  /** Default 15 s: generous, since the machine running the tests may be busy. */
  readonly timeoutMs?: number;
  /** The pause between two checks; default 25 ms. */
  readonly intervalMs?: number;
  /** Named in the failure: what never happened (a function: worked out only then, e.g. a process's output). */
  readonly what?: string | (() => string);
}

export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      const what = typeof options.what === 'function' ? options.what() : (options.what ?? 'condition');
      throw new Error(`${what} not met within ${timeoutMs} ms`);
    }
    await sleep(options.intervalMs ?? 25);
  }
}
