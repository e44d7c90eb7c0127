/**
 * Applies a batch of commands, in order, in memory, against the balances read
 * at the start of the batch. Pure: no I/O. The writer loads a snapshot, calls
 * `applyBatch`, and writes what it returns in one transaction.
 *
 * A refused command (a Rejection) changes nothing and does not affect its
 * neighbours: every check runs before any state is touched.
 */
import { maxAmount, userAccountId } from '@t50/contracts';
import { contentHash } from './hashing';
import { checkRefund, legAccounts, refundOf, requireOwned, splitAcrossPartitions } from './partitions';
import {
  onePartition,
  Rejection,
  type AccountState,
  type Command,
  type HoldState,
  type LegInput,
  type Metadata,
  type Outcome,
  type PartitionScope,
  type StoredOutcome,
  type StoredTransfer,
  type WorkItem,
} from './model';

export interface BatchSnapshot {
  readonly assets: ReadonlyMap<string, number>;
  readonly accounts: Map<string, AccountState>;
  readonly transfers: Map<string, StoredTransfer>;
  readonly holds: Map<string, HoldState>;
  readonly inbox: Map<string, StoredOutcome>;
}

export interface EntryRow {
  readonly transferId: string;
  readonly legIndex: number;
  readonly accountId: string;
  readonly side: 'D' | 'C';
  readonly asset: string;
  readonly amount: bigint;
  readonly balanceAfter: bigint;
  readonly code: string;
  readonly effectiveAt: Date;
}

export interface BatchWrites {
  readonly newAccounts: AccountState[];
  readonly touchedAccounts: Set<string>;
  readonly transfers: (StoredTransfer & { readonly messageId: string })[];
  readonly entries: EntryRow[];
  readonly holds: Map<string, HoldState>;
  readonly inbox: { readonly messageId: string; readonly outcome: StoredOutcome }[];
}

export type ItemResult =
  | Outcome
  | {
      readonly status: 'redelivered';
      readonly stored: StoredOutcome;
      /**
       * False when the message id was recorded for other content (another
       * transfer id, or the same transfer id with other legs or metadata): the
       * id was reused, not redelivered.
       */
      readonly sameContent: boolean;
    };

export interface BatchResult {
  readonly results: ItemResult[];
  readonly writes: BatchWrites;
}

/**
 * What every operation of one batch works on: the state as the batch has
 * changed it so far (read at its start, updated after each applied command),
 * what the batch will write, its clock, and the partition applying it.
 */
interface BatchContext {
  readonly snapshot: BatchSnapshot;
  readonly writes: BatchWrites;
  readonly now: Date;
  readonly scope: PartitionScope;
}

const metadataLimitBytes = 4096;
const userAccountCode = 'user_wallet';

export function applyBatch(
  items: readonly WorkItem[],
  snapshot: BatchSnapshot,
  now: Date,
  scope: PartitionScope = onePartition,
): BatchResult {
  const writes: BatchWrites = {
    newAccounts: [],
    touchedAccounts: new Set(),
    transfers: [],
    entries: [],
    holds: new Map(),
    inbox: [],
  };
  const batch: BatchContext = { snapshot, writes, now, scope };
  const results: ItemResult[] = [];
  for (const item of items) {
    const seen = snapshot.inbox.get(item.messageId);
    if (seen !== undefined) {
      results.push({
        status: 'redelivered',
        stored: seen,
        sameContent: sameContentAsRecorded(item.command, seen, snapshot),
      });
      continue;
    }
    const outcome = applyOne(batch, item);
    // An expiry with nothing to do (resolved, or not due yet) leaves no inbox row: the same id may come again when it is due.
    if (outcome.status === 'ignored') {
      results.push(outcome);
      continue;
    }
    const stored = toStored(outcome, item.command);
    snapshot.inbox.set(item.messageId, stored);
    writes.inbox.push({ messageId: item.messageId, outcome: stored });
    results.push(outcome);
  }
  return { results, writes };
}

/**
 * Whether a message whose id is already in the inbox carries what was recorded
 * for it. Checked where the record allows: the transfer id, and the content of
 * a transfer that was recorded (a refused one left no content to compare).
 */
function sameContentAsRecorded(command: Command, seen: StoredOutcome, snapshot: BatchSnapshot): boolean {
  if (command.kind === 'open_accounts' || seen.status === 'ignored' || seen.transferId === undefined) return true;
  if (seen.transferId !== command.transferId) return false;
  const recorded = snapshot.transfers.get(command.transferId);
  return recorded === undefined || recorded.contentHash === contentHash(command);
}

function applyOne(batch: BatchContext, item: WorkItem): Outcome {
  const command = item.command;
  try {
    switch (command.kind) {
      case 'open_accounts':
        return openAccounts(batch, command);
      case 'transfer':
        return createTransfer(batch, command, item.messageId);
      case 'post':
        return postHold(batch, command, item.messageId);
      case 'void':
        return voidHold(batch, command, item.messageId);
    }
  } catch (error) {
    if (error instanceof Rejection) {
      // A conflict means a transfer with this id is already recorded: nothing to give back.
      const refund =
        command.kind === 'transfer' && error.code !== 'conflict' ? refundOf(command, batch.scope) : undefined;
      return {
        status: 'rejected',
        code: error.code,
        detail: error.message,
        ...(refund === undefined ? {} : { forward: refund }),
      };
    }
    throw error;
  }
}

function toStored(outcome: Outcome, command: Command): StoredOutcome {
  switch (outcome.status) {
    case 'applied': {
      const duplicate = outcome.duplicate ? { duplicate: true as const } : {};
      return outcome.transfer !== undefined
        ? { status: 'applied', transferId: outcome.transfer.id, ...duplicate }
        : { status: 'applied', accountIds: (outcome.accounts ?? []).map((account) => account.id), ...duplicate };
    }
    case 'rejected':
      return command.kind === 'open_accounts'
        ? { status: 'rejected', code: outcome.code, detail: outcome.detail }
        : { status: 'rejected', code: outcome.code, detail: outcome.detail, transferId: command.transferId };
    case 'ignored':
      return { status: 'ignored', detail: outcome.detail };
  }
}

function openAccounts(batch: BatchContext, command: Extract<Command, { kind: 'open_accounts' }>): Outcome {
  const { snapshot, writes } = batch;
  const { ownerId, assets } = command;
  for (const asset of assets) {
    if (!snapshot.assets.has(asset)) throw new Rejection('unknown_asset', `asset ${asset} is not known`);
  }
  requireOwned(
    assets.map((asset) => userAccountId(ownerId, asset)),
    batch.scope,
  );
  const accounts: AccountState[] = [];
  let created = false;
  for (const asset of new Set(assets)) {
    const id = userAccountId(ownerId, asset);
    let account = snapshot.accounts.get(id);
    if (account === undefined) {
      account = {
        id,
        asset,
        ownerType: 'user',
        ownerId,
        code: userAccountCode,
        noOverdraft: true,
        postedDebits: 0n,
        postedCredits: 0n,
        pendingDebits: 0n,
        pendingCredits: 0n,
      };
      snapshot.accounts.set(id, account);
      writes.newAccounts.push(account);
      created = true;
    }
    accounts.push(account);
  }
  return {
    status: 'applied',
    accounts: created ? writes.newAccounts.filter((a) => accounts.includes(a)) : accounts,
    duplicate: !created,
  };
}

/** Same id, same content: the first outcome. Same id, other content: a conflict. */
function existingOutcome(transferId: string, hash: string, snapshot: BatchSnapshot): Outcome | undefined {
  const existing = snapshot.transfers.get(transferId);
  if (existing === undefined) return undefined;
  if (existing.contentHash !== hash) {
    throw new Rejection('conflict', `transfer ${transferId} exists with different content`);
  }
  return { status: 'applied', transfer: existing, duplicate: true };
}

function createTransfer(
  batch: BatchContext,
  command: Extract<Command, { kind: 'transfer' }>,
  messageId: string,
): Outcome {
  const { snapshot, now, scope } = batch;
  const hash = contentHash(command);
  const existing = existingOutcome(command.transferId, hash, snapshot);
  if (existing !== undefined) return existing;
  checkMetadata(command.metadata);
  checkRefund(command, snapshot, scope);
  const { legs, forward } = splitAcrossPartitions(command, scope);
  const accounts = resolveLegs(legs, snapshot);
  const pending = command.pendingTimeoutSeconds !== undefined;
  // Work on copies of the totals; commit them only when every check passed.
  const next = new Map<string, AccountState>();
  for (const account of accounts.values()) next.set(account.id, { ...account });
  for (const leg of legs) {
    const debit = next.get(leg.debitAccountId)!;
    const credit = next.get(leg.creditAccountId)!;
    if (pending) {
      debit.pendingDebits += leg.amount;
      credit.pendingCredits += leg.amount;
    } else {
      debit.postedDebits += leg.amount;
      credit.postedCredits += leg.amount;
    }
  }
  checkTotals(next.values());
  const transfer: StoredTransfer = {
    id: command.transferId,
    kind: pending ? 'hold' : 'transfer',
    code: command.code,
    pendingId: undefined,
    legs,
    metadata: command.metadata,
    contentHash: hash,
    effectiveAt: command.effectiveAt ?? now,
    recordedAt: now,
    expiresAt:
      command.pendingTimeoutSeconds === undefined
        ? undefined
        : new Date(now.getTime() + command.pendingTimeoutSeconds * 1000),
  };
  commitTotals(batch, next);
  record(batch, transfer, messageId);
  if (pending) {
    const hold: HoldState = {
      transferId: transfer.id,
      state: 'pending',
      expiresAt: transfer.expiresAt!,
      resolvedBy: undefined,
    };
    snapshot.holds.set(hold.transferId, hold);
    batch.writes.holds.set(hold.transferId, hold);
  } else {
    appendEntries(batch, transfer, transfer.legs);
  }
  return { status: 'applied', transfer, duplicate: false, ...(forward === undefined ? {} : { forward }) };
}

function postHold(batch: BatchContext, command: Extract<Command, { kind: 'post' }>, messageId: string): Outcome {
  const { snapshot, now } = batch;
  const hash = contentHash(command);
  const existing = existingOutcome(command.transferId, hash, snapshot);
  if (existing !== undefined) return existing;
  checkMetadata(command.metadata);
  const { hold, held } = openHold(batch, command.pendingId, { checkExpiry: true });
  let postedLegs: readonly LegInput[] = held.legs;
  if (command.amount !== undefined) {
    const only = held.legs[0];
    if (held.legs.length !== 1 || only === undefined) {
      throw new Rejection(
        'partial_post_of_multi_leg_hold',
        `hold ${held.id} has ${held.legs.length} legs; post it in full`,
      );
    }
    if (command.amount > only.amount) {
      throw new Rejection('post_amount_exceeds_hold', `post of ${command.amount} exceeds the hold of ${only.amount}`);
    }
    postedLegs = [{ ...only, amount: command.amount }];
  }
  const next = copyAccounts(held.legs, snapshot);
  held.legs.forEach((leg, index) => {
    const posted = postedLegs[index]!.amount;
    const debit = next.get(leg.debitAccountId)!;
    const credit = next.get(leg.creditAccountId)!;
    debit.pendingDebits -= leg.amount;
    credit.pendingCredits -= leg.amount;
    debit.postedDebits += posted;
    credit.postedCredits += posted;
  });
  checkTotals(next.values());
  const transfer: StoredTransfer = {
    id: command.transferId,
    kind: 'post',
    code: held.code,
    pendingId: held.id,
    legs: postedLegs,
    metadata: command.metadata,
    contentHash: hash,
    effectiveAt: now,
    recordedAt: now,
    expiresAt: undefined,
  };
  commitTotals(batch, next);
  record(batch, transfer, messageId);
  resolveHold(batch, hold, 'posted', transfer.id);
  appendEntries(batch, transfer, postedLegs);
  return { status: 'applied', transfer, duplicate: false };
}

function voidHold(batch: BatchContext, command: Extract<Command, { kind: 'void' }>, messageId: string): Outcome {
  const { snapshot, now } = batch;
  const hash = contentHash(command);
  if (command.expiry) {
    const hold = snapshot.holds.get(command.pendingId);
    if (hold === undefined || hold.state !== 'pending') return { status: 'ignored', detail: 'hold already resolved' };
    // Over the broker an expiry may arrive early (a clock ahead, a forged message): only a due hold expires.
    if (hold.expiresAt.getTime() > now.getTime()) return { status: 'ignored', detail: 'hold not expired yet' };
  }
  const existing = existingOutcome(command.transferId, hash, snapshot);
  if (existing !== undefined) return existing;
  checkMetadata(command.metadata);
  // An expiry voids a hold whose time has come; a caller may void it until then.
  const { hold, held } = openHold(batch, command.pendingId, { checkExpiry: !command.expiry });
  const next = copyAccounts(held.legs, snapshot);
  for (const leg of held.legs) {
    next.get(leg.debitAccountId)!.pendingDebits -= leg.amount;
    next.get(leg.creditAccountId)!.pendingCredits -= leg.amount;
  }
  checkTotals(next.values());
  const transfer: StoredTransfer = {
    id: command.transferId,
    kind: 'void',
    code: held.code,
    pendingId: held.id,
    legs: held.legs,
    metadata: command.metadata,
    contentHash: hash,
    effectiveAt: now,
    recordedAt: now,
    expiresAt: undefined,
  };
  commitTotals(batch, next);
  record(batch, transfer, messageId);
  resolveHold(batch, hold, command.expiry ? 'expired' : 'voided', transfer.id);
  return { status: 'applied', transfer, duplicate: false };
}

/**
 * The hold and its transfer, if it may still be posted or voided. Without
 * `checkExpiry` (an expiry voiding it) a hold whose time has passed is open.
 */
function openHold(
  batch: BatchContext,
  pendingId: string,
  { checkExpiry }: { readonly checkExpiry: boolean },
): { hold: HoldState; held: StoredTransfer } {
  const hold = batch.snapshot.holds.get(pendingId);
  const held = batch.snapshot.transfers.get(pendingId);
  if (hold === undefined || held === undefined || held.kind !== 'hold') {
    throw new Rejection('hold_not_found', `no hold ${pendingId}`);
  }
  requireOwned(legAccounts(held.legs), batch.scope);
  switch (hold.state) {
    case 'pending':
      break;
    case 'posted':
      throw new Rejection(
        'hold_already_posted',
        `hold ${pendingId} was posted by ${hold.resolvedBy ?? 'an earlier command'}`,
      );
    case 'voided':
      throw new Rejection(
        'hold_already_voided',
        `hold ${pendingId} was voided by ${hold.resolvedBy ?? 'an earlier command'}`,
      );
    case 'expired':
      throw new Rejection('hold_expired', `hold ${pendingId} expired at ${hold.expiresAt.toISOString()}`);
  }
  if (checkExpiry && hold.expiresAt.getTime() <= batch.now.getTime()) {
    throw new Rejection('hold_expired', `hold ${pendingId} expired at ${hold.expiresAt.toISOString()}`);
  }
  return { hold, held };
}

function resolveHold(batch: BatchContext, hold: HoldState, state: HoldState['state'], by: string): void {
  hold.state = state;
  hold.resolvedBy = by;
  batch.writes.holds.set(hold.transferId, hold);
}

/** Checks every leg's asset and accounts; returns the accounts the legs touch. */
function resolveLegs(legs: readonly LegInput[], snapshot: BatchSnapshot): Map<string, AccountState> {
  const accounts = new Map<string, AccountState>();
  for (const leg of legs) {
    if (!snapshot.assets.has(leg.asset)) throw new Rejection('unknown_asset', `asset ${leg.asset} is not known`);
    if (leg.debitAccountId === leg.creditAccountId) {
      throw new Rejection('same_account', `leg debits and credits the same account ${leg.debitAccountId}`);
    }
    if (leg.amount <= 0n || leg.amount > maxAmount) throw new Rejection('amount_out_of_range', 'amount out of range');
    for (const id of [leg.debitAccountId, leg.creditAccountId]) {
      const account = snapshot.accounts.get(id);
      if (account === undefined) throw new Rejection('account_not_found', `no account ${id}`);
      if (account.asset !== leg.asset) {
        throw new Rejection('asset_mismatch', `account ${id} holds ${account.asset}, the leg moves ${leg.asset}`);
      }
      accounts.set(id, account);
    }
  }
  return accounts;
}

function copyAccounts(legs: readonly LegInput[], snapshot: BatchSnapshot): Map<string, AccountState> {
  const next = new Map<string, AccountState>();
  for (const leg of legs) {
    for (const id of [leg.debitAccountId, leg.creditAccountId]) {
      const account = snapshot.accounts.get(id);
      // A hold's accounts existed when it was placed, and accounts are never deleted.
      if (account === undefined) throw new Error(`invariant: account ${id} of a hold is missing`);
      next.set(id, { ...account });
    }
  }
  return next;
}

function checkTotals(accounts: Iterable<AccountState>): void {
  for (const account of accounts) {
    const totals = [account.postedDebits, account.postedCredits, account.pendingDebits, account.pendingCredits];
    if (totals.some((total) => total > maxAmount)) {
      throw new Rejection('amount_out_of_range', `account ${account.id} would exceed the largest amount`);
    }
    if (totals.some((total) => total < 0n)) throw new Error(`invariant: account ${account.id} total below zero`);
    if (account.noOverdraft && account.postedDebits + account.pendingDebits > account.postedCredits) {
      const available = account.postedCredits - account.postedDebits - account.pendingDebits;
      throw new Rejection('insufficient_funds', `account ${account.id} lacks funds (available ${available})`);
    }
  }
}

function commitTotals(batch: BatchContext, next: Map<string, AccountState>): void {
  for (const account of next.values()) {
    Object.assign(batch.snapshot.accounts.get(account.id)!, account);
    batch.writes.touchedAccounts.add(account.id);
  }
}

function record(batch: BatchContext, transfer: StoredTransfer, messageId: string): void {
  batch.snapshot.transfers.set(transfer.id, transfer);
  batch.writes.transfers.push({ ...transfer, messageId });
}

function appendEntries(batch: BatchContext, transfer: StoredTransfer, legs: readonly LegInput[]): void {
  const { snapshot, writes } = batch;
  // Totals already include the whole transfer: start from the balance before
  // it and walk the entries forward, so each records the balance after itself.
  const running = new Map<string, bigint>();
  for (const leg of legs) {
    for (const id of [leg.debitAccountId, leg.creditAccountId]) {
      const account = snapshot.accounts.get(id)!;
      running.set(id, account.postedCredits - account.postedDebits);
    }
  }
  for (const leg of legs) {
    running.set(leg.debitAccountId, running.get(leg.debitAccountId)! + leg.amount);
    running.set(leg.creditAccountId, running.get(leg.creditAccountId)! - leg.amount);
  }
  legs.forEach((leg, legIndex) => {
    for (const [side, accountId, effect] of [
      ['D', leg.debitAccountId, -leg.amount],
      ['C', leg.creditAccountId, leg.amount],
    ] as const) {
      const balanceAfter = running.get(accountId)! + effect;
      running.set(accountId, balanceAfter);
      writes.entries.push({
        transferId: transfer.id,
        legIndex,
        accountId,
        side,
        asset: leg.asset,
        amount: leg.amount,
        balanceAfter,
        code: transfer.code,
        effectiveAt: transfer.effectiveAt,
      });
    }
  });
}

function checkMetadata(metadata: Metadata): void {
  if (Buffer.byteLength(JSON.stringify(metadata)) > metadataLimitBytes) {
    throw new Rejection('metadata_too_large', `metadata is larger than ${metadataLimitBytes} bytes`);
  }
}
