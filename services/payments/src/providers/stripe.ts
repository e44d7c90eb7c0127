/**
 * The Stripe adapter of the provider port, through the official SDK with a
 * pinned API version.
 *
 * - A deposit is a Checkout Session (mode payment, one line item of the amount
 *   in minor units), our deposit id as client_reference_id, in its metadata and
 *   (as `deposit:<id>`) its Idempotency-Key.
 * - A payout is a Connect transfer to the user's connected account (acct_...),
 *   our payout id as transfer_group, in its metadata and (as `payout:<id>`) its
 *   Idempotency-Key; transfers are immediate, so one that exists and is not
 *   reversed has succeeded.
 * - Webhooks are checked by the SDK's `constructEvent` (HMAC over the raw body,
 *   five minutes of tolerance).
 */
import type { FiatAsset } from '@t50/contracts';
import Stripe from 'stripe';
import { toSafeNumber } from './money';
import {
  ProviderRefusedError,
  ProviderUnavailableError,
  WebhookVerificationError,
  type CreateDepositInput,
  type CreatePayoutInput,
  type PaymentProvider,
  type ProviderDepositStatus,
  type ProviderEvent,
  type ProviderPayoutStatus,
  type ProviderRef,
  type WebhookRequest,
} from './port';

/** The API version every request is made with (the SDK's own; its types describe exactly this one). */
export const stripeApiVersion = '2026-10-28.endive' satisfies typeof Stripe.API_VERSION;
export const webhookToleranceSeconds = 300;

export interface StripeProviderOptions {
  readonly secretKey: string;
  readonly webhookSecret: string;
  /** Stripe's API base URL; default https://api.stripe.com (tests: a local fake). */
  readonly apiUrl?: string;
  /** Retries of a request that failed on the network or with a 409/5xx (same Idempotency-Key). Default 2. */
  readonly maxNetworkRetries?: number;
  /** Per request. Default 20 s. */
  readonly timeoutMs?: number;
  /** The product name shown on the checkout page. */
  readonly productName?: string;
}

const assets: Readonly<Record<string, FiatAsset>> = { usd: 'USD', eur: 'EUR' };

function assetOf(currency: string | null | undefined): FiatAsset | undefined {
  return currency === null || currency === undefined ? undefined : assets[currency.toLowerCase()];
}

/** Stripe's errors in the port's terms: its side or the network -> unavailable; a refusal -> refused. */
function translate(error: unknown): Error {
  if (error instanceof Stripe.errors.StripeError) {
    const status = error.statusCode;
    // 401/403: our key was refused (revoked, rotated): nothing is wrong with the request, so it is retried once the key is fixed.
    if (
      error.type === 'StripeConnectionError' ||
      status === undefined ||
      status >= 500 ||
      status === 429 ||
      status === 401 ||
      status === 403
    )
      return new ProviderUnavailableError(`Stripe unavailable: ${error.message}`);
    if (error.type === 'StripeIdempotencyError')
      return new ProviderRefusedError(error.message, 'idempotency_key_reused');
    if (status === 404 || error.code === 'resource_missing')
      return new ProviderRefusedError(error.message, 'not_found');
    return new ProviderRefusedError(error.message, (error.code ?? 'refused').replace(/[^a-z_]/g, '_').slice(0, 64));
  }
  return error instanceof Error ? error : new Error(String(error));
}

async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translate(error);
  }
}

export function depositStatusOfSession(session: Stripe.Checkout.Session): ProviderDepositStatus {
  if (session.status === 'expired') return { status: 'expired', reason: 'the checkout expired before it was paid' };
  if (session.status !== 'complete') return { status: 'open' };
  if (session.payment_status === 'paid') {
    const asset = assetOf(session.currency);
    if (asset === undefined || session.amount_total === null)
      throw new ProviderRefusedError('unexpected currency or amount', 'unexpected_currency');
    return { status: 'succeeded', amount: BigInt(session.amount_total), asset };
  }
  // Complete but unpaid: an asynchronous method (a bank debit) still settling, or one that failed.
  const intent = typeof session.payment_intent === 'object' ? session.payment_intent : null;
  if (intent !== null && (intent.status === 'requires_payment_method' || intent.status === 'canceled'))
    return { status: 'failed', reason: intent.last_payment_error?.message ?? 'the payment failed' };
  return { status: 'processing' };
}

function payoutStatusOfTransfer(transfer: Stripe.Transfer): ProviderPayoutStatus {
  return transfer.reversed ? { status: 'failed', reason: 'the transfer was reversed' } : { status: 'succeeded' };
}

function depositIdOf(session: Stripe.Checkout.Session): string | undefined {
  return session.client_reference_id ?? session.metadata?.deposit_id ?? undefined;
}

/** An event in our terms (the types we act on; others are `ignored`). */
export function toProviderEvent(event: Stripe.Event): ProviderEvent {
  const deposit = (session: Stripe.Checkout.Session, status: ProviderDepositStatus): ProviderEvent => ({
    eventId: event.id,
    kind: 'deposit',
    depositId: depositIdOf(session),
    providerRef: session.id,
    status,
  });
  const payout = (transfer: Stripe.Transfer, status: ProviderPayoutStatus): ProviderEvent => ({
    eventId: event.id,
    kind: 'payout',
    payoutId: transfer.metadata?.payout_id ?? transfer.transfer_group ?? undefined,
    providerRef: transfer.id,
    status,
  });
  // An if chain rather than a switch: Stripe's event type is a union of hundreds we do not act on.
  const type = event.type;
  if (
    type === 'checkout.session.completed' ||
    type === 'checkout.session.async_payment_succeeded' ||
    type === 'checkout.session.expired'
  )
    return deposit(event.data.object, depositStatusOfSession(event.data.object));
  if (type === 'checkout.session.async_payment_failed')
    return deposit(event.data.object, { status: 'failed', reason: 'the payment failed' });
  if (type === 'transfer.created') return payout(event.data.object, payoutStatusOfTransfer(event.data.object));
  if (type === 'transfer.reversed')
    return payout(event.data.object, { status: 'failed', reason: 'the transfer was reversed' });
  return { eventId: event.id, kind: 'ignored', eventType: type };
}

export function createStripeClient(options: StripeProviderOptions): Stripe {
  const api = new URL(options.apiUrl ?? 'https://api.stripe.com');
  return new Stripe(options.secretKey, {
    apiVersion: stripeApiVersion,
    host: api.hostname,
    port: api.port === '' ? (api.protocol === 'http:' ? 80 : 443) : Number(api.port),
    protocol: api.protocol === 'http:' ? 'http' : 'https',
    maxNetworkRetries: options.maxNetworkRetries ?? 2,
    timeout: options.timeoutMs ?? 20_000,
    telemetry: false,
  });
}

function amountFor(amount: bigint): number {
  const value = toSafeNumber(amount);
  if (value === undefined) throw new ProviderRefusedError('the amount is out of range for Stripe', 'invalid_amount');
  return value;
}

export function createStripeProvider(options: StripeProviderOptions): PaymentProvider {
  const stripe = createStripeClient(options);
  const returnUrl = (input: CreateDepositInput) =>
    input.returnUrl.replaceAll('{id}', encodeURIComponent(input.depositId));
  return {
    name: 'stripe',
    async createDeposit(input) {
      const unitAmount = amountFor(input.amount);
      const session = await call(() =>
        stripe.checkout.sessions.create(
          {
            mode: 'payment',
            line_items: [
              {
                quantity: 1,
                price_data: {
                  currency: input.asset.toLowerCase(),
                  unit_amount: unitAmount,
                  product_data: { name: options.productName ?? 'Wallet deposit' },
                },
              },
            ],
            client_reference_id: input.depositId,
            metadata: { deposit_id: input.depositId, user_id: input.userId },
            payment_intent_data: { metadata: { deposit_id: input.depositId } },
            expires_at: Math.floor(input.expiresAt.getTime() / 1000),
            success_url: returnUrl(input),
            cancel_url: returnUrl(input),
          },
          { idempotencyKey: `deposit:${input.depositId}` },
        ),
      );
      if (session.url === null) throw new ProviderRefusedError('Stripe gave no checkout URL', 'no_checkout_url');
      return { providerRef: session.id, redirectUrl: session.url, expiresAt: new Date(session.expires_at * 1000) };
    },
    async getDeposit(ref: ProviderRef) {
      if (ref.providerRef === undefined)
        throw new ProviderRefusedError('a Stripe deposit is found by its session id', 'not_found');
      const session = await call(() =>
        stripe.checkout.sessions.retrieve(ref.providerRef!, { expand: ['payment_intent'] }),
      );
      return depositStatusOfSession(session);
    },
    async createPayout(input: CreatePayoutInput) {
      if (!/^acct_[A-Za-z0-9]{1,64}$/.test(input.destination))
        throw new ProviderRefusedError(
          'a Stripe payout goes to a connected account id (acct_...)',
          'invalid_destination',
        );
      const amount = amountFor(input.amount);
      const transfer = await call(() =>
        stripe.transfers.create(
          {
            amount,
            currency: input.asset.toLowerCase(),
            destination: input.destination,
            transfer_group: input.payoutId,
            metadata: { payout_id: input.payoutId, user_id: input.userId },
          },
          { idempotencyKey: `payout:${input.payoutId}` },
        ),
      );
      return { providerRef: transfer.id, status: payoutStatusOfTransfer(transfer) };
    },
    async getPayout(ref: ProviderRef) {
      if (ref.providerRef !== undefined) {
        try {
          return payoutStatusOfTransfer(await call(() => stripe.transfers.retrieve(ref.providerRef!)));
        } catch (error) {
          if (error instanceof ProviderRefusedError && error.code === 'not_found') return { status: 'not_found' };
          throw error;
        }
      }
      const found = await call(() => stripe.transfers.list({ transfer_group: ref.id, limit: 1 }));
      const transfer = found.data[0];
      return transfer === undefined ? { status: 'not_found' } : payoutStatusOfTransfer(transfer);
    },
    verifyAndParseWebhook(request: WebhookRequest) {
      let event: Stripe.Event;
      try {
        event = stripe.webhooks.constructEvent(
          request.rawBody,
          request.headers['stripe-signature'] ?? '',
          options.webhookSecret,
          webhookToleranceSeconds,
        );
      } catch (error) {
        return Promise.reject(
          new WebhookVerificationError(
            `Stripe signature refused: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
      }
      try {
        return Promise.resolve(toProviderEvent(event));
      } catch (error) {
        return Promise.reject(
          new WebhookVerificationError(
            `unexpected Stripe event: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
      }
    },
  };
}
