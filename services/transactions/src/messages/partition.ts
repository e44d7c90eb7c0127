/**
 * Which ledger partition a message belongs to, read from its envelope before
 * it is parsed: the partition of the user whose flow it is, or, for the
 * messages that only name a hold (a payout completed, a withdrawal confirmed,
 * a post or void), the partition of the hold's accounts. Used by the router
 * (messages published without a partition) and by the HTTP command endpoint.
 * Anything malformed goes to partition 0, whose writer refuses or
 * dead-letters it with the usual reason.
 */
import { accountPartition, partitionOf } from '@t50/contracts';
import type { Queryable } from '@t50/kit';
import { payoutHoldId, withdrawalHoldId } from '../posting/rules';

export type PartitionRoute = { readonly partition: number } | { readonly holdId: string };

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The partition of a message, or the hold whose partition it is. */
export function routeOf(message: unknown, count: number): PartitionRoute {
  if (count <= 1) return { partition: 0 };
  const fallback = { partition: 0 };
  if (typeof message !== 'object' || message === null) return fallback;
  const { type, data } = message as { type?: unknown; data?: unknown };
  if (typeof data !== 'object' || data === null) return fallback;
  const fields = data as Record<string, unknown>;
  const byUser = (userId: unknown) => {
    const id = text(userId);
    return id === undefined ? fallback : { partition: partitionOf(id, count) };
  };
  const byHold = (holdId: string | undefined) => (holdId === undefined ? fallback : { holdId });
  switch (type) {
    case 'ledger.account.open':
      return byUser(fields.ownerId);
    case 'ledger.transfer.create': {
      const legs = fields.legs;
      const first: unknown = Array.isArray(legs) ? legs[0] : undefined;
      const account =
        typeof first === 'object' && first !== null
          ? text((first as { debitAccountId?: unknown }).debitAccountId)
          : undefined;
      return account === undefined ? fallback : { partition: accountPartition(account, count) };
    }
    case 'ledger.transfer.post':
    case 'ledger.transfer.void':
    case 'ledger.hold.expire':
      return byHold(text(fields.pendingId));
    case 'payments.payout.completed':
    case 'payments.payout.failed': {
      const payoutId = text(fields.payoutId);
      return byHold(payoutId === undefined ? undefined : payoutHoldId(payoutId));
    }
    case 'wallet.withdrawal.confirmed':
    case 'wallet.withdrawal.failed': {
      const withdrawalId = text(fields.withdrawalId);
      return byHold(withdrawalId === undefined ? undefined : withdrawalHoldId(withdrawalId));
    }
    case 'gateway.send.requested':
      return byUser(fields.fromUserId);
    default:
      return byUser(fields.userId);
  }
}

/** The hold a message places, if any, so that its later completion can be routed before the hold is committed. */
export function holdPlacedBy(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { type, data } = message as { type?: unknown; data?: Record<string, unknown> | null };
  if (typeof data !== 'object' || data === null) return undefined;
  switch (type) {
    case 'payments.payout.requested':
      return typeof data.payoutId === 'string' ? payoutHoldId(data.payoutId) : undefined;
    case 'wallet.withdrawal.requested':
      return typeof data.withdrawalId === 'string' ? withdrawalHoldId(data.withdrawalId) : undefined;
    case 'ledger.transfer.create':
      return data.pending !== undefined && typeof data.transferId === 'string' ? data.transferId : undefined;
    default:
      return undefined;
  }
}

/** Where holds live: the holds this router placed recently, else the database. */
export interface HoldPartitions {
  remember(holdId: string, partition: number): void;
  /** The partition of a hold, or undefined while no partition has committed it. */
  lookup(holdId: string): Promise<number | undefined>;
}

/** Holds remembered in memory (the oldest forgotten first): enough for completions that follow within minutes. */
const rememberedHolds = 100_000;

export function createHoldPartitions(db: Queryable, count: number): HoldPartitions {
  const recent = new Map<string, number>();
  return {
    remember(holdId, partition) {
      if (recent.size >= rememberedHolds) recent.delete(recent.keys().next().value!);
      recent.set(holdId, partition);
    },
    async lookup(holdId) {
      const known = recent.get(holdId);
      if (known !== undefined) return known;
      const [row] = await db.query<{ account: string }>(
        `select legs -> 0 ->> 'debitAccountId' as account from transfers where id = $1 and kind = 'hold'`,
        [holdId],
      );
      return row === undefined ? undefined : accountPartition(row.account, count);
    },
  };
}
