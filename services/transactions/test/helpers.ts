/** Message builders for the ledger tests: what other services publish. */
import { randomUUID } from 'node:crypto';
import type { DomainEvent, LedgerCommand } from '@t50/contracts';

export const uid = (prefix = 'u') => `${prefix}${randomUUID().slice(0, 8)}`;

export const registered = (userId: string): DomainEvent => ({
  id: `reg-${userId}`,
  type: 'gateway.user.registered',
  version: 1,
  data: { userId },
});

export const deposit = (userId: string, amount: string, paymentId = uid('pi_'), asset = 'USD'): DomainEvent => ({
  id: `msg-${paymentId}`,
  type: 'payments.deposit.succeeded',
  version: 1,
  data: { paymentId, provider: 'stripe', userId, asset, amount },
});

export const transfer = (
  transferId: string,
  legs: { debitAccountId: string; creditAccountId: string; asset: string; amount: string }[],
  extra: { pending?: { timeoutSeconds: number }; metadata?: Record<string, string>; id?: string; code?: 'send' | 'deposit' | 'withdrawal' | 'trade' } = {},
): LedgerCommand => ({
  id: extra.id ?? `msg-${transferId}`,
  type: 'ledger.transfer.create',
  version: 1,
  data: {
    transferId,
    code: extra.code ?? 'send',
    legs,
    ...(extra.metadata === undefined ? {} : { metadata: extra.metadata }),
    ...(extra.pending === undefined ? {} : { pending: extra.pending }),
  },
});

export const post = (pendingId: string, amount?: string, transferId = `${pendingId}:post`): LedgerCommand => ({
  id: `msg-${transferId}`,
  type: 'ledger.transfer.post',
  version: 1,
  data: { transferId, pendingId, ...(amount === undefined ? {} : { amount }) },
});

export const voidHold = (pendingId: string, transferId = `${pendingId}:void`): LedgerCommand => ({
  id: `msg-${transferId}`,
  type: 'ledger.transfer.void',
  version: 1,
  data: { transferId, pendingId },
});
