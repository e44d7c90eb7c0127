/**
 * Posting rules: how each domain event of another service becomes a ledger
 * command. Kept in this one module so the accounting of every money flow can
 * be read in one place (../../../../docs/ledger.md has the same table).
 *
 * Transfer ids derive from the upstream fact (a provider's payment id, a chain
 * tx hash + log index, a quote id), so the same fact can never be recorded
 * twice, whichever message carries it.
 */
import { partitionedSystemAccountId, userAccountId, type DomainEvent } from '@t50/contracts';
import type { Command } from '../ledger/model';

/** Holds for payouts and chain withdrawals expire after a week unless resolved. */
export const withdrawalHoldSeconds = 7 * 24 * 3600;
export const userAssets = ['USD', 'EUR', 'ETH'] as const;

/** The hold of a payout and of a chain withdrawal: their completion and failure events name only these. */
export const payoutHoldId = (payoutId: string): string => `payout:${payoutId}`;
export const withdrawalHoldId = (withdrawalId: string): string => `chain-withdrawal:${withdrawalId}`;

/**
 * `partition` is the ledger partition applying the event: platform accounts
 * are that partition's (`system:<kind>:<asset>` in partition 0,
 * `...:p<k>` in partition k), so a user's flows touch only accounts of the
 * user's partition.
 */
export function commandForEvent(event: DomainEvent, partition = 0): Command {
  const systemAccountId = (kind: string, asset: string) => partitionedSystemAccountId(kind, asset, partition);
  switch (event.type) {
    case 'gateway.user.registered':
      return { kind: 'open_accounts', ownerId: event.data.userId, assets: userAssets };
    case 'payments.deposit.succeeded': {
      const { provider, paymentId, userId, asset, amount } = event.data;
      return transfer(`deposit:${provider}:${paymentId}`, 'deposit', [
        { debitAccountId: systemAccountId(`${provider}_clearing`, asset), creditAccountId: userAccountId(userId, asset), asset, amount },
      ], { provider, paymentId });
    }
    case 'payments.payout.requested': {
      const { provider, payoutId, userId, asset, amount } = event.data;
      return transfer(payoutHoldId(payoutId), 'withdrawal', [
        { debitAccountId: userAccountId(userId, asset), creditAccountId: systemAccountId('payouts_in_flight', asset), asset, amount },
      ], { provider, payoutId }, withdrawalHoldSeconds);
    }
    case 'payments.payout.completed':
      return { kind: 'post', transferId: `${payoutHoldId(event.data.payoutId)}:completed`, pendingId: payoutHoldId(event.data.payoutId), amount: undefined, metadata: {} };
    case 'payments.payout.failed':
      return voidOf(payoutHoldId(event.data.payoutId), event.data.reason);
    case 'wallet.deposit.confirmed': {
      const { txHash, logIndex, userId, amount } = event.data;
      return transfer(`chain-deposit:${txHash.toLowerCase()}:${logIndex}`, 'deposit', [
        { debitAccountId: systemAccountId('hot_wallet', 'ETH'), creditAccountId: userAccountId(userId, 'ETH'), asset: 'ETH', amount },
      ], { txHash: txHash.toLowerCase(), logIndex: String(logIndex) });
    }
    case 'wallet.withdrawal.requested': {
      const { withdrawalId, userId, amount, toAddress } = event.data;
      return transfer(withdrawalHoldId(withdrawalId), 'withdrawal', [
        { debitAccountId: userAccountId(userId, 'ETH'), creditAccountId: systemAccountId('withdrawals_in_flight', 'ETH'), asset: 'ETH', amount },
      ], { withdrawalId, toAddress: toAddress.toLowerCase() }, withdrawalHoldSeconds);
    }
    case 'wallet.withdrawal.confirmed':
      return {
        kind: 'post',
        transferId: `${withdrawalHoldId(event.data.withdrawalId)}:confirmed`,
        pendingId: withdrawalHoldId(event.data.withdrawalId),
        amount: undefined,
        metadata: { txHash: event.data.txHash.toLowerCase() },
      };
    case 'wallet.withdrawal.failed':
      return voidOf(withdrawalHoldId(event.data.withdrawalId), event.data.reason);
    case 'gateway.trade.executed':
      return tradeTransfer(event, systemAccountId);
    case 'gateway.send.requested': {
      const { sendId, fromUserId, toUserId, asset, amount } = event.data;
      return transfer(`send:${sendId}`, 'send', [
        { debitAccountId: userAccountId(fromUserId, asset), creditAccountId: userAccountId(toUserId, asset), asset, amount },
      ], { fromUserId, toUserId });
    }
  }
}

type LegText = { debitAccountId: string; creditAccountId: string; asset: string; amount: string };

function transfer(
  transferId: string,
  code: Extract<Command, { kind: 'transfer' }>['code'],
  legs: LegText[],
  metadata: Record<string, string>,
  pendingTimeoutSeconds?: number,
): Command {
  return {
    kind: 'transfer',
    transferId,
    code,
    legs: legs.map((leg) => ({ ...leg, amount: BigInt(leg.amount) })),
    metadata,
    effectiveAt: undefined,
    pendingTimeoutSeconds,
  };
}

function voidOf(pendingId: string, reason: string): Command {
  return { kind: 'void', transferId: `${pendingId}:failed`, pendingId, metadata: { reason: reason.slice(0, 256) }, expiry: false };
}

/**
 * A trade is one transfer, all legs or none: the fiat leg and the ETH leg
 * against the treasury, and the fee from the user's fiat to the fees account.
 */
function tradeTransfer(
  event: Extract<DomainEvent, { type: 'gateway.trade.executed' }>,
  systemAccountId: (kind: string, asset: string) => string,
): Command {
  const { quoteId, userId, side, fiatAsset, fiatAmount, ethAmount, feeAmount } = event.data;
  const userFiat = userAccountId(userId, fiatAsset);
  const userEth = userAccountId(userId, 'ETH');
  const treasuryFiat = systemAccountId('treasury', fiatAsset);
  const treasuryEth = systemAccountId('treasury', 'ETH');
  const legs: LegText[] =
    side === 'buy'
      ? [
          { debitAccountId: userFiat, creditAccountId: treasuryFiat, asset: fiatAsset, amount: fiatAmount },
          { debitAccountId: treasuryEth, creditAccountId: userEth, asset: 'ETH', amount: ethAmount },
        ]
      : [
          { debitAccountId: userEth, creditAccountId: treasuryEth, asset: 'ETH', amount: ethAmount },
          { debitAccountId: treasuryFiat, creditAccountId: userFiat, asset: fiatAsset, amount: fiatAmount },
        ];
  if (feeAmount !== '0') {
    legs.push({ debitAccountId: userFiat, creditAccountId: systemAccountId('fees', fiatAsset), asset: fiatAsset, amount: feeAmount });
  }
  return transfer(`trade:${quoteId}`, 'trade', legs, { quoteId, side });
}
