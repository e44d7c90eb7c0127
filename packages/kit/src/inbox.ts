/**
 * The inbox: how a consumer applies each message exactly once although the
 * broker delivers at least once. The message id is recorded in the same
 * transaction as the message's effect; a redelivery finds the id and changes
 * nothing. Ack the delivery only after `handleOnce` resolves (the commit).
 *
 * The table (each service creates it in its own migrations):
 *
 *   create table inbox (
 *     message_id text primary key,
 *     received_at timestamptz not null default now()
 *   );
 */
import type { Queryable } from './db';

/** Records `messageId` in the caller's transaction; false when it was recorded before (a redelivery). */
export async function recordInboxMessage(tx: Queryable, messageId: string): Promise<boolean> {
  const rows = await tx.query(
    'insert into inbox (message_id) values ($1) on conflict (message_id) do nothing returning message_id',
    [messageId],
  );
  return rows.length === 1;
}

/**
 * Runs `work` in one transaction with the record of `messageId`, unless that
 * message was handled before. Returns `{ duplicate: true }` for a redelivery,
 * else what `work` returned. If `work` throws, nothing is recorded and the
 * message may be retried.
 */
export async function handleOnce<T>(
  db: { transaction<R>(work: (tx: Queryable) => Promise<R>): Promise<R> },
  messageId: string,
  work: (tx: Queryable) => Promise<T>,
): Promise<{ readonly duplicate: true } | { readonly duplicate: false; readonly result: T }> {
  return db.transaction(async (tx) => {
    if (!(await recordInboxMessage(tx, messageId))) return { duplicate: true } as const;
    return { duplicate: false, result: await work(tx) } as const;
  });
}
