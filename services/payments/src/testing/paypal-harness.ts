/** The PayPal adapter through the real server SDK (and our REST client) against a local fake PayPal, for the contract suite. */
import { createPayPalProvider } from '../providers/paypal';
import { FakePayPal } from './fake-paypal';
import type { ProviderHarness } from './provider-harness';

export const paypalTestWebhookId = 'WH-TEST-0123456789';

export async function startPayPalHarness(): Promise<ProviderHarness & { readonly fake: FakePayPal }> {
  const fake = await new FakePayPal().start();
  const provider = createPayPalProvider({
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    webhookId: paypalTestWebhookId,
    apiUrl: fake.url,
    timeoutMs: 5_000,
  });
  return {
    fake,
    provider,
    goodDestination: 'receiver@example.com',
    unknownDepositRef: '0ABCDEF0123456789',
    unknownPayoutRef: 'UNKNOWNBATCH1',
    depositsMadeFor: (depositId) => Promise.resolve(fake.made.get(`order:${depositId}`) ?? 0),
    payoutsMadeFor: (payoutId) => Promise.resolve(fake.made.get(`batch:${payoutId}`) ?? 0),
    completeDeposit(_input, created, outcome) {
      fake.approveOrder(created.providerRef, outcome === 'succeeded' ? 'approved' : 'declined');
      return Promise.resolve();
    },
    expireDeposit(_input, created) {
      fake.voidOrder(created.providerRef);
      return Promise.resolve();
    },
    depositSucceededWebhook(_input, created, { signWith, at }) {
      const webhookId = signWith === 'right' ? paypalTestWebhookId : 'WH-ANOTHER-SUBSCRIPTION';
      return Promise.resolve(
        fake.signedEvent('PAYMENT.CAPTURE.COMPLETED', fake.captureResource(created.providerRef), webhookId, at),
      );
    },
    setHealth: (health) => fake.setHealth(health),
    close: () => fake.close(),
  };
}
