/**
 * A real payments service for tests: its own PostgreSQL database and RabbitMQ
 * vhost (or the vhost of a real ledger started beside it, so payouts are held
 * and posted by the ledger itself), the sandbox provider, and HTTP on a local
 * port so the sandbox's webhooks arrive the way a provider's do.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { DepositView, PaymentsReply, PayoutView } from '@t50/contracts';
import {
  createLogger,
  createPostgresDatabase,
  createRabbitTransport,
  type Database,
  type Logger,
  type Transport,
} from '@t50/kit';
import {
  createTestDatabase,
  createTestVhost,
  eventually as waitFor,
  type TestDatabase,
  type TestVhost,
} from '@t50/kit/testing';
import { startTestLedger, type TestLedger } from '@t50/transactions/testing';
import { loadPaymentsConfig, type PaymentsConfig } from '../config';
import { sandboxSignatureHeader, signSandboxPayload } from '../providers/sandbox';
import { createPaymentsService, type PaymentsService, type PaymentsServiceDeps } from '../service';

export const testWebhookSecret = 'whsec_test_0123456789abcdef0123456789abcdef';

/** A free local port (the service's public URL must be known before it starts: the sandbox posts webhooks to it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The kit's `eventually` (a deadline, never a fixed wait), with the timeout and what is awaited as arguments. */
export function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  return waitFor(check, { timeoutMs, what });
}

export interface HarnessOptions {
  /** Start a real ledger and share its vhost (payouts, end-to-end credits). */
  readonly ledger?: boolean;
  readonly env?: Record<string, string>;
  readonly providers?: PaymentsServiceDeps['providers'];
  readonly now?: () => Date;
}

export interface PaymentsHarness {
  readonly service: PaymentsService;
  readonly db: Database;
  readonly transport: Transport;
  readonly config: PaymentsConfig;
  readonly logger: Logger;
  readonly publicUrl: string;
  readonly ledger: TestLedger | undefined;
  readonly databaseUrl: string;
  readonly brokerUrl: string;
  request(body: unknown): Promise<PaymentsReply>;
  createDeposit(input: DepositInput): Promise<DepositView>;
  createPayout(input: PayoutInput): Promise<PayoutView>;
  getDeposit(userId: string, depositId: string, refresh?: boolean): Promise<DepositView>;
  /** The user pays on the sandbox checkout page with `card`; resolves with the page's status. */
  pay(deposit: DepositView, card: string): Promise<number>;
  /** The bodies of outbox rows of a type. */
  outbox(type: string): Promise<Record<string, unknown>[]>;
  countRows(table: string, where?: string, params?: unknown[]): Promise<number>;
  /** POSTs a sandbox webhook signed with `secret` (default the right one) at `timestampSeconds` (default now). */
  sendSandboxWebhook(body: string, options?: { secret?: string; timestampSeconds?: number }): Promise<Response>;
  /** Stops the service (its database and vhost stay) and starts it again. */
  restart(env?: Record<string, string>): Promise<void>;
  close(): Promise<void>;
}

export interface DepositInput {
  readonly userId: string;
  readonly amount: string;
  readonly asset?: 'USD' | 'EUR';
  readonly provider?: 'stripe' | 'paypal' | 'sandbox';
  readonly idempotencyKey?: string;
}
export interface PayoutInput extends DepositInput {
  readonly destination?: string;
}

export const newKey = (): string => `key-${randomUUID()}`;
export const newUserId = (): string => `user-${randomUUID()}`;

export function depositRequest(input: DepositInput) {
  return {
    id: randomUUID(),
    type: 'payments.deposit.create' as const,
    version: 1 as const,
    data: {
      userId: input.userId,
      idempotencyKey: input.idempotencyKey ?? newKey(),
      provider: input.provider ?? 'sandbox',
      asset: input.asset ?? 'USD',
      amount: input.amount,
      returnUrl: 'http://127.0.0.1:5173/deposits/{id}',
    },
  };
}

export function payoutRequest(input: PayoutInput) {
  return {
    id: randomUUID(),
    type: 'payments.payout.create' as const,
    version: 1 as const,
    data: {
      userId: input.userId,
      idempotencyKey: input.idempotencyKey ?? newKey(),
      provider: input.provider ?? 'sandbox',
      asset: input.asset ?? 'USD',
      amount: input.amount,
      destination: input.destination ?? 'my bank account',
    },
  };
}

export async function startPaymentsHarness(name: string, options: HarnessOptions = {}): Promise<PaymentsHarness> {
  const logger = createLogger({ service: `test-${name}`, level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const ledger = options.ledger === true ? await startTestLedger(`${name}-ledger`) : undefined;
  const database: TestDatabase = await createTestDatabase(name);
  const vhost: TestVhost | undefined = ledger === undefined ? await createTestVhost(name) : undefined;
  const brokerUrl = ledger?.brokerUrl ?? vhost!.url;
  const db = createPostgresDatabase({ url: database.url, maxConnections: 6 });
  const transport = await createRabbitTransport({ url: brokerUrl, logger });
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const configOf = (env: Record<string, string> = {}) =>
    loadPaymentsConfig({
      PAYMENTS_PUBLIC_URL: publicUrl,
      SANDBOX_WEBHOOK_SECRET: testWebhookSecret,
      PAYMENTS_SANDBOX_TEST_CONTROL: 'true',
      PAYMENTS_RECONCILE_INTERVAL_MS: '3600000',
      PAYMENTS_OUTBOX_POLL_INTERVAL_MS: '100',
      PAYMENTS_PAYOUT_RETRY_INTERVAL_MS: '200',
      ...options.env,
      ...env,
    });
  let config = configOf();
  const start = async () => {
    const service = await createPaymentsService({
      db,
      transport,
      logger,
      config,
      ...(options.providers === undefined ? {} : { providers: options.providers }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    await service.app.listen({ host: '127.0.0.1', port });
    return service;
  };
  let service = await start();

  const harness: PaymentsHarness = {
    get service() {
      return service;
    },
    db,
    transport,
    get config() {
      return config;
    },
    logger,
    publicUrl,
    ledger,
    databaseUrl: database.url,
    brokerUrl,
    request: (body) => service.handleRequest(body),
    async createDeposit(input) {
      const reply = await service.handleRequest(depositRequest(input));
      if (reply.type !== 'deposit') throw new Error(`expected a deposit, got ${JSON.stringify(reply)}`);
      return reply.deposit;
    },
    async createPayout(input) {
      const reply = await service.handleRequest(payoutRequest(input));
      if (reply.type !== 'payout') throw new Error(`expected a payout, got ${JSON.stringify(reply)}`);
      return reply.payout;
    },
    async getDeposit(userId, depositId, refresh = false) {
      const reply = await service.handleRequest({
        id: randomUUID(),
        type: 'payments.deposit.get',
        version: 1,
        data: { userId, depositId, refresh },
      });
      if (reply.type !== 'deposit') throw new Error(`expected a deposit, got ${JSON.stringify(reply)}`);
      return reply.deposit;
    },
    async pay(deposit, card) {
      if (deposit.redirectUrl === undefined) throw new Error('the deposit has no checkout page');
      const response = await fetch(`${deposit.redirectUrl}/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ card }).toString(),
        redirect: 'manual',
      });
      await response.arrayBuffer();
      return response.status;
    },
    async outbox(type) {
      const rows = await db.query<{ body: Record<string, unknown> }>(
        `select body from outbox where body->>'type' = $1 order by created_at`,
        [type],
      );
      return rows.map((row) => row.body);
    },
    async countRows(table, where = 'true', params = []) {
      if (!/^[a-z_]+$/.test(table)) throw new Error('table name');
      const [row] = await db.query<{ count: string }>(
        `select count(*)::text as count from ${table} where ${where}`,
        params,
      );
      return Number(row?.count ?? 0);
    },
    async sendSandboxWebhook(body, webhookOptions = {}) {
      const timestamp = webhookOptions.timestampSeconds ?? Math.floor(Date.now() / 1000);
      return fetch(`${publicUrl}/webhooks/sandbox`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [sandboxSignatureHeader]: signSandboxPayload(body, webhookOptions.secret ?? testWebhookSecret, timestamp),
        },
        body,
      });
    },
    async restart(env) {
      await service.close();
      config = configOf(env);
      service = await start();
    },
    async close() {
      await service.close();
      await transport.close();
      await db.close();
      await ledger?.close();
      await Promise.allSettled([database.drop(), ...(vhost === undefined ? [] : [vhost.drop()])]);
    },
  };
  return harness;
}
