/**
 * Payments in embedded mode: the sandbox provider only (no outside provider
 * is reachable offline), its checkout page served at this service's own URL,
 * its webhooks signed with a secret made on the first start and kept in the
 * data folder, and posted back to this service.
 */
import { paymentsDefinition } from '@t50/payments';
import { embed } from '../embed';

export const sandboxWebhookSecret = 'payments-sandbox-webhook-secret';

export const paymentsService = embed({
  definition: paymentsDefinition,
  portOffset: 3,
  environment: async ({ url, secret }) => ({
    PAYMENTS_PUBLIC_URL: url,
    PAYMENTS_PROVIDERS: 'sandbox',
    SANDBOX_WEBHOOK_SECRET: (await secret(sandboxWebhookSecret)).value,
  }),
  started: (_service, { url }) =>
    Promise.resolve({
      notes: [
        `sandbox checkout: card 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined (pages under ${url}/sandbox)`,
      ],
    }),
});
