/**
 * Property: for any sequence of deposits, sends, holds, posts, voids,
 * redeliveries (same message id) and re-sends (same transfer id, new message),
 * applied in random batches through the real writer and PostgreSQL:
 * - after every batch: the books balance per asset, no user account is below
 *   zero, available = posted - pending debits, and every balance equals the
 *   one a plain reference model computes;
 * - a redelivery or re-send changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { systemAccountId, userAccountId } from '@t50/contracts';
import { createLogger, createMemoryTransport, createPostgresDatabase, type Database } from '@t50/kit';
import { createTestDatabase, type TestDatabase } from '@t50/kit/testing';
import type { WorkItem } from '../src/ledger/model';
import { createTransactionsService, type TransactionsService } from '../src/service';
import { verifyLedger } from '../src/verify/verify';

type Op =
  | { t: 'deposit'; user: number; amount: number }
  | { t: 'send'; from: number; to: number; amount: number }
  | { t: 'hold'; user: number; amount: number }
  | { t: 'post'; hold: number; partial: number | null }
  | { t: 'void'; hold: number }
  | { t: 'redeliver'; ref: number }
  | { t: 'resend'; ref: number };

const users = 3;
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('deposit' as const), user: fc.nat(users - 1), amount: fc.integer({ min: 1, max: 500 }) }),
  fc.record({ t: fc.constant('send' as const), from: fc.nat(users - 1), to: fc.nat(users - 1), amount: fc.integer({ min: 1, max: 400 }) }),
  fc.record({ t: fc.constant('hold' as const), user: fc.nat(users - 1), amount: fc.integer({ min: 1, max: 400 }) }),
  fc.record({ t: fc.constant('post' as const), hold: fc.nat(20), partial: fc.option(fc.integer({ min: 1, max: 400 })) }),
  fc.record({ t: fc.constant('void' as const), hold: fc.nat(20) }),
  fc.record({ t: fc.constant('redeliver' as const), ref: fc.nat(60) }),
  fc.record({ t: fc.constant('resend' as const), ref: fc.nat(60) }),
);

/** The plain model: balances as credits - debits, pending debits, holds. */
class Model {
  readonly posted = new Map<string, bigint>();
  readonly pending = new Map<string, bigint>();
  readonly holds = new Map<string, { account: string; amount: bigint; state: 'pending' | 'done' }>();
  readonly seenMessages = new Set<string>();
  readonly seenTransfers = new Map<string, string>();

  /** Applies one item as the ledger should; returns 'applied' or a rejection code. */
  apply(item: WorkItem): string {
    if (this.seenMessages.has(item.messageId)) return 'redelivered';
    this.seenMessages.add(item.messageId);
    const c = item.command;
    if (c.kind === 'open_accounts') return 'applied';
    const key = JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    const known = this.seenTransfers.get(c.transferId);
    if (known !== undefined) return known === key ? 'applied' : 'conflict';
    const get = (map: Map<string, bigint>, id: string) => map.get(id) ?? 0n;
    if (c.kind === 'transfer') {
      const leg = c.legs[0]!;
      const isUser = leg.debitAccountId.startsWith('user:');
      if (isUser && get(this.posted, leg.debitAccountId) - get(this.pending, leg.debitAccountId) < leg.amount) return 'insufficient_funds';
      if (c.pendingTimeoutSeconds !== undefined) {
        this.pending.set(leg.debitAccountId, get(this.pending, leg.debitAccountId) + leg.amount);
        this.holds.set(c.transferId, { account: leg.debitAccountId, amount: leg.amount, state: 'pending' });
      } else {
        this.posted.set(leg.debitAccountId, get(this.posted, leg.debitAccountId) - leg.amount);
        this.posted.set(leg.creditAccountId, get(this.posted, leg.creditAccountId) + leg.amount);
      }
    } else {
      const hold = this.holds.get(c.pendingId);
      if (hold === undefined) return 'hold_not_found';
      if (hold.state === 'done') return c.kind === 'post' ? 'hold_already_posted_or_voided' : 'hold_already_posted_or_voided';
      if (c.kind === 'post' && c.amount !== undefined && c.amount > hold.amount) return 'post_amount_exceeds_hold';
      hold.state = 'done';
      this.pending.set(hold.account, get(this.pending, hold.account) - hold.amount);
      if (c.kind === 'post') {
        const amount = c.amount ?? hold.amount;
        this.posted.set(hold.account, get(this.posted, hold.account) - amount);
      }
    }
    this.seenTransfers.set(c.transferId, key);
    return 'applied';
  }
}

describe('ledger properties (real PostgreSQL, random batches)', () => {
  let database: TestDatabase;
  let db: Database;
  let service: TransactionsService;
  const logger = createLogger({ service: 'property', level: 'silent' });

  before(async () => {
    database = await createTestDatabase('property');
    db = createPostgresDatabase({ url: database.url, maxConnections: 4 });
    service = await createTransactionsService({
      config: {
        TRANSACTIONS_API_KEYS: [],
        LEDGER_QUEUE: 'ledger.inbox',
        LEDGER_PARTITIONS: 1,
        LEDGER_COMMAND_ROUTE: 'writer',
        LEDGER_COMMAND_TIMEOUT_MS: 30_000,
        LEDGER_BATCH_MAX_MESSAGES: 50,
        LEDGER_BATCH_MAX_WAIT_MS: 1,
        LEDGER_MAX_MESSAGE_BYTES: 65536,
        LEDGER_HOLD_SWEEP_INTERVAL_MS: 3_600_000,
      },
      db,
      transport: createMemoryTransport({ logger }),
      logger,
    });
  });
  after(async () => {
    await service?.close();
    await db?.close();
    await database?.drop();
  });

  it('keeps its invariants and matches the model under any sequence', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 10 }), async (ops, chunkSizes) => {
        run += 1;
        const prefix = `r${run}-${Date.now()}`;
        const user = (index: number) => userAccountId(`${prefix}-u${index}`, 'USD');
        const model = new Model();
        const opened: WorkItem[] = Array.from({ length: users }, (_, index) => ({
          messageId: `${prefix}-open-${index}`,
          commandType: 'ledger.account.open',
          command: { kind: 'open_accounts', ownerId: `${prefix}-u${index}`, assets: ['USD'] },
        }));
        await service.writers[0]!.submit(opened);
        const items: WorkItem[] = [];
        const holdIds: string[] = [];
        ops.forEach((o, index) => {
          const id = `${prefix}-${index}`;
          const transfer = (legs: [string, string, number], pending?: number): WorkItem => ({
            messageId: `m-${id}`,
            commandType: 'ledger.transfer.create',
            command: {
              kind: 'transfer',
              transferId: id,
              code: 'send',
              legs: [{ debitAccountId: legs[0], creditAccountId: legs[1], asset: 'USD', amount: BigInt(legs[2]) }],
              metadata: {},
              effectiveAt: undefined,
              pendingTimeoutSeconds: pending,
            },
          });
          switch (o.t) {
            case 'deposit':
              items.push(transfer([systemAccountId('sandbox_clearing', 'USD'), user(o.user), o.amount]));
              break;
            case 'send':
              if (o.from !== o.to) items.push(transfer([user(o.from), user(o.to), o.amount]));
              break;
            case 'hold':
              holdIds.push(id);
              items.push(transfer([user(o.user), systemAccountId('payouts_in_flight', 'USD'), o.amount], 3600));
              break;
            case 'post':
            case 'void': {
              const pendingId = holdIds.length === 0 ? `${prefix}-nohold` : holdIds[o.hold % holdIds.length]!;
              items.push({
                messageId: `m-${id}`,
                commandType: `ledger.transfer.${o.t}`,
                command:
                  o.t === 'post'
                    ? { kind: 'post', transferId: id, pendingId, amount: o.partial === null ? undefined : BigInt(o.partial), metadata: {} }
                    : { kind: 'void', transferId: id, pendingId, metadata: {}, expiry: false },
              });
              break;
            }
            case 'redeliver':
              if (items.length > 0) items.push(items[o.ref % items.length]!);
              break;
            case 'resend':
              if (items.length > 0) {
                const earlier = items[o.ref % items.length]!;
                items.push({ ...earlier, messageId: `${earlier.messageId}-again-${index}` });
              }
              break;
          }
        });
        // Submit in random batch sizes; each batch is one transaction.
        let cursor = 0;
        for (let chunk = 0; cursor < items.length; chunk += 1) {
          const size = chunkSizes[chunk % chunkSizes.length]!;
          const batch = items.slice(cursor, cursor + size);
          cursor += size;
          const results = await service.writers[0]!.submit(batch);
          batch.forEach((item, index) => {
            const expected = model.apply(item);
            const result = results[index]!;
            const actual =
              result.status === 'rejected'
                ? result.code.startsWith('hold_already')
                  ? 'hold_already_posted_or_voided'
                  : result.code
                : result.status;
            assert.equal(actual, expected, `item ${item.messageId}`);
          });
          await checkInvariants(db, model, prefix);
        }
      }),
      { numRuns: 25 },
    );
    const report = await verifyLedger(db);
    assert.equal(report.ok, true, JSON.stringify(report.checks.filter((check) => !check.ok)));
  });
});

async function checkInvariants(db: Database, model: Model, prefix: string): Promise<void> {
  const rows = await db.query<{ id: string; balance: string; pending: string; pc: string; pd: string }>(
    `select id, (posted_credits - posted_debits)::text as balance, pending_debits::text as pending,
            posted_credits::text as pc, posted_debits::text as pd
     from accounts where id like $1`,
    [`user:${prefix}-%`],
  );
  for (const row of rows) {
    assert.ok(BigInt(row.balance) - BigInt(row.pending) >= 0n, `${row.id} below zero`);
    assert.equal(row.balance, String(model.posted.get(row.id) ?? 0n), `${row.id} posted balance`);
    assert.equal(row.pending, String(model.pending.get(row.id) ?? 0n), `${row.id} pending`);
  }
  const [books] = await db.query<{ unbalanced: string }>(
    `select count(*)::text as unbalanced from (
       select asset from entries group by asset
       having sum(amount) filter (where side = 'D') <> sum(amount) filter (where side = 'C')) x`,
  );
  assert.equal(books?.unbalanced, '0', 'books balance per asset');
}
