/**
 * The provider port: what the payments service needs from a payment provider,
 * and nothing about how one provider does it. Three adapters implement it
 * (stripe.ts, paypal/, sandbox/), and one contract suite (contract.test.ts)
 * runs against all three, so the service cannot tell them apart.
 *
 * Rules every adapter keeps:
 * - Our id (deposit id, payout id) goes to the provider as the idempotency key
 *   of the create call and in its metadata, so a retried call never makes a
 *   second checkout or a second payout, and an event can be matched without
 *   the provider's id.
 * - Amounts are bigint minor units in and out; a provider's decimal strings are
 *   parsed exactly, never through a float.
 * - A provider that cannot be reached, or answers 5xx / 429, throws
 *   `ProviderUnavailableError` (the caller retries later); so does a refusal of
 *   our credentials (401 / 403: the request may work once the keys are fixed).
 *   A refusal of the request itself (another 4xx) throws `ProviderRefusedError`
 *   (the caller fails it).
 * - `verifyAndParseWebhook` checks the signature over the raw bytes before it
 *   parses anything; a bad one throws `WebhookVerificationError`, and nothing
 *   of the body is trusted.
 */
import type { FiatAsset, FiatProvider } from '@t50/contracts';

export type ProviderName = FiatProvider;

/** What a provider says of a deposit (a checkout session, an order). */
export type ProviderDepositStatus =
  | { readonly status: 'open' } // waiting for the user
  | { readonly status: 'processing' } // paid, not settled yet
  | { readonly status: 'succeeded'; readonly amount: bigint; readonly asset: FiatAsset }
  | { readonly status: 'failed'; readonly reason: string }
  | { readonly status: 'expired'; readonly reason: string };

/** What a provider says of a payout (a transfer, a payout item). */
export type ProviderPayoutStatus =
  | { readonly status: 'pending' }
  | { readonly status: 'succeeded' }
  | { readonly status: 'failed'; readonly reason: string }
  /** The provider has no payout under this id: it was never made (safe to create). */
  | { readonly status: 'not_found' };

export interface CreateDepositInput {
  readonly depositId: string;
  readonly userId: string;
  readonly asset: FiatAsset;
  readonly amount: bigint;
  /** Where the provider sends the user back, paid or not. */
  readonly returnUrl: string;
  readonly expiresAt: Date;
}

export interface CreatedDeposit {
  /** The provider's id (Stripe checkout session id, PayPal order id, sandbox session id). */
  readonly providerRef: string;
  /** The page the user pays on. */
  readonly redirectUrl: string;
  readonly expiresAt: Date;
}

export interface CreatePayoutInput {
  readonly payoutId: string;
  readonly userId: string;
  readonly asset: FiatAsset;
  readonly amount: bigint;
  /** Stripe: a connected account id (acct_...); PayPal: the receiver's email; sandbox: any label. */
  readonly destination: string;
}

export interface CreatedPayout {
  readonly providerRef: string;
  readonly status: ProviderPayoutStatus;
}

export interface ProviderRef {
  /** Our id: deposit id or payout id. */
  readonly id: string;
  /** The provider's id, when the create call returned one. */
  readonly providerRef?: string | undefined;
}

/** One provider event, in our terms. `eventId` is the provider's, unique per provider. */
export type ProviderEvent =
  | {
      readonly eventId: string;
      readonly kind: 'deposit';
      /** Our deposit id, from the event's metadata; undefined when the event is not one of ours. */
      readonly depositId: string | undefined;
      readonly providerRef: string;
      readonly status: ProviderDepositStatus;
    }
  | {
      readonly eventId: string;
      readonly kind: 'payout';
      readonly payoutId: string | undefined;
      readonly providerRef: string;
      readonly status: ProviderPayoutStatus;
    }
  /** Verified, but of a kind we do not act on: recorded and acknowledged. */
  | { readonly eventId: string; readonly kind: 'ignored'; readonly eventType: string };

export interface WebhookRequest {
  readonly rawBody: Buffer;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export interface PaymentProvider {
  readonly name: ProviderName;
  createDeposit(input: CreateDepositInput): Promise<CreatedDeposit>;
  /**
   * Asks the provider now. PayPal: an approved order is captured here (idempotently).
   * Stripe and PayPal find a deposit by `providerRef` (the sandbox also by our id); a deposit the
   * provider does not know throws `ProviderRefusedError` with code `not_found`.
   */
  getDeposit(ref: ProviderRef): Promise<ProviderDepositStatus>;
  createPayout(input: CreatePayoutInput): Promise<CreatedPayout>;
  getPayout(ref: ProviderRef): Promise<ProviderPayoutStatus>;
  verifyAndParseWebhook(request: WebhookRequest): Promise<ProviderEvent>;
}

/** The provider could not be reached or failed on its side: retry later. */
export class ProviderUnavailableError extends Error {
  override readonly name = 'ProviderUnavailableError';
}

/** The provider refused the request itself (a 4xx): retrying the same call will not help. */
export class ProviderRefusedError extends Error {
  override readonly name = 'ProviderRefusedError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** A webhook whose signature, timestamp or shape does not check out: answered 400, nothing recorded. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}
