/**
 * The sandbox provider's rows (tables in migrations/): checkouts, payouts and
 * the webhooks waiting to be sent. Every change that the payments service must
 * hear of writes its webhook event in the same transaction.
 */
import { randomBytes } from 'node:crypto';
import type { FiatAsset } from '@t50/contracts';
import type { Queryable } from '@t50/kit';

export type CheckoutStatus = 'open' | 'confirming' | 'succeeded' | 'failed' | 'expired';

export interface CheckoutRow {
  readonly id: string;
  readonly depositId: string;
  readonly userId: string;
  readonly asset: FiatAsset;
  readonly amount: bigint;
  readonly returnUrl: string;
  readonly status: CheckoutStatus;
  readonly reason: string | null;
  readonly expiresAt: Date;
  readonly settlesAt: Date | null;
  /** The database's clock when the row was read: statuses are judged against it. */
  readonly now: Date;
}

export interface PayoutRow {
  readonly id: string;
  readonly payoutId: string;
  readonly asset: FiatAsset;
  readonly amount: bigint;
  readonly destination: string;
  readonly status: 'succeeded' | 'failed';
  readonly reason: string | null;
  readonly settlesAt: Date;
  readonly now: Date;
}

export type SandboxEventType =
  'checkout.succeeded' | 'checkout.failed' | 'checkout.expired' | 'payout.paid' | 'payout.failed';

/** The JSON body of a sandbox webhook; `amount` is a decimal string in minor units. */
export interface SandboxEventBody {
  readonly id: string;
  readonly type: SandboxEventType;
  readonly created: number;
  readonly data: {
    readonly object: 'checkout' | 'payout';
    readonly id: string;
    /** Our deposit id or payout id. */
    readonly reference: string;
    readonly asset: FiatAsset;
    readonly amount: string;
    readonly reason: string | null;
  };
}

export const newId = (prefix: string): string => `${prefix}_${randomBytes(16).toString('hex')}`;

const checkoutColumns = `id, deposit_id, user_id, asset, amount::text as amount, return_url, status, reason,
  expires_at, settles_at, now() as now`;

function toCheckout(row: Record<string, unknown>): CheckoutRow {
  return {
    id: row.id as string,
    depositId: row.deposit_id as string,
    userId: row.user_id as string,
    asset: row.asset as FiatAsset,
    amount: BigInt(row.amount as string),
    returnUrl: row.return_url as string,
    status: row.status as CheckoutStatus,
    reason: (row.reason as string | null) ?? null,
    expiresAt: row.expires_at as Date,
    settlesAt: (row.settles_at as Date | null) ?? null,
    now: row.now as Date,
  };
}

function toPayout(row: Record<string, unknown>): PayoutRow {
  return {
    id: row.id as string,
    payoutId: row.payout_id as string,
    asset: row.asset as FiatAsset,
    amount: BigInt(row.amount as string),
    destination: row.destination as string,
    status: row.status as 'succeeded' | 'failed',
    reason: (row.reason as string | null) ?? null,
    settlesAt: row.settles_at as Date,
    now: row.now as Date,
  };
}

/** Inserts the checkout unless one exists for the deposit; returns the one that is stored, and whether it is new. */
export async function insertCheckout(
  db: Queryable,
  input: { depositId: string; userId: string; asset: FiatAsset; amount: bigint; returnUrl: string; expiresAt: Date },
): Promise<{ checkout: CheckoutRow; created: boolean }> {
  const inserted = await db.query(
    `insert into sandbox_checkouts (id, deposit_id, user_id, asset, amount, return_url, status, expires_at)
     values ($1, $2, $3, $4, $5, $6, 'open', $7)
     on conflict (deposit_id) do nothing
     returning ${checkoutColumns}`,
    [newId('sbx_cs'), input.depositId, input.userId, input.asset, input.amount, input.returnUrl, input.expiresAt],
  );
  if (inserted[0] !== undefined) return { checkout: toCheckout(inserted[0]), created: true };
  const existing = await findCheckout(db, { depositId: input.depositId });
  if (existing === undefined) throw new Error('sandbox checkout vanished after a conflicting insert');
  return { checkout: existing, created: false };
}

export async function findCheckout(
  db: Queryable,
  by: { depositId?: string | undefined; id?: string | undefined },
): Promise<CheckoutRow | undefined> {
  const rows = await db.query(
    `select ${checkoutColumns} from sandbox_checkouts
     where ($1::text is not null and deposit_id = $1) or ($2::text is not null and id = $2)
     order by (deposit_id = $1) desc limit 1`,
    [by.depositId ?? null, by.id ?? null],
  );
  return rows[0] === undefined ? undefined : toCheckout(rows[0]);
}

/** Moves a checkout from one of `from` to `to` (only while it has not expired); undefined when it was not in `from`. */
export async function moveCheckout(
  db: Queryable,
  id: string,
  from: readonly CheckoutStatus[],
  to: CheckoutStatus,
  change: { reason?: string; settleDelayMs?: number } = {},
): Promise<CheckoutRow | undefined> {
  const rows = await db.query(
    `update sandbox_checkouts
     set status = $3, reason = $4, updated_at = now(),
         settles_at = case when $5::integer is null then settles_at else now() + make_interval(secs => $5::integer / 1000.0) end
     where id = $1 and status = any($2::text::text[]) and expires_at > now()
     returning ${checkoutColumns}`,
    [id, `{${from.join(',')}}`, to, change.reason ?? null, change.settleDelayMs ?? null],
  );
  return rows[0] === undefined ? undefined : toCheckout(rows[0]);
}

/** Expires the open checkouts whose time is up (at most `limit`); returns them. */
export async function expireOverdueCheckouts(db: Queryable, limit: number): Promise<CheckoutRow[]> {
  const rows = await db.query(
    `update sandbox_checkouts set status = 'expired', reason = 'the checkout expired before it was paid', updated_at = now()
     where id in (select id from sandbox_checkouts where status in ('open', 'confirming') and expires_at <= now()
                  order by expires_at limit $1 for update skip locked)
     returning ${checkoutColumns}`,
    [limit],
  );
  return rows.map(toCheckout);
}

export async function insertPayout(
  db: Queryable,
  input: {
    payoutId: string;
    userId: string;
    asset: FiatAsset;
    amount: bigint;
    destination: string;
    status: 'succeeded' | 'failed';
    reason: string | null;
    settleDelayMs: number;
  },
): Promise<{ payout: PayoutRow; created: boolean }> {
  const inserted = await db.query(
    `insert into sandbox_payouts (id, payout_id, user_id, asset, amount, destination, status, reason, settles_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9::integer / 1000.0))
     on conflict (payout_id) do nothing
     returning id, payout_id, asset, amount::text as amount, destination, status, reason, settles_at, now() as now`,
    [
      newId('sbx_po'),
      input.payoutId,
      input.userId,
      input.asset,
      input.amount,
      input.destination,
      input.status,
      input.reason,
      input.settleDelayMs,
    ],
  );
  if (inserted[0] !== undefined) return { payout: toPayout(inserted[0]), created: true };
  const existing = await findPayout(db, { payoutId: input.payoutId });
  if (existing === undefined) throw new Error('sandbox payout vanished after a conflicting insert');
  return { payout: existing, created: false };
}

export async function findPayout(
  db: Queryable,
  by: { payoutId?: string | undefined; id?: string | undefined },
): Promise<PayoutRow | undefined> {
  const rows = await db.query(
    `select id, payout_id, asset, amount::text as amount, destination, status, reason, settles_at, now() as now
     from sandbox_payouts
     where ($1::text is not null and payout_id = $1) or ($2::text is not null and id = $2)
     order by (payout_id = $1) desc limit 1`,
    [by.payoutId ?? null, by.id ?? null],
  );
  return rows[0] === undefined ? undefined : toPayout(rows[0]);
}

/** Writes a webhook to send `delayMs` from now (in the caller's transaction). */
export async function enqueueEvent(
  db: Queryable,
  type: SandboxEventType,
  object: CheckoutRow | PayoutRow,
  delayMs: number,
): Promise<SandboxEventBody> {
  const isCheckout = 'depositId' in object;
  const body: SandboxEventBody = {
    id: newId('evt'),
    type,
    created: Math.floor(Date.now() / 1000),
    data: {
      object: isCheckout ? 'checkout' : 'payout',
      id: object.id,
      reference: isCheckout ? object.depositId : object.payoutId,
      asset: object.asset,
      amount: object.amount.toString(),
      reason: object.reason,
    },
  };
  await db.query(
    `insert into sandbox_webhook_events (id, body, due_at) values ($1, $2, now() + make_interval(secs => $3::integer / 1000.0))`,
    [body.id, JSON.stringify(body), Math.max(0, Math.round(delayMs))],
  );
  return body;
}

export interface DueEvent {
  readonly id: string;
  readonly body: string;
  readonly attempts: number;
}

/** Claims up to `limit` due events for `leaseMs` (another sender skips them meanwhile), oldest first. */
export async function claimDueEvents(db: Queryable, limit: number, leaseMs: number): Promise<DueEvent[]> {
  const rows = await db.query(
    `with due as (
       select id, due_at as was_due, created_at from sandbox_webhook_events
       where delivered_at is null and given_up_at is null and due_at <= now()
       order by due_at, created_at limit $1 for update skip locked)
     update sandbox_webhook_events e
     set due_at = now() + make_interval(secs => $2::integer / 1000.0), attempts = e.attempts + 1
     from due where e.id = due.id
     returning e.id, e.body, e.attempts, due.was_due, due.created_at`,
    [limit, leaseMs],
  );
  return rows
    .sort(
      (a, b) =>
        (a.was_due as Date).getTime() - (b.was_due as Date).getTime() ||
        (a.created_at as Date).getTime() - (b.created_at as Date).getTime(),
    )
    .map((row) => ({ id: row.id as string, body: row.body as string, attempts: Number(row.attempts) }));
}

export async function markDelivered(db: Queryable, id: string): Promise<void> {
  await db.query('update sandbox_webhook_events set delivered_at = now(), last_error = null where id = $1', [id]);
}

export async function markFailedAttempt(
  db: Queryable,
  id: string,
  error: string,
  retryInMs: number | undefined,
): Promise<void> {
  await db.query(
    `update sandbox_webhook_events
     set last_error = $2,
         due_at = case when $3::integer is null then due_at else now() + make_interval(secs => $3::integer / 1000.0) end,
         given_up_at = case when $3::integer is null then now() else null end
     where id = $1`,
    [id, error.slice(0, 256), retryInMs ?? null],
  );
}
