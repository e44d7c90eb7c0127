/**
 * The provider adapters behind the port (port.ts): build one per enabled
 * provider and hand them to the service. docs/providers.md says how each is
 * configured and taken live.
 */
export * from './port';
export { createPayPalProvider, type PayPalProviderOptions } from './paypal';
export { createStripeProvider, stripeApiVersion, type StripeProviderOptions } from './stripe';
export {
  createSandbox,
  migrateSandbox,
  sandboxMigrationsDirectory,
  type Sandbox,
  type SandboxControl,
  type SandboxOptions,
} from './sandbox';
