/**
 * Waits for `work`, or rejects with `timedOut()` once `timeoutMs` has passed.
 * The work itself is not stopped; a later rejection of it is handled (the race
 * subscribed to it), so it cannot surface as an unhandled rejection.
 */
export async function withTimeout<T>(work: Promise<T>, timeoutMs: number, timedOut: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timedOut()), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
