/**
 * The gateway in embedded mode: the public entry, on the base port. It calls
 * auth and the ledger over HTTP at the URLs they were started on, with the
 * keys they handed over; its access tokens are signed with an Ed25519 key made
 * on the first start and kept in the data folder (so sessions survive a
 * restart). Hot user data and rate limits live in process memory (no Redis);
 * token revocations too, backed by the gateway's database so that they survive
 * a restart like the signing key does. A sandbox reviewer approves KYC level 2 at once: embedded
 * mode only. It also serves the built web app (web-app.ts) and, with the
 * sample data, makes the demo users (demo-users.ts).
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  createDurableRevocationStore,
  createGatewayService,
  createMemoryHotStore,
  gatewayConfigSpec,
} from '@t50/gateway';
import { loadConfig } from '@t50/kit';
import { ensureDemoUsers } from '../demo-users';
import { findWebApp } from '../web-app';
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
  async start({ config, db, transport, logger, started, secret, dataDir }) {
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
    const webApp = findWebApp(config.GATEWAY_WEB_DIR);
    gatewayConfig.GATEWAY_WEB_DIR = webApp.dir;
    const service = await createGatewayService({
      db,
      transport,
      // Revocations are also kept in the gateway's database, so a restart does not bring a revoked token back.
      store: createDurableRevocationStore(db, createMemoryHotStore()),
      logger,
      config: gatewayConfig,
      sandboxKycReviewer: config.EMBEDDED_KYC_AUTO_APPROVE,
    });
    const notes = [
      `access tokens signed with the key in ${signingKey.path}; ${
        config.EMBEDDED_KYC_AUTO_APPROVE
          ? 'KYC level 2 is approved at once by a sandbox reviewer'
          : 'KYC level 2 waits for an operator (EMBEDDED_KYC_AUTO_APPROVE=false)'
      }`,
    ];
    if (webApp.note !== undefined) notes.push(webApp.note);
    if (config.EMBEDDED_SEED) {
      const demo = await ensureDemoUsers({
        dataDir,
        gateway: service,
        db,
        transport,
        ledger,
        logger,
      });
      if (demo.ok) {
        notes.push(`demo users (kept in ${demo.path}):`);
        for (const user of demo.users)
          notes.push(
            `  ${user.email.padEnd(22)} password ${user.password}   ${user.role === 'operator' ? 'operator (reviews KYC)' : 'tier Full, with balances'}`,
          );
      } else {
        logger.warn({ problem: demo.problem }, 'demo users not made');
        notes.push(`no demo users: ${demo.problem}`);
      }
    }
    return {
      app: service.app,
      close: () => service.close(),
      ...(webApp.dir === '' ? {} : { browserPath: '' }),
      notes: [
        ...notes,
        'try: POST /v1/auth/register {"email","password"}, then GET /v1/me and GET /v1/accounts with the token',
      ],
    };
  },
};
