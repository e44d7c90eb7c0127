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
  createMemoryHotStore,
  gatewayDefinition,
  type GatewayService,
} from '@t50/gateway';
import { ensureDemoUsers } from '../demo-users';
import { embed, type EmbeddedContext, type StartedInfo } from '../embed';
import { findWebApp } from '../web-app';

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

/** The demo users (with the sample data): banner lines saying who they are, or why there are none. */
async function demoUsers(service: GatewayService, context: EmbeddedContext): Promise<string[]> {
  const { dataDir, db, transport, logger, started } = context;
  const demo = await ensureDemoUsers({
    dataDir,
    gateway: service,
    db,
    transport,
    ledger: needs(started, 'transactions', 'apiKey'),
    logger,
  });
  if (!demo.ok) {
    logger.warn({ problem: demo.problem }, 'demo users not made');
    return [`no demo users: ${demo.problem}`];
  }
  return [
    `demo users (kept in ${demo.path}):`,
    ...demo.users.map(
      (user) =>
        `  ${user.email.padEnd(22)} password ${user.password}   ${user.role === 'operator' ? 'operator (reviews KYC)' : 'tier Full, with balances'}`,
    ),
  ];
}

export const gatewayService = embed({
  definition: gatewayDefinition,
  portOffset: 0,
  async environment({ config, started, secret }) {
    const auth = needs(started, 'auth', 'gatewayApiKey');
    const ledger = needs(started, 'transactions', 'apiKey');
    return {
      AUTH_SERVICE_URL: auth.url,
      AUTH_API_KEY: auth.key,
      TRANSACTIONS_URL: ledger.url,
      TRANSACTIONS_API_KEY: ledger.key,
      JWT_PRIVATE_KEY: (await secret(gatewayJwtKeySecret, newSigningKey)).value,
      // Plain HTTP on localhost: a Secure cookie would never come back.
      COOKIE_SECURE: 'false',
      // Found from the working directory; '' (no web app) when it is not built.
      GATEWAY_WEB_DIR: findWebApp(config.GATEWAY_WEB_DIR).dir,
    };
  },
  extras: ({ db, config }) =>
    Promise.resolve({
      // Revocations are also kept in the gateway's database, so a restart does not bring a revoked token back.
      store: createDurableRevocationStore(db, createMemoryHotStore()),
      sandboxKycReviewer: config.EMBEDDED_KYC_AUTO_APPROVE,
    }),
  async started(service, context) {
    const { config, secret } = context;
    const webApp = findWebApp(config.GATEWAY_WEB_DIR);
    const notes = [
      `access tokens signed with the key in ${(await secret(gatewayJwtKeySecret, newSigningKey)).path}; ${
        config.EMBEDDED_KYC_AUTO_APPROVE
          ? 'KYC level 2 is approved at once by a sandbox reviewer'
          : 'KYC level 2 waits for an operator (EMBEDDED_KYC_AUTO_APPROVE=false)'
      }`,
    ];
    if (webApp.note !== undefined) notes.push(webApp.note);
    if (config.EMBEDDED_SEED) notes.push(...(await demoUsers(service, context)));
    notes.push('try: POST /v1/auth/register {"email","password"}, then GET /v1/me and GET /v1/accounts with the token');
    return { notes, ...(webApp.dir === '' ? {} : { browserPath: '' }) };
  },
});
