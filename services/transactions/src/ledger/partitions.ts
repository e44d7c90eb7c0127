/**
 * The engine's rules for a partitioned ledger: which writer owns an account,
 * how a transfer whose credit account lives in another partition is split in
 * two halves through the transit accounts, and how a refused second half is
 * refunded. With one partition every function here is a no-op.
 */
import { accountPartition, transitAccountId } from '@t50/contracts';
import type { BatchSnapshot } from './engine';
import { Rejection, type Command, type Forward, type LegInput, type PartitionScope } from './model';

/** Refuses a command that would write an account of another partition: one writer per account. */
export function requireOwned(accountIds: Iterable<string>, scope: PartitionScope): void {
  if (scope.count <= 1) return;
  for (const id of accountIds) {
    const owner = accountPartition(id, scope.count);
    if (owner !== scope.index) {
      throw new Rejection(
        'wrong_partition',
        `account ${id} belongs to partition ${owner}; this is partition ${scope.index} of ${scope.count}`,
      );
    }
  }
}

/** Ids are at most 128 characters (contracts' `Id`); the halves' ids add a suffix. */
const maxIdLength = 128;
const transitSuffix = ':transit';

/** The ids of a transfer's second half (in the other partition) and of its refund (back in this one). */
export const transitHalfId = (transferId: string): string => `${transferId}${transitSuffix}`;
export const refundId = (transferId: string): string => `${transferId}:refund`;

/** A refund (`<id>:refund`, metadata refundOf) must reverse exactly the first half `<id>` this partition recorded. */
export function checkRefund(
  command: Extract<Command, { kind: 'transfer' }>,
  snapshot: BatchSnapshot,
  scope: PartitionScope,
): void {
  const refundOf = command.metadata.refundOf;
  if (refundOf === undefined || scope.count <= 1) return;
  const first = snapshot.transfers.get(refundOf);
  const leg = command.legs[0];
  const firstLeg = first?.legs[0];
  const matches =
    command.transferId === refundId(refundOf) &&
    command.legs.length === 1 &&
    first?.legs.length === 1 &&
    leg !== undefined &&
    firstLeg !== undefined &&
    leg.asset === firstLeg.asset &&
    leg.amount === firstLeg.amount &&
    leg.creditAccountId === firstLeg.debitAccountId &&
    leg.debitAccountId === transitAccountId(leg.asset, scope.index) &&
    firstLeg.creditAccountId === leg.debitAccountId &&
    // The second half, if recorded (by the other partition's writer, read here), went through: no refund.
    !snapshot.transfers.has(transitHalfId(refundOf));
  if (!matches)
    throw new Rejection(
      'conflict',
      `refund ${command.transferId} does not reverse a transfer ${refundOf} that left this partition`,
    );
}

export const legAccounts = (legs: readonly LegInput[]): string[] =>
  legs.flatMap((leg) => [leg.debitAccountId, leg.creditAccountId]);

/**
 * A transfer whose one leg credits an account of another partition is split:
 * here the debit and a credit to this partition's transit account; the other
 * half (debit that partition's transit account, credit the account) goes to
 * the other partition through the outbox. Holds and transfers of several legs
 * must stay within one partition.
 */
export function splitAcrossPartitions(
  command: Extract<Command, { kind: 'transfer' }>,
  scope: PartitionScope,
): { legs: readonly LegInput[]; forward: Forward | undefined } {
  if (scope.count <= 1) return { legs: command.legs, forward: undefined };
  const foreign = legAccounts(command.legs).filter((id) => accountPartition(id, scope.count) !== scope.index);
  if (foreign.length === 0) return { legs: command.legs, forward: undefined };
  const leg = command.legs[0]!;
  const splittable =
    command.legs.length === 1 &&
    command.pendingTimeoutSeconds === undefined &&
    foreign.length === 1 &&
    foreign[0] === leg.creditAccountId;
  // Throws: at least one account is another partition's.
  if (!splittable) requireOwned(legAccounts(command.legs), scope);
  if (command.transferId.length > maxIdLength - transitSuffix.length) {
    throw new Rejection(
      'wrong_partition',
      `transfer ${command.transferId} crosses partitions, and its id is too long for the ids of its halves (at most ${maxIdLength - transitSuffix.length} characters)`,
    );
  }
  const to = accountPartition(leg.creditAccountId, scope.count);
  return {
    legs: [{ ...leg, creditAccountId: transitAccountId(leg.asset, scope.index) }],
    forward: {
      partition: to,
      transferId: transitHalfId(command.transferId),
      code: command.code,
      legs: [{ ...leg, debitAccountId: transitAccountId(leg.asset, to) }],
      // Only the link: the first half keeps the caller's metadata (which may already use all 16 keys).
      metadata: {
        transitOf: command.transferId,
        transitFromPartition: String(scope.index),
        transitFromAccountId: leg.debitAccountId,
      },
    },
  };
}

/**
 * When the second half of a transfer between partitions is refused, the first
 * half is reversed in its partition. Only a second half qualifies (its id, its
 * one leg from this partition's transit account); the origin partition checks
 * the refund against the first half it recorded (`checkRefund`).
 */
export function refundOf(command: Extract<Command, { kind: 'transfer' }>, scope: PartitionScope): Forward | undefined {
  const { transitOf, transitFromPartition, transitFromAccountId } = command.metadata;
  const leg = command.legs[0];
  if (
    transitOf === undefined ||
    transitFromPartition === undefined ||
    transitFromAccountId === undefined ||
    leg === undefined
  ) {
    return undefined;
  }
  const from = Number(transitFromPartition);
  const secondHalf =
    scope.count > 1 &&
    command.transferId === transitHalfId(transitOf) &&
    command.legs.length === 1 &&
    leg.debitAccountId === transitAccountId(leg.asset, scope.index) &&
    Number.isInteger(from) &&
    from >= 0 &&
    from < scope.count &&
    from !== scope.index;
  if (!secondHalf) return undefined;
  return {
    partition: from,
    transferId: refundId(transitOf),
    code: 'reversal',
    legs: [
      {
        debitAccountId: transitAccountId(leg.asset, from),
        creditAccountId: transitFromAccountId,
        asset: leg.asset,
        amount: leg.amount,
      },
    ],
    metadata: { refundOf: transitOf },
  };
}
