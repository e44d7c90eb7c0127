/**
 * SQL for the writer: load what a batch touches (accounts locked in id order,
 * so two writers can never deadlock), then write everything the batch produced
 * with one multi-row statement per table, in the same transaction.
 *
 * Rows travel as one JSON parameter per table (`jsonb_to_recordset`), which
 * both drivers send the same way, and amounts as decimal strings.
 */
import { textArray, type Queryable } from '@t50/kit';
import { accountPartition, transitAccountId, transitAccountKind, userAccountId } from '@t50/contracts';
import type { BatchSnapshot, BatchWrites } from './engine';
import { transitHalfId } from './partitions';
import {
  onePartition,
  type AccountState,
  type HoldState,
  type LegInput,
  type PartitionScope,
  type StoredOutcome,
  type StoredTransfer,
  type WorkItem,
} from './model';

/**
 * `join unnest(ids)` rather than `where key = any(ids)`: on a young table
 * without statistics the planner picks a sequential scan for `= any` and
 * compares every row with every id (measured: 88 ms for 2,000 rows); a join
 * stays a hash or index lookup whatever the statistics say.
 */
const byIds = (key: string) => `join unnest($1::text::text[]) as wanted (wanted_id) on wanted.wanted_id = ${key}`;

interface AccountRow extends Record<string, unknown> {
  id: string;
  asset: string;
  owner_type: 'user' | 'system';
  owner_id: string;
  code: string;
  no_overdraft: boolean;
  posted_debits: string;
  posted_credits: string;
  pending_debits: string;
  pending_credits: string;
}

export interface TransferRow extends Record<string, unknown> {
  id: string;
  kind: StoredTransfer['kind'];
  code: string;
  pending_id: string | null;
  legs: { debitAccountId: string; creditAccountId: string; asset: string; amount: string }[];
  metadata: Record<string, string>;
  content_hash: string;
  effective_at: Date;
  recorded_at: Date;
  expires_at: Date | null;
}

export const accountColumns =
  'id, asset, owner_type, owner_id, code, no_overdraft, posted_debits::text, posted_credits::text, pending_debits::text, pending_credits::text';
export const transferColumns =
  'id, kind, code, pending_id, legs, metadata, content_hash, effective_at, recorded_at, expires_at';

export function toAccount(row: AccountRow): AccountState {
  return {
    id: row.id,
    asset: row.asset,
    ownerType: row.owner_type,
    ownerId: row.owner_id,
    code: row.code,
    noOverdraft: row.no_overdraft,
    postedDebits: BigInt(row.posted_debits),
    postedCredits: BigInt(row.posted_credits),
    pendingDebits: BigInt(row.pending_debits),
    pendingCredits: BigInt(row.pending_credits),
  };
}

export function toTransfer(row: TransferRow): StoredTransfer {
  return {
    id: row.id,
    kind: row.kind,
    code: row.code,
    pendingId: row.pending_id ?? undefined,
    legs: row.legs.map((leg): LegInput => ({ ...leg, amount: BigInt(leg.amount) })),
    metadata: row.metadata,
    contentHash: row.content_hash,
    effectiveAt: new Date(row.effective_at),
    recordedAt: new Date(row.recorded_at),
    expiresAt: row.expires_at === null ? undefined : new Date(row.expires_at),
  };
}

/** Ids a batch refers to, found before anything is loaded. */
function referencedIds(items: readonly WorkItem[]) {
  const accounts = new Set<string>();
  const transfers = new Set<string>();
  const pendings = new Set<string>();
  const messages = new Set<string>();
  for (const item of items) {
    messages.add(item.messageId);
    const command = item.command;
    switch (command.kind) {
      case 'open_accounts':
        for (const asset of command.assets) accounts.add(userAccountId(command.ownerId, asset));
        break;
      case 'transfer':
        transfers.add(command.transferId);
        // A refund is checked against the first half it reverses.
        if (command.metadata.refundOf !== undefined) {
          transfers.add(command.metadata.refundOf);
          transfers.add(transitHalfId(command.metadata.refundOf));
        }
        for (const leg of command.legs) {
          accounts.add(leg.debitAccountId);
          accounts.add(leg.creditAccountId);
        }
        break;
      case 'post':
      case 'void':
        transfers.add(command.transferId);
        pendings.add(command.pendingId);
        break;
    }
  }
  return { accounts, transfers, pendings, messages };
}

/**
 * Reads (and locks) everything the batch needs. The accounts of the holds the
 * batch posts or voids come from those holds' legs (immutable, so read
 * without a lock); then every account is locked in one statement, in id
 * order, so two writers can never deadlock. The other reads are pipelined.
 */
export async function loadSnapshot(
  tx: Queryable,
  items: readonly WorkItem[],
  assets: ReadonlyMap<string, number>,
  scope: PartitionScope = onePartition,
): Promise<BatchSnapshot> {
  const ids = referencedIds(items);
  const pendingIds = textArray(ids.pendings);
  const holdTransfers =
    ids.pendings.size === 0
      ? []
      : await tx.query<TransferRow>(`select ${transferColumns} from transfers ${byIds('id')}`, [pendingIds]);
  for (const row of holdTransfers) {
    for (const leg of row.legs) {
      ids.accounts.add(leg.debitAccountId);
      ids.accounts.add(leg.creditAccountId);
    }
  }
  if (scope.count > 1) ownAccountsOnly(ids.accounts, items, scope);
  const [accountRows, transferRows, holdRows, inboxRows] = await Promise.all([
    tx.query<AccountRow>(
      `select ${accountColumns} from accounts ${byIds('id')} order by id for no key update of accounts`,
      [textArray(ids.accounts)],
    ),
    ids.transfers.size === 0
      ? Promise.resolve([])
      : tx.query<TransferRow>(`select ${transferColumns} from transfers ${byIds('id')}`, [textArray(ids.transfers)]),
    ids.pendings.size === 0
      ? Promise.resolve([])
      : tx.query<{ transfer_id: string; state: HoldState['state']; expires_at: Date; resolved_by: string | null }>(
          `select transfer_id, state, expires_at, resolved_by from holds ${byIds('transfer_id')}`,
          [pendingIds],
        ),
    tx.query<{ message_id: string; outcome: StoredOutcome }>(
      `select message_id, outcome from inbox ${byIds('message_id')}`,
      [textArray(ids.messages)],
    ),
  ]);
  return {
    assets,
    accounts: new Map(accountRows.map((row) => [row.id, toAccount(row)])),
    transfers: new Map([...holdTransfers, ...transferRows].map((row) => [row.id, toTransfer(row)])),
    holds: new Map(
      holdRows.map((row) => [
        row.transfer_id,
        {
          transferId: row.transfer_id,
          state: row.state,
          expiresAt: new Date(row.expires_at),
          resolvedBy: row.resolved_by ?? undefined,
        },
      ]),
    ),
    inbox: new Map(inboxRows.map((row) => [row.message_id, row.outcome])),
  };
}

/**
 * A partition's writer reads and locks only its own accounts (another
 * partition's writer owns the rest; the engine refuses or splits commands that
 * touch them), plus its transit account for the assets of transfers that
 * leave the partition.
 */
function ownAccountsOnly(accounts: Set<string>, items: readonly WorkItem[], scope: PartitionScope): void {
  for (const id of accounts) {
    if (accountPartition(id, scope.count) !== scope.index) accounts.delete(id);
  }
  for (const item of items) {
    if (item.command.kind !== 'transfer') continue;
    for (const leg of item.command.legs) {
      if (accountPartition(leg.creditAccountId, scope.count) !== scope.index)
        accounts.add(transitAccountId(leg.asset, scope.index));
    }
  }
}

export interface OutboxRow {
  readonly eventId: string;
  readonly exchange: string;
  readonly routingKey: string;
  readonly type: string;
  readonly correlationId: string | undefined;
  readonly payload: unknown;
}

export interface PersistedOutboxRow extends OutboxRow {
  readonly seq: string;
}

const legsJson = (legs: readonly LegInput[]) => legs.map((leg) => ({ ...leg, amount: leg.amount.toString() }));

/** One batch's writes, as the writer hands them to `writeBatch` after applying and checking them. */
export interface BatchToWrite {
  readonly writes: BatchWrites;
  /** The events the batch produced, in order. */
  readonly outbox: readonly OutboxRow[];
  /** When the batch was applied: every row's recordedAt. */
  readonly recordedAt: Date;
  /** The batch's accounts with their totals after it (the snapshot's). */
  readonly accounts: ReadonlyMap<string, AccountState>;
}

/** What every table's statement reads: the writes, the accounts' new totals, and recordedAt as text. */
interface StatementInput {
  readonly writes: BatchWrites;
  readonly accounts: ReadonlyMap<string, AccountState>;
  readonly at: string;
}

/** One statement for one table, issued without awaiting (pipelined); undefined when the batch has nothing for it. */
type TableStatement = (tx: Queryable, input: StatementInput) => Promise<unknown> | undefined;

const insertNewAccounts: TableStatement = (tx, { writes }) =>
  writes.newAccounts.length === 0
    ? undefined
    : tx.query(
        `insert into accounts (id, asset, owner_type, owner_id, code, no_overdraft)
         select id, asset, owner_type, owner_id, code, no_overdraft
         from json_to_recordset($1::text::json) as x (id text, asset text, owner_type text, owner_id text, code text, no_overdraft boolean)`,
        [
          JSON.stringify(
            writes.newAccounts.map((a) => ({
              id: a.id,
              asset: a.asset,
              owner_type: a.ownerType,
              owner_id: a.ownerId,
              code: a.code,
              no_overdraft: a.noOverdraft,
            })),
          ),
        ],
      );

const updateTouchedAccounts: TableStatement = (tx, { writes, accounts }) => {
  if (writes.touchedAccounts.size === 0) return undefined;
  const rows = [...writes.touchedAccounts].sort().map((id) => {
    const a = accounts.get(id)!;
    return {
      id,
      pd: a.postedDebits.toString(),
      pc: a.postedCredits.toString(),
      nd: a.pendingDebits.toString(),
      nc: a.pendingCredits.toString(),
    };
  });
  return tx.query(
    `update accounts set posted_debits = x.pd::numeric, posted_credits = x.pc::numeric,
            pending_debits = x.nd::numeric, pending_credits = x.nc::numeric
     from json_to_recordset($1::text::json) as x (id text, pd text, pc text, nd text, nc text)
     where accounts.id = x.id`,
    [JSON.stringify(rows)],
  );
};

const insertTransfers: TableStatement = (tx, { writes, at }) =>
  writes.transfers.length === 0
    ? undefined
    : tx.query(
        `insert into transfers (id, kind, code, pending_id, legs, metadata, content_hash, effective_at, recorded_at, expires_at, message_id)
         select id, kind, code, pending_id, legs, metadata, content_hash, effective_at, $2::timestamptz, expires_at, message_id
         from json_to_recordset($1::text::json) as x (id text, kind text, code text, pending_id text, legs jsonb, metadata jsonb,
           content_hash text, effective_at timestamptz, expires_at timestamptz, message_id text)`,
        [
          JSON.stringify(
            writes.transfers.map((t) => ({
              id: t.id,
              kind: t.kind,
              code: t.code,
              pending_id: t.pendingId ?? null,
              legs: legsJson(t.legs),
              metadata: t.metadata,
              content_hash: t.contentHash,
              effective_at: t.effectiveAt.toISOString(),
              expires_at: t.expiresAt?.toISOString() ?? null,
              message_id: t.messageId,
            })),
          ),
          at,
        ],
      );

const insertEntries: TableStatement = (tx, { writes, at }) =>
  writes.entries.length === 0
    ? undefined
    : tx.query(
        `insert into entries (transfer_id, leg_index, account_id, side, asset, amount, balance_after, code, effective_at, recorded_at)
         select t, l, a, s, x.asset, m::numeric, b::numeric, c, e, $2::timestamptz
         from rows from (json_to_recordset($1::text::json) as (t text, l smallint, a text, s text, asset text, m text, b text, c text, e timestamptz))
           with ordinality as x (t, l, a, s, asset, m, b, c, e, n)
         order by n`,
        [
          JSON.stringify(
            writes.entries.map((e) => ({
              t: e.transferId,
              l: e.legIndex,
              a: e.accountId,
              s: e.side,
              asset: e.asset,
              m: e.amount.toString(),
              b: e.balanceAfter.toString(),
              c: e.code,
              e: e.effectiveAt.toISOString(),
            })),
          ),
          at,
        ],
      );

const upsertHolds: TableStatement = (tx, { writes }) =>
  writes.holds.size === 0
    ? undefined
    : tx.query(
        `insert into holds (transfer_id, state, expires_at, resolved_by)
         select transfer_id, state, expires_at, resolved_by
         from json_to_recordset($1::text::json) as x (transfer_id text, state text, expires_at timestamptz, resolved_by text)
         on conflict (transfer_id) do update set state = excluded.state, resolved_by = excluded.resolved_by`,
        [
          JSON.stringify(
            [...writes.holds.values()].map((h) => ({
              transfer_id: h.transferId,
              state: h.state,
              expires_at: h.expiresAt.toISOString(),
              resolved_by: h.resolvedBy ?? null,
            })),
          ),
        ],
      );

const insertInbox: TableStatement = (tx, { writes, at }) =>
  writes.inbox.length === 0
    ? undefined
    : tx.query(
        `insert into inbox (message_id, outcome, recorded_at)
         select message_id, outcome, $2::timestamptz from json_to_recordset($1::text::json) as x (message_id text, outcome jsonb)`,
        [JSON.stringify(writes.inbox.map((i) => ({ message_id: i.messageId, outcome: i.outcome }))), at],
      );

/** In this order: an account exists before a transfer or an entry refers to it. */
const batchStatements: readonly TableStatement[] = [
  insertNewAccounts,
  updateTouchedAccounts,
  insertTransfers,
  insertEntries,
  upsertHolds,
  insertInbox,
];

/** Inserts the batch's events; returns their sequence numbers (one insert numbers its rows in insertion order). */
function insertOutbox(tx: Queryable, outbox: readonly OutboxRow[]): Promise<{ seq: string }[]> {
  if (outbox.length === 0) return Promise.resolve([]);
  return tx.query<{ seq: string }>(
    `insert into outbox (event_id, exchange, routing_key, type, correlation_id, payload)
     select event_id, exchange, routing_key, type, correlation_id, payload
     from rows from (json_to_recordset($1::text::json) as (event_id text, exchange text, routing_key text, type text,
       correlation_id text, payload jsonb)) with ordinality as x (event_id, exchange, routing_key, type, correlation_id, payload, n)
     order by n
     returning seq::text`,
    [
      JSON.stringify(
        outbox.map((o) => ({
          event_id: o.eventId,
          exchange: o.exchange,
          routing_key: o.routingKey,
          type: o.type,
          correlation_id: o.correlationId ?? null,
          payload: o.payload,
        })),
      ),
    ],
  );
}

/** Writes a batch: one statement per table, pipelined. Returns the outbox rows with their sequence numbers. */
export async function writeBatch(tx: Queryable, batch: BatchToWrite): Promise<PersistedOutboxRow[]> {
  const { writes, accounts, outbox } = batch;
  const input: StatementInput = { writes, accounts, at: batch.recordedAt.toISOString() };
  const statements = batchStatements.map((statement) => statement(tx, input));
  const persisted = insertOutbox(tx, outbox);
  const [seqRows] = await Promise.all([persisted, ...statements]);
  const seqs = seqRows.map((row) => row.seq).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
  // Rows of one insert get ascending sequence numbers in insertion order.
  return outbox.map((row, index) => ({ ...row, seq: seqs[index]! }));
}

/** The partition count the ledger's data was set up with (1 for a ledger set up before partitions existed). */
export async function recordedPartitions(db: Queryable): Promise<number | undefined> {
  const [row] = await db.query<{ value: string }>(`select value from ledger_settings where name = 'partitions'`);
  return row === undefined ? undefined : Number(row.value);
}

export class PartitionCountError extends Error {
  override readonly name = 'PartitionCountError';
}

/**
 * Records the partition count at the first start, and refuses another one
 * later: accounts belong to partitions by it, so changing it would give
 * accounts to writers that do not hold their history (resharding is not
 * supported). A ledger that already has data but no record was set up with
 * one partition.
 */
export async function claimPartitionCount(db: Queryable, partitions: number): Promise<void> {
  await db.query(
    `insert into ledger_settings (name, value)
     select 'partitions', case when exists (select 1 from transfers) or exists (select 1 from accounts where owner_type = 'user')
                               then '1' else $1::text end
     on conflict (name) do nothing`,
    [String(partitions)],
  );
  const recorded = await recordedPartitions(db);
  if (recorded !== partitions) {
    throw new PartitionCountError(
      `this ledger was set up with LEDGER_PARTITIONS=${recorded}; starting it with ${partitions} would move accounts between writers (resharding is not supported)`,
    );
  }
}

/**
 * With several partitions, every partition has its own copy of each platform
 * account (`system:<kind>:<asset>:p<k>`; partition 0 keeps the unsuffixed id)
 * and a transit account per asset. Created at start, idempotently.
 */
export async function ensurePartitionAccounts(db: Queryable, partitions: number): Promise<void> {
  await claimPartitionCount(db, partitions);
  if (partitions <= 1) return;
  await db.query(
    `insert into accounts (id, asset, owner_type, owner_id, code, no_overdraft)
     select 'system:' || kinds.code || ':' || kinds.asset || case when p = 0 then '' else ':p' || p end,
            kinds.asset, 'system', 'platform', kinds.code, false
     from (
       select distinct code, asset from accounts where owner_type = 'system' and id !~ ':p[0-9]+$'
       union
       select $2, code from assets
     ) as kinds (code, asset)
     cross join generate_series(0, $1::int - 1) as p
     on conflict (id) do nothing`,
    [partitions, transitAccountKind],
  );
}
