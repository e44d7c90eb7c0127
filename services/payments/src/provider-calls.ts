/**
 * Calls to a provider, retried a few times with backoff while it is
 * unreachable. Safe because every create call carries our id as its
 * idempotency key: a retried call never makes a second checkout or payout.
 */
import { backoffDelayMs, sleep } from '@t50/kit';
import type { PaymentsDeps } from './deps';
import { ProviderRefusedError, ProviderUnavailableError, type ProviderName } from './providers/port';

export const providerRetryPolicy = { attempts: 3, baseMs: 200, maxMs: 2_000 } as const;

export async function callProvider<T>(
  deps: Pick<PaymentsDeps, 'metrics' | 'logger'>,
  provider: ProviderName,
  operation: string,
  call: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      const kind =
        error instanceof ProviderUnavailableError
          ? 'unavailable'
          : error instanceof ProviderRefusedError
            ? 'refused'
            : 'error';
      deps.metrics.providerErrors.inc({ provider, operation, error: kind });
      if (kind !== 'unavailable' || attempt >= providerRetryPolicy.attempts) throw error;
      const delayMs = backoffDelayMs(attempt, {
        baseMs: providerRetryPolicy.baseMs,
        maxMs: providerRetryPolicy.maxMs,
        jitter: 'full',
      });
      deps.logger.warn({ provider, operation, attempt, delayMs }, 'provider unavailable; retrying');
      await sleep(delayMs);
    }
  }
}
