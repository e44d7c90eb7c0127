/**
 * The signed-in user's money, from the ledger: balances, history and one
 * transfer, and sends to another user by email. Every read names the user's
 * own account ids, built here from the user id of the token, never from the
 * request; a transfer is shown only when one of its legs touches the user's
 * accounts, and only those legs. A send is one ledger transfer between the two
 * users' accounts, idempotent on (sender, sendId).
 */
import { createHash, randomUUID } from 'node:crypto';
import { userAccountId } from '@t50/contracts';
import type { Logger } from '@t50/kit';
import { atLeast, minimumTierToMove, type UserAsset } from '../access/tiers';
import type { EntryView, TransactionsClient } from '../clients/transactions';
import { fail, succeed, type Result as ResultOf } from '../http/problems';
import type { UserSummary } from '../profiles/hot';
import { findProfileByEmail } from '../profiles/repository';
import type { Queryable } from '@t50/kit';
import { MoneyError } from './errors';

type Result<T> = ResultOf<T, MoneyError>;

export interface Balance {
  readonly asset: string;
  readonly balance: string;
  readonly available: string;
  readonly pendingDebits: string;
  readonly pendingCredits: string;
}

export interface HistoryEntry {
  readonly seq: string;
  readonly transferId: string;
  readonly direction: 'in' | 'out';
  readonly asset: string;
  readonly amount: string;
  readonly balanceAfter: string;
  readonly code: string;
  readonly effectiveAt: string;
  readonly recordedAt: string;
}

export interface MyTransfer {
  readonly transferId: string;
  readonly code: string;
  readonly state: string;
  readonly effectiveAt: string;
  readonly recordedAt: string;
  /** Only the legs that touch the user's accounts. */
  readonly legs: { readonly asset: string; readonly amount: string; readonly direction: 'in' | 'out' }[];
}

export interface SendInput {
  readonly toEmail: string;
  readonly asset: UserAsset;
  readonly amount: string;
  /** Chosen by the client so a retry is not a second send; default a new id. */
  readonly sendId?: string | undefined;
}

export interface SendOutcome {
  readonly sendId: string;
  readonly transferId: string;
  readonly asset: string;
  readonly amount: string;
  readonly state: string;
  readonly recordedAt: string;
  readonly duplicate: boolean;
}

export interface HistoryQuery {
  readonly limit: number;
  readonly cursor?: string | undefined;
  readonly code?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

export interface MoneyService {
  balances(userId: string): Promise<Balance[]>;
  history(
    userId: string,
    asset: UserAsset,
    query: HistoryQuery,
  ): Promise<{ entries: HistoryEntry[]; nextCursor: string | null }>;
  transfer(userId: string, transferId: string): Promise<Result<MyTransfer>>;
  send(sender: UserSummary, input: SendInput): Promise<Result<SendOutcome>>;
}

const digest = (text: string): string => createHash('sha256').update(text).digest('base64url');

const toHistory = (entry: EntryView): HistoryEntry => ({
  seq: entry.seq,
  transferId: entry.transferId,
  direction: entry.side === 'credit' ? 'in' : 'out',
  asset: entry.asset,
  amount: entry.amount,
  balanceAfter: entry.balanceAfter,
  code: entry.code,
  effectiveAt: entry.effectiveAt,
  recordedAt: entry.recordedAt,
});

export function createMoneyService(deps: {
  db: Queryable;
  transactions: TransactionsClient;
  logger: Logger;
}): MoneyService {
  const { db, transactions, logger } = deps;
  return {
    async balances(userId) {
      const accounts = await transactions.accountsOf(userId);
      return accounts
        .filter((account) => account.ownerType === 'user' && account.ownerId === userId)
        .map((account) => ({
          asset: account.asset,
          balance: account.balance,
          available: account.available,
          pendingDebits: account.pendingDebits,
          pendingCredits: account.pendingCredits,
        }));
    },

    async history(userId, asset, query) {
      const page = await transactions.entries(userAccountId(userId, asset), query);
      // No account yet (the registration event is still on its way): an empty history.
      if (page === undefined) return { entries: [], nextCursor: null };
      return { entries: page.entries.map(toHistory), nextCursor: page.nextCursor };
    },

    async transfer(userId, transferId) {
      const transfer = await transactions.transfer(transferId);
      const prefix = `user:${userId}:`;
      const legs = (transfer?.legs ?? []).flatMap((leg) => {
        const out = leg.debitAccountId.startsWith(prefix);
        const into = leg.creditAccountId.startsWith(prefix);
        if (!out && !into) return [];
        return [{ asset: leg.asset, amount: leg.amount, direction: into ? ('in' as const) : ('out' as const) }];
      });
      // Someone else's transfer and a missing one look the same.
      if (transfer === undefined || legs.length === 0) return fail(MoneyError.TransferNotFound);
      return succeed({
        transferId: transfer.transferId,
        code: transfer.code,
        state: transfer.state,
        effectiveAt: transfer.effectiveAt,
        recordedAt: transfer.recordedAt,
        legs,
      });
    },

    async send(sender, input) {
      const required = minimumTierToMove[input.asset];
      if (!atLeast(sender.tier, required)) {
        return fail(MoneyError.TierTooLow, `Sending ${input.asset} needs tier ${required}; yours is ${sender.tier}.`, {
          requiredTier: required,
          currentTier: sender.tier,
        });
      }
      const recipient = await findProfileByEmail(db, input.toEmail);
      if (recipient === undefined) return fail(MoneyError.RecipientNotFound);
      if (recipient.userId === sender.userId) return fail(MoneyError.SendToSelf);
      if (!atLeast(recipient.tier, required)) {
        // Only what the sender needs to know: the recipient cannot take this asset yet, nothing about why.
        return fail(
          MoneyError.RecipientTierTooLow,
          `The recipient cannot receive ${input.asset} yet; nothing was sent.`,
          { asset: input.asset },
        );
      }
      const sendId = input.sendId ?? randomUUID();
      // Scoped by the sender, so one user's send id can never name another user's transfer; hashed, so the
      // recipient, who sees the transfer id, does not learn the sender's user id from it.
      const transferId = `send:${digest(`${sender.userId}:${sendId}`)}`;
      const debitAccountId = userAccountId(sender.userId, input.asset);
      const creditAccountId = userAccountId(recipient.userId, input.asset);
      // The envelope id names the content too: the ledger answers a repeated envelope with its first outcome,
      // so the same send id with another recipient, asset or amount must reach the transfer-id check (conflict).
      const envelopeId = `${transferId}:${digest(JSON.stringify([creditAccountId, input.asset, input.amount]))}`;
      const outcome = await transactions.createTransfer(envelopeId, {
        transferId,
        code: 'send',
        legs: [{ debitAccountId, creditAccountId, asset: input.asset, amount: input.amount }],
        metadata: { fromUserId: sender.userId, toUserId: recipient.userId },
      });
      if (!outcome.ok) {
        logger.info({ code: outcome.code, transferId }, 'send refused by the ledger');
        if (outcome.code === 'insufficient_funds') return fail(MoneyError.InsufficientFunds);
        if (outcome.code === 'conflict') return fail(MoneyError.SendConflict);
        return fail(MoneyError.LedgerRefused, outcome.detail, { reason: outcome.code });
      }
      // Answer from the record, never from the request: a duplicate shows what was sent the first time.
      const [leg, ...more] = outcome.transfer.legs;
      if (
        leg === undefined ||
        more.length > 0 ||
        leg.debitAccountId !== debitAccountId ||
        leg.creditAccountId !== creditAccountId ||
        leg.asset !== input.asset ||
        leg.amount !== input.amount
      ) {
        return fail(MoneyError.SendConflict);
      }
      return succeed({
        sendId,
        transferId: outcome.transfer.transferId,
        asset: leg.asset,
        amount: leg.amount,
        state: outcome.transfer.state,
        recordedAt: outcome.transfer.recordedAt,
        duplicate: outcome.duplicate,
      });
    },
  };
}
