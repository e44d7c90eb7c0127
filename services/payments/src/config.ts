/**
 * The payments service's configuration: every key it reads, read once from
 * the environment, validated, documented. Nothing else in the service reads
 * `process.env`. A provider's secret may be given as `<KEY>` or as
 * `<KEY>_FILE` (a path whose content is the secret, as Docker and Kubernetes
 * secrets are mounted); both at once is an error.
 */
import { readFileSync } from 'node:fs';
import type { FiatAsset, FiatProvider } from '@t50/contracts';
import {
  boolean,
  commonConfig,
  ConfigError,
  integer,
  loadConfig,
  string,
  url,
  type ConfigOf,
  type ConfigSpec,
} from '@t50/kit';

const fiatAssets: readonly FiatAsset[] = ['USD', 'EUR'];
const fiatProviders: readonly FiatProvider[] = ['stripe', 'paypal', 'sandbox'];

/** Inclusive bounds of one amount, in minor units. */
export interface AmountLimit {
  readonly min: bigint;
  readonly max: bigint;
}
export type AmountLimits = Readonly<Record<FiatAsset, AmountLimit>>;

/**
 * `USD=100..1000000,EUR=100..1000000`: for each fiat asset the smallest and
 * largest amount in minor units (cents). Every asset must be listed.
 */
export function parseLimits(raw: string): AmountLimits {
  const found: Partial<Record<FiatAsset, AmountLimit>> = {};
  for (const part of raw
    .split(',')
    .map((text) => text.trim())
    .filter((text) => text !== '')) {
    const match = /^([A-Z]{3})=([1-9][0-9]{0,30})\.\.([1-9][0-9]{0,30})$/.exec(part);
    if (match === null) throw new Error('expected ASSET=MIN..MAX pairs separated by commas, e.g. USD=100..1000000');
    const asset = match[1] as FiatAsset;
    if (!fiatAssets.includes(asset)) throw new Error(`expected only the assets ${fiatAssets.join(', ')}`);
    const min = BigInt(match[2]!);
    const max = BigInt(match[3]!);
    if (min > max) throw new Error('a minimum is larger than its maximum');
    found[asset] = { min, max };
  }
  const missing = fiatAssets.filter((asset) => found[asset] === undefined);
  if (missing.length > 0) throw new Error(`limits missing for ${missing.join(', ')}`);
  return found as AmountLimits;
}

/** `sandbox` or `stripe,paypal,sandbox`: the providers users may choose. */
export function parseProviders(raw: string): readonly FiatProvider[] {
  const names = raw
    .split(',')
    .map((text) => text.trim())
    .filter((text) => text !== '');
  if (names.length === 0) throw new Error('expected at least one provider');
  for (const name of names) {
    if (!(fiatProviders as readonly string[]).includes(name))
      throw new Error(`expected providers among ${fiatProviders.join(', ')}`);
  }
  return [...new Set(names)] as FiatProvider[];
}

/** Checked at load, kept as written (so the documentation shows it as one is written); read with parseLimits. */
const limitsText = (raw: string): string => {
  parseLimits(raw);
  return raw.trim();
};

/** A secret: trimmed, one line, no spaces (a key pasted with a newline or quotes fails the start, not every call). */
const secret = (raw: string): string => {
  const value = raw.trim();
  if (!/^[\x21-\x7e]{8,4096}$/.test(value)) throw new Error('expected 8 to 4096 printable characters without spaces');
  return value;
};

/** The secrets that may also be given as `<KEY>_FILE`. */
export const fileSecretKeys = [
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'PAYPAL_CLIENT_SECRET',
  'SANDBOX_WEBHOOK_SECRET',
] as const;

export const paymentsConfigSpec = {
  ...commonConfig,
  PAYMENTS_DATABASE_URL: {
    parse: url,
    default: 'postgres://postgres@127.0.0.1:5432/t50_payments',
    secret: true,
    doc: 'PostgreSQL database of the payments service (deposits, payouts, provider events, outbox, inbox); created at start if missing',
  },
  RABBITMQ_URL: {
    parse: url,
    default: 'amqp://guest:guest@127.0.0.1:5672',
    secret: true,
    doc: 'RabbitMQ broker: payment requests from the gateway, ledger events in, payment events out',
  },
  PAYMENTS_HOST: { parse: string, default: '127.0.0.1', doc: 'address the HTTP server (webhooks, health) listens on' },
  PAYMENTS_PORT: { parse: integer(0, 65_535), default: 4003, doc: 'HTTP port (0: any free port)' },
  PAYMENTS_PUBLIC_URL: {
    parse: url,
    default: 'http://127.0.0.1:4003',
    doc: "the URL providers and browsers reach this service at: webhooks arrive at <url>/webhooks/<provider>, the sandbox provider's checkout page is served under it",
  },
  PAYMENTS_PROVIDERS: {
    parse: (raw: string) => parseProviders(raw).join(','),
    default: 'sandbox',
    doc: 'the providers users may choose, comma separated: stripe, paypal, sandbox (stripe and paypal need their keys below)',
  },
  PAYMENTS_DEPOSIT_LIMITS: {
    parse: limitsText,
    default: 'USD=100..1000000,EUR=100..1000000',
    doc: 'smallest and largest deposit per asset in minor units (cents), as ASSET=MIN..MAX,...',
  },
  PAYMENTS_PAYOUT_LIMITS: {
    parse: limitsText,
    default: 'USD=100..1000000,EUR=100..1000000',
    doc: 'smallest and largest payout per asset in minor units (cents), as ASSET=MIN..MAX,...',
  },
  PAYMENTS_CHECKOUT_EXPIRY_SECONDS: {
    parse: integer(1_800, 86_400),
    default: 3_600,
    doc: "how long a checkout stays open (30 minutes to 24 hours, Stripe's bounds); an unpaid one is expired after this",
  },
  PAYMENTS_RECONCILE_INTERVAL_MS: {
    parse: integer(1_000, 86_400_000),
    default: 60_000,
    doc: 'how often deposits and payouts that are not final are asked of their provider again, and abandoned checkouts expired',
  },
  PAYMENTS_PAYOUT_RETRY_INTERVAL_MS: {
    parse: integer(100, 3_600_000),
    default: 5_000,
    doc: 'how often held payouts whose provider call failed (provider down) are tried again',
  },
  PAYMENTS_PAYOUT_CLAIM_MS: {
    parse: integer(1_000, 3_600_000),
    default: 60_000,
    doc: 'how long the payout worker holds a payout while it calls the provider; after a crash the payout is taken up again once this has passed',
  },
  PAYMENTS_SANDBOX_TEST_CONTROL: {
    parse: boolean,
    default: false,
    doc: "serve the sandbox provider's test control API (faults, delivering webhooks now); for tests only, never in production",
  },
  PAYMENTS_OUTBOX_POLL_INTERVAL_MS: {
    parse: integer(50, 60_000),
    default: 1_000,
    doc: 'how often the outbox is looked at for events a crash or a broker outage left unpublished',
  },
  STRIPE_SECRET_KEY: {
    parse: secret,
    default: '',
    secret: true,
    doc: 'Stripe secret API key (sk_live_... or sk_test_...); or STRIPE_SECRET_KEY_FILE',
  },
  STRIPE_WEBHOOK_SECRET: {
    parse: secret,
    default: '',
    secret: true,
    doc: 'the signing secret of the Stripe webhook endpoint (whsec_...); or STRIPE_WEBHOOK_SECRET_FILE',
  },
  STRIPE_API_URL: {
    parse: url,
    default: 'https://api.stripe.com',
    doc: "Stripe's API base URL (tests point it at a local fake server)",
  },
  PAYPAL_CLIENT_ID: { parse: string, default: '', doc: 'PayPal REST app client id' },
  PAYPAL_CLIENT_SECRET: {
    parse: secret,
    default: '',
    secret: true,
    doc: 'PayPal REST app secret; or PAYPAL_CLIENT_SECRET_FILE',
  },
  PAYPAL_WEBHOOK_ID: {
    parse: string,
    default: '',
    doc: 'the id PayPal gave the webhook subscription; webhooks are verified against it',
  },
  PAYPAL_API_URL: {
    parse: url,
    default: 'https://api-m.sandbox.paypal.com',
    doc: "PayPal's API base URL: https://api-m.paypal.com live, https://api-m.sandbox.paypal.com for PayPal's sandbox",
  },
  SANDBOX_WEBHOOK_SECRET: {
    parse: secret,
    default: '',
    secret: true,
    doc: "the sandbox provider's webhook signing secret; empty: one is generated at each start; or SANDBOX_WEBHOOK_SECRET_FILE",
  },
  STRIPE_SECRET_KEY_FILE: {
    parse: string,
    default: '',
    doc: 'a file holding STRIPE_SECRET_KEY (instead of the variable itself)',
  },
  STRIPE_WEBHOOK_SECRET_FILE: {
    parse: string,
    default: '',
    doc: 'a file holding STRIPE_WEBHOOK_SECRET (instead of the variable itself)',
  },
  PAYPAL_CLIENT_SECRET_FILE: {
    parse: string,
    default: '',
    doc: 'a file holding PAYPAL_CLIENT_SECRET (instead of the variable itself)',
  },
  SANDBOX_WEBHOOK_SECRET_FILE: {
    parse: string,
    default: '',
    doc: 'a file holding SANDBOX_WEBHOOK_SECRET (instead of the variable itself)',
  },
} satisfies ConfigSpec;

export type PaymentsConfig = ConfigOf<typeof paymentsConfigSpec>;

/**
 * Reads the configuration. `<KEY>_FILE` is read here (once) and then parsed as
 * `<KEY>` would be; an unreadable file names the key, never the path's content.
 */
export function loadPaymentsConfig(environment: Record<string, string | undefined> = process.env): PaymentsConfig {
  const resolved: Record<string, string | undefined> = { ...environment };
  const problems: string[] = [];
  for (const key of fileSecretKeys) {
    const path = environment[`${key}_FILE`];
    if (path === undefined || path === '') continue;
    if (environment[key] !== undefined && environment[key] !== '') {
      problems.push(`${key} and ${key}_FILE are both set; set one`);
      continue;
    }
    try {
      resolved[key] = readFileSync(path, 'utf8');
    } catch {
      problems.push(`${key}_FILE is invalid: the file cannot be read`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config = loadConfig(paymentsConfigSpec, resolved);
  const missing = missingProviderKeys(config);
  if (missing.length > 0) throw new ConfigError(missing);
  return config;
}

/** An enabled provider without its keys fails the start (instead of every deposit later). */
export function missingProviderKeys(config: PaymentsConfig): string[] {
  const problems: string[] = [];
  const enabled = new Set(parseProviders(config.PAYMENTS_PROVIDERS));
  if (enabled.has('stripe')) {
    if (config.STRIPE_SECRET_KEY === '')
      problems.push('STRIPE_SECRET_KEY is required when PAYMENTS_PROVIDERS has stripe');
    if (config.STRIPE_WEBHOOK_SECRET === '')
      problems.push('STRIPE_WEBHOOK_SECRET is required when PAYMENTS_PROVIDERS has stripe');
  }
  if (enabled.has('paypal')) {
    if (config.PAYPAL_CLIENT_ID === '')
      problems.push('PAYPAL_CLIENT_ID is required when PAYMENTS_PROVIDERS has paypal');
    if (config.PAYPAL_CLIENT_SECRET === '')
      problems.push('PAYPAL_CLIENT_SECRET is required when PAYMENTS_PROVIDERS has paypal');
    if (config.PAYPAL_WEBHOOK_ID === '')
      problems.push('PAYPAL_WEBHOOK_ID is required when PAYMENTS_PROVIDERS has paypal');
  }
  return problems;
}
