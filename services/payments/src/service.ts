/**
 * The payments service, assembled from its parts: used by the standalone
 * composition root (main.ts) and by embedded mode and tests, which pass their
 * own database, transport and logger.
 *
 * What runs: the HTTP server (webhooks, the sandbox's pages, health, metrics),
 * the request server on `payments.requests`, the consumer of the ledger's
 * answers to payout holds, the payout worker, the reconciler, the outbox
 * publisher and the sandbox's webhook sender.
 */
import { fileURLToPath } from 'node:url';
import { paymentsRequestQueue, type FiatProvider } from '@t50/contracts';
import {
  createHttpServer,
  createOutboxPublisher,
  runMigrations,
  startPeriodicJob,
  type Database,
  type HttpServer,
  type Logger,
  type OutboxPublisher,
  type PeriodicJob,
  type Subscription,
  type Transport,
} from '@t50/kit';
import { Registry } from 'prom-client';
import { parseLimits, type PaymentsConfig } from './config';
import type { PaymentsDeps } from './deps';
import { consumeLedgerEvents } from './ledger-events/consumer';
import { createPaymentsMetrics } from './metrics';
import { submitHeldPayouts } from './payouts/worker';
import { buildProviders } from './provider-registry';
import type { PaymentProvider } from './providers/port';
import { migrateSandbox, type Sandbox } from './providers/sandbox';
import { reconcileOnce } from './reconcile/reconciler';
import { createRequestHandler, type PaymentsRequestHandler } from './requests/handlers';
import { serveRequestQueue } from './requests/server';
import { registerWebhookRoutes } from './webhooks/routes';

export const serviceName = 'payments';
export const serviceVersion = '0.1.0';
export const migrationsDirectory = fileURLToPath(new URL('./migrations', import.meta.url));

export interface PaymentsServiceDeps {
  readonly db: Database;
  readonly transport: Transport;
  readonly logger: Logger;
  readonly config: PaymentsConfig;
  /** Providers to use instead of building them from the config (tests: an adapter pointed at a fake server). */
  readonly providers?: ReadonlyMap<FiatProvider, PaymentProvider>;
  /**
   * Apply the service's migrations first (default true; false when the runner
   * applied them). The sandbox provider's migrations are always applied here:
   * they live in its own folder (providers/sandbox/migrations).
   */
  readonly migrate?: boolean;
  readonly now?: () => Date;
}

export interface PaymentsService {
  /** Not listening yet: call `listen` (standalone) or `inject` (embedded, tests). */
  readonly app: HttpServer;
  /** The request handler behind `payments.requests`, callable directly. */
  readonly handleRequest: PaymentsRequestHandler;
  readonly deps: PaymentsDeps;
  readonly sandbox: Sandbox | undefined;
  readonly outbox: OutboxPublisher;
  readonly payoutWorker: PeriodicJob;
  readonly reconciler: PeriodicJob;
  /** Stops consumers, jobs and HTTP; the database and transport stay open (their owner closes them). */
  close(): Promise<void>;
}

/** The service's migrations and the sandbox provider's, in one database (one `schema_migrations`). */
export async function runPaymentsMigrations(db: Database, logger: Logger): Promise<string[]> {
  return [...(await runMigrations(db, migrationsDirectory, logger)), ...(await migrateSandbox(db, logger))];
}

export async function createPaymentsService(serviceDeps: PaymentsServiceDeps): Promise<PaymentsService> {
  const { db, transport, logger, config } = serviceDeps;
  if (serviceDeps.migrate ?? true) await runMigrations(db, migrationsDirectory, logger);
  await migrateSandbox(db, logger);
  const registry = new Registry();
  const metrics = createPaymentsMetrics(registry);
  const { providers, sandbox } = buildProviders(config, { db, logger }, serviceDeps.providers);
  const outbox = createOutboxPublisher({
    db,
    transport,
    logger,
    pollIntervalMs: config.PAYMENTS_OUTBOX_POLL_INTERVAL_MS,
  });
  // The jobs read `deps` only when they run (after it is built below).
  const payoutWorker = startPeriodicJob({
    name: 'payouts',
    intervalMs: config.PAYMENTS_PAYOUT_RETRY_INTERVAL_MS,
    logger,
    run: async () => {
      await submitHeldPayouts(deps, config.PAYMENTS_PAYOUT_CLAIM_MS);
    },
  });
  const deps: PaymentsDeps = {
    db,
    logger,
    providers,
    metrics,
    limits: {
      deposit: parseLimits(config.PAYMENTS_DEPOSIT_LIMITS),
      payout: parseLimits(config.PAYMENTS_PAYOUT_LIMITS),
    },
    checkoutExpirySeconds: config.PAYMENTS_CHECKOUT_EXPIRY_SECONDS,
    kickOutbox: () => outbox.kick(),
    kickPayouts: () => void payoutWorker.runNow(),
    now: serviceDeps.now ?? (() => new Date()),
  };
  const reconciler = startPeriodicJob({
    name: 'reconcile',
    intervalMs: config.PAYMENTS_RECONCILE_INTERVAL_MS,
    logger,
    run: async () => {
      await reconcileOnce(deps);
    },
  });

  const app = await createHttpServer({
    name: serviceName,
    version: serviceVersion,
    description:
      "Fiat deposits and payouts through Stripe, PayPal and a local sandbox provider. Its HTTP side is the providers' webhooks " +
      '(and the sandbox checkout pages); the gateway reaches it over RabbitMQ (payments.requests).',
    logger,
    readiness: { database: () => db.ping(), broker: () => transport.isReady() },
    registry,
  });
  await registerWebhookRoutes(app, deps);
  if (sandbox !== undefined) await sandbox.registerRoutes(app);

  const handleRequest = createRequestHandler(deps);
  const subscriptions: Subscription[] = [
    await consumeLedgerEvents(deps, transport),
    await serveRequestQueue(transport, paymentsRequestQueue, handleRequest, logger),
  ];
  sandbox?.start();
  outbox.kick();
  void payoutWorker.runNow();
  logger.info({ providers: [...providers.keys()] }, 'payments service ready');

  return {
    app,
    handleRequest,
    deps,
    sandbox,
    outbox,
    payoutWorker,
    reconciler,
    async close() {
      for (const subscription of subscriptions) await subscription.close();
      await sandbox?.stop();
      await reconciler.stop();
      await payoutWorker.stop();
      await outbox.close();
      await app.close();
    },
  };
}
