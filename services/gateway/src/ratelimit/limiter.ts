/**
 * Rate limits in Redis: fixed windows per subject (a user, a client address,
 * an email). Every request counts; past the limit the answer is 429 with
 * Retry-After until the window ends. Subjects are hashed, so Redis never holds
 * an email address in a key.
 */
import { createHash } from 'node:crypto';
import type { HotStore } from '../store/hot-store';

export interface Limit {
  /** Names the counter family, e.g. 'login-email'. */
  readonly scope: string;
  readonly subject: string;
  readonly max: number;
  readonly windowSeconds: number;
}

export type LimitOutcome =
  { readonly allowed: true } | { readonly allowed: false; readonly scope: string; readonly retryAfterSeconds: number };

export interface RateLimiter {
  /** Counts one request against every limit; refused when any is exceeded (the longest wait is reported). */
  check(limits: readonly Limit[]): Promise<LimitOutcome>;
}

export const rateLimitKey = (scope: string, subject: string): string =>
  `ratelimit:${scope}:${createHash('sha256').update(subject, 'utf8').digest('base64url')}`;

export function createRateLimiter(store: HotStore): RateLimiter {
  return {
    async check(limits) {
      let refusal: { scope: string; retryAfterSeconds: number } | undefined;
      for (const limit of limits) {
        const hit = await store.hit(rateLimitKey(limit.scope, limit.subject), limit.windowSeconds);
        if (hit.count > limit.max && (refusal === undefined || hit.resetSeconds > refusal.retryAfterSeconds)) {
          refusal = { scope: limit.scope, retryAfterSeconds: hit.resetSeconds };
        }
      }
      return refusal === undefined ? { allowed: true } : { allowed: false, ...refusal };
    },
  };
}
