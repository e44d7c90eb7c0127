/**
 * Payouts against the real ledger (services/transactions, in this process, on
 * the same RabbitMQ vhost) and the sandbox provider: the hold, the provider
 * call, the post or the void, and the refusal for lack of funds; and deposits
 * credited exactly once on the user's balance.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { AccountView, LedgerEvent } from '@t50/contracts';
import { testApiKey } from '@t50/transactions/testing';
import {
  eventually,
  newKey,
  newUserId,
  payoutRequest,
  startPaymentsHarness,
  type PaymentsHarness,
} from '../testing/harness';
import { submitHeldPayouts } from './worker';

let harness: PaymentsHarness;
before(async () => {
  harness = await startPaymentsHarness('payments-payouts', { ledger: true });
});
after(async () => {
  await harness.close();
});

const ledger = () => harness.ledger!;

async function account(userId: string, asset = 'USD'): Promise<AccountView> {
  const response = await ledger().service.app.inject({
    method: 'GET',
    url: `/v1/accounts/user:${userId}:${asset}`,
    headers: { 'x-api-key': testApiKey },
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json<AccountView>();
}

async function registeredUser(): Promise<string> {
  const userId = newUserId();
  await ledger().send({
    id: `gateway.user.registered:${userId}`,
    type: 'gateway.user.registered',
    version: 1,
    data: { userId },
  });
  await ledger().events.waitForCount(
    (event) => event.type === 'ledger.account.opened' && event.data.account.ownerId === userId,
    3,
  );
  return userId;
}

/** A user with `amount` cents of USD, paid in through a sandbox deposit. */
async function fundedUser(amount: string): Promise<string> {
  const userId = await registeredUser();
  const deposit = await harness.createDeposit({ userId, amount });
  await harness.pay(deposit, '4242 4242 4242 4242');
  await ledger().events.waitFor(
    (event) =>
      event.type === 'ledger.transfer.posted' && event.data.transfer.transferId === `deposit:sandbox:${deposit.id}`,
  );
  return userId;
}

async function payoutState(userId: string, payoutId: string, state: string) {
  return eventually(
    async () => {
      const reply = await harness.request({
        id: randomUUID(),
        type: 'payments.list',
        version: 1,
        data: { userId, limit: 100 },
      });
      const payout = reply.type === 'list' ? reply.payouts.find((candidate) => candidate.id === payoutId) : undefined;
      return payout?.state === state ? payout : undefined;
    },
    20_000,
    `payout ${state}`,
  );
}

const sandboxPayouts = (payoutId: string) => harness.countRows('sandbox_payouts', 'payout_id = $1', [payoutId]);
const ledgerEventFor = (type: LedgerEvent['type'], transferId: string) => (event: LedgerEvent) =>
  event.type === type && 'transfer' in event.data && event.data.transfer.transferId === transferId;

/** The ledger voided the payout's hold: the balance and the available amount are `amount` again. */
async function holdVoidedAndRestored(userId: string, payoutId: string, amount: string): Promise<void> {
  await ledger().events.waitFor(
    (event) => event.type === 'ledger.transfer.voided' && event.data.transfer.pendingId === `payout:${payoutId}`,
  );
  const view = await account(userId);
  assert.equal(view.balance, amount);
  assert.equal(view.available, amount);
}

describe('a deposit, end to end', () => {
  it('credits the balance exactly once, however often its webhook comes', async () => {
    const userId = await registeredUser();
    harness.service.sandbox!.control.setFaults({ duplicate: true });
    let depositId: string;
    try {
      const deposit = await harness.createDeposit({ userId, amount: '4321' });
      depositId = deposit.id;
      await harness.pay(deposit, '4242424242424242');
      await ledger().events.waitFor(ledgerEventFor('ledger.transfer.posted', `deposit:sandbox:${deposit.id}`));
      // The user's return asks the provider too.
      assert.equal((await harness.getDeposit(userId, deposit.id, true)).state, 'succeeded');
    } finally {
      harness.service.sandbox!.control.resetFaults();
    }
    await harness.service.outbox.flush();
    const view = await account(userId);
    assert.equal(view.balance, '4321');
    const posted = ledger().events.events.filter(
      ledgerEventFor('ledger.transfer.posted', `deposit:sandbox:${depositId}`),
    );
    assert.equal(posted.length, 1);
  });
});

describe('a payout', () => {
  it('succeeds: held, paid out by the provider, posted; the balance goes down once', async () => {
    const userId = await fundedUser('5000');
    const payout = await harness.createPayout({ userId, amount: '1200', destination: 'DE89 3704 0044 0532 0130 00' });
    assert.equal(payout.state, 'requested');
    assert.equal(payout.destination, 'DE89 3704 0044 0532 0130 00');
    await ledger().events.waitFor(ledgerEventFor('ledger.transfer.pending', `payout:${payout.id}`));
    await payoutState(userId, payout.id, 'completed');
    await ledger().events.waitFor(ledgerEventFor('ledger.transfer.posted', `payout:${payout.id}:completed`));
    const view = await account(userId);
    assert.equal(view.balance, '3800');
    assert.equal(view.available, '3800');
    assert.equal(await sandboxPayouts(payout.id), 1);
    // A late "failed" for a completed payout (a reversal) changes nothing here and is reported.
    const [row] = await harness.db.query<{ provider_ref: string }>('select provider_ref from payouts where id = $1', [
      payout.id,
    ]);
    const late = JSON.stringify({
      id: `evt_${randomUUID().replaceAll('-', '')}`,
      type: 'payout.failed',
      created: Math.floor(Date.now() / 1000),
      data: {
        object: 'payout',
        id: row!.provider_ref,
        reference: payout.id,
        asset: 'USD',
        amount: '1200',
        reason: 'reversed',
      },
    });
    assert.equal((await harness.sendSandboxWebhook(late)).status, 200);
    assert.equal((await payoutState(userId, payout.id, 'completed')).state, 'completed');
    const metrics = await (await fetch(`${harness.publicUrl}/metrics`)).text();
    assert.match(
      metrics,
      /^payments_reconcile_differences_total\{provider="sandbox",kind="payout_failed_after_completed"\} 1$/m,
    );
    assert.equal(
      (await harness.outbox('payments.payout.completed')).filter(
        (row) => (row.data as { payoutId: string }).payoutId === payout.id,
      ).length,
      1,
    );
  });

  it('failed by the provider: the hold is voided and the balance restored', async () => {
    const userId = await fundedUser('3000');
    const payout = await harness.createPayout({ userId, amount: '1000', destination: 'an account that will fail' });
    await ledger().events.waitFor(ledgerEventFor('ledger.transfer.pending', `payout:${payout.id}`));
    const failed = await payoutState(userId, payout.id, 'failed');
    assert.equal(failed.code, 'provider_failed');
    assert.ok((failed.reason ?? '').length > 0, 'the failed payout gives a reason');
    await holdVoidedAndRestored(userId, payout.id, '3000');
  });

  it('refused by the provider at the create call: failed (provider_refused), no provider payout, hold voided', async () => {
    const userId = await fundedUser('3000');
    const payout = await harness.createPayout({ userId, amount: '1200', destination: 'an account they refuse' });
    const failed = await payoutState(userId, payout.id, 'failed');
    assert.equal(failed.code, 'provider_refused');
    assert.match(failed.reason ?? '', /invalid_destination/);
    assert.equal(await sandboxPayouts(payout.id), 0, 'the provider made no payout');
    await holdVoidedAndRestored(userId, payout.id, '3000');
  });

  it('a hold the ledger expires while the payout is not final: reported, the payout left as it is', async () => {
    const userId = await fundedUser('2000');
    const faults = async (down: boolean) => {
      const response = await fetch(`${harness.publicUrl}/sandbox/test-control/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ down }),
      });
      assert.equal(response.status, 200, await response.text());
    };
    await faults(true);
    try {
      const payout = await harness.createPayout({ userId, amount: '800' });
      const pending = await ledger().events.waitFor(ledgerEventFor('ledger.transfer.pending', `payout:${payout.id}`));
      await payoutState(userId, payout.id, 'held');
      // What the ledger publishes when a week has passed (its hold sweeper): the hold voided as expired.
      const hold = pending.type === 'ledger.transfer.pending' ? pending.data.transfer : undefined;
      assert.ok(hold !== undefined, 'the ledger held the payout amount');
      await harness.transport.publish({
        exchange: 't50.events',
        routingKey: 'ledger.transfer.voided',
        messageId: `expired-${payout.id}`,
        body: {
          id: `expired-${payout.id}`,
          type: 'ledger.transfer.voided',
          version: 1,
          data: {
            ...pending.data,
            transfer: {
              ...hold,
              transferId: `expire:payout:${payout.id}`,
              pendingId: `payout:${payout.id}`,
              state: 'voided',
            },
            reason: 'expired',
          },
        },
      });
      const line = /^payments_reconcile_differences_total\{provider="sandbox",kind="hold_expired"\} 1$/m;
      await eventually(async () =>
        line.test(await (await fetch(`${harness.publicUrl}/metrics`)).text()) ? true : undefined,
      );
      assert.equal((await payoutState(userId, payout.id, 'held')).state, 'held');
    } finally {
      await faults(false);
    }
  });

  it('without the funds: rejected with insufficient_funds, the provider never called', async () => {
    const userId = await fundedUser('500');
    const payout = await harness.createPayout({ userId, amount: '900' });
    const rejected = await payoutState(userId, payout.id, 'rejected');
    assert.equal(rejected.code, 'insufficient_funds');
    await harness.service.payoutWorker.runNow();
    assert.equal(await sandboxPayouts(payout.id), 0);
    assert.equal((await account(userId)).balance, '500');
  });

  it('the same Idempotency-Key twice: one payout; with another request: 409', async () => {
    const userId = await fundedUser('2000');
    const request = payoutRequest({ userId, amount: '700', idempotencyKey: newKey() });
    const first = await harness.request(request);
    const second = await harness.request({ ...request, id: randomUUID() });
    assert.equal(first.type, 'payout');
    assert.deepEqual(second, first);
    const other = await harness.request({ ...request, id: randomUUID(), data: { ...request.data, amount: '701' } });
    assert.deepEqual(other.type === 'problem' && [other.problem.status, other.problem.code], [
      409,
      'idempotency_key_reused',
    ]);
    const payoutId = first.type === 'payout' ? first.payout.id : '';
    await payoutState(userId, payoutId, 'completed');
    await ledger().events.waitFor(ledgerEventFor('ledger.transfer.posted', `payout:${payoutId}:completed`));
    assert.equal(await harness.countRows('payouts', 'user_id = $1', [userId]), 1);
    assert.equal((await account(userId)).balance, '1300');
  });

  it('a crash after the provider call and before its record: taken up again, one provider payout', async () => {
    const userId = await fundedUser('2500');
    const control = harness.service.sandbox!.control;
    // The provider cannot be reached: the payout stays held after the ledger's hold.
    control.setFaults({ down: true });
    let payoutId: string;
    try {
      const payout = await harness.createPayout({ userId, amount: '1100' });
      payoutId = payout.id;
      await payoutState(userId, payout.id, 'held');
    } finally {
      control.resetFaults();
    }
    // What a worker that crashed right after the provider accepted the payout leaves behind:
    // the provider has it, our record still says held.
    await harness.service.sandbox!.provider.createPayout({
      payoutId,
      userId,
      asset: 'USD',
      amount: 1100n,
      destination: 'my bank account',
    });
    await harness.db.query(`update payouts set next_attempt_at = now(), claimed_until = null where id = $1`, [
      payoutId,
    ]);
    await submitHeldPayouts(harness.service.deps, 60_000);
    await payoutState(userId, payoutId, 'completed');
    await ledger().events.waitFor(ledgerEventFor('ledger.transfer.posted', `payout:${payoutId}:completed`));
    assert.equal(await sandboxPayouts(payoutId), 1);
    assert.equal((await account(userId)).balance, '1400');
  });
});
