/**
 * Deposits through the sandbox provider, end to end inside the service: the
 * checkout, the user paying on the sandbox page, the signed webhook over HTTP,
 * the state machine and the one credit event in the outbox.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { magicCards, signSandboxPayload } from '../providers/sandbox';
import {
  eventually,
  newKey,
  newUserId,
  startPaymentsHarness,
  depositRequest,
  testWebhookSecret,
  type PaymentsHarness,
} from '../testing/harness';

const card = (behaviour: (typeof magicCards)[keyof typeof magicCards]) =>
  Object.entries(magicCards).find(([, value]) => value === behaviour)![0];

let harness: PaymentsHarness;
before(async () => {
  harness = await startPaymentsHarness('payments-deposits');
});
after(async () => {
  await harness.close();
});

const credits = (depositId: string) =>
  harness
    .outbox('payments.deposit.succeeded')
    .then((rows) => rows.filter((row) => (row.data as { paymentId: string }).paymentId === depositId));

async function settled(userId: string, depositId: string, state: string) {
  return eventually(
    async () => {
      const deposit = await harness.getDeposit(userId, depositId);
      return deposit.state === state ? deposit : undefined;
    },
    15_000,
    `deposit ${state}`,
  );
}

/** A sandbox event body for a deposit, as the sandbox would send it. */
function sandboxEvent(
  type: string,
  deposit: { id: string; amount: string },
  providerRef: string,
  eventId = `evt_${randomUUID()}`,
) {
  return JSON.stringify({
    id: eventId,
    type,
    created: Math.floor(Date.now() / 1000),
    data: {
      object: 'checkout',
      id: providerRef,
      reference: deposit.id,
      asset: 'USD',
      amount: deposit.amount,
      reason: type === 'checkout.succeeded' ? null : 'test',
    },
  });
}

async function providerRefOf(depositId: string): Promise<string> {
  const [row] = await harness.db.query<{ provider_ref: string }>('select provider_ref from deposits where id = $1', [
    depositId,
  ]);
  return row!.provider_ref;
}

describe('a deposit', () => {
  it('succeeds: created with a checkout URL, paid, credited once', async () => {
    const userId = newUserId();
    const deposit = await harness.createDeposit({ userId, amount: '2500' });
    assert.equal(deposit.state, 'created');
    assert.equal(deposit.amount, '2500');
    assert.match(deposit.redirectUrl ?? '', new RegExp(`^${harness.publicUrl}/sandbox/checkout/`));
    assert.ok(
      Date.parse(deposit.expiresAt) > Date.now(),
      `the checkout expires in the future, not at ${deposit.expiresAt}`,
    );
    assert.equal(await harness.pay(deposit, card('succeeds')), 303);
    const done = await settled(userId, deposit.id, 'succeeded');
    assert.equal(done.redirectUrl, undefined);
    const events = await credits(deposit.id);
    assert.equal(events.length, 1);
    assert.deepEqual(events[0]!.data, {
      paymentId: deposit.id,
      provider: 'sandbox',
      userId,
      asset: 'USD',
      amount: '2500',
    });
    assert.equal(events[0]!.id, `payments.deposit.succeeded:${deposit.id}`);
  });

  it("settling late (an amount ending in .77): processing on the user's return, then succeeded, credited once", async () => {
    const userId = newUserId();
    const deposit = await harness.createDeposit({ userId, amount: '1077' });
    assert.equal(await harness.pay(deposit, card('succeeds')), 303);
    const back = await harness.getDeposit(userId, deposit.id, true);
    assert.equal(back.state, 'processing', 'the provider has the payment but has not settled it');
    assert.equal((await credits(deposit.id)).length, 0, 'nothing is credited while it is processing');
    await settled(userId, deposit.id, 'succeeded');
    assert.equal((await credits(deposit.id)).length, 1);
  });

  it('is declined: failed with a reason, never credited', async () => {
    const userId = newUserId();
    const deposit = await harness.createDeposit({ userId, amount: '1200', asset: 'EUR' });
    await harness.pay(deposit, card('declined'));
    const done = await settled(userId, deposit.id, 'failed');
    assert.ok((done.reason ?? '').length > 0, 'a declined deposit says why');
    assert.equal((await credits(deposit.id)).length, 0);
  });

  it('expires at the provider: expired, never credited', async () => {
    const userId = newUserId();
    const deposit = await harness.createDeposit({ userId, amount: '1300' });
    assert.equal(await harness.service.sandbox!.control.expireNow(deposit.id), true);
    await harness.service.sandbox!.control.deliverNow();
    await settled(userId, deposit.id, 'expired');
    assert.equal((await credits(deposit.id)).length, 0);
  });

  it('abandoned (never paid, past its expiry): the reconciler expires it', async () => {
    const userId = newUserId();
    const deposit = await harness.createDeposit({ userId, amount: '1400' });
    // The checkout's time runs out at the provider without any webhook (lost): only the reconciler can notice.
    harness.service.sandbox!.control.setFaults({ dropNext: 1000 });
    try {
      await harness.service.sandbox!.control.expireNow(deposit.id);
      await harness.service.reconciler.runNow();
    } finally {
      harness.service.sandbox!.control.resetFaults();
    }
    const done = await harness.getDeposit(userId, deposit.id);
    assert.equal(done.state, 'expired');
    assert.equal((await credits(deposit.id)).length, 0);
  });

  it('the same webhook delivered five times credits once', async () => {
    const userId = newUserId();
    const deposit = await harness.createDeposit({ userId, amount: '1500' });
    await harness.pay(deposit, card('succeeds'));
    await settled(userId, deposit.id, 'succeeded');
    // The sandbox marks its webhook delivered once our route has answered 200, which can be after the
    // deposit has already moved on: wait for the mark rather than race it.
    const sent = await eventually(
      async () => {
        const [row] = await harness.db.query<{ body: string }>(
          `select body from sandbox_webhook_events where body::jsonb->'data'->>'reference' = $1 and delivered_at is not null`,
          [deposit.id],
        );
        return row;
      },
      15_000,
      'the sandbox marks its webhook delivered',
    );
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const response = await harness.sendSandboxWebhook(sent.body);
      statuses.push(response.status);
      assert.deepEqual(await response.json(), { received: true, duplicate: true });
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
    assert.equal((await credits(deposit.id)).length, 1);
    assert.equal(await harness.countRows('provider_events', `subject_id = $1`, [deposit.id]), 1);
  });

  it('a late "failed" after "succeeded" changes nothing', async () => {
    const userId = newUserId();
    const deposit = await harness.createDeposit({ userId, amount: '1600' });
    await harness.pay(deposit, card('succeeds'));
    await settled(userId, deposit.id, 'succeeded');
    const response = await harness.sendSandboxWebhook(
      sandboxEvent('checkout.failed', deposit, await providerRefOf(deposit.id)),
    );
    assert.equal(response.status, 200);
    const after = await harness.getDeposit(userId, deposit.id);
    assert.equal(after.state, 'succeeded');
    assert.equal(after.reason, undefined);
    assert.equal((await credits(deposit.id)).length, 1);
  });

  it('the user returning before the webhook sees it succeed; the late webhook adds nothing', async () => {
    const userId = newUserId();
    const deposit = await harness.createDeposit({ userId, amount: '1700' });
    const control = harness.service.sandbox!.control;
    control.setFaults({ paused: true });
    try {
      await harness.pay(deposit, card('succeeds'));
      assert.equal((await harness.getDeposit(userId, deposit.id)).state, 'created');
      const returned = await harness.getDeposit(userId, deposit.id, true);
      assert.equal(returned.state, 'succeeded');
      assert.equal((await credits(deposit.id)).length, 1);
    } finally {
      control.resetFaults();
    }
    await control.deliverNow();
    await eventually(async () =>
      (await harness.countRows('provider_events', 'subject_id = $1', [deposit.id])) === 1 ? true : undefined,
    );
    assert.equal((await harness.getDeposit(userId, deposit.id)).state, 'succeeded');
    assert.equal((await credits(deposit.id)).length, 1);
  });
});

describe('a provider reporting another amount', () => {
  it('is not credited: the deposit stays open, a metric counts it', async () => {
    const userId = newUserId();
    const deposit = await harness.createDeposit({ userId, amount: '2100' });
    const body = sandboxEvent(
      'checkout.succeeded',
      { id: deposit.id, amount: '2101' },
      await providerRefOf(deposit.id),
    );
    const response = await harness.sendSandboxWebhook(body);
    assert.equal(response.status, 200);
    assert.equal((await harness.getDeposit(userId, deposit.id)).state, 'created');
    assert.equal((await credits(deposit.id)).length, 0);
    const metrics = await (await fetch(`${harness.publicUrl}/metrics`)).text();
    assert.match(metrics, /^payments_amount_mismatches_total\{provider="sandbox"\} 1$/m);
  });
});

describe('a provider reporting a payment after the deposit expired here', () => {
  it('changes nothing and is reported as a difference', async () => {
    const userId = newUserId();
    const deposit = await harness.createDeposit({ userId, amount: '2200' });
    await harness.service.sandbox!.control.expireNow(deposit.id);
    await harness.service.sandbox!.control.deliverNow();
    await settled(userId, deposit.id, 'expired');
    const body = sandboxEvent('checkout.succeeded', deposit, await providerRefOf(deposit.id));
    assert.equal((await harness.sendSandboxWebhook(body)).status, 200);
    assert.equal((await harness.getDeposit(userId, deposit.id)).state, 'expired');
    assert.equal((await credits(deposit.id)).length, 0);
    const metrics = await (await fetch(`${harness.publicUrl}/metrics`)).text();
    assert.match(
      metrics,
      /^payments_reconcile_differences_total\{provider="sandbox",kind="deposit_paid_after_final"\} 1$/m,
    );
  });
});

describe('a webhook that does not check out', () => {
  it('forged, stale or signed with another secret: 400, nothing recorded, nothing changed', async () => {
    const userId = newUserId();
    const deposit = await harness.createDeposit({ userId, amount: '1800' });
    const body = sandboxEvent('checkout.succeeded', deposit, await providerRefOf(deposit.id));
    const eventsBefore = await harness.countRows('provider_events');
    const attempts = [
      harness.sendSandboxWebhook(body, { secret: 'whsec_wrong_secret_0123456789abcdef' }),
      harness.sendSandboxWebhook(body, { timestampSeconds: Math.floor(Date.now() / 1000) - 3600 }),
      fetch(`${harness.publicUrl}/webhooks/sandbox`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'sandbox-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`,
        },
        body,
      }),
      fetch(`${harness.publicUrl}/webhooks/sandbox`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }),
      // Signed right, then one field changed after signing.
      fetch(`${harness.publicUrl}/webhooks/sandbox`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'sandbox-signature': signSandboxPayload(body, testWebhookSecret, Math.floor(Date.now() / 1000)),
        },
        body: body.replace(`"amount":"${deposit.amount}"`, '"amount":"999999"'),
      }),
    ];
    for (const response of await Promise.all(attempts)) {
      assert.equal(response.status, 400);
      const problem = (await response.json()) as { code: string };
      assert.equal(problem.code, 'invalid_webhook');
    }
    assert.equal(await harness.countRows('provider_events'), eventsBefore);
    assert.equal((await harness.getDeposit(userId, deposit.id)).state, 'created');
    assert.equal((await credits(deposit.id)).length, 0);
  });

  it('for a provider that does not exist here: 404', async () => {
    const response = await fetch(`${harness.publicUrl}/webhooks/nosuch`, { method: 'POST', body: '{}' });
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { code: string }).code, 'unknown_provider');
  });

  it('larger than the limit: 413', async () => {
    const response = await fetch(`${harness.publicUrl}/webhooks/sandbox`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"x":"${'a'.repeat(300 * 1024)}"}`,
    });
    assert.equal(response.status, 413);
  });
});

describe('the provider down during the create call', () => {
  it('answers provider_unavailable; the same request again makes one checkout', async () => {
    const userId = newUserId();
    const request = depositRequest({ userId, amount: '1900', idempotencyKey: newKey() });
    const control = harness.service.sandbox!.control;
    control.setFaults({ down: true });
    let first;
    try {
      first = await harness.request(request);
    } finally {
      control.resetFaults();
    }
    assert.equal(first.type, 'problem');
    assert.equal(first.type === 'problem' ? first.problem.code : '', 'provider_unavailable');
    assert.equal(first.type === 'problem' ? first.problem.status : 0, 503);
    const second = await harness.request({ ...request, id: randomUUID() });
    assert.equal(second.type, 'deposit');
    const third = await harness.request({ ...request, id: randomUUID() });
    assert.deepEqual(third, second);
    assert.equal(await harness.countRows('deposits', 'user_id = $1', [userId]), 1);
    assert.equal(await harness.countRows('sandbox_checkouts', 'user_id = $1', [userId]), 1);
  });
});
