/**
 * The ledger's own messages: commands it accepts (queue `ledger.inbox`, routing
 * keys `ledger.command.*` on the `t50.commands` exchange, or POST /v1/commands)
 * and events it publishes (`ledger.*` on the `t50.events` exchange).
 */
import { Type, type Static } from '@sinclair/typebox';
import { envelope, Id, Timestamp } from './common';
import { AssetCode, PositiveAmount, SignedAmount } from './money';
import { Text } from './text';

export const exchanges = { commands: 't50.commands', events: 't50.events' } as const;

export const TransferCode = Type.Union(
  ['deposit', 'withdrawal', 'trade', 'send', 'fee', 'reversal', 'adjustment'].map((code) => Type.Literal(code)),
  { description: 'Why the money moved' },
);
export type TransferCode = 'deposit' | 'withdrawal' | 'trade' | 'send' | 'fee' | 'reversal' | 'adjustment';

export const Leg = Type.Object(
  {
    debitAccountId: Id,
    creditAccountId: Id,
    asset: AssetCode,
    amount: PositiveAmount,
  },
  { additionalProperties: false },
);
export type Leg = Static<typeof Leg>;

/** A metadata key: 1 to 64 of the letters A-Z and a-z, the digits and `_.-`. */
export const metadataKeyPattern = '^[A-Za-z0-9_.-]{1,64}$';

/**
 * Metadata: a flat object of short strings, at most 16 keys (the ledger also
 * caps its size at 4 KiB). Closed: a key outside the key pattern, or a value
 * that is not text, is refused, on HTTP and on the broker alike.
 */
export const Metadata = Type.Record(Type.String({ pattern: metadataKeyPattern }), Text({ maxLength: 256 }), {
  maxProperties: 16,
  additionalProperties: false,
  description: 'At most 16 keys matching ^[A-Za-z0-9_.-]{1,64}$, each value a string of at most 256 characters',
});

export const TransferRequest = Type.Object(
  {
    transferId: Id,
    code: TransferCode,
    legs: Type.Array(Leg, { minItems: 1, maxItems: 8 }),
    metadata: Type.Optional(Metadata),
    /** When the fact happened upstream; defaults to when the ledger recorded it. */
    effectiveAt: Type.Optional(Timestamp),
    /** Present: a hold (pending transfer) that expires after this many seconds unless posted or voided. */
    pending: Type.Optional(
      Type.Object({ timeoutSeconds: Type.Integer({ minimum: 1, maximum: 90 * 24 * 3600 }) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type TransferRequest = Static<typeof TransferRequest>;

export const PostRequest = Type.Object(
  {
    transferId: Id,
    pendingId: Id,
    /** Post part of a single-leg hold; the rest is released. Omitted: the whole hold. */
    amount: Type.Optional(PositiveAmount),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);
export type PostRequest = Static<typeof PostRequest>;

export const VoidRequest = Type.Object(
  { transferId: Id, pendingId: Id, metadata: Type.Optional(Metadata) },
  { additionalProperties: false },
);
export type VoidRequest = Static<typeof VoidRequest>;

export const OpenAccountRequest = Type.Object(
  { ownerId: Id, asset: AssetCode },
  { additionalProperties: false, description: "Opens the user's account in that asset (id user:<ownerId>:<asset>)" },
);
export type OpenAccountRequest = Static<typeof OpenAccountRequest>;

export const OpenAccountCommand = envelope('ledger.account.open', OpenAccountRequest, 'Open a user account, idempotently');
export const CreateTransferCommand = envelope('ledger.transfer.create', TransferRequest, 'Create a transfer or a hold');
export const PostTransferCommand = envelope('ledger.transfer.post', PostRequest, 'Post a hold, in full or in part');
export const VoidTransferCommand = envelope('ledger.transfer.void', VoidRequest, 'Void a hold');

export const ExpireHoldRequest = Type.Object(
  { pendingId: Id },
  {
    additionalProperties: false,
    description: 'Voids the hold as expired (transfer id expire:<pendingId>) if its expiry has passed; otherwise nothing happens',
  },
);
export const ExpireHoldCommand = envelope(
  'ledger.hold.expire',
  ExpireHoldRequest,
  "Expire a hold whose time has passed: sent by the ledger's own sweeper to the hold's partition",
);

export const ledgerCommands = [OpenAccountCommand, CreateTransferCommand, PostTransferCommand, VoidTransferCommand, ExpireHoldCommand] as const;
export type LedgerCommand =
  | Static<typeof OpenAccountCommand>
  | Static<typeof CreateTransferCommand>
  | Static<typeof PostTransferCommand>
  | Static<typeof VoidTransferCommand>
  | Static<typeof ExpireHoldCommand>;

/** Why the ledger refused a well-formed message. Stable: clients match on these. */
export const rejectionCodes = [
  'insufficient_funds',
  'account_not_found',
  'asset_mismatch',
  'unknown_asset',
  'amount_out_of_range',
  'conflict',
  'same_account',
  'hold_not_found',
  'hold_already_posted',
  'hold_already_voided',
  'hold_expired',
  'post_amount_exceeds_hold',
  'partial_post_of_multi_leg_hold',
  'metadata_too_large',
  'wrong_partition',
] as const;
export type RejectionCode = (typeof rejectionCodes)[number];
export const RejectionCodeSchema = Type.Union(rejectionCodes.map((code) => Type.Literal(code)));

export const TransferState = Type.Union([
  Type.Literal('posted'),
  Type.Literal('pending'),
  Type.Literal('voided'),
  Type.Literal('expired'),
]);

export const TransferView = Type.Object({
  transferId: Id,
  code: Type.String(),
  kind: Type.Union([Type.Literal('transfer'), Type.Literal('hold'), Type.Literal('post'), Type.Literal('void')]),
  state: TransferState,
  pendingId: Type.Optional(Id),
  legs: Type.Array(Leg),
  metadata: Metadata,
  effectiveAt: Timestamp,
  recordedAt: Timestamp,
  expiresAt: Type.Optional(Timestamp),
});
export type TransferView = Static<typeof TransferView>;

export const AccountView = Type.Object({
  accountId: Id,
  asset: AssetCode,
  ownerType: Type.Union([Type.Literal('user'), Type.Literal('system')]),
  ownerId: Type.String(),
  code: Type.String(),
  noOverdraft: Type.Boolean(),
  postedDebits: SignedAmount,
  postedCredits: SignedAmount,
  pendingDebits: SignedAmount,
  pendingCredits: SignedAmount,
  /** posted credits - posted debits */
  balance: SignedAmount,
  /** balance - pending debits */
  available: SignedAmount,
});
export type AccountView = Static<typeof AccountView>;

/** One entry of an account's history: one side of one leg of a posted transfer. */
export const EntryView = Type.Object({
  /** The entry's sequence number: the history's page cursor. */
  seq: Type.String(),
  transferId: Type.String(),
  legIndex: Type.Integer(),
  accountId: Type.String(),
  side: Type.Union([Type.Literal('debit'), Type.Literal('credit')]),
  asset: Type.String(),
  amount: Type.String(),
  /** The account's posted balance after this entry. */
  balanceAfter: Type.String(),
  code: Type.String(),
  effectiveAt: Type.String(),
  recordedAt: Type.String(),
});
export type EntryView = Static<typeof EntryView>;

const outcomeBase = { messageId: Id, correlationId: Type.Optional(Text()) };

export const TransferPostedEvent = envelope(
  'ledger.transfer.posted',
  Type.Object({ ...outcomeBase, transfer: TransferView }),
  'A transfer, or a post of a hold, was recorded',
);
export const TransferPendingEvent = envelope(
  'ledger.transfer.pending',
  Type.Object({ ...outcomeBase, transfer: TransferView }),
  'A hold was placed',
);
export const TransferVoidedEvent = envelope(
  'ledger.transfer.voided',
  Type.Object({ ...outcomeBase, transfer: TransferView, reason: Type.Union([Type.Literal('voided'), Type.Literal('expired')]) }),
  'A hold was voided, by a command or because it expired',
);
export const TransferRejectedEvent = envelope(
  'ledger.transfer.rejected',
  Type.Object({
    ...outcomeBase,
    transferId: Type.Optional(Type.String()),
    commandType: Type.String(),
    code: RejectionCodeSchema,
    detail: Text(),
  }),
  'A well-formed command was refused; code says why',
);
export const AccountOpenedEvent = envelope(
  'ledger.account.opened',
  Type.Object({ ...outcomeBase, account: AccountView }),
  'An account was opened',
);

export const ledgerEvents = [
  TransferPostedEvent,
  TransferPendingEvent,
  TransferVoidedEvent,
  TransferRejectedEvent,
  AccountOpenedEvent,
] as const;
export type LedgerEvent =
  | Static<typeof TransferPostedEvent>
  | Static<typeof TransferPendingEvent>
  | Static<typeof TransferVoidedEvent>
  | Static<typeof TransferRejectedEvent>
  | Static<typeof AccountOpenedEvent>;

/** The account id of a user's account in an asset. */
export const userAccountId = (userId: string, asset: string): string => `user:${userId}:${asset}`;
/** The account id of a platform account, e.g. systemAccountId('stripe_clearing', 'USD'). */
export const systemAccountId = (kind: string, asset: string): string => `system:${kind}:${asset}`;
