/**
 * What the ledger says of a payout's hold: `ledger.transfer.pending` (held)
 * or `ledger.transfer.rejected` (refused, e.g. insufficient_funds) for the
 * transfer `payout:<payoutId>`. Each event is applied once (the kit's inbox);
 * events of other transfers are acknowledged and ignored.
 *
 * `ledger.transfer.voided` with reason `expired` for a payout's hold means the
 * ledger gave the money back (after a week, services/transactions' hold
 * expiry) while the payout was still not final here: nothing is changed (the
 * provider may still pay it), but it is reported like a reconcile difference
 * (`payments_reconcile_differences_total{kind="hold_expired"}` and a warning
 * with the payout id) for an operator to settle.
 */
import {
  exchanges,
  validatorFor,
  type TransferPendingEvent,
  type TransferRejectedEvent,
  type TransferVoidedEvent,
} from '@t50/contracts';
import { DeadLetterError, handleOnce, type Delivery, type Subscription, type Transport } from '@t50/kit';
import type { Static } from '@sinclair/typebox';
import type { PaymentsDeps } from '../deps';
import { movePayout } from '../payouts/transitions';

export const ledgerEventsQueue = 'payments.ledger-events';
const boundTypes = ['ledger.transfer.pending', 'ledger.transfer.rejected', 'ledger.transfer.voided'] as const;

/** `payout:<payoutId>` (the hold's id, services/transactions/src/posting/rules.ts); not its `:completed` / `:failed` follow-ups. */
export function payoutIdOfHold(transferId: string | undefined): string | undefined {
  const match = transferId === undefined ? null : /^payout:(pay-[A-Za-z0-9-]{1,100})$/.exec(transferId);
  return match?.[1];
}

type LedgerPayoutEvent =
  Static<typeof TransferPendingEvent> | Static<typeof TransferRejectedEvent> | Static<typeof TransferVoidedEvent>;

function parse(delivery: Delivery): LedgerPayoutEvent {
  let value: unknown;
  try {
    value = JSON.parse(delivery.body.toString('utf8'));
  } catch {
    throw new DeadLetterError('malformed_json: the body is not valid JSON');
  }
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !(boundTypes as readonly string[]).includes(type)) {
    throw new DeadLetterError('unknown_type: not a ledger event this queue takes');
  }
  const check = validatorFor(type);
  if (check === undefined || !check.Check(value)) throw new DeadLetterError(`invalid_schema: not a valid ${type}`);
  return value as LedgerPayoutEvent;
}

/** A payout whose hold the ledger expired while it was not final here: reported, never changed. */
async function reportExpiredHold(deps: PaymentsDeps, event: Static<typeof TransferVoidedEvent>): Promise<void> {
  const payoutId = payoutIdOfHold(event.data.transfer.pendingId);
  if (payoutId === undefined || event.data.reason !== 'expired') return;
  await handleOnce(deps.db, event.id, async (tx) => {
    const [row] = await tx.query<{ provider: string; state: string }>(
      'select provider, state from payouts where id = $1',
      [payoutId],
    );
    if (row === undefined || ['completed', 'failed', 'rejected'].includes(row.state)) return;
    deps.metrics.reconcileDifferences.inc({ provider: row.provider, kind: 'hold_expired' });
    deps.logger.warn(
      { payoutId, state: row.state },
      'the ledger expired the hold of a payout that is not final: settle it with the provider',
    );
  });
}

export async function applyLedgerEvent(deps: PaymentsDeps, event: LedgerPayoutEvent): Promise<void> {
  if (event.type === 'ledger.transfer.voided') return reportExpiredHold(deps, event);
  const payoutId = payoutIdOfHold(
    event.type === 'ledger.transfer.pending' ? event.data.transfer.transferId : event.data.transferId,
  );
  if (payoutId === undefined) return;
  const applied = await handleOnce(deps.db, event.id, (tx) =>
    event.type === 'ledger.transfer.pending'
      ? movePayout(deps, tx, payoutId, ['requested'], 'held')
      : movePayout(deps, tx, payoutId, ['requested'], 'rejected', {
          code: event.data.code,
          reason:
            event.data.code === 'insufficient_funds'
              ? 'Not enough funds for this payout'
              : 'The ledger refused the payout',
        }),
  );
  if (!applied.duplicate && applied.result?.state === 'held') deps.kickPayouts();
}

export async function consumeLedgerEvents(deps: PaymentsDeps, transport: Transport): Promise<Subscription> {
  await transport.declareExchange(exchanges.events);
  await transport.declareQueue({
    name: ledgerEventsQueue,
    bindings: boundTypes.map((routingKey) => ({ exchange: exchanges.events, routingKey })),
  });
  return transport.consume(ledgerEventsQueue, (delivery) => applyLedgerEvent(deps, parse(delivery)), { prefetch: 20 });
}
