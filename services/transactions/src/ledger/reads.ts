/**
 * Read queries of the HTTP API. They read committed state only and never lock.
 */
import type { AccountView, EntryView, TransferView } from '@t50/contracts';
import type { Queryable } from '@t50/kit';
import { sleep } from '@t50/kit';
import { accountView, transferView } from './events';
import type { StoredOutcome } from './model';
import { accountColumns, toAccount, toTransfer, transferColumns, type TransferRow } from './store';

export async function findAccount(db: Queryable, id: string): Promise<AccountView | undefined> {
  const rows = await db.query(`select ${accountColumns} from accounts where id = $1`, [id]);
  return rows[0] === undefined ? undefined : accountView(toAccount(rows[0] as Parameters<typeof toAccount>[0]));
}

export async function accountsOfOwner(db: Queryable, ownerId: string): Promise<AccountView[]> {
  const rows = await db.query(`select ${accountColumns} from accounts where owner_id = $1 order by asset, id`, [ownerId]);
  return rows.map((row) => accountView(toAccount(row as Parameters<typeof toAccount>[0])));
}

/** The posted balance as it was at `at` (recorded time): the balance after the last entry up to then. */
export async function balanceAt(db: Queryable, accountId: string, at: Date): Promise<string> {
  const rows = await db.query<{ balance_after: string }>(
    `select balance_after::text from entries where account_id = $1 and recorded_at <= $2
     order by recorded_at desc, seq desc limit 1`,
    [accountId, at.toISOString()],
  );
  return rows[0]?.balance_after ?? '0';
}

export async function findTransfer(db: Queryable, id: string): Promise<TransferView | undefined> {
  const rows = await db.query<TransferRow & { hold_state: string | null }>(
    `select ${transferColumns.split(', ').map((c) => `t.${c}`).join(', ')}, h.state as hold_state
     from transfers t left join holds h on h.transfer_id = t.id where t.id = $1`,
    [id],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  const view = transferView(toTransfer(row), row.kind === 'void' && row.id.startsWith('expire:'));
  if (row.kind === 'hold' && row.hold_state !== null) {
    // A hold reports where it stands now: pending, posted, voided or expired.
    return { ...view, state: row.hold_state as TransferView['state'] };
  }
  return view;
}

export interface EntryFilter {
  readonly limit: number;
  readonly before?: string | undefined;
  readonly asset?: string | undefined;
  readonly code?: string | undefined;
  readonly from?: Date | undefined;
  readonly to?: Date | undefined;
  readonly metadataKey?: string | undefined;
  readonly metadataValue?: string | undefined;
}


/** An account's entries, newest first; `before` is the cursor (an entry's seq). */
export async function entriesOf(db: Queryable, accountId: string, filter: EntryFilter): Promise<EntryView[]> {
  const rows = await db.query<{
    seq: string;
    transfer_id: string;
    leg_index: number;
    account_id: string;
    side: 'D' | 'C';
    asset: string;
    amount: string;
    balance_after: string;
    code: string;
    effective_at: Date;
    recorded_at: Date;
  }>(
    `select e.seq::text, e.transfer_id, e.leg_index, e.account_id, e.side, e.asset, e.amount::text,
            e.balance_after::text, e.code, e.effective_at, e.recorded_at
     from entries e
     where e.account_id = $1
       and ($2::bigint is null or e.seq < $2::bigint)
       and ($3::text is null or e.asset = $3)
       and ($4::text is null or e.code = $4)
       and ($5::timestamptz is null or e.recorded_at >= $5)
       and ($6::timestamptz is null or e.recorded_at < $6)
       and ($7::text is null or exists (
             select 1 from transfers t where t.id = e.transfer_id and t.metadata ->> $7 = $8))
     order by e.seq desc
     limit $9`,
    [
      accountId,
      filter.before ?? null,
      filter.asset ?? null,
      filter.code ?? null,
      filter.from?.toISOString() ?? null,
      filter.to?.toISOString() ?? null,
      filter.metadataKey ?? null,
      filter.metadataValue ?? null,
      filter.limit,
    ],
  );
  return rows.map((row) => ({
    seq: row.seq,
    transferId: row.transfer_id,
    legIndex: Number(row.leg_index),
    accountId: row.account_id,
    side: row.side === 'D' ? 'debit' : 'credit',
    asset: row.asset,
    amount: row.amount,
    balanceAfter: row.balance_after,
    code: row.code,
    effectiveAt: new Date(row.effective_at).toISOString(),
    recordedAt: new Date(row.recorded_at).toISOString(),
  }));
}

export async function loadAssets(db: Queryable): Promise<Map<string, number>> {
  const rows = await db.query<{ code: string; scale: number }>('select code, scale from assets');
  return new Map(rows.map((row) => [row.code, Number(row.scale)]));
}

/** The recorded outcome of a message, if its batch has committed. */
export async function storedOutcome(db: Queryable, messageId: string): Promise<StoredOutcome | undefined> {
  const [row] = await db.query<{ outcome: StoredOutcome }>('select outcome from inbox where message_id = $1', [messageId]);
  return row?.outcome;
}

/**
 * Waits until the message's outcome is committed (its inbox row appears):
 * polls with backoff from 2 ms to 50 ms, for at most `timeoutMs`.
 */
export async function waitForOutcome(db: Queryable, messageId: string, timeoutMs: number): Promise<StoredOutcome | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (let delay = 2; ; delay = Math.min(50, delay * 2)) {
    const outcome = await storedOutcome(db, messageId);
    if (outcome !== undefined || performance.now() >= deadline) return outcome;
    await sleep(Math.min(delay, deadline - performance.now()));
  }
}
