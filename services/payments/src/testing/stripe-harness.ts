/** The Stripe adapter through the real SDK against a local fake Stripe, for the contract suite. */
import { createStripeProvider } from '../providers/stripe';
import { FakeStripe } from './fake-stripe';
import type { ProviderHarness } from './provider-harness';

export const stripeTestWebhookSecret = 'whsec_test_0123456789abcdef';

export async function startStripeHarness(): Promise<ProviderHarness & { readonly fake: FakeStripe }> {
  const fake = await new FakeStripe().start();
  const provider = createStripeProvider({
    secretKey: fake.secretKey,
    webhookSecret: stripeTestWebhookSecret,
    apiUrl: fake.url,
    // No SDK retries: a case about an outage should see it at once.
    maxNetworkRetries: 0,
    timeoutMs: 5_000,
  });
  return {
    fake,
    provider,
    goodDestination: 'acct_1TestConnected',
    unknownDepositRef: 'cs_test_00000000000000000000000000000000',
    unknownPayoutRef: 'tr_000000000000000000000000',
    depositsMadeFor: (depositId) => Promise.resolve(fake.made.get(`session:${depositId}`) ?? 0),
    payoutsMadeFor: (payoutId) => Promise.resolve(fake.made.get(`transfer:${payoutId}`) ?? 0),
    completeDeposit(_input, created, outcome) {
      fake.completeSession(created.providerRef, outcome === 'succeeded' ? 'paid' : 'failed');
      return Promise.resolve();
    },
    expireDeposit(_input, created) {
      fake.expireSession(created.providerRef);
      return Promise.resolve();
    },
    depositSucceededWebhook(_input, created, { signWith, at }) {
      const session = fake.sessions.get(created.providerRef);
      if (session === undefined) throw new Error('no such session at the fake');
      const secret = signWith === 'right' ? stripeTestWebhookSecret : 'whsec_some_other_endpoint';
      return Promise.resolve(fake.signedEvent('checkout.session.completed', session, secret, at));
    },
    setHealth: (health) => fake.setHealth(health),
    close: () => fake.close(),
  };
}
