/** The sandbox provider on a fresh test database, its pages on a local server, for the contract suite and its own tests. */
import {
  createHttpServer,
  createLogger,
  createPgliteDatabase,
  createPostgresDatabase,
  type Database,
  type HttpServer,
} from '@t50/kit';
import { createTestDatabase } from '@t50/kit/testing';
import {
  createSandbox,
  migrateSandbox,
  signSandboxPayload,
  type Sandbox,
  type SandboxOptions,
} from '../providers/sandbox';
import type { ProviderHarness } from './provider-harness';

export interface SandboxHarness extends ProviderHarness {
  readonly sandbox: Sandbox;
  readonly db: Database;
  readonly app: HttpServer;
  readonly secret: string;
  /** Another sandbox on the same database (a restarted service). */
  restart(options?: Partial<SandboxOptions>): Sandbox;
}

export const sandboxTestSecret = 'sandbox-test-secret-0123456789';

/**
 * `driver`: `postgres` (a fresh test database on the local server, as in
 * production) or `pglite` (in memory, as in embedded mode).
 */
export async function startSandboxHarness(
  options: Partial<SandboxOptions> = {},
  driver: 'postgres' | 'pglite' = 'postgres',
): Promise<SandboxHarness> {
  const database = driver === 'postgres' ? await createTestDatabase('payments_sandbox') : undefined;
  const logger = createLogger({ service: 'sandbox-test', level: 'silent' });
  const db =
    database === undefined
      ? await createPgliteDatabase({})
      : createPostgresDatabase({ url: database.url, maxConnections: 4 });
  await migrateSandbox(db, logger);
  const publicUrl = 'http://127.0.0.1:9/pay';
  const make = (extra: Partial<SandboxOptions>) =>
    createSandbox({
      db,
      logger,
      publicUrl,
      webhookSecret: sandboxTestSecret,
      webhookUrl: 'http://127.0.0.1:9/none',
      testControl: true,
      ...options,
      ...extra,
    });
  const sandbox = make({});
  const app = await createHttpServer({
    name: 'sandbox-test',
    version: '1',
    description: 'test',
    logger,
    readiness: {},
  });
  await sandbox.registerRoutes(app);
  await app.ready();
  const restarted: Sandbox[] = [];
  const pathOf = (redirectUrl: string) => new URL(redirectUrl).pathname.replace(/^\/pay/, '');
  const post = async (url: string, form: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(form).toString(),
    });
  return {
    sandbox,
    db,
    app,
    secret: sandboxTestSecret,
    provider: sandbox.provider,
    goodDestination: 'Savings account ••1234',
    unknownDepositRef: 'sbx_cs_00000000000000000000000000000000',
    unknownPayoutRef: 'sbx_po_00000000000000000000000000000000',
    restart(extra = {}) {
      const next = make(extra);
      restarted.push(next);
      return next;
    },
    async depositsMadeFor(depositId) {
      const rows = await db.query<{ n: string }>(
        'select count(*)::text as n from sandbox_checkouts where deposit_id = $1',
        [depositId],
      );
      return Number(rows[0]?.n);
    },
    async payoutsMadeFor(payoutId) {
      const rows = await db.query<{ n: string }>(
        'select count(*)::text as n from sandbox_payouts where payout_id = $1',
        [payoutId],
      );
      return Number(rows[0]?.n);
    },
    async completeDeposit(_input, created, outcome) {
      const card = outcome === 'succeeded' ? '4242 4242 4242 4242' : '4000 0000 0000 0002';
      const response = await post(`${pathOf(created.redirectUrl)}/pay`, { card });
      if (response.statusCode !== 303) throw new Error(`the sandbox page answered ${response.statusCode}`);
    },
    async expireDeposit(input) {
      if (!(await sandbox.control.expireNow(input.depositId))) throw new Error('no open checkout to expire');
    },
    async depositSucceededWebhook(input, _created, { signWith, at }) {
      const rows = await db.query<{ body: string }>(
        `select body from sandbox_webhook_events where body::jsonb->'data'->>'reference' = $1 and body::jsonb->>'type' = 'checkout.succeeded'`,
        [input.depositId],
      );
      const body = rows[0]?.body;
      if (body === undefined) throw new Error('the sandbox wrote no checkout.succeeded webhook');
      const secret = signWith === 'right' ? sandboxTestSecret : 'another-secret-entirely';
      return {
        rawBody: Buffer.from(body),
        headers: {
          'content-type': 'application/json',
          'sandbox-signature': signSandboxPayload(body, secret, Math.floor(at.getTime() / 1000)),
        },
      };
    },
    setHealth(health) {
      sandbox.control.setFaults({ down: health !== 'up' });
    },
    async close() {
      await sandbox.stop();
      for (const other of restarted) await other.stop();
      await app.close();
      await db.close();
      await database?.drop();
    },
  };
}
