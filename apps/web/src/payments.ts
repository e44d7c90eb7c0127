/**
 * Fiat deposits and payouts as the pages show them: the providers, the
 * states in words, which states are final, and the Idempotency-Key a form
 * submission carries (one per submission, the same on every retry of it, so a
 * double click or a retry never pays twice).
 */
import type { Paths } from './api/client';

export type DepositView = Paths['/v1/deposits/{depositId}']['get']['responses'][200]['content']['application/json'];
export type PayoutView = Paths['/v1/payouts']['post']['responses'][202]['content']['application/json'];
export type Provider = DepositView['provider'];
export type FiatAsset = DepositView['asset'];
export type DepositState = DepositView['state'];
export type PayoutState = PayoutView['state'];

export const providers: readonly Provider[] = ['sandbox', 'stripe', 'paypal'];
export const providerName: { readonly [P in Provider]: string } = {
  sandbox: 'Sandbox (test money)',
  stripe: 'Card (Stripe)',
  paypal: 'PayPal',
};
export const fiatAssets: readonly FiatAsset[] = ['USD', 'EUR'];

export function isProvider(value: string): value is Provider {
  return (providers as readonly string[]).includes(value);
}

export function isFiatAsset(value: string): value is FiatAsset {
  return (fiatAssets as readonly string[]).includes(value);
}

/** What to ask for as a payout's destination, per provider. */
export const destinationHint: { readonly [P in Provider]: string } = {
  sandbox: 'Any label for the test account the money goes to.',
  stripe: 'Your Stripe connected account id, starting with acct_.',
  paypal: 'The email address of your PayPal account.',
};

export const depositStateName: { readonly [S in DepositState]: string } = {
  created: 'Waiting for payment',
  processing: 'Processing',
  succeeded: 'Succeeded',
  failed: 'Failed',
  expired: 'Expired',
};

export const payoutStateName: { readonly [S in PayoutState]: string } = {
  requested: 'Requested',
  held: 'Processing',
  submitted: 'Sent to the provider',
  completed: 'Completed',
  failed: 'Failed',
  rejected: 'Rejected',
};

export const isFinalDeposit = (state: DepositState): boolean =>
  state === 'succeeded' || state === 'failed' || state === 'expired';

export const isFinalPayout = (state: PayoutState): boolean =>
  state === 'completed' || state === 'failed' || state === 'rejected';

/** good (done), bad (failed, refused, expired) or pending: the colour of a state. */
export function toneOf(state: DepositState | PayoutState): 'good' | 'bad' | 'pending' {
  if (state === 'succeeded' || state === 'completed') return 'good';
  if (state === 'failed' || state === 'expired' || state === 'rejected') return 'bad';
  return 'pending';
}

/** A reason as the end of a sentence: ": the card was declined." (nothing when there is none). */
export function reasonText(reason: string | undefined): string {
  if (reason === undefined || reason.trim() === '') return '.';
  const text = reason.trim();
  return `: ${text}${/[.!?]$/.test(text) ? '' : '.'}`;
}

/** Only http(s) addresses are followed: a checkout URL is never `javascript:` or `data:`. */
export function isCheckoutUrl(value: string | undefined): value is string {
  if (value === undefined) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
