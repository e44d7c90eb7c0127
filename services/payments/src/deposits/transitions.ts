/**
 * The deposit state machine, forward only. Every path that learns something
 * from a provider (its webhook, the user's return, the reconciler) ends here,
 * so they converge: the first to move a deposit to `succeeded` enqueues the
 * one `payments.deposit.succeeded` in the same transaction; the others find
 * the state already final and change nothing.
 */
import { exchanges, type DepositState, type FiatDepositSucceeded } from '@t50/contracts';
import { enqueueOutboxEvent, textArray, type Queryable } from '@t50/kit';
import type { Static } from '@sinclair/typebox';
import type { PaymentsDeps } from '../deps';
import type { ProviderDepositStatus } from '../providers/port';
import { depositColumns, type DepositRow } from '../views';

export type DepositChange =
  | { readonly changed: true; readonly row: DepositRow }
  | { readonly changed: false; readonly row: DepositRow; readonly why: 'no_change' | 'final' | 'amount_mismatch' };

/** The message id of a deposit's credit: one per deposit, whatever path found it paid. */
export const depositSucceededId = (depositId: string): string => `payments.deposit.succeeded:${depositId}`;

/** Moves `row` to `to` if it is still in one of `from`; returns the row after. */
async function move(
  tx: Queryable,
  id: string,
  from: readonly DepositState[],
  to: DepositState,
  reason: string | null,
): Promise<DepositRow | undefined> {
  const [row] = await tx.query<DepositRow>(
    `update deposits set state = $3, reason = coalesce($4, reason), updated_at = now()
     where id = $1 and state = any($2::text::text[]) returning ${depositColumns}`,
    [id, textArray(from), to, reason],
  );
  return row;
}

/**
 * Applies what the provider says of a deposit, in the caller's transaction
 * (the row is locked first, so two paths applying at once take turns).
 */
export async function applyDepositStatus(
  deps: Pick<PaymentsDeps, 'logger' | 'metrics'>,
  tx: Queryable,
  depositId: string,
  status: ProviderDepositStatus,
): Promise<DepositChange | undefined> {
  const [current] = await tx.query<DepositRow>(`select ${depositColumns} from deposits where id = $1 for update`, [
    depositId,
  ]);
  if (current === undefined) return undefined;
  const unchanged = (why: 'no_change' | 'final' | 'amount_mismatch'): DepositChange => ({
    changed: false,
    row: current,
    why,
  });
  const final = !['created', 'processing'].includes(current.state);
  let moved: DepositRow | undefined;
  switch (status.status) {
    case 'open':
      return unchanged('no_change');
    case 'processing':
      moved = await move(tx, depositId, ['created'], 'processing', null);
      break;
    case 'succeeded': {
      if (status.amount !== BigInt(current.amount) || status.asset !== current.asset) {
        deps.metrics.amountMismatches.inc({ provider: current.provider });
        deps.logger.error(
          { depositId, provider: current.provider, state: current.state },
          'provider reported a payment with another amount or asset than the deposit: not credited',
        );
        return unchanged('amount_mismatch');
      }
      moved = await move(tx, depositId, ['created', 'processing'], 'succeeded', null);
      if (moved !== undefined) await enqueueCredit(tx, moved);
      break;
    }
    case 'failed':
      moved = await move(tx, depositId, ['created', 'processing'], 'failed', status.reason.slice(0, 256));
      break;
    case 'expired':
      moved = await move(tx, depositId, ['created', 'processing'], 'expired', status.reason.slice(0, 256));
      break;
  }
  if (moved === undefined && final && status.status === 'succeeded' && current.state !== 'succeeded') {
    // Paid at the provider, but already failed or expired here: money there and no credit. For a person to settle.
    deps.metrics.reconcileDifferences.inc({ provider: current.provider, kind: 'deposit_paid_after_final' });
    deps.logger.error(
      { depositId, provider: current.provider, state: current.state },
      'provider reports a deposit paid that is final here: not credited',
    );
  }
  if (moved === undefined) return unchanged(final ? 'final' : 'no_change');
  deps.metrics.transitions.inc({ kind: 'deposit', provider: moved.provider, state: moved.state });
  deps.logger.info({ depositId, provider: moved.provider, from: current.state, to: moved.state }, 'deposit moved');
  return { changed: true, row: moved };
}

async function enqueueCredit(tx: Queryable, row: DepositRow): Promise<void> {
  const event: Static<typeof FiatDepositSucceeded> = {
    id: depositSucceededId(row.id),
    type: 'payments.deposit.succeeded',
    version: 1,
    occurredAt: new Date().toISOString(),
    data: { paymentId: row.id, provider: row.provider, userId: row.user_id, asset: row.asset, amount: row.amount },
  };
  await enqueueOutboxEvent(tx, {
    messageId: event.id,
    exchange: exchanges.events,
    routingKey: event.type,
    body: event,
  });
}

/** Expires a deposit whose checkout time passed unpaid (a paid one, `processing`, is left to its provider). */
export async function expireDeposit(
  deps: Pick<PaymentsDeps, 'logger' | 'metrics'>,
  tx: Queryable,
  depositId: string,
  reason: string,
): Promise<boolean> {
  const moved = await move(tx, depositId, ['created'], 'expired', reason);
  if (moved === undefined) return false;
  deps.metrics.transitions.inc({ kind: 'deposit', provider: moved.provider, state: 'expired' });
  deps.logger.info({ depositId, provider: moved.provider }, 'deposit expired');
  return true;
}
