/**
 * Waiting in tests, benches and the chaos harness: for a condition, with a
 * deadline, never for a fixed time. `eventually` runs `check` until it gives
 * a value (anything but undefined) and fails with `what` once the deadline
 * has passed. Where a real pause is the point, use the kit's `sleep`.
 */
import { sleep } from '../timing';

export interface EventuallyOptions {
  /** Default 15 s: generous, since the machine running the tests may be busy. */
  readonly timeoutMs?: number;
  /** The pause between two checks; default 25 ms. */
  readonly intervalMs?: number;
  /** Named in the failure: what never happened (a function: worked out only then, e.g. from what was seen). */
  readonly what?: string | (() => string);
}

export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) {
      const what = typeof options.what === 'function' ? options.what() : (options.what ?? 'the condition');
      throw new Error(`${what}: not met within ${timeoutMs} ms`);
    }
    await sleep(options.intervalMs ?? 25);
  }
}

/** `eventually` for a yes/no condition. */
export async function until(
  condition: () => Promise<boolean> | boolean,
  options: EventuallyOptions = {},
): Promise<void> {
  await eventually(async () => ((await condition()) ? true : undefined), options);
}
