/**
 * The ledger's internal model: commands after parsing (amounts are bigint),
 * the state a batch is applied against, and what applying produces.
 */
import type { RejectionCode, TransferCode } from '@t50/contracts';

export interface LegInput {
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly asset: string;
  readonly amount: bigint;
}

export type Metadata = Readonly<Record<string, string>>;

export type Command =
  | { readonly kind: 'open_accounts'; readonly ownerId: string; readonly assets: readonly string[] }
  | {
      readonly kind: 'transfer';
      readonly transferId: string;
      readonly code: TransferCode;
      readonly legs: readonly LegInput[];
      readonly metadata: Metadata;
      readonly effectiveAt: Date | undefined;
      readonly pendingTimeoutSeconds: number | undefined;
    }
  | {
      readonly kind: 'post';
      readonly transferId: string;
      readonly pendingId: string;
      readonly amount: bigint | undefined;
      readonly metadata: Metadata;
    }
  | {
      readonly kind: 'void';
      readonly transferId: string;
      readonly pendingId: string;
      readonly metadata: Metadata;
      /** Raised by the expiry sweeper rather than by a caller. */
      readonly expiry: boolean;
    };

/** One unit of work for the writer: a consumed message or an HTTP command. */
export interface WorkItem {
  readonly messageId: string;
  /** The message type, echoed in a rejection event. */
  readonly commandType: string;
  readonly command: Command;
  readonly replyTo?: string | undefined;
  readonly correlationId?: string | undefined;
}

export interface AccountState {
  readonly id: string;
  readonly asset: string;
  readonly ownerType: 'user' | 'system';
  readonly ownerId: string;
  readonly code: string;
  readonly noOverdraft: boolean;
  postedDebits: bigint;
  postedCredits: bigint;
  pendingDebits: bigint;
  pendingCredits: bigint;
}

export interface StoredTransfer {
  readonly id: string;
  readonly kind: 'transfer' | 'hold' | 'post' | 'void';
  readonly code: string;
  readonly pendingId: string | undefined;
  readonly legs: readonly LegInput[];
  readonly metadata: Metadata;
  readonly contentHash: string;
  readonly effectiveAt: Date;
  readonly recordedAt: Date;
  readonly expiresAt: Date | undefined;
}

export type HoldStateName = 'pending' | 'posted' | 'voided' | 'expired';

export interface HoldState {
  readonly transferId: string;
  state: HoldStateName;
  readonly expiresAt: Date;
  resolvedBy: string | undefined;
}

/** What the outcome of a message was; kept in the inbox so a redelivery gets the same answer. */
export type StoredOutcome =
  | {
      readonly status: 'applied';
      readonly transferId?: string;
      readonly accountIds?: readonly string[];
      /** The transfer (or accounts) existed already: recorded by an earlier message with other id. */
      readonly duplicate?: true;
    }
  | { readonly status: 'rejected'; readonly code: RejectionCode; readonly detail: string; readonly transferId?: string }
  | { readonly status: 'ignored'; readonly detail: string };

/** Which partition a writer is, of how many (one partition: index 0 of 1). */
export interface PartitionScope {
  readonly index: number;
  readonly count: number;
}

export const onePartition: PartitionScope = { index: 0, count: 1 };

/**
 * A transfer a writer hands to another partition, through the outbox in the
 * same transaction: the second half of a transfer between partitions, or the
 * refund of a first half whose second half was refused.
 */
export interface Forward {
  readonly partition: number;
  readonly transferId: string;
  readonly code: TransferCode;
  readonly legs: readonly LegInput[];
  readonly metadata: Metadata;
}

export type Outcome =
  | {
      readonly status: 'applied';
      readonly transfer?: StoredTransfer;
      readonly accounts?: readonly AccountState[];
      readonly duplicate: boolean;
      readonly forward?: Forward;
    }
  | { readonly status: 'rejected'; readonly code: RejectionCode; readonly detail: string; readonly forward?: Forward }
  | { readonly status: 'ignored'; readonly detail: string };

export class Rejection extends Error {
  override readonly name = 'Rejection';
  constructor(
    readonly code: RejectionCode,
    detail: string,
  ) {
    super(detail);
  }
}
