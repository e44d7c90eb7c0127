/**
 * The events a batch produces, written to the outbox in the batch's
 * transaction: transfer pending / posted / voided / rejected and account
 * opened, each with a stable id derived from what it reports, plus a copy to
 * `reply_to` when the command asked for one.
 */
import { exchanges, partitionRoutingKey, type AccountView, type LedgerCommand, type LedgerEvent, type TransferView } from '@t50/contracts';
import type { ItemResult } from './engine';
import { onePartition, type AccountState, type Forward, type PartitionScope, type StoredTransfer, type WorkItem } from './model';
import type { OutboxRow } from './store';

export function transferView(transfer: StoredTransfer, expired = false): TransferView {
  const state = transfer.kind === 'hold' ? 'pending' : transfer.kind === 'void' ? (expired ? 'expired' : 'voided') : 'posted';
  return {
    transferId: transfer.id,
    code: transfer.code,
    kind: transfer.kind,
    state,
    ...(transfer.pendingId === undefined ? {} : { pendingId: transfer.pendingId }),
    legs: transfer.legs.map((leg) => ({ ...leg, amount: leg.amount.toString() })),
    metadata: { ...transfer.metadata },
    effectiveAt: transfer.effectiveAt.toISOString(),
    recordedAt: transfer.recordedAt.toISOString(),
    ...(transfer.expiresAt === undefined ? {} : { expiresAt: transfer.expiresAt.toISOString() }),
  };
}

export function accountView(account: AccountState): AccountView {
  const balance = account.postedCredits - account.postedDebits;
  return {
    accountId: account.id,
    asset: account.asset,
    ownerType: account.ownerType,
    ownerId: account.ownerId,
    code: account.code,
    noOverdraft: account.noOverdraft,
    postedDebits: account.postedDebits.toString(),
    postedCredits: account.postedCredits.toString(),
    pendingDebits: account.pendingDebits.toString(),
    pendingCredits: account.pendingCredits.toString(),
    balance: balance.toString(),
    available: (balance - account.pendingDebits).toString(),
  };
}

/** The events that report an item's outcome (none for a redelivery or an ignored expiry). */
export function eventsFor(item: WorkItem, result: ItemResult, now: Date): LedgerEvent[] {
  const base = { messageId: item.messageId, ...(item.correlationId === undefined ? {} : { correlationId: item.correlationId }) };
  const occurredAt = now.toISOString();
  switch (result.status) {
    case 'redelivered':
    case 'ignored':
      return [];
    case 'rejected': {
      const command = item.command;
      return [
        {
          id: `${item.messageId}:rejected`,
          type: 'ledger.transfer.rejected',
          version: 1,
          occurredAt,
          data: {
            ...base,
            ...(command.kind === 'open_accounts' ? {} : { transferId: command.transferId }),
            commandType: item.commandType,
            code: result.code,
            detail: result.detail,
          },
        },
      ];
    }
    case 'applied': {
      if (result.transfer !== undefined) return [transferEvent(result.transfer, base, occurredAt, item)];
      return (result.accounts ?? []).map((account) => ({
        id: `${account.id}:opened`,
        type: 'ledger.account.opened' as const,
        version: 1 as const,
        occurredAt,
        data: { ...base, account: accountView(account) },
      }));
    }
  }
}

function transferEvent(
  transfer: StoredTransfer,
  base: { messageId: string; correlationId?: string },
  occurredAt: string,
  item: WorkItem,
): LedgerEvent {
  const expired = item.command.kind === 'void' && item.command.expiry;
  switch (transfer.kind) {
    case 'hold':
      return { id: `${transfer.id}:pending`, type: 'ledger.transfer.pending', version: 1, occurredAt, data: { ...base, transfer: transferView(transfer) } };
    case 'transfer':
    case 'post':
      return { id: `${transfer.id}:posted`, type: 'ledger.transfer.posted', version: 1, occurredAt, data: { ...base, transfer: transferView(transfer) } };
    case 'void':
      return {
        id: `${transfer.id}:voided`,
        type: 'ledger.transfer.voided',
        version: 1,
        occurredAt,
        data: { ...base, transfer: transferView(transfer, expired), reason: expired ? 'expired' : 'voided' },
      };
  }
}

/**
 * Outbox rows for a batch. A duplicate (same transfer id, same content, new
 * message) is answered on reply_to but not announced again.
 */
export function buildOutbox(
  items: readonly WorkItem[],
  results: readonly ItemResult[],
  now: Date,
  scope: PartitionScope = onePartition,
): OutboxRow[] {
  const rows: OutboxRow[] = [];
  items.forEach((item, index) => {
    const result = results[index]!;
    if ((result.status === 'applied' || result.status === 'rejected') && result.forward !== undefined) {
      rows.push(forwardRow(result.forward, item, now, scope));
    }
    const events = eventsFor(item, result, now);
    const announce = !(result.status === 'applied' && result.duplicate);
    for (const event of events) {
      if (announce) {
        rows.push({ eventId: event.id, exchange: exchanges.events, routingKey: event.type, type: event.type, correlationId: item.correlationId, payload: event });
      }
      if (item.replyTo !== undefined) {
        rows.push({ eventId: event.id, exchange: '', routingKey: item.replyTo, type: event.type, correlationId: item.correlationId, payload: event });
      }
    }
  });
  return rows;
}

/** The command that carries a transfer's other half (or its refund) to the partition that owns its accounts. */
export function forwardCommand(forward: Forward, now: Date): LedgerCommand {
  return {
    id: forward.transferId,
    type: 'ledger.transfer.create',
    version: 1,
    occurredAt: now.toISOString(),
    data: {
      transferId: forward.transferId,
      code: forward.code,
      legs: forward.legs.map((leg) => ({ ...leg, amount: leg.amount.toString() })),
      metadata: { ...forward.metadata },
    },
  };
}

function forwardRow(forward: Forward, item: WorkItem, now: Date, scope: PartitionScope): OutboxRow {
  const command = forwardCommand(forward, now);
  return {
    eventId: command.id,
    exchange: exchanges.commands,
    routingKey: partitionRoutingKey(`ledger.command.${command.type}`, forward.partition, scope.count),
    type: command.type,
    correlationId: item.correlationId,
    payload: command,
  };
}
