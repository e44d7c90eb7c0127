/**
 * Requests the gateway sends to the payments service, and their replies, over
 * RabbitMQ request/reply (the request carries `replyTo` and a correlation id;
 * the reply goes to that queue with the same correlation id). The request is
 * an envelope like every other message; its `id` is the message id.
 *
 * Money: decimal strings in minor units, never JSON numbers. Deposits and
 * payouts are in the user's fiat assets (USD, EUR).
 *
 * The money-moving events the payments service publishes for the ledger
 * (`payments.deposit.succeeded`, `payments.payout.*`) are in events.ts.
 */
import { Type, type Static } from '@sinclair/typebox';
import { envelope, Id, Timestamp } from './common';
import { FiatProvider } from './events';
import { PositiveAmount } from './money';
import { Text } from './text';

/** Assets that can be deposited and paid out in fiat. */
export const FiatAsset = Type.Union([Type.Literal('USD'), Type.Literal('EUR')], {
  description: 'A fiat asset the providers move: USD or EUR',
});
export type FiatAsset = Static<typeof FiatAsset>;

/**
 * The Idempotency-Key a client sent with its POST: the same key from the same
 * user with the same request returns the first answer; with another request,
 * a 409 `idempotency_key_reused`.
 */
export const IdempotencyKey = Type.String({
  pattern: '^[A-Za-z0-9:._-]{8,128}$',
  description: 'Idempotency-Key header: 8 to 128 letters, digits or `:._-`',
});

/** The queue the payments service serves requests on (default exchange, routing key = queue name). */
export const paymentsRequestQueue = 'payments.requests';

export const DepositState = Type.Union(
  [
    Type.Literal('created'), // made at the provider, waiting for the user to pay
    Type.Literal('processing'), // paid, waiting for the provider to settle (extra confirmation, async method)
    Type.Literal('succeeded'), // settled: the ledger credits the user once
    Type.Literal('failed'), // declined or refused by the provider
    Type.Literal('expired'), // the checkout was abandoned or ran out of time
  ],
  { description: 'created -> processing -> succeeded | failed | expired; never backwards' },
);
export type DepositState = Static<typeof DepositState>;

export const PayoutState = Type.Union(
  [
    Type.Literal('requested'), // recorded; the ledger is asked for a hold
    Type.Literal('held'), // the ledger holds the amount; the provider is called next
    Type.Literal('submitted'), // the provider accepted it; waiting for the result
    Type.Literal('completed'), // paid out: the hold is posted
    Type.Literal('failed'), // the provider failed it: the hold is voided, the balance restored
    Type.Literal('rejected'), // the ledger refused the hold (insufficient funds): the provider was never called
  ],
  { description: 'requested -> held -> submitted -> completed | failed; requested -> rejected; never backwards' },
);
export type PayoutState = Static<typeof PayoutState>;

export const DepositView = Type.Object(
  {
    id: Id,
    provider: FiatProvider,
    asset: FiatAsset,
    amount: PositiveAmount,
    state: DepositState,
    /** Where the user pays (the provider's checkout page); absent once the deposit is final. */
    redirectUrl: Type.Optional(Type.String({ maxLength: 2048 })),
    expiresAt: Timestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    /** Why it failed or expired, for people. */
    reason: Type.Optional(Text({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type DepositView = Static<typeof DepositView>;

export const PayoutView = Type.Object(
  {
    id: Id,
    provider: FiatProvider,
    asset: FiatAsset,
    amount: PositiveAmount,
    state: PayoutState,
    /** The destination as shown to its owner (an email, a masked account id). */
    destination: Text({ maxLength: 256 }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    /** Why it failed or was rejected, for people; `code` for programs (e.g. insufficient_funds). */
    reason: Type.Optional(Text({ maxLength: 256 })),
    code: Type.Optional(Type.String({ pattern: '^[a-z_]{1,64}$' })),
  },
  { additionalProperties: false },
);
export type PayoutView = Static<typeof PayoutView>;

export const CreateDepositRequest = envelope(
  'payments.deposit.create',
  Type.Object(
    {
      userId: Id,
      idempotencyKey: IdempotencyKey,
      provider: FiatProvider,
      asset: FiatAsset,
      amount: PositiveAmount,
      /** The web app's page the provider sends the user back to; `{id}` is replaced by the deposit id. */
      returnUrl: Type.String({ maxLength: 2048, pattern: '^https?://' }),
    },
    { additionalProperties: false },
  ),
  'Start a fiat deposit: a checkout at the provider; the reply has the URL to send the user to',
);

export const CreatePayoutRequest = envelope(
  'payments.payout.create',
  Type.Object(
    {
      userId: Id,
      idempotencyKey: IdempotencyKey,
      provider: FiatProvider,
      asset: FiatAsset,
      amount: PositiveAmount,
      /** Stripe: a connected account id (acct_...); PayPal: the receiver's email; sandbox: any label. */
      destination: Text({ minLength: 1, maxLength: 256 }),
    },
    { additionalProperties: false },
  ),
  'Start a fiat withdrawal: a ledger hold, then the provider payout',
);

export const GetDepositRequest = envelope(
  'payments.deposit.get',
  Type.Object(
    {
      userId: Id,
      depositId: Id,
      /** Ask the provider now (the user came back from checkout) instead of waiting for its webhook. */
      refresh: Type.Boolean(),
    },
    { additionalProperties: false },
  ),
  "One of the user's deposits",
);

export const ListPaymentsRequest = envelope(
  'payments.list',
  Type.Object({ userId: Id, limit: Type.Integer({ minimum: 1, maximum: 100 }) }, { additionalProperties: false }),
  "The user's latest deposits and payouts, newest first",
);

export const ListProvidersRequest = envelope(
  'payments.providers',
  Type.Object({}, { additionalProperties: false }),
  'The providers enabled here, in the order to offer them (the web app offers only these)',
);

export const PaymentsRequest = Type.Union([
  CreateDepositRequest,
  CreatePayoutRequest,
  GetDepositRequest,
  ListPaymentsRequest,
  ListProvidersRequest,
]);
export type PaymentsRequest = Static<typeof PaymentsRequest>;

/** A refusal, as an HTTP problem document's fields; the gateway answers with it as is. */
export const PaymentsProblem = Type.Object(
  {
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    code: Type.String({ pattern: '^[a-z_]{1,64}$' }),
    title: Type.String({ maxLength: 256 }),
    detail: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type PaymentsProblem = Static<typeof PaymentsProblem>;

/** The reply body: exactly one of `deposit`, `payout`, `list`, `providers` or `problem`. */
export const PaymentsReply = Type.Union([
  Type.Object({ type: Type.Literal('deposit'), deposit: DepositView }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('payout'), payout: PayoutView }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('list'),
      deposits: Type.Array(DepositView, { maxItems: 100 }),
      payouts: Type.Array(PayoutView, { maxItems: 100 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal('providers'), providers: Type.Array(FiatProvider, { maxItems: 8 }) },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('problem'), problem: PaymentsProblem }, { additionalProperties: false }),
]);
export type PaymentsReply = Static<typeof PaymentsReply>;
