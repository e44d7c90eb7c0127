/**
 * The ledger with four partitions, against the real PostgreSQL and RabbitMQ:
 * each partition's queue, writer and platform accounts; messages published
 * without a partition go through the router; transfers between partitions go
 * through transit accounts; nothing is written by a writer that does not own
 * the account.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  partitionOf,
  partitionedSystemAccountId,
  transitAccountId,
  userAccountId,
  type DomainEvent,
  type LedgerEvent,
} from '@t50/contracts';
import { sleep } from '@t50/kit';
import { until } from '@t50/kit/testing';
import { createTransactionsService } from '../src/service';
import { startTestLedger, testApiKey, type TestLedger } from '../src/testing';
import { verifyLedger } from '../src/verify/verify';
import { deposit, registered, transfer, uid } from './helpers';

const partitions = 4;
const USD = (user: string) => userAccountId(user, 'USD');

/** A fresh user id whose accounts live in `partition`. */
function userIn(partition: number): string {
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    const user = uid();
    if (partitionOf(user, partitions) === partition) return user;
  }
  throw new Error('no user id found');
}

const event = (type: DomainEvent['type'], data: Record<string, unknown>): DomainEvent =>
  ({ id: uid(`${type}-`), type, version: 1, data }) as DomainEvent;

const payoutRequested = (payoutId: string, userId: string, amount: string): DomainEvent =>
  event('payments.payout.requested', { payoutId, provider: 'stripe', userId, asset: 'USD', amount });

describe('ledger partitions', () => {
  let ledger: TestLedger;
  const request = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const response = await ledger.service.app.inject({
      method,
      url,
      headers: { 'x-api-key': testApiKey },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
  };
  const command = (body: unknown) => request('POST', '/v1/commands', body);
  const balance = async (accountId: string) => (await request('GET', `/v1/accounts/${accountId}`)).body.balance;
  const seen = (type: LedgerEvent['type'], transferId: string) => (e: LedgerEvent) =>
    e.type === type && 'transfer' in e.data && e.data.transfer.transferId === transferId;
  const rejected = (transferId: string) => (e: LedgerEvent) =>
    e.type === 'ledger.transfer.rejected' && e.data.transferId === transferId;

  /** Registers a user in `partition` and deposits `usd` cents, published without a partition (through the router). */
  async function fundedUser(partition: number, usd: string): Promise<string> {
    const user = userIn(partition);
    await ledger.send(registered(user));
    await ledger.events.waitForCount((e) => e.type === 'ledger.account.opened' && e.data.account.ownerId === user, 3);
    if (usd === '0') return user;
    const paymentId = uid('pi_');
    await ledger.send(deposit(user, usd, paymentId));
    await ledger.events.waitFor(seen('ledger.transfer.posted', `deposit:stripe:${paymentId}`));
    return user;
  }

  before(async () => {
    ledger = await startTestLedger('partitions', { LEDGER_PARTITIONS: partitions });
  });
  after(async () => {
    await ledger?.close();
  });

  it('records each user flow against the platform accounts of the user’s partition', async () => {
    for (let partition = 0; partition < partitions; partition += 1) {
      const user = userIn(partition);
      await ledger.send(registered(user));
      const paymentId = uid('pi_');
      await ledger.send(deposit(user, '1500', paymentId));
      const posted = await ledger.events.waitFor(seen('ledger.transfer.posted', `deposit:stripe:${paymentId}`));
      assert.ok('transfer' in posted.data, 'the posted event carries the transfer');
      assert.deepEqual(posted.data.transfer.legs, [
        {
          debitAccountId: partitionedSystemAccountId('stripe_clearing', 'USD', partition),
          creditAccountId: USD(user),
          asset: 'USD',
          amount: '1500',
        },
      ]);
      assert.equal(await balance(USD(user)), '1500');
    }
  });

  it('takes messages published straight to a partition’s routing key', async () => {
    const user = userIn(3);
    await ledger.send(registered(user), { routingKey: 'gateway.user.registered.p3' });
    const paymentId = uid('pi_');
    await ledger.send(deposit(user, '700', paymentId), { routingKey: 'payments.deposit.succeeded.p3' });
    await ledger.events.waitFor(seen('ledger.transfer.posted', `deposit:stripe:${paymentId}`));
    assert.equal(await balance(USD(user)), '700');
    assert.equal((await balance(partitionedSystemAccountId('stripe_clearing', 'USD', 3))) !== '0', true);
  });

  it('moves a send between partitions in two halves through the transit accounts', async () => {
    const alice = await fundedUser(1, '5000');
    const bob = await fundedUser(2, '0');
    const transitBefore = [await balance(transitAccountId('USD', 1)), await balance(transitAccountId('USD', 2))].map(
      (value) => BigInt(value as string),
    );
    const sendId = uid('send-');
    await ledger.send(
      event('gateway.send.requested', { sendId, fromUserId: alice, toUserId: bob, asset: 'USD', amount: '1200' }),
    );
    const first = await ledger.events.waitFor(seen('ledger.transfer.posted', `send:${sendId}`));
    const second = await ledger.events.waitFor(seen('ledger.transfer.posted', `send:${sendId}:transit`));
    assert.ok('transfer' in first.data && 'transfer' in second.data, 'both legs of the send carry their transfer');
    assert.deepEqual(first.data.transfer.legs, [
      { debitAccountId: USD(alice), creditAccountId: transitAccountId('USD', 1), asset: 'USD', amount: '1200' },
    ]);
    assert.deepEqual(second.data.transfer.legs, [
      { debitAccountId: transitAccountId('USD', 2), creditAccountId: USD(bob), asset: 'USD', amount: '1200' },
    ]);
    assert.equal(await balance(USD(alice)), '3800');
    assert.equal(await balance(USD(bob)), '1200');
    const transitAfter = [await balance(transitAccountId('USD', 1)), await balance(transitAccountId('USD', 2))].map(
      (value) => BigInt(value as string),
    );
    assert.equal(transitAfter[0]! - transitBefore[0]!, 1200n, 'the sender’s partition holds the amount in transit');
    assert.equal(transitAfter[1]! - transitBefore[1]!, -1200n, 'the recipient’s partition paid it out');
    // The second half went through: a refund of the first is refused.
    const refund = await command(
      transfer(
        `send:${sendId}:refund`,
        [{ debitAccountId: transitAccountId('USD', 1), creditAccountId: USD(alice), asset: 'USD', amount: '1200' }],
        {
          code: 'send',
          metadata: { refundOf: `send:${sendId}` },
        },
      ),
    );
    assert.equal(refund.status, 409);
    assert.equal(await balance(USD(alice)), '3800');
    assert.equal((await verifyLedger(ledger.db)).ok, true);
  });

  it('refunds the sender when the other partition refuses the second half', async () => {
    const alice = await fundedUser(0, '900');
    const nobody = userIn(3); // never registered: no account
    const transferId = uid('t-');
    const answer = await command(
      transfer(transferId, [{ debitAccountId: USD(alice), creditAccountId: USD(nobody), asset: 'USD', amount: '400' }]),
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const refusal = await ledger.events.waitFor(rejected(`${transferId}:transit`));
    assert.ok(refusal.type === 'ledger.transfer.rejected', 'the ledger rejected the transfer');
    assert.equal(refusal.data.code, 'account_not_found');
    const refund = await ledger.events.waitFor(seen('ledger.transfer.posted', `${transferId}:refund`));
    assert.ok('transfer' in refund.data, 'the refund carries its transfer');
    assert.deepEqual(refund.data.transfer.legs, [
      { debitAccountId: transitAccountId('USD', 0), creditAccountId: USD(alice), asset: 'USD', amount: '400' },
    ]);
    assert.equal(await balance(USD(alice)), '900');
  });

  it('pays no refund that does not reverse a real first half', async () => {
    const attacker = await fundedUser(0, '0');
    const victim = await fundedUser(1, '100');
    const other = await fundedUser(1, '0');
    // A refused transfer that only claims to be a second half: no refund follows.
    const claim = uid('claim-');
    const refused = await command(
      transfer(
        `${claim}:transit`,
        [{ debitAccountId: USD(victim), creditAccountId: USD(other), asset: 'USD', amount: '999' }],
        {
          metadata: { transitOf: claim, transitFromPartition: '0', transitFromAccountId: USD(attacker) },
        },
      ),
    );
    assert.equal(refused.status, 422);
    assert.equal(refused.body.code, 'insufficient_funds');
    // A refund of a transfer that never left partition 0.
    const forged = await command(
      transfer(
        `${claim}:refund`,
        [{ debitAccountId: transitAccountId('USD', 0), creditAccountId: USD(attacker), asset: 'USD', amount: '999' }],
        {
          metadata: { refundOf: claim },
        },
      ),
    );
    assert.equal(forged.status, 409);
    assert.equal(forged.body.code, 'conflict');
    // Its refusal is announced: whatever its batch published (no refund, here) is out too.
    await ledger.events.waitFor(rejected(`${claim}:refund`));
    assert.equal(await balance(USD(attacker)), '0');
    assert.equal((await request('GET', `/v1/transfers/${claim}:refund`)).status, 404);
  });

  it('refuses what would make a writer touch another partition’s accounts, and changes nothing', async () => {
    const alice = await fundedUser(1, '2000');
    const bob = await fundedUser(2, '2000');
    // Two legs across partitions cannot be split into halves.
    const twoLegs = uid('t-');
    const answer = await command(
      transfer(twoLegs, [
        { debitAccountId: USD(alice), creditAccountId: USD(bob), asset: 'USD', amount: '10' },
        { debitAccountId: USD(bob), creditAccountId: USD(alice), asset: 'USD', amount: '5' },
      ]),
    );
    assert.equal(answer.status, 422);
    assert.equal(answer.body.code, 'wrong_partition');
    // A trade published to the wrong partition's routing key.
    const quoteId = uid('q-');
    await ledger.send(
      event('gateway.trade.executed', {
        quoteId,
        userId: alice,
        side: 'buy',
        fiatAsset: 'USD',
        fiatAmount: '1000',
        ethAmount: '1',
        feeAmount: '0',
      }),
      { routingKey: 'gateway.trade.executed.p2' },
    );
    const refusal = await ledger.events.waitFor(rejected(`trade:${quoteId}`));
    assert.ok(refusal.type === 'ledger.transfer.rejected', 'the ledger rejected the transfer');
    assert.equal(refusal.data.code, 'wrong_partition');
    assert.equal(await balance(USD(alice)), '2000');
    assert.equal(await balance(USD(bob)), '2000');
  });

  it('routes a payout’s completion to its hold’s partition, remembered or looked up', async () => {
    const user = await fundedUser(3, '3000');
    // Back to back through the router: the completion follows the hold it has just routed.
    const quick = uid('po_');
    await ledger.send(payoutRequested(quick, user, '1000'));
    await ledger.send(event('payments.payout.completed', { payoutId: quick }));
    await ledger.events.waitFor(seen('ledger.transfer.posted', `payout:${quick}:completed`));
    // Placed straight on the partition's key (the router never saw it): found in the database.
    const direct = uid('po_');
    await ledger.send(payoutRequested(direct, user, '500'), {
      routingKey: 'payments.payout.requested.p3',
    });
    await ledger.events.waitFor(seen('ledger.transfer.pending', `payout:${direct}`));
    await ledger.send(event('payments.payout.failed', { payoutId: direct, reason: 'bank refused' }));
    await ledger.events.waitFor(seen('ledger.transfer.voided', `payout:${direct}:failed`));
    assert.equal(await balance(USD(user)), '2000');
    assert.equal(await balance(partitionedSystemAccountId('payouts_in_flight', 'USD', 3)), '1000');
  });

  it('holds back a completion whose hold is not committed yet, and routes it once it is', async () => {
    const user = await fundedUser(1, '1000');
    const payoutId = uid('po_');
    // The completion reaches the router first; the hold goes straight to its partition a little later.
    await ledger.send(event('payments.payout.completed', { payoutId }));
    // A real pause: the order of arrival is what this case is about.
    await sleep(50);
    await ledger.send(payoutRequested(payoutId, user, '250'), { routingKey: 'payments.payout.requested.p1' });
    await ledger.events.waitFor(seen('ledger.transfer.posted', `payout:${payoutId}:completed`));
    assert.equal(await balance(USD(user)), '750');
    assert.equal(ledger.events.events.some(rejected(`payout:${payoutId}:completed`)), false);
  });

  it('accepts envelopes that carry occurredAt (RFC 3339), and dead-letters none of them', async () => {
    const user = userIn(2);
    await ledger.send({ ...registered(user), occurredAt: '2026-11-30T18:00:00.000Z' });
    const paymentId = uid('pi_');
    await ledger.send({ ...deposit(user, '55', paymentId), occurredAt: '2026-11-30T18:00:01+01:00' });
    await ledger.events.waitFor(seen('ledger.transfer.posted', `deposit:stripe:${paymentId}`));
    assert.equal(await balance(USD(user)), '55');
  });

  it('refuses to start the same ledger with another partition count', async () => {
    await assert.rejects(
      createTransactionsService({
        config: {
          TRANSACTIONS_API_KEYS: [testApiKey],
          LEDGER_QUEUE: 'ledger.inbox',
          LEDGER_PARTITIONS: 2,
          LEDGER_COMMAND_ROUTE: 'writer',
          LEDGER_COMMAND_TIMEOUT_MS: 30_000,
          LEDGER_BATCH_MAX_MESSAGES: 100,
          LEDGER_BATCH_MAX_WAIT_MS: 5,
          LEDGER_MAX_MESSAGE_BYTES: 65_536,
          LEDGER_HOLD_SWEEP_INTERVAL_MS: 200,
        },
        db: ledger.db,
        transport: ledger.transport,
        logger: ledger.logger,
      }),
      /set up with LEDGER_PARTITIONS=4; starting it with 2 would move accounts between writers/,
    );
  });

  it('expires a hold through the writer of its partition', async () => {
    const user = await fundedUser(2, '800');
    const holdId = uid('hold-');
    const placed = await command(
      transfer(
        holdId,
        [
          {
            debitAccountId: USD(user),
            creditAccountId: partitionedSystemAccountId('payouts_in_flight', 'USD', 2),
            asset: 'USD',
            amount: '300',
          },
        ],
        { pending: { timeoutSeconds: 1 }, code: 'withdrawal' },
      ),
    );
    assert.equal(placed.status, 200, JSON.stringify(placed.body));
    // Swept (by this call or the service's own sweep) once its second has passed.
    await until(
      async () => {
        await ledger.service.sweepExpiredHolds();
        return ledger.events.events.some(seen('ledger.transfer.voided', `expire:${holdId}`));
      },
      { what: `the expiry of ${holdId}` },
    );
    const voided = await ledger.events.waitFor(seen('ledger.transfer.voided', `expire:${holdId}`));
    assert.ok(voided.type === 'ledger.transfer.voided', 'the ledger voided the expired hold');
    assert.equal(voided.data.reason, 'expired');
    const view = (await request('GET', `/v1/accounts/${USD(user)}`)).body;
    assert.equal(view.available, '800');
    assert.equal((await verifyLedger(ledger.db)).ok, true);
  });
});
