/**
 * The Stripe adapter beyond the contract: what it sends (through the real SDK,
 * to the local fake Stripe) and how it reads Stripe's states and events.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeStripeForm } from '../testing/fake-server';
import { startStripeHarness, stripeTestWebhookSecret } from '../testing/stripe-harness';
import { ProviderRefusedError, ProviderUnavailableError, type CreateDepositInput } from './port';
import { createStripeProvider, stripeApiVersion } from './stripe';

type Harness = Awaited<ReturnType<typeof startStripeHarness>>;

function depositInput(amount = 4200n): CreateDepositInput {
  return {
    depositId: `dep-${randomUUID()}`,
    userId: 'user-7',
    asset: 'EUR',
    amount,
    returnUrl: 'https://wallet.example/deposits/{id}',
    expiresAt: new Date(Date.now() + 2 * 3_600_000),
  };
}

void describe('stripe adapter', () => {
  let harness: Harness;
  before(async () => {
    harness = await startStripeHarness();
  });
  after(async () => harness?.close());

  void it('makes a Checkout Session of the exact amount, keyed by the deposit id, with the pinned API version', async () => {
    const input = depositInput(4200n);
    const created = await harness.provider.createDeposit(input);
    const request = harness.fake.requests.find((one) => one.method === 'POST' && one.path === '/v1/checkout/sessions');
    assert.ok(request !== undefined, 'the provider created a Checkout Session at Stripe');
    assert.equal(request.headers['idempotency-key'], `deposit:${input.depositId}`);
    assert.equal(request.headers['stripe-version'], stripeApiVersion);
    const form = decodeStripeForm(request.body);
    assert.deepEqual(form.line_items, {
      '0': {
        quantity: '1',
        price_data: { currency: 'eur', unit_amount: '4200', product_data: { name: 'Wallet deposit' } },
      },
    });
    assert.equal(form.mode, 'payment');
    assert.equal(form.client_reference_id, input.depositId);
    assert.deepEqual(form.metadata, { deposit_id: input.depositId, user_id: 'user-7' });
    assert.equal(form.success_url, `https://wallet.example/deposits/${input.depositId}`);
    assert.equal(form.expires_at, String(Math.floor(input.expiresAt.getTime() / 1000)));
    assert.equal(created.expiresAt.getTime(), Math.floor(input.expiresAt.getTime() / 1000) * 1000);
    assert.ok(
      created.redirectUrl.startsWith(harness.fake.url),
      `the buyer is sent to Stripe Checkout: ${created.redirectUrl}`,
    );
  });

  void it('reads a completed but unpaid session as processing', async () => {
    const input = depositInput();
    const created = await harness.provider.createDeposit(input);
    harness.fake.completeSession(created.providerRef, 'processing');
    assert.deepEqual(await harness.provider.getDeposit({ id: input.depositId, providerRef: created.providerRef }), {
      status: 'processing',
    });
  });

  void it('refuses the same deposit id with another amount (Stripe idempotency error), and makes nothing', async () => {
    const input = depositInput(1000n);
    await harness.provider.createDeposit(input);
    await assert.rejects(
      harness.provider.createDeposit({ ...input, amount: 2000n }),
      (error: unknown) => error instanceof ProviderRefusedError && error.code === 'idempotency_key_reused',
    );
    assert.equal(harness.fake.made.get(`session:${input.depositId}`), 1);
  });

  void it('refuses a payout destination that is not a connected account, without calling Stripe', async () => {
    const before = harness.fake.requests.length;
    await assert.rejects(
      harness.provider.createPayout({
        payoutId: `pay-${randomUUID()}`,
        userId: 'u',
        asset: 'USD',
        amount: 100n,
        destination: 'someone@example.com',
      }),
      (error: unknown) => error instanceof ProviderRefusedError && error.code === 'invalid_destination',
    );
    assert.equal(harness.fake.requests.length, before);
  });

  void it('finds a transfer by the payout id without its transfer id, and reads a reversed one as failed', async () => {
    const payoutId = `pay-${randomUUID()}`;
    const created = await harness.provider.createPayout({
      payoutId,
      userId: 'u',
      asset: 'USD',
      amount: 123456n,
      destination: 'acct_1Dest',
    });
    const transfer = harness.fake.transfers.get(created.providerRef);
    assert.equal(transfer?.amount, 123456);
    assert.equal(transfer?.transfer_group, payoutId);
    assert.deepEqual(await harness.provider.getPayout({ id: payoutId }), { status: 'succeeded' });
    harness.fake.reverseTransfer(created.providerRef);
    assert.deepEqual(await harness.provider.getPayout({ id: payoutId }), {
      status: 'failed',
      reason: 'the transfer was reversed',
    });
    assert.deepEqual(await harness.provider.getPayout({ id: payoutId, providerRef: created.providerRef }), {
      status: 'failed',
      reason: 'the transfer was reversed',
    });
  });

  void it('reads the Stripe events it acts on, and ignores the others', async () => {
    const input = depositInput(999n);
    const created = await harness.provider.createDeposit(input);
    const session = harness.fake.sessions.get(created.providerRef)!;
    const read = (type: string, object: Record<string, unknown>) =>
      harness.provider.verifyAndParseWebhook(harness.fake.signedEvent(type, object, stripeTestWebhookSecret));

    const failed = await read(
      'checkout.session.async_payment_failed',
      harness.fake.completeSession(created.providerRef, 'failed'),
    );
    assert.equal(failed.kind === 'deposit' && failed.depositId, input.depositId);
    assert.equal(failed.kind === 'deposit' && failed.status.status, 'failed');
    const expired = await read('checkout.session.expired', { ...session, status: 'expired' });
    assert.equal(expired.kind === 'deposit' && expired.status.status, 'expired');

    const payoutId = `pay-${randomUUID()}`;
    const payout = await harness.provider.createPayout({
      payoutId,
      userId: 'u',
      asset: 'USD',
      amount: 5n,
      destination: 'acct_1Dest',
    });
    const transfer = harness.fake.transfers.get(payout.providerRef)!;
    const paid = await read('transfer.created', transfer);
    assert.deepEqual(
      { ...paid, eventId: '' },
      { eventId: '', kind: 'payout', payoutId, providerRef: payout.providerRef, status: { status: 'succeeded' } },
    );
    const reversed = await read('transfer.reversed', harness.fake.reverseTransfer(payout.providerRef));
    assert.equal(reversed.kind === 'payout' && reversed.status.status, 'failed');

    const other = await read('customer.created', { id: 'cus_1', object: 'customer' });
    assert.deepEqual({ ...other, eventId: '' }, { eventId: '', kind: 'ignored', eventType: 'customer.created' });
  });

  void it('takes a refused API key for an outage to retry once the key is fixed, not a refusal of the deposit', async () => {
    const wrongKey = createStripeProvider({
      secretKey: 'sk_test_revoked',
      webhookSecret: 'whsec_x',
      apiUrl: harness.fake.url,
      maxNetworkRetries: 0,
    });
    await assert.rejects(
      wrongKey.createDeposit(depositInput()),
      (error: unknown) => error instanceof ProviderUnavailableError,
    );
  });
});
