/**
 * Turns a raw message into a work item, or says why it never can be (it is
 * then dead-lettered with that reason): too large, nested too deep, not
 * JSON, no known type, or not matching its type's schema.
 */
import { domainEvents, ledgerCommands, validatorFor, type DomainEvent, type LedgerCommand } from '@t50/contracts';
import { jsonDepth, maxJsonDepth } from '@t50/kit';
import { commandForEvent } from '../posting/rules';
import type { Command, WorkItem } from '../ledger/model';

/** What the ledger consumes: its commands and the domain events it has posting rules for. */
const consumedTypes = new Set([...ledgerCommands, ...domainEvents].map((schema) => schema.$id!));

export type Parsed = { readonly ok: true; readonly item: WorkItem } | { readonly ok: false; readonly reason: string };

export interface RawMessage {
  readonly body: Buffer | string;
  readonly replyTo?: string | undefined;
  readonly correlationId?: string | undefined;
}


/** `partition`: the ledger partition that consumed the message (its platform accounts are used). */
export function parseMessage(raw: RawMessage, maxBytes: number, partition = 0): Parsed {
  const size = typeof raw.body === 'string' ? Buffer.byteLength(raw.body) : raw.body.length;
  if (size > maxBytes) return { ok: false, reason: `message_too_large: ${size} bytes, the limit is ${maxBytes}` };
  // Counted without recursion before anything walks the parsed value.
  if (jsonDepth(raw.body) > maxJsonDepth) {
    return { ok: false, reason: `too_deep: the body nests objects and arrays deeper than ${maxJsonDepth} levels` };
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof raw.body === 'string' ? raw.body : raw.body.toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed_json: the body is not valid JSON' };
  }
  return parseValue(value, raw, partition);
}

export function parseValue(value: unknown, raw: Omit<RawMessage, 'body'>, partition = 0): Parsed {
  if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') {
    return { ok: false, reason: 'invalid_schema: the body is not a message envelope with a type' };
  }
  const type = (value as { type: string }).type;
  const check = consumedTypes.has(type) ? validatorFor(type) : undefined;
  if (check === undefined) return { ok: false, reason: `unknown_type: ${type.slice(0, 80)} is not consumed by the ledger` };
  if (!check.Check(value)) {
    const first = check.Errors(value).First();
    return { ok: false, reason: `invalid_schema: ${first === undefined ? 'invalid' : `${first.path || '/'} ${first.message}`}` };
  }
  const message = value as LedgerCommand | DomainEvent;
  const command = toCommand(message, partition);
  return {
    ok: true,
    item: { messageId: message.id, commandType: type, command, replyTo: raw.replyTo, correlationId: raw.correlationId },
  };
}

function toCommand(message: LedgerCommand | DomainEvent, partition: number): Command {
  switch (message.type) {
    case 'ledger.account.open':
      return { kind: 'open_accounts', ownerId: message.data.ownerId, assets: [message.data.asset] };
    case 'ledger.transfer.create':
      return {
        kind: 'transfer',
        transferId: message.data.transferId,
        code: message.data.code as Extract<Command, { kind: 'transfer' }>['code'],
        legs: message.data.legs.map((leg) => ({ ...leg, amount: BigInt(leg.amount) })),
        metadata: message.data.metadata ?? {},
        effectiveAt: message.data.effectiveAt === undefined ? undefined : new Date(message.data.effectiveAt),
        pendingTimeoutSeconds: message.data.pending?.timeoutSeconds,
      };
    case 'ledger.transfer.post':
      return {
        kind: 'post',
        transferId: message.data.transferId,
        pendingId: message.data.pendingId,
        amount: message.data.amount === undefined ? undefined : BigInt(message.data.amount),
        metadata: message.data.metadata ?? {},
      };
    case 'ledger.transfer.void':
      return {
        kind: 'void',
        transferId: message.data.transferId,
        pendingId: message.data.pendingId,
        metadata: message.data.metadata ?? {},
        expiry: false,
      };
    case 'ledger.hold.expire':
      return expireCommand(message.data.pendingId);
    case 'gateway.user.registered':
    case 'gateway.send.requested':
    case 'gateway.trade.executed':
    case 'payments.deposit.succeeded':
    case 'payments.payout.requested':
    case 'payments.payout.completed':
    case 'payments.payout.failed':
    case 'wallet.deposit.confirmed':
    case 'wallet.withdrawal.requested':
    case 'wallet.withdrawal.confirmed':
    case 'wallet.withdrawal.failed':
      // Domain events become commands through the posting rules, kept in one module.
      return commandForEvent(message, partition);
  }
}

/** The void of an expired hold: the sweeper's command, in process or over the broker. */
export const expireCommand = (pendingId: string): Command => ({
  kind: 'void',
  transferId: `expire:${pendingId}`,
  pendingId,
  metadata: { reason: 'expired' },
  expiry: true,
});
