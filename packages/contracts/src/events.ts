/**
 * Domain events of the other services that move money. Their producers publish
 * them on the `t50.events` exchange with the routing key equal to `type`; the
 * ledger turns each into a transfer by its posting rules
 * (services/transactions/src/posting/rules.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { envelope, Id } from './common';
import { AssetCode, PositiveAmount } from './money';
import { Text } from './text';

export const FiatProvider = Type.Union([Type.Literal('stripe'), Type.Literal('paypal'), Type.Literal('sandbox')]);
export type FiatProvider = Static<typeof FiatProvider>;

export const UserRegistered = envelope(
  'gateway.user.registered',
  Type.Object({ userId: Id }, { additionalProperties: false }),
  "A user registered; the ledger opens the user's accounts (USD, EUR, ETH)",
);

export const FiatDepositSucceeded = envelope(
  'payments.deposit.succeeded',
  Type.Object(
    { paymentId: Id, provider: FiatProvider, userId: Id, asset: AssetCode, amount: PositiveAmount },
    { additionalProperties: false },
  ),
  "A card or PayPal payment settled: provider clearing -> the user's fiat account",
);

export const FiatPayoutRequested = envelope(
  'payments.payout.requested',
  Type.Object(
    { payoutId: Id, provider: FiatProvider, userId: Id, asset: AssetCode, amount: PositiveAmount },
    { additionalProperties: false },
  ),
  "A withdrawal to a bank or PayPal: a hold, the user's account -> payouts in flight",
);
export const FiatPayoutCompleted = envelope(
  'payments.payout.completed',
  Type.Object({ payoutId: Id }, { additionalProperties: false }),
  'The provider paid out: the hold is posted',
);
export const FiatPayoutFailed = envelope(
  'payments.payout.failed',
  Type.Object({ payoutId: Id, reason: Text({ maxLength: 256 }) }, { additionalProperties: false }),
  'The payout failed: the hold is voided',
);

export const ChainDepositConfirmed = envelope(
  'wallet.deposit.confirmed',
  Type.Object(
    {
      txHash: Type.String({ pattern: '^0x[0-9a-fA-F]{64}$' }),
      logIndex: Type.Integer({ minimum: 0 }),
      userId: Id,
      amount: PositiveAmount,
    },
    { additionalProperties: false },
  ),
  "ETH arrived at a user's deposit address and is confirmed: hot wallet -> the user's ETH account",
);

export const ChainWithdrawalRequested = envelope(
  'wallet.withdrawal.requested',
  Type.Object(
    {
      withdrawalId: Id,
      userId: Id,
      amount: PositiveAmount,
      toAddress: Type.String({ pattern: '^0x[0-9a-fA-F]{40}$' }),
    },
    { additionalProperties: false },
  ),
  "An ETH withdrawal or send to an outside address: a hold, the user's ETH -> withdrawals in flight",
);
export const ChainWithdrawalConfirmed = envelope(
  'wallet.withdrawal.confirmed',
  Type.Object({ withdrawalId: Id, txHash: Type.String({ pattern: '^0x[0-9a-fA-F]{64}$' }) }, { additionalProperties: false }),
  'The withdrawal transaction is confirmed on chain: the hold is posted',
);
export const ChainWithdrawalFailed = envelope(
  'wallet.withdrawal.failed',
  Type.Object({ withdrawalId: Id, reason: Text({ maxLength: 256 }) }, { additionalProperties: false }),
  'The withdrawal failed: the hold is voided',
);

export const TradeExecuted = envelope(
  'gateway.trade.executed',
  Type.Object(
    {
      quoteId: Id,
      userId: Id,
      side: Type.Union([Type.Literal('buy'), Type.Literal('sell')]),
      fiatAsset: AssetCode,
      fiatAmount: PositiveAmount,
      ethAmount: PositiveAmount,
      /** Fee in the fiat asset; "0" for none. */
      feeAmount: Type.String({ pattern: '^(0|[1-9][0-9]{0,77})$' }),
    },
    { additionalProperties: false },
  ),
  'An accepted quote: one atomic transfer with a fiat leg, an ETH leg and a fee leg against the treasury',
);

export const InternalSend = envelope(
  'gateway.send.requested',
  Type.Object(
    { sendId: Id, fromUserId: Id, toUserId: Id, asset: AssetCode, amount: PositiveAmount },
    { additionalProperties: false },
  ),
  'A user sends money to another user of the app: one transfer between their accounts',
);

export const domainEvents = [
  UserRegistered,
  FiatDepositSucceeded,
  FiatPayoutRequested,
  FiatPayoutCompleted,
  FiatPayoutFailed,
  ChainDepositConfirmed,
  ChainWithdrawalRequested,
  ChainWithdrawalConfirmed,
  ChainWithdrawalFailed,
  TradeExecuted,
  InternalSend,
] as const;

export type DomainEvent =
  | Static<typeof UserRegistered>
  | Static<typeof FiatDepositSucceeded>
  | Static<typeof FiatPayoutRequested>
  | Static<typeof FiatPayoutCompleted>
  | Static<typeof FiatPayoutFailed>
  | Static<typeof ChainDepositConfirmed>
  | Static<typeof ChainWithdrawalRequested>
  | Static<typeof ChainWithdrawalConfirmed>
  | Static<typeof ChainWithdrawalFailed>
  | Static<typeof TradeExecuted>
  | Static<typeof InternalSend>;
