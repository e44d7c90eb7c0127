/**
 * Payouts: recorded as `requested` with `payments.payout.requested` in the
 * outbox (the ledger holds the amount or refuses), then the worker pays the
 * held ones out through the provider (worker.ts), and the provider's word
 * completes or fails them (transitions.ts).
 */
import { randomUUID } from 'node:crypto';
import { exchanges, type CreatePayoutRequest, type FiatPayoutRequested, type PaymentsReply } from '@t50/contracts';
import { enqueueOutboxEvent, type Queryable } from '@t50/kit';
import type { Static } from '@sinclair/typebox';
import type { PaymentsDeps } from '../deps';
import { claimIdempotencyKey, requestHash } from '../idempotency';
import { problemReply } from '../problems';
import type { ProviderName } from '../providers/port';
import { payoutColumns, payoutFrom, payoutView, type PayoutRow } from '../views';

type CreatePayout = Static<typeof CreatePayoutRequest>;

export const newPayoutId = (): string => `pay-${randomUUID()}`;

/** What a destination must look like for each provider; the provider has the last word. */
const destinationPatterns: Record<ProviderName, RegExp> = {
  stripe: /^acct_[A-Za-z0-9]{1,64}$/,
  paypal: /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{2,63}$/,
  sandbox: /^\S(.{0,254}\S)?$/,
};

export async function loadPayout(db: Queryable, id: string): Promise<PayoutRow | undefined> {
  const [row] = await db.query<PayoutRow>(`select ${payoutColumns} from ${payoutFrom} where p.id = $1`, [id]);
  return row;
}

export async function createPayout(deps: PaymentsDeps, request: CreatePayout): Promise<PaymentsReply> {
  const { userId, idempotencyKey, provider, asset, amount, destination } = request.data;
  if (!deps.providers.has(provider)) return problemReply('provider_not_enabled', `${provider} is not enabled here`);
  const limit = deps.limits.payout[asset];
  const value = BigInt(amount);
  if (value < limit.min || value > limit.max) {
    return problemReply('amount_out_of_range', `a ${asset} payout is from ${limit.min} to ${limit.max} minor units`);
  }
  if (!destinationPatterns[provider].test(destination)) {
    return problemReply(
      'invalid_destination',
      provider === 'stripe'
        ? 'a Stripe payout goes to a connected account id (acct_...)'
        : 'a PayPal payout goes to an email address',
    );
  }
  const hash = requestHash('payout', [provider, asset, amount, destination]);
  const id = newPayoutId();
  const outcome = await deps.db.transaction(async (tx) => {
    const claimed = await claimIdempotencyKey(tx, {
      userId,
      key: idempotencyKey,
      hash,
      kind: 'payout',
      resourceId: id,
    });
    if (claimed.status !== 'new') return claimed;
    const destinationId = await upsertDestination(tx, userId, provider, destination);
    await tx.query(
      `insert into payouts (id, user_id, provider, asset, amount, destination_id) values ($1, $2, $3, $4, $5::numeric, $6)`,
      [id, userId, provider, asset, amount, destinationId],
    );
    const event: Static<typeof FiatPayoutRequested> = {
      id: `payments.payout.requested:${id}`,
      type: 'payments.payout.requested',
      version: 1,
      occurredAt: deps.now().toISOString(),
      data: { payoutId: id, provider, userId, asset, amount },
    };
    await enqueueOutboxEvent(tx, {
      messageId: event.id,
      exchange: exchanges.events,
      routingKey: event.type,
      body: event,
    });
    return claimed;
  });
  if (outcome.status === 'reused') return problemReply('idempotency_key_reused');
  if (outcome.status === 'new') {
    deps.metrics.transitions.inc({ kind: 'payout', provider, state: 'requested' });
    deps.logger.info({ payoutId: id, provider }, 'payout requested');
    deps.kickOutbox();
  }
  const row = await loadPayout(deps.db, outcome.status === 'replay' ? outcome.resourceId : id);
  if (row === undefined) throw new Error('payout vanished after it was recorded');
  return { type: 'payout', payout: payoutView(row) };
}

async function upsertDestination(
  tx: Queryable,
  userId: string,
  provider: ProviderName,
  destination: string,
): Promise<string> {
  const [row] = await tx.query<{ id: string }>(
    `insert into payout_destinations (id, user_id, provider, destination) values ($1, $2, $3, $4)
     on conflict (user_id, provider, destination) do update set last_used_at = now() returning id`,
    [`dst-${randomUUID()}`, userId, provider, destination],
  );
  return row!.id;
}
