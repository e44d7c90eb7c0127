/**
 * The ledger's engine on its own: no database, no broker. Small cases for
 * each rule, then a property test that runs random sequences of transfers,
 * holds, posts, voids, resends and redeliveries, cut into random batches,
 * against a simple model of balances and holds, and checks every outcome,
 * every balance and the debits = credits invariant of every batch.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { systemAccountId, userAccountId } from '@t50/contracts';
import { applyBatch, type BatchSnapshot, type ItemResult } from './engine';
import { assertBalancedWrites } from './invariants';
import type { AccountState, Command, WorkItem } from './model';

const now = new Date('2026-12-02T10:00:00Z');
const treasury = systemAccountId('treasury', 'USD');
const users = ['ann', 'ben', 'cat'] as const;
const usd = (user: string) => userAccountId(user, 'USD');

function systemAccount(id: string, asset: string): AccountState {
  return {
    id,
    asset,
    ownerType: 'system',
    ownerId: 'platform',
    code: 'treasury',
    noOverdraft: false,
    postedDebits: 0n,
    postedCredits: 0n,
    pendingDebits: 0n,
    pendingCredits: 0n,
  };
}

/** A ledger with USD and ETH, the USD treasury, and a USD account for each user. */
function freshLedger(): BatchSnapshot {
  const snapshot: BatchSnapshot = {
    assets: new Map([
      ['USD', 2],
      ['ETH', 18],
    ]),
    accounts: new Map([[treasury, systemAccount(treasury, 'USD')]]),
    transfers: new Map(),
    holds: new Map(),
    inbox: new Map(),
  };
  const opened = applyBatch(
    users.map((user) => item(`open-${user}`, { kind: 'open_accounts', ownerId: user, assets: ['USD'] })),
    snapshot,
    now,
  );
  assert.ok(
    opened.results.every((result) => result.status === 'applied'),
    'every account opening is applied',
  );
  return snapshot;
}

function item(messageId: string, command: Command): WorkItem {
  return { messageId, commandType: command.kind, command };
}

function transfer(transferId: string, from: string, to: string, amount: bigint, holdSeconds?: number): Command {
  return {
    kind: 'transfer',
    transferId,
    code: 'send',
    legs: [{ debitAccountId: from, creditAccountId: to, asset: 'USD', amount }],
    metadata: {},
    effectiveAt: undefined,
    pendingTimeoutSeconds: holdSeconds,
  };
}

const post = (transferId: string, pendingId: string, amount?: bigint): Command => ({
  kind: 'post',
  transferId,
  pendingId,
  amount,
  metadata: {},
});
const voidOf = (transferId: string, pendingId: string): Command => ({
  kind: 'void',
  transferId,
  pendingId,
  metadata: {},
  expiry: false,
});

const balance = (snapshot: BatchSnapshot, id: string) => {
  const account = snapshot.accounts.get(id)!;
  return account.postedCredits - account.postedDebits;
};
const codeOf = (result: ItemResult | undefined) => (result?.status === 'rejected' ? result.code : result?.status);

describe('ledger engine (pure)', () => {
  test('a transfer moves money and writes one debit and one credit entry', () => {
    const ledger = freshLedger();
    const { results, writes } = applyBatch([item('m1', transfer('t1', treasury, usd('ann'), 1500n))], ledger, now);
    assert.equal(codeOf(results[0]), 'applied');
    assert.equal(balance(ledger, usd('ann')), 1500n);
    assert.equal(balance(ledger, treasury), -1500n);
    assert.deepEqual(
      writes.entries.map((entry) => [entry.accountId, entry.side, entry.amount, entry.balanceAfter]),
      [
        [treasury, 'D', 1500n, -1500n],
        [usd('ann'), 'C', 1500n, 1500n],
      ],
    );
    assertBalancedWrites(writes);
  });

  test('a refused command changes nothing and does not affect its neighbours in the batch', () => {
    const ledger = freshLedger();
    const { results, writes } = applyBatch(
      [
        item('m1', transfer('t1', treasury, usd('ann'), 100n)),
        item('m2', transfer('t2', usd('ann'), usd('ben'), 101n)),
        item('m3', transfer('t3', usd('ann'), usd('ben'), 40n)),
      ],
      ledger,
      now,
    );
    assert.deepEqual(results.map(codeOf), ['applied', 'insufficient_funds', 'applied']);
    assert.equal(balance(ledger, usd('ann')), 60n);
    assert.equal(balance(ledger, usd('ben')), 40n);
    assert.equal(writes.transfers.length, 2);
  });

  test('the same transfer id: same content is a duplicate, other content a conflict', () => {
    const ledger = freshLedger();
    applyBatch([item('m1', transfer('t1', treasury, usd('ann'), 100n))], ledger, now);
    const { results } = applyBatch(
      [item('m2', transfer('t1', treasury, usd('ann'), 100n)), item('m3', transfer('t1', treasury, usd('ann'), 999n))],
      ledger,
      now,
    );
    assert.deepEqual(results.map(codeOf), ['applied', 'conflict']);
    assert.equal(results[0]?.status === 'applied' && results[0].duplicate, true);
    assert.equal(balance(ledger, usd('ann')), 100n);
  });

  test('a redelivered message gets its first outcome back and changes nothing', () => {
    const ledger = freshLedger();
    applyBatch([item('m1', transfer('t1', usd('ann'), usd('ben'), 5n))], ledger, now);
    const { results, writes } = applyBatch([item('m1', transfer('t1', treasury, usd('ann'), 5n))], ledger, now);
    assert.equal(results[0]?.status, 'redelivered');
    assert.equal(results[0]?.status === 'redelivered' && results[0].stored.status, 'rejected');
    assert.equal(writes.transfers.length, 0);
  });

  test('a message id recorded for other content is a reuse, not a redelivery', () => {
    const ledger = freshLedger();
    applyBatch([item('m1', transfer('t1', treasury, usd('ann'), 100n))], ledger, now);
    const { results, writes } = applyBatch(
      [
        item('m1', transfer('t1', treasury, usd('ann'), 100n)),
        item('m1', transfer('t1', treasury, usd('ann'), 999n)),
        item('m1', transfer('t2', treasury, usd('ann'), 100n)),
      ],
      ledger,
      now,
    );
    assert.deepEqual(
      results.map((result) => result.status === 'redelivered' && result.sameContent),
      [true, false, false],
    );
    assert.equal(writes.transfers.length, 0);
    assert.equal(balance(ledger, usd('ann')), 100n);
  });

  test('a hold reserves the funds; a partial post moves part and releases the rest; a second post is refused', () => {
    const ledger = freshLedger();
    applyBatch([item('m1', transfer('t1', treasury, usd('ann'), 100n))], ledger, now);
    const { results } = applyBatch(
      [
        item('m2', transfer('h1', usd('ann'), usd('ben'), 80n, 60)),
        item('m3', transfer('t2', usd('ann'), usd('cat'), 30n)),
        item('m4', post('p1', 'h1', 50n)),
        item('m5', post('p2', 'h1')),
        item('m6', transfer('t3', usd('ann'), usd('cat'), 50n)),
      ],
      ledger,
      now,
    );
    assert.deepEqual(results.map(codeOf), [
      'applied',
      'insufficient_funds',
      'applied',
      'hold_already_posted',
      'applied',
    ]);
    assert.equal(balance(ledger, usd('ann')), 0n);
    assert.equal(balance(ledger, usd('ben')), 50n);
    assert.equal(balance(ledger, usd('cat')), 50n);
    assert.equal(ledger.accounts.get(usd('ann'))!.pendingDebits, 0n);
  });

  test('a voided hold gives the funds back; an expired one can no longer be posted', () => {
    const ledger = freshLedger();
    applyBatch([item('m1', transfer('t1', treasury, usd('ann'), 100n))], ledger, now);
    applyBatch(
      [item('m2', transfer('h1', usd('ann'), usd('ben'), 100n, 60)), item('m3', voidOf('v1', 'h1'))],
      ledger,
      now,
    );
    assert.equal(ledger.accounts.get(usd('ann'))!.pendingDebits, 0n);
    applyBatch([item('m4', transfer('h2', usd('ann'), usd('ben'), 100n, 60))], ledger, now);
    const later = new Date(now.getTime() + 61_000);
    const { results } = applyBatch([item('m5', post('p2', 'h2'))], ledger, later);
    assert.equal(codeOf(results[0]), 'hold_expired');
    assert.equal(balance(ledger, usd('ben')), 0n);
  });

  test('the write check refuses a batch whose debits and credits differ', () => {
    const entry = {
      transferId: 't',
      legIndex: 0,
      accountId: 'a',
      side: 'D' as const,
      asset: 'USD',
      amount: 5n,
      balanceAfter: -5n,
      code: 'send',
      effectiveAt: now,
    };
    assert.throws(() => assertBalancedWrites({ entries: [entry] }), /USD debits and credits differ by 5/);
    assert.throws(
      () =>
        assertBalancedWrites({
          entries: [entry, { ...entry, transferId: 'u', side: 'C' }],
        }),
      /transfer t's USD debits and credits differ by 5/,
    );
    assertBalancedWrites({ entries: [entry, { ...entry, side: 'C', accountId: 'b' }] });
  });
});

// ---- the property test: the engine against a model ----

type Step =
  | {
      readonly op: 'transfer';
      readonly id: number;
      readonly from: number;
      readonly to: number;
      readonly amount: bigint;
    }
  | { readonly op: 'hold'; readonly id: number; readonly from: number; readonly to: number; readonly amount: bigint }
  | { readonly op: 'post'; readonly id: number; readonly hold: number; readonly amount: bigint | undefined }
  | { readonly op: 'void'; readonly id: number; readonly hold: number }
  | { readonly op: 'redeliver'; readonly back: number };

/** Account 0 is the treasury (may go negative), 1-3 the users (may not). */
const accountIdOf = (index: number) => (index === 0 ? treasury : usd(users[(index - 1) % users.length]!));

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant('transfer' as const),
    id: fc.nat(11),
    from: fc.nat(3),
    to: fc.nat(3),
    amount: fc.bigInt(1n, 400n),
  }),
  fc.record({
    op: fc.constant('hold' as const),
    id: fc.nat(5),
    from: fc.nat(3),
    to: fc.nat(3),
    amount: fc.bigInt(1n, 400n),
  }),
  fc.record({
    op: fc.constant('post' as const),
    id: fc.nat(5),
    hold: fc.nat(5),
    amount: fc.option(fc.bigInt(1n, 400n), { nil: undefined }),
  }),
  fc.record({ op: fc.constant('void' as const), id: fc.nat(5), hold: fc.nat(5) }),
  fc.record({ op: fc.constant('redeliver' as const), back: fc.nat(20) }),
);

interface ModelHold {
  readonly from: string;
  readonly to: string;
  readonly amount: bigint;
  state: 'pending' | 'posted' | 'voided';
}

/** The simplest ledger that could work: posted balances, pending debits, holds, and what each id first carried. */
class Model {
  readonly posted = new Map<string, bigint>();
  readonly pendingOut = new Map<string, bigint>();
  readonly holds = new Map<string, ModelHold>();
  readonly contents = new Map<string, string>();

  available(id: string): bigint {
    return (this.posted.get(id) ?? 0n) - (this.pendingOut.get(id) ?? 0n);
  }

  private move(from: string, to: string, amount: bigint): void {
    this.posted.set(from, (this.posted.get(from) ?? 0n) - amount);
    this.posted.set(to, (this.posted.get(to) ?? 0n) + amount);
  }

  /** The expected outcome: 'applied', 'duplicate' or a rejection code; applies it when applied. */
  apply(id: string, content: string, check: () => string | undefined, effect: () => void): string {
    const first = this.contents.get(id);
    if (first !== undefined) return first === content ? 'duplicate' : 'conflict';
    const refusal = check();
    if (refusal !== undefined) return refusal;
    this.contents.set(id, content);
    effect();
    return 'applied';
  }

  transfer(id: string, from: string, to: string, amount: bigint, hold: boolean): string {
    return this.apply(
      id,
      `${hold ? 'hold' : 'transfer'}:${from}:${to}:${amount}`,
      () => {
        if (from === to) return 'same_account';
        if (from !== treasury && this.available(from) < amount) return 'insufficient_funds';
        return undefined;
      },
      () => {
        if (!hold) return this.move(from, to, amount);
        this.pendingOut.set(from, (this.pendingOut.get(from) ?? 0n) + amount);
        this.holds.set(id, { from, to, amount, state: 'pending' });
      },
    );
  }

  resolve(id: string, holdId: string, post: boolean, amount: bigint | undefined): string {
    const hold = this.holds.get(holdId);
    return this.apply(
      id,
      `${post ? 'post' : 'void'}:${holdId}:${amount ?? 'all'}`,
      () => {
        if (hold === undefined) return 'hold_not_found';
        if (hold.state === 'posted') return 'hold_already_posted';
        if (hold.state === 'voided') return 'hold_already_voided';
        if (amount !== undefined && amount > hold.amount) return 'post_amount_exceeds_hold';
        return undefined;
      },
      () => {
        hold!.state = post ? 'posted' : 'voided';
        this.pendingOut.set(hold!.from, (this.pendingOut.get(hold!.from) ?? 0n) - hold!.amount);
        if (post) this.move(hold!.from, hold!.to, amount ?? hold!.amount);
      },
    );
  }
}

function commandOf(step: Exclude<Step, { op: 'redeliver' }>): Command {
  switch (step.op) {
    case 'transfer':
      return transfer(`t${step.id}`, accountIdOf(step.from), accountIdOf(step.to), step.amount);
    case 'hold':
      return transfer(`h${step.id}`, accountIdOf(step.from), accountIdOf(step.to), step.amount, 3600);
    case 'post':
      return post(`r${step.id}`, `h${step.hold}`, step.amount);
    case 'void':
      return voidOf(`r${step.id}`, `h${step.hold}`);
  }
}

function expectedOf(step: Exclude<Step, { op: 'redeliver' }>, model: Model): string {
  switch (step.op) {
    case 'transfer':
      return model.transfer(`t${step.id}`, accountIdOf(step.from), accountIdOf(step.to), step.amount, false);
    case 'hold':
      return model.transfer(`h${step.id}`, accountIdOf(step.from), accountIdOf(step.to), step.amount, true);
    case 'post':
      return model.resolve(`r${step.id}`, `h${step.hold}`, true, step.amount);
    case 'void':
      return model.resolve(`r${step.id}`, `h${step.hold}`, false, undefined);
  }
}

/** The model's name for an engine result; a redelivery is named by the outcome it repeats. */
function observed(result: ItemResult): string {
  switch (result.status) {
    case 'applied':
      return result.duplicate ? 'duplicate' : 'applied';
    case 'rejected':
      return result.code;
    case 'ignored':
      return 'ignored';
    case 'redelivered':
      return result.stored.status === 'rejected'
        ? result.stored.code
        : result.stored.status === 'applied' && result.stored.duplicate === true
          ? 'duplicate'
          : result.stored.status;
  }
}

describe('ledger engine against a model (property)', () => {
  test('any sequence of commands, resends and redeliveries, in any batches, gives the model outcomes and balances', () => {
    fc.assert(
      fc.property(
        fc.array(stepArbitrary, { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 60, maxLength: 60 }),
        (steps, batchSizes) => {
          const ledger = freshLedger();
          const model = new Model();
          // Fund the users so that transfers between them can succeed.
          for (const user of users) {
            const funding = transfer(`fund-${user}`, treasury, usd(user), 300n);
            applyBatch([item(`fund-${user}`, funding)], ledger, now);
            model.transfer(`fund-${user}`, treasury, usd(user), 300n, false);
          }
          const sent: { item: WorkItem; expected: string }[] = [];
          const items: { item: WorkItem; expected: string }[] = [];
          steps.forEach((step, index) => {
            if (step.op === 'redeliver') {
              const earlier = sent[sent.length - 1 - (step.back % Math.max(sent.length, 1))];
              if (earlier !== undefined) items.push(earlier);
              return;
            }
            const entry = { item: item(`m${index}`, commandOf(step)), expected: expectedOf(step, model) };
            sent.push(entry);
            items.push(entry);
          });
          let at = 0;
          let batch = 0;
          while (at < items.length) {
            const chunk = items.slice(at, at + batchSizes[batch % batchSizes.length]!);
            at += chunk.length;
            batch += 1;
            const { results, writes } = applyBatch(
              chunk.map((entry) => entry.item),
              ledger,
              now,
            );
            assertBalancedWrites(writes);
            results.forEach((result, index) => {
              assert.equal(observed(result), chunk[index]!.expected, `message ${chunk[index]!.item.messageId}`);
            });
          }
          let sum = 0n;
          for (const index of [0, 1, 2, 3]) {
            const id = accountIdOf(index);
            const account = ledger.accounts.get(id)!;
            assert.equal(balance(ledger, id), model.posted.get(id) ?? 0n, `balance of ${id}`);
            assert.equal(account.pendingDebits, model.pendingOut.get(id) ?? 0n, `pending debits of ${id}`);
            if (account.noOverdraft) assert.ok(balance(ledger, id) - account.pendingDebits >= 0n, `${id} overdrawn`);
            sum += balance(ledger, id);
          }
          assert.equal(sum, 0n, 'the USD accounts sum to zero');
        },
      ),
      { numRuns: 300 },
    );
  });
});
