/**
 * The enabled providers, built from the configuration. The sandbox runs in
 * this process (its state in this database, its pages on this server);
 * Stripe and PayPal are reached through their SDKs.
 */
import { randomBytes } from 'node:crypto';
import type { FiatProvider } from '@t50/contracts';
import type { Database, Logger } from '@t50/kit';
import { parseProviders, type PaymentsConfig } from './config';
import type { PaymentProvider } from './providers/port';
import { createPayPalProvider } from './providers/paypal';
import { createSandbox, type Sandbox } from './providers/sandbox';
import { createStripeProvider } from './providers/stripe';

export interface ProviderSet {
  readonly providers: ReadonlyMap<FiatProvider, PaymentProvider>;
  /** Present when the sandbox is enabled: its pages are mounted and its webhook sender started with the service. */
  readonly sandbox: Sandbox | undefined;
}

export function buildProviders(
  config: PaymentsConfig,
  deps: { readonly db: Database; readonly logger: Logger },
  given: ReadonlyMap<FiatProvider, PaymentProvider> = new Map(),
): ProviderSet {
  const providers = new Map<FiatProvider, PaymentProvider>();
  let sandbox: Sandbox | undefined;
  for (const name of parseProviders(config.PAYMENTS_PROVIDERS)) {
    const provided = given.get(name);
    if (provided !== undefined) {
      providers.set(name, provided);
      continue;
    }
    if (name === 'sandbox') {
      sandbox = createSandbox({
        db: deps.db,
        logger: deps.logger.child({ provider: 'sandbox' }),
        publicUrl: config.PAYMENTS_PUBLIC_URL,
        webhookSecret:
          config.SANDBOX_WEBHOOK_SECRET !== '' ? config.SANDBOX_WEBHOOK_SECRET : randomBytes(32).toString('hex'),
        testControl: config.PAYMENTS_SANDBOX_TEST_CONTROL,
      });
      providers.set('sandbox', sandbox.provider);
      continue;
    }
    if (name === 'stripe') {
      providers.set(
        'stripe',
        createStripeProvider({
          secretKey: config.STRIPE_SECRET_KEY,
          webhookSecret: config.STRIPE_WEBHOOK_SECRET,
          apiUrl: config.STRIPE_API_URL,
        }),
      );
      continue;
    }
    providers.set(
      'paypal',
      createPayPalProvider({
        clientId: config.PAYPAL_CLIENT_ID,
        clientSecret: config.PAYPAL_CLIENT_SECRET,
        webhookId: config.PAYPAL_WEBHOOK_ID,
        apiUrl: config.PAYPAL_API_URL,
      }),
    );
  }
  return { providers, sandbox };
}
