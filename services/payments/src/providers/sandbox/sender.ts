/**
 * Sends the sandbox's webhooks: every tick it expires overdue checkouts (with
 * their `checkout.expired` events), claims the due events, signs each with the
 * current time and POSTs it to the payments service's webhook route. A 2xx
 * marks it delivered; anything else retries it with backoff, up to
 * `maxAttempts`, then it is given up (logged). Tests can make it misbehave
 * the ways a real provider does (`SandboxFaults`).
 */
import { backoffDelayMs, startPeriodicJob, type Database, type Logger, type PeriodicJob } from '@t50/kit';
import { sandboxSignatureHeader, signSandboxPayload } from './signing';
import {
  claimDueEvents,
  enqueueEvent,
  expireOverdueCheckouts,
  markDelivered,
  markFailedAttempt,
  type DueEvent,
} from './store';

/** Ways the sender can misbehave, for tests (never set in a production config). */
export interface SandboxFaults {
  /** The provider is unreachable: every adapter call throws ProviderUnavailableError. */
  down: boolean;
  /** Hold every webhook until resumed (a delay of any length). */
  paused: boolean;
  /** Send every webhook twice. */
  duplicate: boolean;
  /** Send each batch of due webhooks newest first (pause, act, resume: they arrive out of order). */
  reverse: boolean;
  /** Lose the next N webhooks: marked delivered, never sent. */
  dropNext: number;
  /** Add this delay to every new webhook. */
  delayMs: number;
}

export const noFaults: Readonly<SandboxFaults> = {
  down: false,
  paused: false,
  duplicate: false,
  reverse: false,
  dropNext: 0,
  delayMs: 0,
};

export interface SenderOptions {
  readonly db: Database;
  readonly logger: Logger;
  readonly webhookUrl: string;
  readonly webhookSecret: string;
  readonly faults: SandboxFaults;
  readonly intervalMs: number;
  readonly maxAttempts: number;
  readonly batchSize?: number;
}

const leaseMs = 30_000;
const requestTimeoutMs = 10_000;
const retryPolicy = { baseMs: 500, maxMs: 60_000, jitter: 'full' } as const;

async function post(options: SenderOptions, event: DueEvent): Promise<void> {
  const header = signSandboxPayload(event.body, options.webhookSecret, Math.floor(Date.now() / 1000));
  const response = await fetch(options.webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [sandboxSignatureHeader]: header },
    body: event.body,
    signal: AbortSignal.timeout(requestTimeoutMs),
  });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`webhook answered ${response.status}`);
}

async function deliver(options: SenderOptions, event: DueEvent): Promise<void> {
  if (options.faults.dropNext > 0) {
    options.faults.dropNext -= 1;
    await markDelivered(options.db, event.id);
    options.logger.info({ eventId: event.id }, 'sandbox webhook dropped (test fault)');
    return;
  }
  try {
    await post(options, event);
    if (options.faults.duplicate) await post(options, event);
    await markDelivered(options.db, event.id);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const retryInMs = event.attempts >= options.maxAttempts ? undefined : backoffDelayMs(event.attempts, retryPolicy);
    await markFailedAttempt(options.db, event.id, reason, retryInMs);
    if (retryInMs === undefined) options.logger.warn({ eventId: event.id, reason }, 'sandbox webhook given up');
    else options.logger.info({ eventId: event.id, reason, retryInMs }, 'sandbox webhook failed; will retry');
  }
}

/** One pass: expire what is overdue, then send what is due. Returns how many events it tried. */
export async function sendDueWebhooks(options: SenderOptions): Promise<number> {
  await options.db.transaction(async (tx) => {
    for (const checkout of await expireOverdueCheckouts(tx, options.batchSize ?? 50))
      await enqueueEvent(tx, 'checkout.expired', checkout, options.faults.delayMs);
  });
  if (options.faults.paused) return 0;
  const due = await claimDueEvents(options.db, options.batchSize ?? 50, leaseMs);
  if (options.faults.reverse) due.reverse();
  for (const event of due) await deliver(options, event);
  return due.length;
}

export function startWebhookSender(options: SenderOptions): PeriodicJob {
  return startPeriodicJob({
    name: 'sandbox-webhooks',
    intervalMs: options.intervalMs,
    logger: options.logger,
    run: async () => {
      // Drain: a full batch means more may be due.
      for (let round = 0; round < 20; round += 1)
        if ((await sendDueWebhooks(options)) < (options.batchSize ?? 50)) return;
    },
  });
}
