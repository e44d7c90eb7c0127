/**
 * Idempotency-Key handling, one table for deposits and payouts: the first
 * request with a key records the hash of its fields and the resource it made;
 * a later one with the same key replays that resource if its fields hash the
 * same, and is refused (409 `idempotency_key_reused`) if not.
 */
import { createHash } from 'node:crypto';
import type { Queryable } from '@t50/kit';

export type IdempotencyOutcome =
  | { readonly status: 'new' }
  | { readonly status: 'replay'; readonly resourceId: string }
  | { readonly status: 'reused' };

/** The hash of a request's fields in a fixed order (the key itself is not part of it). */
export function requestHash(kind: 'deposit' | 'payout', fields: readonly string[]): string {
  return createHash('sha256')
    .update(JSON.stringify([kind, ...fields]))
    .digest('hex');
}

/** Records the key for `resourceId` in the caller's transaction, or says what it was used for before. */
export async function claimIdempotencyKey(
  tx: Queryable,
  claim: { userId: string; key: string; hash: string; kind: 'deposit' | 'payout'; resourceId: string },
): Promise<IdempotencyOutcome> {
  const inserted = await tx.query(
    `insert into idempotency_keys (user_id, idempotency_key, request_hash, kind, resource_id)
     values ($1, $2, $3, $4, $5) on conflict (user_id, idempotency_key) do nothing returning resource_id`,
    [claim.userId, claim.key, claim.hash, claim.kind, claim.resourceId],
  );
  if (inserted.length === 1) return { status: 'new' };
  const [existing] = await tx.query<{ request_hash: string; resource_id: string }>(
    'select request_hash, resource_id from idempotency_keys where user_id = $1 and idempotency_key = $2',
    [claim.userId, claim.key],
  );
  if (existing === undefined) throw new Error('idempotency key vanished after a conflict');
  return existing.request_hash === claim.hash
    ? { status: 'replay', resourceId: existing.resource_id }
    : { status: 'reused' };
}
