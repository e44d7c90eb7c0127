/**
 * The sandbox provider: the default in embedded mode and tests, a provider
 * that runs everywhere without an account. Build it with `createSandbox`, run
 * `migrateSandbox` with the service's migrations, mount its pages with
 * `sandbox.registerRoutes(app)`, and `start()` its webhook sender.
 */
import { fileURLToPath } from 'node:url';
import { runMigrations, type Database, type HttpServer, type Logger } from '@t50/kit';
import type { PaymentProvider } from '../port';
import { createSandboxProvider } from './provider';
import { registerSandboxRoutes } from './routes';
import { noFaults, sendDueWebhooks, startWebhookSender, type SandboxFaults, type SenderOptions } from './sender';

export { magicCards, settleDelayMsFor } from './checkout';
export { failingDestinationWord, refusedDestinationWord } from './provider';
export { sandboxSignatureHeader, signSandboxPayload, verifySandboxSignature } from './signing';
export type { SandboxFaults } from './sender';

/** The sandbox's SQL migrations; applied into the payments database beside the service's own (same `schema_migrations`). */
export const sandboxMigrationsDirectory = fileURLToPath(new URL('./migrations', import.meta.url));

export function migrateSandbox(db: Database, logger: Logger): Promise<string[]> {
  return runMigrations(db, sandboxMigrationsDirectory, logger);
}

export interface SandboxOptions {
  readonly db: Database;
  readonly logger: Logger;
  /** The payments service's URL as the user's browser reaches it (the checkout pages are under `<publicUrl>/sandbox/`). */
  readonly publicUrl: string;
  /** Where the sandbox posts its webhooks; default `<publicUrl>/webhooks/sandbox`. */
  readonly webhookUrl?: string;
  /** The HMAC secret of its webhook signatures (both sides). */
  readonly webhookSecret: string;
  /** Registers the test control API under /sandbox/test-control; never in a production config. Default false. */
  readonly testControl?: boolean;
  /** How often the sender looks for due webhooks (and checkouts to expire). Default 500 ms. */
  readonly senderIntervalMs?: number;
  /** How long a payout stays pending before its webhook. Default 1000 ms. */
  readonly payoutSettleMs?: number;
  /** Delivery attempts of one webhook before it is given up. Default 12 (about ten minutes of backoff). */
  readonly maxDeliveryAttempts?: number;
}

export interface SandboxControl {
  /** The faults in force; change them in place or with `setFaults`. */
  readonly faults: SandboxFaults;
  readonly setFaults: (change: Partial<SandboxFaults>) => void;
  readonly resetFaults: () => void;
  /** Runs the webhook sender once now (expiries, due webhooks). */
  readonly deliverNow: () => Promise<void>;
  /** Makes a deposit's checkout expire now (as if its time had run out); false when there is none. */
  readonly expireNow: (depositId: string) => Promise<boolean>;
}

export interface Sandbox {
  readonly provider: PaymentProvider;
  /** For tests; the HTTP form of it is registered only with `testControl: true`. */
  readonly control: SandboxControl;
  registerRoutes(app: HttpServer): Promise<void>;
  /** Starts the webhook sender (idempotent). */
  start(): void;
  stop(): Promise<void>;
}

export function createSandbox(options: SandboxOptions): Sandbox {
  const faults: SandboxFaults = { ...noFaults };
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const sender: SenderOptions = {
    db: options.db,
    logger: options.logger.child({ component: 'sandbox-webhooks' }),
    webhookUrl: options.webhookUrl ?? `${publicUrl}/webhooks/sandbox`,
    webhookSecret: options.webhookSecret,
    faults,
    intervalMs: options.senderIntervalMs ?? 500,
    maxAttempts: options.maxDeliveryAttempts ?? 12,
  };
  let job: ReturnType<typeof startWebhookSender> | undefined;
  const control: SandboxControl = {
    faults,
    setFaults: (change) => void Object.assign(faults, change),
    resetFaults: () => void Object.assign(faults, noFaults),
    deliverNow: async () => {
      if (job !== undefined) await job.runNow();
      else await sendDueWebhooks(sender);
    },
    expireNow: async (depositId) => {
      const rows = await options.db.query(
        `update sandbox_checkouts set expires_at = now() - interval '1 millisecond' where deposit_id = $1 and status in ('open', 'confirming') returning id`,
        [depositId],
      );
      return rows.length > 0;
    },
  };
  const provider = createSandboxProvider({
    db: options.db,
    publicUrl,
    webhookSecret: options.webhookSecret,
    faults,
    payoutSettleMs: options.payoutSettleMs ?? 1_000,
  });
  return {
    provider,
    control,
    registerRoutes: (app) =>
      registerSandboxRoutes(app, {
        db: options.db,
        extraDelayMs: () => faults.delayMs,
        faults,
        basePath: new URL(publicUrl).pathname.replace(/\/+$/, ''),
        testControl: options.testControl ?? false,
        deliverNow: control.deliverNow,
        expireNow: control.expireNow,
      }),
    start() {
      job ??= startWebhookSender(sender);
    },
    async stop() {
      await job?.stop();
      job = undefined;
    },
  };
}
