/**
 * Limits on failed password checks, counted in fixed windows in PostgreSQL (so
 * the counts survive restarts and every instance shares them; no Redis).
 *
 * An attempt is counted before its password is checked and given back if it
 * succeeds, so concurrent guesses cannot slip past the limit between a check
 * and an increment: the (max + 1)th attempt in a window is refused whatever its
 * password, until the window ends.
 */
import { createHash } from 'node:crypto';
import type { Database } from '@t50/kit';

export interface LimitRule {
  /** Names the counter family; also part of the stored subject hash. */
  readonly scope: string;
  readonly maxFailures: number;
  readonly windowSeconds: number;
  /**
   * On a successful attempt: 'reset' forgets the subject's failures (an owner
   * who knows the password has proven it), 'refund' only gives back the count
   * this attempt took (a shared address keeps the others' failures).
   */
  readonly onSuccess: 'reset' | 'refund';
}

export interface AttemptSubject {
  readonly rule: LimitRule;
  readonly value: string;
}

interface CountedAttempt {
  readonly rule: LimitRule;
  readonly subject: Buffer;
  readonly windowStart: Date;
}

/** Proof that an attempt was counted; hand it back on success. */
export interface AttemptTicket {
  readonly counted: readonly CountedAttempt[];
}

export type Admission =
  | { readonly admitted: true; readonly ticket: AttemptTicket }
  | { readonly admitted: false; readonly scope: string; readonly retryAfterSeconds: number };

export interface FailureLimiter {
  /** Counts one attempt for each subject; refused when any subject is past its limit in the current window. */
  admit(subjects: readonly AttemptSubject[]): Promise<Admission>;
  /** The counted attempt succeeded, so it is not a failure. */
  succeeded(ticket: AttemptTicket): Promise<void>;
  /** Deletes at most `batchSize` windows that ended; returns how many. */
  purgeExpired(batchSize?: number): Promise<number>;
}

export function subjectHash(scope: string, value: string): Buffer {
  return createHash('sha256').update(`${scope}:${value}`, 'utf8').digest();
}

export function createFailureLimiter(db: Database, rules: readonly LimitRule[]): FailureLimiter {
  const longestWindowSeconds = Math.max(...rules.map((rule) => rule.windowSeconds));
  return {
    async admit(subjects) {
      const counted: CountedAttempt[] = [];
      let refusal: { scope: string; retryAfterSeconds: number } | undefined;
      for (const { rule, value } of subjects) {
        const subject = subjectHash(rule.scope, value);
        const [row] = await db.query<{ failures: number; window_start: Date; retry_after_seconds: number }>(
          `insert into auth_failure_windows as w (subject, window_start, failures)
           values ($1, to_timestamp(floor(extract(epoch from now()) / $2::int) * $2::int), 1)
           on conflict (subject, window_start) do update set failures = w.failures + 1
           returning w.failures, w.window_start,
             greatest(1, ceil(extract(epoch from w.window_start + make_interval(secs => $2::int) - now())))::int
               as retry_after_seconds`,
          [subject, rule.windowSeconds],
        );
        if (row === undefined) throw new Error('the failure counter upsert returned no row');
        counted.push({ rule, subject, windowStart: row.window_start });
        if (row.failures > rule.maxFailures) {
          // The longest wait wins: the attempt may only go ahead when every limit allows it.
          if (refusal === undefined || row.retry_after_seconds > refusal.retryAfterSeconds) {
            refusal = { scope: rule.scope, retryAfterSeconds: row.retry_after_seconds };
          }
        }
      }
      if (refusal !== undefined) return { admitted: false, ...refusal };
      return { admitted: true, ticket: { counted } };
    },

    async succeeded(ticket) {
      for (const attempt of ticket.counted) {
        if (attempt.rule.onSuccess === 'reset') {
          await db.query('delete from auth_failure_windows where subject = $1', [attempt.subject]);
        } else {
          await db.query(
            `update auth_failure_windows set failures = failures - 1
             where subject = $1 and window_start = $2 and failures > 0`,
            [attempt.subject, attempt.windowStart],
          );
        }
      }
    },

    async purgeExpired(batchSize = 10_000) {
      const deleted = await db.query<{ subject: Buffer }>(
        `delete from auth_failure_windows
         where ctid = any(array(
           select ctid from auth_failure_windows
           where window_start < now() - make_interval(secs => $1::int)
           limit $2::int))
         returning subject`,
        [longestWindowSeconds, batchSize],
      );
      return deleted.length;
    },
  };
}
