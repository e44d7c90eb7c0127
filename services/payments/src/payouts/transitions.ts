/**
 * The payout state machine, forward only:
 *   requested -> held (the ledger placed the hold) | rejected (it refused: no provider call)
 *   held -> submitted (the provider accepted it) -> completed | failed
 * held -> completed | failed is allowed too (the provider's answer can arrive
 * before our record of its acceptance). `completed` enqueues
 * `payments.payout.completed` (the ledger posts the hold), `failed` enqueues
 * `payments.payout.failed` (the ledger voids it), each in the transaction of
 * the change, so each is sent exactly once.
 */
import { exchanges, type FiatPayoutCompleted, type FiatPayoutFailed, type PayoutState } from '@t50/contracts';
import { enqueueOutboxEvent, textArray, type Queryable } from '@t50/kit';
import type { Static } from '@sinclair/typebox';
import type { PaymentsDeps } from '../deps';
import type { ProviderPayoutStatus } from '../providers/port';

export interface MovedPayout extends Record<string, unknown> {
  id: string;
  provider: string;
  state: PayoutState;
}

/** Moves a payout to `to` if it is in one of `from`; undefined when it was not (already further, or unknown). */
export async function movePayout(
  deps: Pick<PaymentsDeps, 'logger' | 'metrics'>,
  tx: Queryable,
  id: string,
  from: readonly PayoutState[],
  to: PayoutState,
  details: { providerRef?: string; reason?: string; code?: string } = {},
): Promise<MovedPayout | undefined> {
  const [moved] = await tx.query<MovedPayout>(
    `update payouts set state = $3, provider_ref = coalesce($4, provider_ref), reason = coalesce($5, reason),
       code = coalesce($6, code), claimed_until = null, updated_at = now()
     where id = $1 and state = any($2::text::text[]) returning id, provider, state`,
    [id, textArray(from), to, details.providerRef ?? null, details.reason?.slice(0, 256) ?? null, details.code ?? null],
  );
  if (moved === undefined) return undefined;
  deps.metrics.transitions.inc({ kind: 'payout', provider: moved.provider, state: to });
  deps.logger.info({ payoutId: id, provider: moved.provider, to }, 'payout moved');
  if (to === 'completed') {
    const event: Static<typeof FiatPayoutCompleted> = {
      id: `payments.payout.completed:${id}`,
      type: 'payments.payout.completed',
      version: 1,
      occurredAt: new Date().toISOString(),
      data: { payoutId: id },
    };
    await enqueueOutboxEvent(tx, {
      messageId: event.id,
      exchange: exchanges.events,
      routingKey: event.type,
      body: event,
    });
  }
  if (to === 'failed') {
    const event: Static<typeof FiatPayoutFailed> = {
      id: `payments.payout.failed:${id}`,
      type: 'payments.payout.failed',
      version: 1,
      occurredAt: new Date().toISOString(),
      data: { payoutId: id, reason: (details.reason ?? 'the payout failed').slice(0, 256) },
    };
    await enqueueOutboxEvent(tx, {
      messageId: event.id,
      exchange: exchanges.events,
      routingKey: event.type,
      body: event,
    });
  }
  return moved;
}

/** Applies what the provider says of a payout; undefined when the payout is not ours. */
export async function applyPayoutStatus(
  deps: Pick<PaymentsDeps, 'logger' | 'metrics'>,
  tx: Queryable,
  id: string,
  status: ProviderPayoutStatus,
  providerRef?: string,
): Promise<{ readonly changed: boolean } | undefined> {
  const [current] = await tx.query<{ state: PayoutState; provider: string }>(
    'select state, provider from payouts where id = $1 for update',
    [id],
  );
  if (current === undefined) return undefined;
  const ref = providerRef === undefined ? {} : { providerRef };
  let moved: MovedPayout | undefined;
  switch (status.status) {
    case 'pending':
      moved = await movePayout(deps, tx, id, ['held'], 'submitted', ref);
      break;
    case 'succeeded':
      moved = await movePayout(deps, tx, id, ['held', 'submitted'], 'completed', ref);
      break;
    case 'failed':
      moved = await movePayout(deps, tx, id, ['held', 'submitted'], 'failed', {
        ...ref,
        reason: status.reason,
        code: 'provider_failed',
      });
      break;
    case 'not_found':
      // Nothing at the provider under our id: the worker creates it (held), or the reconciler reports it (submitted).
      break;
  }
  if (moved === undefined) reportContradiction(deps, { id, ...current }, status);
  return { changed: moved !== undefined };
}

/** The provider says the opposite of a final state here (a reversal after completion, a payment after a failure): for a person. */
function reportContradiction(
  deps: Pick<PaymentsDeps, 'logger' | 'metrics'>,
  payout: { id: string; state: PayoutState; provider: string },
  status: ProviderPayoutStatus,
): void {
  const { id, state, provider } = payout;
  const kind =
    state === 'completed' && status.status === 'failed'
      ? 'payout_failed_after_completed'
      : (state === 'failed' || state === 'rejected') && status.status === 'succeeded'
        ? 'payout_paid_after_failed'
        : undefined;
  if (kind === undefined) return;
  deps.metrics.reconcileDifferences.inc({ provider, kind });
  deps.logger.error({ payoutId: id, provider, state, kind }, 'provider contradicts a final payout state');
}
