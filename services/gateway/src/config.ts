/**
 * The gateway's configuration: every key it reads, read once from the
 * environment, validated, documented. Nothing else in the service reads
 * `process.env`. Secrets are flagged: they never appear in errors or in
 * `describeConfig`.
 */
import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { authApiKeyPattern, serviceApiKeyPattern } from '@t50/contracts';
import { boolean, commonConfig, integer, loadConfig, string, url, type ConfigOf, type ConfigSpec } from '@t50/kit';

/** The access tokens' signing key: an Ed25519 private key and its public half. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/**
 * Parses an Ed25519 private key given as PEM (PKCS#8) or as a JWK (JSON with
 * `kty: OKP`, `crv: Ed25519`, `d`). Throws without echoing the value.
 */
export function parseSigningKey(raw: string): SigningKey {
  const text = raw.trim();
  let privateKey: KeyObject;
  try {
    if (text.startsWith('{')) {
      const jwk = JSON.parse(text) as Record<string, unknown>;
      if (typeof jwk.d !== 'string') throw new Error('not a private JWK');
      privateKey = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } else {
      privateKey = createPrivateKey({ key: text.replace(/\\n/g, '\n'), format: 'pem' });
    }
  } catch {
    throw new Error('expected an Ed25519 private key as PKCS#8 PEM or as a private JWK');
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('expected an Ed25519 key (EdDSA)');
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** The key the auth service's keys CLI printed; the error never repeats the value. */
const authApiKey = (raw: string): string => {
  const key = raw.trim();
  if (!authApiKeyPattern.test(key)) {
    throw new Error(
      'expected one key as printed by `npm run -s -w @t50/auth keys -- create gateway`: t50_<8 hex>_<43 characters>, ' +
        'nothing before or after it (was other output captured with it?)',
    );
  }
  return key;
};

/** One of the ledger's keys; the error never repeats the value. */
const ledgerApiKey = (raw: string): string => {
  const key = raw.trim();
  if (!serviceApiKeyPattern.test(key)) {
    throw new Error(
      'expected one key of 32 to 512 characters from letters, digits and ._~+/=- (no spaces, quotes or line breaks)',
    );
  }
  return key;
};

export const gatewayConfigSpec = {
  ...commonConfig,
  GATEWAY_DATABASE_URL: {
    parse: url,
    default: 'postgres://postgres@127.0.0.1:5432/t50_gateway',
    secret: true,
    doc: 'PostgreSQL URL of the gateway database (profiles, KYC, audit log, refresh tokens, outbox); created at start if missing',
  },
  RABBITMQ_URL: {
    parse: url,
    default: 'amqp://guest:guest@127.0.0.1:5672',
    secret: true,
    doc: 'RabbitMQ broker the gateway publishes its events to (gateway.user.registered)',
  },
  REDIS_URL: {
    parse: url,
    default: 'redis://127.0.0.1:6379',
    secret: true,
    doc: 'Redis for hot user data, rate limits and token revocation',
  },
  REDIS_KEY_PREFIX: {
    parse: string,
    default: 't50:gateway:',
    doc: 'prefix of every Redis key this service writes, so several services (or test files) share one Redis',
  },
  GATEWAY_HOST: { parse: string, default: '127.0.0.1', doc: 'address the HTTP server listens on' },
  GATEWAY_PORT: { parse: integer(0, 65_535), default: 4000, doc: 'HTTP port (0: any free port)' },
  GATEWAY_WEB_DIR: {
    parse: string,
    default: '',
    doc: 'folder of the built web app (apps/web/dist), served at / beside the API; must hold index.html; empty: no web app',
  },
  AUTH_SERVICE_URL: { parse: url, default: 'http://127.0.0.1:4001', doc: 'base URL of the auth service' },
  AUTH_API_KEY: {
    parse: authApiKey,
    secret: true,
    doc: 'the API key this service presents to the auth service (x-api-key); create one with `npm run -s -w @t50/auth keys -- create gateway` (`-s`: only the key on stdout) or `-- create gateway --out FILE`; checked for that format at start',
  },
  TRANSACTIONS_URL: {
    parse: url,
    default: 'http://127.0.0.1:4002',
    doc: 'base URL of the transactions service (ledger)',
  },
  TRANSACTIONS_API_KEY: {
    parse: ledgerApiKey,
    secret: true,
    doc: "the API key this service presents to the ledger's HTTP API; one of the ledger's TRANSACTIONS_API_KEYS (32 to 512 characters from letters, digits and ._~+/=-)",
  },
  JWT_PRIVATE_KEY: {
    parse: parseSigningKey,
    secret: true,
    doc: 'Ed25519 private key signing access tokens (EdDSA), as PKCS#8 PEM (newlines may be written \\n) or as a private JWK',
  },
  JWT_KEY_ID: {
    parse: string,
    default: '',
    doc: "the `kid` of the signing key; empty: the key's RFC 7638 thumbprint",
  },
  JWT_ISSUER: { parse: string, default: 't50-gateway', doc: 'the `iss` of access tokens, checked on every request' },
  JWT_AUDIENCE: { parse: string, default: 't50-web', doc: 'the `aud` of access tokens, checked on every request' },
  ACCESS_TOKEN_TTL_SECONDS: {
    parse: integer(60, 86_400),
    default: 7200,
    doc: 'lifetime of an access token (2 hours by default)',
  },
  REFRESH_TOKEN_TTL_SECONDS: {
    parse: integer(300, 90 * 86_400),
    default: 30 * 86_400,
    doc: 'lifetime of a refresh token; each use issues a new one with a fresh lifetime',
  },
  COOKIE_SECURE: {
    parse: boolean,
    default: true,
    doc: 'mark the refresh-token cookie Secure (HTTPS only); false only for plain-HTTP development',
  },
  TRUSTED_PROXY_HOPS: {
    parse: integer(0, 10),
    default: 0,
    doc: 'reverse proxies in front of the gateway whose X-Forwarded-For is trusted; 0: the socket peer is the client (rate limits count per client address)',
  },
  USER_CACHE_TTL_SECONDS: {
    parse: integer(1, 86_400),
    default: 300,
    doc: 'how long hot user data (profile summary, tier) stays in Redis; every change also deletes it at once',
  },
  RATE_LIMIT_WINDOW_SECONDS: { parse: integer(1, 86_400), default: 60, doc: 'length of each fixed rate-limit window' },
  RATE_LIMIT_LOGIN_PER_ADDRESS: {
    parse: integer(1, 1_000_000),
    default: 30,
    doc: 'login attempts per client address per window',
  },
  RATE_LIMIT_LOGIN_PER_EMAIL: { parse: integer(1, 1_000_000), default: 10, doc: 'login attempts per email per window' },
  RATE_LIMIT_REGISTER_PER_ADDRESS: {
    parse: integer(1, 1_000_000),
    default: 10,
    doc: 'registrations per client address per window',
  },
  RATE_LIMIT_MONEY_PER_USER: {
    parse: integer(1, 1_000_000),
    default: 60,
    doc: 'money requests (balances, history, sends) per user per window',
  },
  RATE_LIMIT_MONEY_PER_ADDRESS: {
    parse: integer(1, 1_000_000),
    default: 120,
    doc: 'money requests per client address per window',
  },
  GATEWAY_PUBLIC_URL: {
    parse: (raw: string): string => (raw.trim() === '' ? '' : url(raw.trim())),
    default: '',
    doc: 'the URL users reach the gateway and the web app at (e.g. https://wallet.example.com behind a TLS proxy); payment providers send users back to its /deposits/{id} page; empty: the origin of each request (its Host header, plain HTTP unless the gateway itself serves TLS)',
  },
  PAYMENTS_TIMEOUT_MS: {
    parse: integer(100, 120_000),
    default: 15_000,
    doc: 'how long a payment route waits for the payments service (request/reply over RabbitMQ) before answering 503 payments_unavailable',
  },
  OUTBOX_POLL_INTERVAL_MS: {
    parse: integer(50, 600_000),
    default: 1000,
    doc: 'how often events not yet confirmed by the broker are published again',
  },
} satisfies ConfigSpec;

export type GatewayConfig = ConfigOf<typeof gatewayConfigSpec>;

/**
 * What `createGatewayService` needs; standalone and embedded mode pass the whole `GatewayConfig`.
 * The payment keys may be left out (tests): their defaults apply.
 */
export type GatewayServiceConfig = Omit<
  GatewayConfig,
  | keyof typeof commonConfig
  | 'GATEWAY_DATABASE_URL'
  | 'RABBITMQ_URL'
  | 'REDIS_URL'
  | 'GATEWAY_HOST'
  | 'GATEWAY_PORT'
  | 'GATEWAY_PUBLIC_URL'
  | 'PAYMENTS_TIMEOUT_MS'
> &
  Partial<Pick<GatewayConfig, 'GATEWAY_PUBLIC_URL' | 'PAYMENTS_TIMEOUT_MS'>>;

export function loadGatewayConfig(environment: Record<string, string | undefined> = process.env): GatewayConfig {
  return loadConfig(gatewayConfigSpec, environment);
}
