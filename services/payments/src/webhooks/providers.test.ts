/**
 * The service with Stripe and PayPal, each through its real SDK against a
 * local fake server speaking its wire format, beside a real ledger: deposits
 * paid and credited once whether the webhook or the user's return comes
 * first, webhooks signed for another endpoint refused, payouts paid once, and
 * a provider that is down during the create call.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { LedgerEvent } from '@t50/contracts';
import { testApiKey } from '@t50/transactions/testing';
import { FakePayPal } from '../testing/fake-paypal';
import { FakeStripe } from '../testing/fake-stripe';
import { depositRequest, eventually, newUserId, startPaymentsHarness, type PaymentsHarness } from '../testing/harness';

const stripeSecret = 'whsec_providers_test_0123456789';
const paypalWebhookId = 'WH-PROVIDERS-TEST-0123';

let stripe: FakeStripe;
let paypal: FakePayPal;
let harness: PaymentsHarness;

before(async () => {
  stripe = await new FakeStripe().start();
  paypal = await new FakePayPal().start();
  harness = await startPaymentsHarness('payments-providers', {
    ledger: true,
    env: {
      PAYMENTS_PROVIDERS: 'sandbox,stripe,paypal',
      STRIPE_SECRET_KEY: stripe.secretKey,
      STRIPE_WEBHOOK_SECRET: stripeSecret,
      STRIPE_API_URL: stripe.url,
      PAYPAL_CLIENT_ID: paypal.clientId,
      PAYPAL_CLIENT_SECRET: paypal.clientSecret,
      PAYPAL_WEBHOOK_ID: paypalWebhookId,
      PAYPAL_API_URL: paypal.url,
    },
  });
});
after(async () => {
  await harness.close();
  await stripe.close();
  await paypal.close();
});

const ledger = () => harness.ledger!;
const posted = (transferId: string) => (event: LedgerEvent) =>
  event.type === 'ledger.transfer.posted' && event.data.transfer.transferId === transferId;
const credits = async (depositId: string) =>
  (await harness.outbox('payments.deposit.succeeded')).filter(
    (row) => (row.data as { paymentId: string }).paymentId === depositId,
  ).length;

async function balance(userId: string, asset = 'USD'): Promise<string> {
  const response = await ledger().service.app.inject({
    method: 'GET',
    url: `/v1/accounts/user:${userId}:${asset}`,
    headers: { 'x-api-key': testApiKey },
  });
  return response.json<{ balance: string }>().balance;
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

async function providerRefOf(depositId: string): Promise<string> {
  const [row] = await harness.db.query<{ provider_ref: string }>('select provider_ref from deposits where id = $1', [
    depositId,
  ]);
  return row!.provider_ref;
}

async function payoutCompleted(userId: string, payoutId: string): Promise<void> {
  await eventually(
    async () => {
      await harness.service.reconciler.runNow();
      const [row] = await harness.db.query<{ state: string }>(
        'select state from payouts where id = $1 and user_id = $2',
        [payoutId, userId],
      );
      return row?.state === 'completed' ? true : undefined;
    },
    30_000,
    'payout completed',
  );
  await ledger().events.waitFor(posted(`payout:${payoutId}:completed`));
}

describe('Stripe', () => {
  it('a paid checkout, its webhook sent twice: credited once', async () => {
    const userId = await registeredUser();
    const deposit = await harness.createDeposit({ userId, amount: '2599', provider: 'stripe' });
    assert.equal(deposit.state, 'created');
    assert.match(deposit.redirectUrl ?? '', /^https?:\/\//);
    const ref = await providerRefOf(deposit.id);
    const session = stripe.completeSession(ref, 'paid');
    const url = `${harness.publicUrl}/webhooks/stripe`;
    assert.equal(await stripe.sendEvent(url, 'checkout.session.completed', session, stripeSecret), 200);
    assert.equal(await stripe.sendEvent(url, 'checkout.session.completed', session, stripeSecret), 200);
    await ledger().events.waitFor(posted(`deposit:stripe:${deposit.id}`));
    assert.equal((await harness.getDeposit(userId, deposit.id)).state, 'succeeded');
    assert.equal(await credits(deposit.id), 1);
    assert.equal(await balance(userId), '2599');
  });

  it('the user back before the webhook: the refresh finds it paid', async () => {
    const userId = newUserId();
    const deposit = await harness.createDeposit({ userId, amount: '1000', provider: 'stripe', asset: 'EUR' });
    stripe.completeSession(await providerRefOf(deposit.id), 'paid');
    assert.equal((await harness.getDeposit(userId, deposit.id, true)).state, 'succeeded');
    assert.equal(await credits(deposit.id), 1);
  });

  it('a webhook signed for another endpoint: 400, nothing recorded', async () => {
    const userId = newUserId();
    const deposit = await harness.createDeposit({ userId, amount: '1000', provider: 'stripe' });
    const session = stripe.completeSession(await providerRefOf(deposit.id), 'paid');
    const before = await harness.countRows('provider_events');
    assert.equal(
      await stripe.sendEvent(
        `${harness.publicUrl}/webhooks/stripe`,
        'checkout.session.completed',
        session,
        'whsec_another_endpoint',
      ),
      400,
    );
    assert.equal(await harness.countRows('provider_events'), before);
    assert.equal((await harness.getDeposit(userId, deposit.id)).state, 'created');
  });

  it('down during the create call: 503, and the same request later makes one session', async () => {
    const userId = newUserId();
    const request = depositRequest({ userId, amount: '1500', provider: 'stripe' });
    stripe.setHealth('down');
    let first;
    try {
      first = await harness.request(request);
    } finally {
      stripe.setHealth('up');
    }
    assert.deepEqual(first.type === 'problem' && [first.problem.status, first.problem.code], [
      503,
      'provider_unavailable',
    ]);
    const second = await harness.request({ ...request, id: randomUUID() });
    assert.equal(second.type, 'deposit');
    const depositId = second.type === 'deposit' ? second.deposit.id : '';
    assert.equal(stripe.made.get(`session:${depositId}`), 1);
  });

  it('a payout to a connected account: one transfer, posted by the ledger', async () => {
    const userId = await registeredUser();
    const deposit = await harness.createDeposit({ userId, amount: '5000', provider: 'stripe' });
    stripe.completeSession(await providerRefOf(deposit.id), 'paid');
    await harness.getDeposit(userId, deposit.id, true);
    await ledger().events.waitFor(posted(`deposit:stripe:${deposit.id}`));
    const payout = await harness.createPayout({
      userId,
      amount: '2000',
      provider: 'stripe',
      destination: 'acct_1TestConnected',
    });
    await payoutCompleted(userId, payout.id);
    assert.equal(stripe.made.get(`transfer:${payout.id}`), 1);
    assert.equal(await balance(userId), '3000');
  });
});

describe('PayPal', () => {
  it('an approved order: captured on the return, its capture webhook after adds nothing', async () => {
    const userId = await registeredUser();
    const deposit = await harness.createDeposit({ userId, amount: '1234', provider: 'paypal' });
    const ref = await providerRefOf(deposit.id);
    paypal.approveOrder(ref, 'approved');
    assert.equal((await harness.getDeposit(userId, deposit.id, true)).state, 'succeeded');
    const status = await paypal.sendEvent(
      `${harness.publicUrl}/webhooks/paypal`,
      'PAYMENT.CAPTURE.COMPLETED',
      paypal.captureResource(ref),
      paypalWebhookId,
    );
    assert.equal(status, 200);
    await ledger().events.waitFor(posted(`deposit:paypal:${deposit.id}`));
    assert.equal(await credits(deposit.id), 1);
    assert.equal(await balance(userId), '1234');
  });

  it('a webhook for another subscription: 400, nothing recorded', async () => {
    const userId = newUserId();
    const deposit = await harness.createDeposit({ userId, amount: '1000', provider: 'paypal' });
    const ref = await providerRefOf(deposit.id);
    paypal.approveOrder(ref, 'approved');
    const before = await harness.countRows('provider_events');
    const status = await paypal.sendEvent(
      `${harness.publicUrl}/webhooks/paypal`,
      'PAYMENT.CAPTURE.COMPLETED',
      paypal.captureResource(ref),
      'WH-SOMEONE-ELSE',
    );
    assert.equal(status, 400);
    assert.equal(await harness.countRows('provider_events'), before);
  });

  it('a payout to an email: one batch, posted by the ledger', async () => {
    const userId = await registeredUser();
    const deposit = await harness.createDeposit({ userId, amount: '4000', provider: 'paypal' });
    paypal.approveOrder(await providerRefOf(deposit.id), 'approved');
    await harness.getDeposit(userId, deposit.id, true);
    await ledger().events.waitFor(posted(`deposit:paypal:${deposit.id}`));
    const payout = await harness.createPayout({
      userId,
      amount: '1500',
      provider: 'paypal',
      destination: 'receiver@example.com',
    });
    await payoutCompleted(userId, payout.id);
    assert.equal(paypal.made.get(`batch:${payout.id}`), 1);
    assert.equal(await balance(userId), '2500');
  });
});
