/**
 * Waiting in tests for a condition, with a deadline; never for a fixed time.
 * `eventually` polls `check` until it gives a value (anything but undefined).
 */
import { sleep } from '@t50/kit';

export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  options: { readonly timeoutMs?: number; readonly what?: string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${options.what ?? 'condition'} not met within ${timeoutMs} ms`);
    await sleep(25);
  }
}
