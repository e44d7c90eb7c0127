/**
 * The provider contract: one suite, run against every adapter of the port
 * (Stripe and PayPal through their real SDKs against local fake servers that
 * speak their wire format, the sandbox on a test database), so the payments
 * service cannot tell them apart.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ProviderHarness } from '../testing/provider-harness';
import { startSandboxHarness } from '../testing/sandbox-harness';
import { startPayPalHarness } from '../testing/paypal-harness';
import { startStripeHarness } from '../testing/stripe-harness';
import { eventually } from '@t50/kit/testing';
import {
  ProviderRefusedError,
  ProviderUnavailableError,
  WebhookVerificationError,
  type CreateDepositInput,
} from './port';

const caseTimeout = { timeout: 60_000 };

function depositInput(amount = 1234567n): CreateDepositInput {
  return {
    depositId: `dep-${randomUUID()}`,
    userId: `user-${randomUUID()}`,
    asset: 'USD',
    amount,
    returnUrl: 'https://wallet.example/deposits/{id}',
    expiresAt: new Date(Date.now() + 60 * 60_000),
  };
}

function payoutInput(destination: string, amount = 250000n) {
  return {
    payoutId: `pay-${randomUUID()}`,
    userId: `user-${randomUUID()}`,
    asset: 'USD' as const,
    amount,
    destination,
  };
}

function runProviderContract(name: string, start: () => Promise<ProviderHarness>): void {
  void describe(`provider contract: ${name}`, () => {
    let harness: ProviderHarness;
    before(async () => {
      harness = await start();
    });
    after(async () => {
      await harness?.close();
    });

    void it(
      'creates a deposit once: the same deposit id twice gives the same checkout, made once at the provider',
      caseTimeout,
      async () => {
        const input = depositInput();
        const first = await harness.provider.createDeposit(input);
        const second = await harness.provider.createDeposit(input);
        assert.equal(second.providerRef, first.providerRef);
        assert.equal(second.redirectUrl, first.redirectUrl);
        assert.match(first.redirectUrl, /^https?:\/\//);
        assert.equal(await harness.depositsMadeFor(input.depositId), 1);
        assert.deepEqual(await harness.provider.getDeposit({ id: input.depositId, providerRef: first.providerRef }), {
          status: 'open',
        });
      },
    );

    void it('reads a paid deposit as succeeded, with its exact amount and asset', caseTimeout, async () => {
      const input = depositInput(1234567n);
      const created = await harness.provider.createDeposit(input);
      await harness.completeDeposit(input, created, 'succeeded');
      const status = await harness.provider.getDeposit({ id: input.depositId, providerRef: created.providerRef });
      assert.deepEqual(status, { status: 'succeeded', amount: 1234567n, asset: 'USD' });
    });

    void it('reads a declined deposit as failed, with a reason', caseTimeout, async () => {
      const input = depositInput();
      const created = await harness.provider.createDeposit(input);
      await harness.completeDeposit(input, created, 'failed');
      const status = await harness.provider.getDeposit({ id: input.depositId, providerRef: created.providerRef });
      assert.equal(status.status, 'failed');
      assert.ok(status.status === 'failed' && status.reason.length > 0, 'a declined deposit is failed with a reason');
    });

    void it('reads an abandoned deposit whose time ran out as expired', caseTimeout, async () => {
      const input = depositInput();
      const created = await harness.provider.createDeposit(input);
      await harness.expireDeposit(input, created);
      const status = await harness.provider.getDeposit({ id: input.depositId, providerRef: created.providerRef });
      assert.equal(status.status, 'expired');
    });

    void it('refuses to read a deposit the provider does not know (not_found)', caseTimeout, async () => {
      await assert.rejects(
        harness.provider.getDeposit({ id: `dep-${randomUUID()}`, providerRef: harness.unknownDepositRef }),
        (error: unknown) => error instanceof ProviderRefusedError && error.code === 'not_found',
      );
    });

    void it(
      'creates a payout once: the same payout id twice is one payout at the provider, which then succeeds',
      caseTimeout,
      async () => {
        const input = payoutInput(harness.goodDestination);
        const first = await harness.provider.createPayout(input);
        const second = await harness.provider.createPayout(input);
        assert.equal(second.providerRef, first.providerRef);
        assert.notEqual(first.status.status, 'not_found');
        assert.equal(await harness.payoutsMadeFor(input.payoutId), 1);
        const settled = await eventually(
          async () => {
            const status = await harness.provider.getPayout({ id: input.payoutId, providerRef: first.providerRef });
            return status.status === 'pending' ? undefined : status;
          },
          { what: 'the payout to settle' },
        );
        assert.deepEqual(settled, { status: 'succeeded' });
      },
    );

    void it('says not_found for a payout it never made', caseTimeout, async () => {
      assert.deepEqual(await harness.provider.getPayout({ id: `pay-${randomUUID()}` }), { status: 'not_found' });
      assert.deepEqual(
        await harness.provider.getPayout({ id: `pay-${randomUUID()}`, providerRef: harness.unknownPayoutRef }),
        { status: 'not_found' },
      );
    });

    void it('accepts a webhook with a good signature and reads it in our terms', caseTimeout, async () => {
      const input = depositInput(1234567n);
      const created = await harness.provider.createDeposit(input);
      await harness.completeDeposit(input, created, 'succeeded');
      const request = await harness.depositSucceededWebhook(input, created, { signWith: 'right', at: new Date() });
      const event = await harness.provider.verifyAndParseWebhook(request);
      assert.equal(event.kind, 'deposit');
      assert.ok(event.kind === 'deposit', 'the webhook is a deposit event');
      assert.equal(event.depositId, input.depositId);
      assert.ok(event.eventId.length > 0, 'the webhook event has an id');
      assert.deepEqual(event.status, { status: 'succeeded', amount: 1234567n, asset: 'USD' });
    });

    void it('refuses a forged webhook: a changed body, another secret, a stale timestamp', caseTimeout, async () => {
      const input = depositInput(5000n);
      const created = await harness.provider.createDeposit(input);
      await harness.completeDeposit(input, created, 'succeeded');
      const good = await harness.depositSucceededWebhook(input, created, { signWith: 'right', at: new Date() });
      // Someone else's deposit id in a captured body: the money would be credited to another deposit.
      const forged = {
        ...good,
        rawBody: Buffer.from(good.rawBody.toString('utf8').replace(input.depositId, `dep-${randomUUID()}`)),
      };
      assert.notDeepEqual(forged.rawBody, good.rawBody);
      const isVerificationError = (error: unknown) => error instanceof WebhookVerificationError;
      await assert.rejects(harness.provider.verifyAndParseWebhook(forged), isVerificationError, 'a changed body');
      const wrongSecret = await harness.depositSucceededWebhook(input, created, { signWith: 'wrong', at: new Date() });
      await assert.rejects(harness.provider.verifyAndParseWebhook(wrongSecret), isVerificationError, 'another secret');
      const stale = await harness.depositSucceededWebhook(input, created, {
        signWith: 'right',
        at: new Date(Date.now() - 6 * 60_000),
      });
      await assert.rejects(harness.provider.verifyAndParseWebhook(stale), isVerificationError, 'a stale timestamp');
      const unsigned = { rawBody: good.rawBody, headers: { 'content-type': 'application/json' } };
      await assert.rejects(harness.provider.verifyAndParseWebhook(unsigned), isVerificationError, 'no signature');
    });

    void it(
      'reports a provider that is down or failing as unavailable (retry later), and works again once it is back',
      caseTimeout,
      async () => {
        const isUnavailable = (error: unknown) => error instanceof ProviderUnavailableError;
        for (const health of ['down', 'failing'] as const) {
          harness.setHealth(health);
          try {
            const input = depositInput();
            await assert.rejects(harness.provider.createDeposit(input), isUnavailable, `createDeposit, ${health}`);
            await assert.rejects(
              harness.provider.createPayout(payoutInput(harness.goodDestination)),
              isUnavailable,
              `createPayout, ${health}`,
            );
            await assert.rejects(
              harness.provider.getPayout({ id: 'pay-x', providerRef: harness.unknownPayoutRef }),
              isUnavailable,
              `getPayout, ${health}`,
            );
            await assert.rejects(
              harness.provider.getDeposit({ id: input.depositId, providerRef: harness.unknownDepositRef }),
              isUnavailable,
              `getDeposit, ${health}`,
            );
          } finally {
            harness.setHealth('up');
          }
        }
        const input = depositInput();
        const created = await harness.provider.createDeposit(input);
        assert.equal(await harness.depositsMadeFor(input.depositId), 1);
        assert.deepEqual(await harness.provider.getDeposit({ id: input.depositId, providerRef: created.providerRef }), {
          status: 'open',
        });
      },
    );
  });
}

runProviderContract('sandbox (PostgreSQL)', () => startSandboxHarness());
runProviderContract('sandbox (PGlite, as in embedded mode)', () => startSandboxHarness({}, 'pglite'));
runProviderContract('stripe (SDK against a local fake Stripe)', startStripeHarness);
runProviderContract('paypal (SDK and REST client against a local fake PayPal)', startPayPalHarness);
