/**
 * The PayPal adapter beyond the contract: what it sends (through the real
 * server SDK and our REST client, to the local fake PayPal), capture on read,
 * the duplicate-batch refusal, the token cache, and PayPal's events.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { paypalTestWebhookId, startPayPalHarness } from '../../testing/paypal-harness';
import { ProviderUnavailableError, WebhookVerificationError, type CreateDepositInput } from '../port';
import { createPayPalProvider } from '.';

type Harness = Awaited<ReturnType<typeof startPayPalHarness>>;

function depositInput(amount = 1234567n): CreateDepositInput {
  return {
    depositId: `dep-${randomUUID()}`,
    userId: 'user-9',
    asset: 'USD',
    amount,
    returnUrl: 'https://wallet.example/deposits/{id}',
    expiresAt: new Date(Date.now() + 3_600_000),
  };
}

void describe('paypal adapter', () => {
  let harness: Harness;
  before(async () => {
    harness = await startPayPalHarness();
  });
  after(async () => harness?.close());

  void it('makes an order of the exact decimal amount through the SDK, keyed by the deposit id, and sends the buyer to its approval link', async () => {
    const input = depositInput(1234567n);
    const created = await harness.provider.createDeposit(input);
    const request = harness.fake.requests.find((one) => one.method === 'POST' && one.path === '/v2/checkout/orders');
    assert.ok(request !== undefined, 'the provider posted an order to PayPal');
    assert.equal(request.headers['paypal-request-id'], input.depositId);
    const body = JSON.parse(request.body) as {
      intent: string;
      purchase_units: Record<string, unknown>[];
      payment_source: { paypal: { experience_context: Record<string, unknown> } };
    };
    assert.equal(body.intent, 'CAPTURE');
    assert.deepEqual(body.purchase_units[0]?.amount, { currency_code: 'USD', value: '12345.67' });
    assert.equal(body.purchase_units[0]?.custom_id, input.depositId);
    assert.equal(
      body.payment_source.paypal.experience_context.return_url,
      `https://wallet.example/deposits/${input.depositId}`,
    );
    assert.equal(created.redirectUrl, `${harness.fake.url}/checkoutnow?token=${created.providerRef}`);
  });

  void it('captures an approved order once, however often it is read', async () => {
    const input = depositInput(10n);
    const created = await harness.provider.createDeposit(input);
    assert.deepEqual(await harness.provider.getDeposit({ id: input.depositId, providerRef: created.providerRef }), {
      status: 'open',
    });
    harness.fake.approveOrder(created.providerRef);
    for (let read = 0; read < 3; read += 1)
      assert.deepEqual(await harness.provider.getDeposit({ id: input.depositId, providerRef: created.providerRef }), {
        status: 'succeeded',
        amount: 10n,
        asset: 'USD',
      });
    const captures = harness.fake.requests.filter(
      (one) => one.path === `/v2/checkout/orders/${created.providerRef}/capture`,
    );
    assert.equal(captures.length, 1);
    assert.equal(captures[0]?.headers['paypal-request-id'], `capture-${input.depositId}`);
  });

  void it('reads a second batch with the same sender_batch_id (refused by PayPal) as the first payout', async () => {
    harness.fake.honourRequestIds = false;
    try {
      const input = {
        payoutId: `pay-${randomUUID()}`,
        userId: 'u',
        asset: 'EUR' as const,
        amount: 2500n,
        destination: 'friend@example.com',
      };
      const first = await harness.provider.createPayout(input);
      const second = await harness.provider.createPayout(input);
      assert.equal(second.providerRef, first.providerRef);
      assert.equal(harness.fake.made.get(`batch:${input.payoutId}`), 1);
      const posts = harness.fake.requests.filter((one) => one.method === 'POST' && one.path === '/v1/payments/payouts');
      const body = JSON.parse(posts.at(-1)?.body ?? '{}') as { items: { amount: unknown }[] };
      assert.deepEqual(body.items[0]?.amount, { value: '25.00', currency: 'EUR' });
    } finally {
      harness.fake.honourRequestIds = true;
    }
  });

  void it('reads a payout item PayPal failed as failed', async () => {
    const input = {
      payoutId: `pay-${randomUUID()}`,
      userId: 'u',
      asset: 'USD' as const,
      amount: 100n,
      destination: 'will-fail@example.com',
    };
    const created = await harness.provider.createPayout(input);
    assert.deepEqual(await harness.provider.getPayout({ id: input.payoutId, providerRef: created.providerRef }), {
      status: 'failed',
      reason: 'Receiver is unregistered',
    });
  });

  void it('asks for an OAuth token once and reuses it while it is valid', async () => {
    const before = harness.fake.tokensIssued;
    for (let round = 0; round < 3; round += 1)
      await harness.provider.getPayout({ id: 'x', providerRef: 'UNKNOWNBATCH1' });
    assert.ok(before <= 2, 'at most one token for the SDK and one for the REST client so far');
    assert.equal(harness.fake.tokensIssued, before === 0 ? 1 : before);
  });

  void it('reads the PayPal events it acts on, ignores the others, and never asks PayPal about a stale one', async () => {
    const read = (type: string, resource: Record<string, unknown>) =>
      harness.provider.verifyAndParseWebhook(harness.fake.signedEvent(type, resource, paypalTestWebhookId));
    const paid = await read('PAYMENT.PAYOUTS-ITEM.SUCCEEDED', {
      payout_batch_id: 'B1',
      transaction_status: 'SUCCESS',
      payout_item: { sender_item_id: 'pay-1' },
    });
    assert.deepEqual(
      { ...paid, eventId: '' },
      { eventId: '', kind: 'payout', payoutId: 'pay-1', providerRef: 'B1', status: { status: 'succeeded' } },
    );
    const returned = await read('PAYMENT.PAYOUTS-ITEM.RETURNED', {
      payout_batch_id: 'B1',
      payout_item: { sender_item_id: 'pay-1' },
    });
    assert.equal(returned.kind === 'payout' && returned.status.status, 'failed');
    const declined = await read('PAYMENT.CAPTURE.DECLINED', {
      id: 'C1',
      custom_id: 'dep-1',
      supplementary_data: { related_ids: { order_id: 'O1' } },
    });
    assert.deepEqual(
      { ...declined, eventId: '' },
      {
        eventId: '',
        kind: 'deposit',
        depositId: 'dep-1',
        providerRef: 'O1',
        status: { status: 'failed', reason: 'PayPal declined the payment' },
      },
    );
    const other = await read('BILLING.PLAN.CREATED', { id: 'P-1' });
    assert.deepEqual({ ...other, eventId: '' }, { eventId: '', kind: 'ignored', eventType: 'BILLING.PLAN.CREATED' });

    const verifications = () =>
      harness.fake.requests.filter((one) => one.path === '/v1/notifications/verify-webhook-signature').length;
    const before = verifications();
    const stale = harness.fake.signedEvent(
      'PAYMENT.CAPTURE.COMPLETED',
      {},
      paypalTestWebhookId,
      new Date(Date.now() - 10 * 60_000),
    );
    await assert.rejects(
      harness.provider.verifyAndParseWebhook(stale),
      (error: unknown) => error instanceof WebhookVerificationError,
    );
    assert.equal(verifications(), before);
  });

  void it('takes refused credentials for an outage to retry once they are fixed, not a refusal of the deposit or payout', async () => {
    const wrong = createPayPalProvider({
      clientId: 'fake-client-id',
      clientSecret: 'wrong-secret-0123',
      webhookId: 'WH',
      apiUrl: harness.fake.url,
      timeoutMs: 5_000,
    });
    const isUnavailable = (error: unknown) => error instanceof ProviderUnavailableError;
    await assert.rejects(wrong.createDeposit(depositInput()), isUnavailable);
    await assert.rejects(
      wrong.createPayout({
        payoutId: `pay-${randomUUID()}`,
        userId: 'u',
        asset: 'USD',
        amount: 1n,
        destination: 'a@example.com',
      }),
      isUnavailable,
    );
  });
});
