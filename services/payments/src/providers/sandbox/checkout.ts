/**
 * What the user does on the sandbox checkout page: pay with a card number
 * (the magic numbers below), confirm or refuse the extra step, and how a
 * stored checkout reads as a provider status.
 */
import type { Database } from '@t50/kit';
import type { ProviderDepositStatus, ProviderPayoutStatus } from '../port';
import { enqueueEvent, findCheckout, moveCheckout, type CheckoutRow, type PayoutRow } from './store';

/** The sandbox's cards (spaces and dashes are ignored). Any other number is refused on the page. */
export const magicCards = {
  '4242424242424242': 'succeeds',
  '4000000000000002': 'declined',
  '4000002500003155': 'needs_confirmation',
} as const;
export type CardBehaviour = (typeof magicCards)[keyof typeof magicCards];

export function cardBehaviour(input: string): CardBehaviour | undefined {
  const digits = input.replace(/[\s-]/g, '');
  return Object.hasOwn(magicCards, digits) ? magicCards[digits as keyof typeof magicCards] : undefined;
}

/**
 * Amounts whose last two digits (the cents) are 77 settle 5 s after payment and
 * 78 settle 30 s after it: the deposit reads `processing` meanwhile and its
 * webhook comes then. Any other amount settles at once.
 */
export function settleDelayMsFor(amount: bigint): number {
  const cents = amount % 100n;
  if (cents === 77n) return 5_000;
  if (cents === 78n) return 30_000;
  return 0;
}

export function depositStatusOf(checkout: CheckoutRow): ProviderDepositStatus {
  switch (checkout.status) {
    case 'open':
    case 'confirming':
      return checkout.expiresAt.getTime() <= checkout.now.getTime()
        ? { status: 'expired', reason: 'the checkout expired before it was paid' }
        : { status: 'open' };
    case 'succeeded':
      return checkout.settlesAt !== null && checkout.settlesAt.getTime() > checkout.now.getTime()
        ? { status: 'processing' }
        : { status: 'succeeded', amount: checkout.amount, asset: checkout.asset };
    case 'failed':
      return { status: 'failed', reason: checkout.reason ?? 'the payment failed' };
    case 'expired':
      return { status: 'expired', reason: checkout.reason ?? 'the checkout expired' };
  }
}

export function payoutStatusOf(payout: PayoutRow): ProviderPayoutStatus {
  if (payout.settlesAt.getTime() > payout.now.getTime()) return { status: 'pending' };
  return payout.status === 'succeeded'
    ? { status: 'succeeded' }
    : { status: 'failed', reason: payout.reason ?? 'the payout failed' };
}

export type PayOutcome =
  | { readonly outcome: 'paid' | 'declined'; readonly checkout: CheckoutRow }
  | { readonly outcome: 'needs_confirmation'; readonly checkout: CheckoutRow }
  | { readonly outcome: 'unknown_card' | 'not_payable'; readonly checkout: CheckoutRow | undefined };

export interface CheckoutDeps {
  readonly db: Database;
  /** Extra delay for every new webhook (a test control). */
  readonly extraDelayMs: () => number;
}

async function settle(
  deps: CheckoutDeps,
  id: string,
  from: 'open' | 'confirming',
  paid: boolean,
): Promise<CheckoutRow | undefined> {
  return deps.db.transaction(async (tx) => {
    const current = await findCheckout(tx, { id });
    if (current === undefined) return undefined;
    const delay = paid ? settleDelayMsFor(current.amount) : 0;
    const moved = paid
      ? await moveCheckout(tx, id, [from], 'succeeded', { settleDelayMs: delay })
      : await moveCheckout(tx, id, [from], 'failed', {
          reason: from === 'open' ? 'the card was declined' : 'the card holder did not confirm the payment',
          settleDelayMs: 0,
        });
    if (moved === undefined) return undefined;
    await enqueueEvent(tx, paid ? 'checkout.succeeded' : 'checkout.failed', moved, delay + deps.extraDelayMs());
    return moved;
  });
}

/** The user submitted a card number on the checkout page. */
export async function payCheckout(deps: CheckoutDeps, id: string, card: string): Promise<PayOutcome> {
  const behaviour = cardBehaviour(card);
  const current = await findCheckout(deps.db, { id });
  if (current === undefined || depositStatusOf(current).status !== 'open' || current.status !== 'open')
    return { outcome: 'not_payable', checkout: current };
  switch (behaviour) {
    case undefined:
      return { outcome: 'unknown_card', checkout: current };
    case 'needs_confirmation': {
      const moved = await moveCheckout(deps.db, id, ['open'], 'confirming');
      return moved === undefined
        ? { outcome: 'not_payable', checkout: current }
        : { outcome: 'needs_confirmation', checkout: moved };
    }
    case 'succeeds':
    case 'declined': {
      const moved = await settle(deps, id, 'open', behaviour === 'succeeds');
      if (moved === undefined) return { outcome: 'not_payable', checkout: current };
      return { outcome: behaviour === 'succeeds' ? 'paid' : 'declined', checkout: moved };
    }
  }
}

/** The user answered the extra confirmation step. */
export async function confirmCheckout(
  deps: CheckoutDeps,
  id: string,
  approve: boolean,
): Promise<{ readonly outcome: 'paid' | 'declined' | 'not_payable'; readonly checkout: CheckoutRow | undefined }> {
  const moved = await settle(deps, id, 'confirming', approve);
  if (moved === undefined) return { outcome: 'not_payable', checkout: await findCheckout(deps.db, { id }) };
  return { outcome: approve ? 'paid' : 'declined', checkout: moved };
}
