/**
 * The gateway in embedded mode: the public entry, on the base port. It calls
 * auth and the ledger over HTTP at the URLs they were started on, with the
 * keys they handed over; its access tokens are signed with an Ed25519 key made
 * on the first start and kept in the data folder (so sessions survive a
 * restart). Hot user data, rate limits and revocations live in process memory
 * (no Redis), and a sandbox reviewer approves KYC level 2 at once: embedded
 * mode only.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createGatewayService, createMemoryHotStore, gatewayConfigSpec } from '@t50/gateway';
import { loadConfig } from '@t50/kit';
import type { EmbeddedService, StartedInfo } from '../services';

export const gatewayJwtKeySecret = 'gateway-jwt-private-key';

const newSigningKey = (): string =>
  generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

function needs(started: ReadonlyMap<string, StartedInfo>, name: string, key: string): { url: string; key: string } {
  const service = started.get(name);
  const value = service?.keys[key];
  if (service === undefined || value === undefined)
    throw new Error(`the gateway starts after ${name}, which must hand it '${key}'`);
  return { url: service.url, key: value };
}

export const gatewayService: EmbeddedService = {
  name: 'gateway',
  portOffset: 0,
  async start({ config, db, transport, logger, started, secret }) {
    const auth = needs(started, 'auth', 'gatewayApiKey');
    const ledger = needs(started, 'transactions', 'apiKey');
    const signingKey = await secret(gatewayJwtKeySecret, newSigningKey);
    // The gateway's own spec parses the values embedded mode makes and fills its defaults; the tuning
    // keys embedded mode reads (config.ts: the gateway's own specs, already parsed) take precedence.
    const gatewayConfig = {
      ...loadConfig(gatewayConfigSpec, {
        AUTH_SERVICE_URL: auth.url,
        AUTH_API_KEY: auth.key,
        TRANSACTIONS_URL: ledger.url,
        TRANSACTIONS_API_KEY: ledger.key,
        JWT_PRIVATE_KEY: signingKey.value,
        // Plain HTTP on localhost: a Secure cookie would never come back.
        COOKIE_SECURE: 'false',
      }),
      ...config,
    };
    const service = await createGatewayService({
      db,
      transport,
      store: createMemoryHotStore(),
      logger,
      config: gatewayConfig,
      sandboxKycReviewer: true,
    });
    return {
      app: service.app,
      close: () => service.close(),
      notes: [
        `access tokens signed with the key in ${signingKey.path}; KYC level 2 is approved at once by a sandbox reviewer`,
        'try: POST /v1/auth/register {"email","password"}, then GET /v1/me and GET /v1/accounts with the token',
      ],
    };
  },
};
