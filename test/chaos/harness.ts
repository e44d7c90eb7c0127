/**
 * The chaos harness: runs the transactions service as a child process on its
 * own database and vhost, publishes a known workload to the real RabbitMQ
 * while killing the service (SIGKILL), cutting or restarting the broker and
 * the database, then compares what it sent with what the ledger holds:
 *
 * - every well-formed message has exactly the outcome the model predicts
 *   (applied, or rejected with its code) in the inbox;
 * - every malformed message is in the dead-letter queue with its reason;
 * - no message has two outcomes, no transfer more entries than its legs;
 * - every account's totals (over the HTTP API) equal the model's;
 * - every applied transfer and every rejection was announced (outbox);
 * - verify passes.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  createLogger,
  createPostgresDatabase,
  createRabbitTransport,
  deadLetterQueueName,
  sleep,
  type Database,
  type Subscription,
  type Transport,
} from '@t50/kit';
import { createTestDatabase, createTestVhost, until, type TestDatabase, type TestVhost } from '@t50/kit/testing';
import { declareLedgerTopology, ledgerQueue } from '../../services/transactions/src/messages/consumer';
import { verifyLedger } from '../../services/transactions/src/verify/verify';
import { dropBrokerConnections, restartBroker, restartDatabase, terminateServiceConnections } from './faults';
import { startPgProxy, type PgProxy } from './pg-proxy';
import { faultyEntry, isReady, realEntry, startServiceChild, type ServiceChild } from './service-process';
import { Workload, createRandom, type AccountTotals, type Outgoing } from './workload';
import { freePort } from '../../bench/service-process';

export interface ChaosOptions {
  readonly transfers: number;
  readonly malformed: number;
  readonly richUsers: number;
  readonly poorUsers: number;
  readonly seed: number;
  /** SIGKILLs of the service (each followed by a restart). */
  readonly kills: number;
  /** SIGTERMs of the service (graceful stop), each followed by a restart. */
  readonly gracefulRestarts: number;
  /** Real `rabbitmqctl stop_app` / `start_app` (cuts off every client of the broker). */
  readonly brokerRestarts: number;
  /** Closes of every connection of the run's vhost. */
  readonly brokerDrops: number;
  /** Real PostgreSQL restarts (cuts off every client of the server). */
  readonly dbRestarts: number;
  /** pg_terminate_backend on the service's connections. */
  readonly dbTerminations: number;
  /**
   * Lost answers to a COMMIT (the service reaches PostgreSQL through a proxy
   * that cuts the connection instead of forwarding the answer).
   */
  readonly commitCuts: number;
  /** Messages per second the publisher aims at; 0: as fast as confirms come. */
  readonly rate: number;
  /** Run the deliberately faulty service (acks before commit). */
  readonly faulty: boolean;
  /** Give up waiting for outcomes after this long without progress. */
  readonly stallMs: number;
  readonly batchMax: number;
  /** Keep the database and vhost afterwards (to look at them). */
  readonly keep: boolean;
  readonly log: (line: string) => void;
}

export interface ChaosSummary {
  sent: number;
  transfers: number;
  malformed: number;
  republished: number;
  publish_retries: number;
  applied: number;
  rejected: number;
  dead_lettered: number;
  /** Holds voided by the service's expiry sweeper, as the model predicts. */
  expired: number;
  lost: number;
  duplicated: number;
  mismatched: number;
  balance_mismatches: number;
  accounts_checked: number;
  events_missing: number;
  outbox_left: number;
  kills: number;
  graceful_restarts: number;
  /** The service exited on its own (restarted by the harness, as a supervisor would). */
  service_crashes: number;
  broker_restarts: number;
  broker_connection_drops: number;
  db_restarts: number;
  db_connection_terminations: number;
  commit_answers_cut: number;
  verify: 'ok' | 'failed' | 'not run';
  seed: number;
  faulty: boolean;
  seconds: number;
  ok: boolean;
}

const apiKey = 'chaos-key-0123456789abcdef0123456789abcdef';
const publishWindow = 500;
const publishDeadlineMs = 180_000;
const publishTimeoutMs = 15_000;

type Fault = 'kill' | 'term' | 'commit-cut' | 'broker-restart' | 'broker-drop' | 'db-restart' | 'db-terminate';

/** Runs `work` until it succeeds (the database or broker may be away for a while). */
async function retrying<T>(what: string, work: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} kept failing for ${timeoutMs} ms`, { cause: error });
      await sleep(Math.min(2000, 100 * attempt));
    }
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const textArray = (values: Iterable<string>) =>
  `{${[...values].map((value) => `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;

export async function runChaos(options: ChaosOptions): Promise<ChaosSummary> {
  const started = performance.now();
  const log = options.log;
  const runId = `c${randomBytes(3).toString('hex')}`;
  const summary: ChaosSummary = {
    sent: 0,
    transfers: 0,
    malformed: 0,
    republished: 0,
    publish_retries: 0,
    applied: 0,
    rejected: 0,
    dead_lettered: 0,
    expired: 0,
    lost: 0,
    duplicated: 0,
    mismatched: 0,
    balance_mismatches: 0,
    accounts_checked: 0,
    events_missing: 0,
    outbox_left: 0,
    kills: 0,
    graceful_restarts: 0,
    service_crashes: 0,
    broker_restarts: 0,
    broker_connection_drops: 0,
    db_restarts: 0,
    db_connection_terminations: 0,
    commit_answers_cut: 0,
    verify: 'not run',
    seed: options.seed,
    faulty: options.faulty,
    seconds: 0,
    ok: false,
  };
  const problems: string[] = [];
  const problem = (line: string) => {
    if (problems.length < 20) problems.push(line);
  };

  let database: TestDatabase | undefined;
  let vhost: TestVhost | undefined;
  let db: Database | undefined;
  let transport: Transport | undefined;
  let service: ServiceChild | undefined;
  let proxy: PgProxy | undefined;
  let finished = false;
  const intentional = new Set<ServiceChild>();
  const subscriptions: Subscription[] = [];
  const logDir = join(process.cwd(), '.chaos');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${runId}-service.log`);
  try {
    database = await createTestDatabase('chaos');
    vhost = await createTestVhost('chaos');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    if (options.commitCuts > 0) proxy = await startPgProxy();
    const serviceDatabaseUrl =
      proxy === undefined ? database.url : database.url.replace('127.0.0.1:5432', `127.0.0.1:${proxy.port}`);
    const env = {
      TRANSACTIONS_DATABASE_URL: serviceDatabaseUrl,
      RABBITMQ_URL: vhost.url,
      TRANSACTIONS_PORT: String(port),
      TRANSACTIONS_API_KEYS: apiKey,
      LOG_LEVEL: 'warn',
      LEDGER_BATCH_MAX_MESSAGES: String(options.batchMax),
      LEDGER_DB_POOL_SIZE: '4',
    };
    const entry = options.faulty ? faultyEntry : realEntry;
    log(
      `run ${runId}: database ${database.name}, vhost ${vhost.vhost}, service ${options.faulty ? 'FAULTY (acks before commit)' : 'real'} on ${url}, logs in ${logFile}`,
    );
    // Every start and stop of the service goes through this queue: one at a time.
    let serviceQueue: Promise<void> = Promise.resolve();
    const exclusive = (work: () => Promise<void>): Promise<void> => {
      const next = serviceQueue.then(work);
      serviceQueue = next.catch(() => undefined);
      return next;
    };
    // The harness is the service's supervisor (as systemd or Kubernetes would
    // be): a service that exits on its own is counted and started again.
    const startService = async () => {
      // A start may fail while the database or broker is away: a few tries.
      const child = await retrying('start the service', () => startServiceChild({ entry, env, url, logFile }), 240_000);
      service = child;
      log(`service started (pid ${child.pid})`);
      void child.exited.then(() => {
        if (intentional.has(child) || finished) return;
        summary.service_crashes += 1;
        log(
          `SERVICE CRASHED: pid ${child.pid} exited on its own (see ${logFile}); restarting it as a supervisor would`,
        );
        void exclusive(async () => {
          if (finished || service !== child) return;
          await startService();
        }).catch((error: unknown) => log(`could not restart the service: ${String(error)}`));
      });
    };
    const stopService = async (signal: 'SIGKILL' | 'SIGTERM') => {
      const victim = service;
      if (victim === undefined) return;
      intentional.add(victim);
      await victim.stop(signal);
    };
    await startService();

    db = createPostgresDatabase({ url: database.url, maxConnections: 2, applicationName: 'chaos-harness' });
    const harnessLogger = createLogger({ service: 'chaos-harness', level: 'silent' });
    transport = await createRabbitTransport({ url: vhost.url, logger: harnessLogger, connectionName: 'chaos-harness' });
    await declareLedgerTopology(transport, ledgerQueue);
    const eventQueue = 'chaos.events';
    await transport.declareQueue({ name: eventQueue, bindings: [{ exchange: 't50.events', routingKey: 'ledger.#' }] });

    // What comes back: dead letters (by message id, with the reason) and ledger events (by id).
    const deadLetters = new Map<string, string>();
    let deadLetterCopies = 0;
    subscriptions.push(
      await transport.consume(
        deadLetterQueueName(ledgerQueue),
        (delivery) => {
          const id = delivery.messageId ?? '';
          if (deadLetters.has(id)) deadLetterCopies += 1;
          else deadLetters.set(id, String(delivery.headers['x-t50-death-reason'] ?? ''));
          return Promise.resolve();
        },
        { prefetch: 500 },
      ),
    );
    const eventIds = new Set<string>();
    let eventCopies = 0;
    subscriptions.push(
      await transport.consumeBatch(
        eventQueue,
        (batch) => {
          for (const delivery of batch) {
            const id = delivery.messageId ?? '';
            if (eventIds.has(id)) eventCopies += 1;
            else eventIds.add(id);
          }
          return Promise.resolve(batch.map(() => ({ kind: 'ack' as const })));
        },
        { maxMessages: 1000, maxWaitMs: 20 },
      ),
    );

    const workload = new Workload({
      seed: options.seed,
      richUsers: options.richUsers,
      poorUsers: options.poorUsers,
      transfers: options.transfers,
      malformed: options.malformed,
      maxMessageBytes: 65_536,
      runId,
    });

    // ----- publishing, at least once: a publish not confirmed is sent again -----
    const publisher = transport;
    const inflight = new Set<Promise<void>>();
    const publishOne = async (message: Outgoing): Promise<void> => {
      const deadline = Date.now() + publishDeadlineMs;
      for (;;) {
        try {
          await withTimeout(
            publisher.publish({
              exchange: message.exchange,
              routingKey: message.routingKey,
              body: message.body,
              messageId: message.messageId,
            }),
            publishTimeoutMs,
            'publish',
          );
          return;
        } catch (error) {
          summary.publish_retries += 1;
          if (Date.now() > deadline)
            throw new Error(`could not publish ${message.messageId} for ${publishDeadlineMs} ms`, { cause: error });
          await sleep(250);
        }
      }
    };
    let publishFailure: unknown;
    const send = async (message: Outgoing) => {
      // Bounded: at most `publishWindow` in flight; each settles within its deadline.
      while (inflight.size >= publishWindow) await Promise.race(inflight);
      if (!message.republish) summary.sent += 1;
      const promise: Promise<void> = publishOne(message)
        .catch((error: unknown) => {
          publishFailure ??= error;
        })
        .finally(() => inflight.delete(promise));
      inflight.add(promise);
    };
    const flush = async () => {
      while (inflight.size > 0) await Promise.race(inflight);
      if (publishFailure !== undefined) throw publishFailure as Error;
    };

    const inboxCount = async (ids?: readonly string[]): Promise<number> => {
      const rows =
        ids === undefined
          ? await db!.query<{ n: string }>('select count(*)::text as n from inbox')
          : await db!.query<{ n: string }>(
              'select count(*)::text as n from inbox join unnest($1::text::text[]) as w (id) on w.id = inbox.message_id',
              [textArray(ids)],
            );
      return Number(rows[0]?.n ?? 0);
    };

    // ----- setup: registrations and funding, before any fault -----
    const setup = workload.setup();
    for (const message of setup) await send(message);
    await flush();
    const setupIds = setup.map((message) => message.messageId);
    await waitUntil(
      async () => (await retrying('count setup', () => inboxCount(setupIds))) >= setupIds.length,
      'the setup to be recorded',
      120_000,
    );
    log(
      `setup recorded: ${setup.length} messages (${workload.rich.length} funded users, ${workload.poor.length} poor users)`,
    );

    // ----- faults, planned at points of the main phase's progress -----
    const random = createRandom(options.seed ^ 0x5eed);
    const plan: { at: number; fault: Fault }[] = [];
    const add = (fault: Fault, count: number) => {
      for (let i = 0; i < count; i += 1) plan.push({ at: 0.05 + random() * 0.85, fault });
    };
    add('kill', options.kills);
    add('term', options.gracefulRestarts);
    add('broker-restart', options.brokerRestarts);
    add('broker-drop', options.brokerDrops);
    add('db-restart', options.dbRestarts);
    add('db-terminate', options.dbTerminations);
    add('commit-cut', options.commitCuts);
    plan.sort((a, b) => a.at - b.at);
    log(`fault plan: ${plan.map((p) => `${p.fault}@${Math.round(p.at * 100)}%`).join(', ') || 'none'}`);

    const progress = () => workload.mainSent / Math.max(1, options.transfers);
    /**
     * Makes the service commit a transaction that changes nothing: a command over HTTP under the id of a
     * setup message already recorded, which the writer reads, finds in its inbox and answers from there
     * (no write, no event, no outbox row), in a transaction of its own. Its answer does not matter.
     */
    const pokeCommit = async () => {
      await fetch(`${url}/v1/commands`, {
        method: 'POST',
        headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({
          id: setupIds[0],
          type: 'ledger.account.open',
          version: 1,
          data: { ownerId: workload.rich[0], asset: 'USD' },
        }),
        signal: AbortSignal.timeout(20_000),
      })
        .then((response) => response.body?.cancel())
        .catch(() => undefined);
    };
    let publishing = true;
    const runFault = async (fault: Fault) => {
      switch (fault) {
        case 'kill':
          await exclusive(async () => {
            log(`fault: SIGKILL the service (pid ${service?.pid ?? '?'}) at ${workload.mainSent} transfers sent`);
            await stopService('SIGKILL');
            summary.kills += 1;
            await sleep(Math.floor(random() * 1500));
            await startService();
          });
          return;
        case 'term':
          await exclusive(async () => {
            log(
              `fault: SIGTERM the service (pid ${service?.pid ?? '?'}, graceful stop) at ${workload.mainSent} transfers sent`,
            );
            await stopService('SIGTERM');
            summary.graceful_restarts += 1;
            await startService();
          });
          return;
        case 'broker-restart':
          await restartBroker(3000, log);
          summary.broker_restarts += 1;
          await waitUntil(() => isReady(url), 'the service to reconnect to the broker', 120_000);
          return;
        case 'broker-drop':
          await dropBrokerConnections(vhost!.vhost, log);
          summary.broker_connection_drops += 1;
          return;
        case 'db-restart': {
          // The harness's own pool is closed across the restart: postgres.js 3.4.9 can
          // crash its process when a connection dies under a pending write (see docs/reliability.md).
          const old = db;
          db = undefined;
          await old?.close().catch(() => undefined);
          try {
            await restartDatabase(log);
          } finally {
            db = createPostgresDatabase({ url: database!.url, maxConnections: 2, applicationName: 'chaos-harness' });
          }
          summary.db_restarts += 1;
          await waitUntil(() => isReady(url), 'the service to reach the database again', 120_000);
          return;
        }
        case 'commit-cut': {
          const before = proxy!.cuts();
          log('fault: the next answer to a COMMIT of the service is lost (connection cut)');
          proxy!.armCommitCuts(1);
          const deadline = Date.now() + 15_000;
          let poked = Date.now();
          while (proxy!.cuts() === before && Date.now() < deadline) {
            // Once the workload has all been written, no COMMIT may come by itself: cause one with an
            // idempotent command over HTTP (it opens one account that no transfer touches).
            if (!publishing && Date.now() - poked > 1_000) {
              poked = Date.now();
              void pokeCommit();
            }
            await sleep(20);
          }
          summary.commit_answers_cut = proxy!.cuts();
          return;
        }
        case 'db-terminate':
          summary.db_connection_terminations += await terminateServiceConnections(database!.name, log);
          return;
      }
    };
    const faults = (async () => {
      for (const step of plan) {
        // Bounded: publishing ends, and then every remaining fault runs at once.
        while (publishing && progress() < step.at) await sleep(50);
        await runFault(step.fault);
        // Let the service work a while between two faults.
        await sleep(1000 + Math.floor(random() * 2000));
      }
    })();
    let faultFailure: unknown;
    faults.catch((error: unknown) => {
      faultFailure = error;
    });

    // ----- commits the workload waits for (holds before their posts) -----
    const watcher = (async () => {
      while (publishing) {
        const awaiting = workload.awaitingCommit();
        if (awaiting.length > 0) {
          try {
            const rows = await db.query<{ message_id: string }>(
              'select message_id from inbox join unnest($1::text::text[]) as w (id) on w.id = inbox.message_id',
              [textArray(awaiting)],
            );
            workload.markCommitted(new Set(rows.map((row) => row.message_id)));
          } catch {
            // The database is away (a fault): try again on the next round.
          }
        }
        await sleep(200);
      }
    })();

    // ----- the main phase -----
    const mainStarted = performance.now();
    let lastReport = mainStarted;
    let published = 0;
    for (let message = workload.next(); message !== undefined; message = workload.next()) {
      if (options.rate > 0) {
        const due = mainStarted + (published / options.rate) * 1000;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
      }
      await send(message);
      published += 1;
      if (performance.now() - lastReport > 5000) {
        lastReport = performance.now();
        log(
          `published ${workload.mainSent}/${options.transfers} transfers, ${workload.malformedSent}/${options.malformed} malformed; ${summary.kills} kills so far`,
        );
      }
    }
    await flush();
    publishing = false;
    await watcher;
    log(
      `published everything in ${Math.round((performance.now() - mainStarted) / 1000)} s; waiting for the remaining faults`,
    );
    await faults;
    if (faultFailure !== undefined) throw faultFailure as Error;
    summary.transfers = workload.mainSent;
    summary.malformed = workload.malformedSent;
    summary.commit_answers_cut = proxy?.cuts() ?? 0;
    summary.republished = workload.republished;

    // ----- wait until every message has an outcome, or nothing moves for stallMs -----
    const expectations = [...workload.expectations.values()];
    const deadExpected = expectations.filter((e) => e.expected.kind === 'dead').length;
    const inboxExpected = expectations.length - deadExpected + workload.expiries.size;
    let lastSeen = -1;
    let lastMove = Date.now();
    for (;;) {
      const inbox = await retrying('count the inbox', () => inboxCount());
      const seen = inbox + deadLetters.size;
      if (inbox >= inboxExpected && deadLetters.size >= deadExpected) break;
      if (seen !== lastSeen) {
        lastSeen = seen;
        lastMove = Date.now();
        log(`waiting for outcomes: inbox ${inbox}/${inboxExpected}, dead letters ${deadLetters.size}/${deadExpected}`);
      } else if (Date.now() - lastMove > options.stallMs) {
        log(
          `no progress for ${options.stallMs} ms: inbox ${inbox}/${inboxExpected}, dead letters ${deadLetters.size}/${deadExpected}; comparing now`,
        );
        break;
      }
      await sleep(1000);
    }

    // ----- compare: every message's outcome -----
    const inboxRows = await retrying('read the inbox', () =>
      db!.query<{ message_id: string; outcome: { status: string; code?: string; transferId?: string } }>(
        'select message_id, outcome from inbox',
      ),
    );
    const inbox = new Map(inboxRows.map((row) => [row.message_id, row.outcome]));
    const lostByLabel = new Map<string, number>();
    for (const message of expectations) {
      const outcome = inbox.get(message.messageId);
      const dead = deadLetters.get(message.messageId);
      const expected = message.expected;
      if (outcome !== undefined && dead !== undefined) {
        summary.duplicated += 1;
        problem(
          `${message.messageId} (${message.label}) has two outcomes: ${outcome.status} and dead-lettered (${dead})`,
        );
        continue;
      }
      if (outcome === undefined && dead === undefined) {
        summary.lost += 1;
        lostByLabel.set(message.label, (lostByLabel.get(message.label) ?? 0) + 1);
        problem(`${message.messageId} (${message.label}) LOST: no outcome in the inbox or the dead-letter queue`);
        continue;
      }
      switch (expected.kind) {
        case 'applied':
          if (
            outcome?.status === 'applied' &&
            (expected.transferId === undefined || outcome.transferId === expected.transferId)
          )
            summary.applied += 1;
          else {
            summary.mismatched += 1;
            problem(
              `${message.messageId} (${message.label}) should be applied, got ${JSON.stringify(outcome ?? { deadLettered: dead })}`,
            );
          }
          break;
        case 'rejected':
          if (outcome?.status === 'rejected' && outcome.code === expected.code) summary.rejected += 1;
          else {
            summary.mismatched += 1;
            problem(
              `${message.messageId} (${message.label}) should be rejected (${expected.code}), got ${JSON.stringify(outcome ?? { deadLettered: dead })}`,
            );
          }
          break;
        case 'dead':
          if (dead?.startsWith(`${expected.reason}:`)) summary.dead_lettered += 1;
          else {
            summary.mismatched += 1;
            problem(
              `${message.messageId} (${message.label}) should be dead-lettered (${expected.reason}), got ${JSON.stringify(outcome ?? { deadLettered: dead })}`,
            );
          }
          break;
      }
    }
    // Expired holds: voided once by the service's sweeper.
    for (const [messageId, transferId] of workload.expiries) {
      const outcome = inbox.get(messageId);
      if (outcome?.status === 'applied' && outcome.transferId === transferId) summary.expired += 1;
      else if (outcome === undefined) {
        summary.lost += 1;
        lostByLabel.set('expiry', (lostByLabel.get('expiry') ?? 0) + 1);
        problem(`${messageId}: the hold never expired`);
      } else {
        summary.mismatched += 1;
        problem(`${messageId}: expected the expiry's void, got ${JSON.stringify(outcome)}`);
      }
    }
    if (lostByLabel.size > 0) log(`lost by kind: ${JSON.stringify(Object.fromEntries(lostByLabel))}`);
    for (const id of inbox.keys()) {
      if (!workload.expectations.has(id) && !workload.expiries.has(id)) {
        summary.mismatched += 1;
        problem(`inbox holds ${id}, which the harness never sent`);
      }
    }
    for (const id of deadLetters.keys()) {
      if (!workload.expectations.has(id)) {
        summary.mismatched += 1;
        problem(`dead-letter queue holds ${id}, which the harness never sent`);
      }
    }

    // ----- compare: transfers and their entries (a transfer applied twice has more) -----
    const entryRows = await retrying('read the transfers', () =>
      db!.query<{ id: string; n: string }>(
        'select t.id, count(e.seq)::text as n from transfers t left join entries e on e.transfer_id = t.id group by t.id',
      ),
    );
    const stored = new Map(entryRows.map((row) => [row.id, Number(row.n)]));
    for (const [transferId, entries] of workload.expectedEntries) {
      const found = stored.get(transferId);
      if (found === undefined) {
        // Already counted as lost when its message has no outcome; otherwise the ledger lost it after recording.
        continue;
      }
      if (found > entries) {
        summary.duplicated += 1;
        problem(`transfer ${transferId} has ${found} entries, ${entries} expected: applied more than once`);
      } else if (found < entries) {
        summary.mismatched += 1;
        problem(`transfer ${transferId} has ${found} entries, ${entries} expected`);
      }
    }
    for (const transferId of stored.keys()) {
      if (!workload.expectedEntries.has(transferId)) {
        summary.mismatched += 1;
        problem(`transfer ${transferId} is in the ledger but the model never applied it`);
      }
    }
    const appliedTransferIds = new Set(
      expectations.flatMap((e) =>
        e.expected.kind === 'applied' &&
        e.expected.transferId !== undefined &&
        inbox.get(e.messageId)?.status === 'applied'
          ? [e.expected.transferId]
          : [],
      ),
    );
    for (const transferId of appliedTransferIds) {
      if (!stored.has(transferId)) {
        summary.mismatched += 1;
        problem(`transfer ${transferId}: the inbox says applied, the transfers table does not have it`);
      }
    }

    // ----- compare: every account's totals, read over the HTTP API -----
    const expectedAccounts = workload.expectedAccounts();
    const accountIds = [...expectedAccounts.keys()];
    const dbAccounts = await retrying('read the accounts', () =>
      db!.query<{ id: string; moved: boolean }>(
        'select id, (posted_debits + posted_credits + pending_debits + pending_credits) > 0 as moved from accounts',
      ),
    );
    for (const row of dbAccounts) {
      if (!expectedAccounts.has(row.id) && row.moved) {
        summary.balance_mismatches += 1;
        problem(`account ${row.id} moved money the model never moved`);
      }
    }
    for (let i = 0; i < accountIds.length; i += 20) {
      await Promise.all(
        accountIds.slice(i, i + 20).map(async (id) => {
          const view = await retrying(`GET account ${id}`, async () => {
            const response = await fetch(`${url}/v1/accounts/${encodeURIComponent(id)}`, {
              headers: { 'x-api-key': apiKey },
              signal: AbortSignal.timeout(10_000),
            });
            if (response.status !== 200 && response.status !== 404)
              throw new Error(`GET account ${id}: ${response.status}`);
            return response.status === 404 ? undefined : ((await response.json()) as AccountTotals);
          });
          summary.accounts_checked += 1;
          const want = expectedAccounts.get(id)!;
          const got = view ?? { postedDebits: '0', postedCredits: '0', pendingDebits: '0', pendingCredits: '0' };
          const fields = ['postedDebits', 'postedCredits', 'pendingDebits', 'pendingCredits'] as const;
          const wrong = fields.filter((field) => got[field] !== want[field]);
          if (wrong.length > 0) {
            summary.balance_mismatches += 1;
            problem(
              `account ${id}: ${wrong.map((field) => `${field} ${got[field]}, expected ${want[field]}`).join('; ')}`,
            );
          }
        }),
      );
    }

    // ----- compare: the events (the outbox publishes every outcome, at least once) -----
    const wantedEvents = new Set<string>();
    for (const message of expectations) {
      const outcome = inbox.get(message.messageId);
      if (message.expected.kind === 'applied' && message.expected.event !== undefined && outcome?.status === 'applied')
        wantedEvents.add(message.expected.event);
      if (message.expected.kind === 'rejected' && outcome?.status === 'rejected')
        wantedEvents.add(`${message.messageId}:rejected`);
    }
    for (const [messageId, transferId] of workload.expiries)
      if (inbox.get(messageId)?.status === 'applied') wantedEvents.add(`${transferId}:voided`);
    const missingEvents = () => [...wantedEvents].filter((id) => !eventIds.has(id));
    const eventDeadline = Date.now() + Math.min(60_000, options.stallMs * 2);
    while (missingEvents().length > 0 && Date.now() < eventDeadline) await sleep(500);
    const missing = missingEvents();
    summary.events_missing = missing.length;
    for (const id of missing.slice(0, 5)) problem(`event ${id} was never published`);
    const outboxLeft = await retrying('count the outbox', () =>
      db!.query<{ n: string }>('select count(*)::text as n from outbox'),
    );
    summary.outbox_left = Number(outboxLeft[0]?.n ?? 0);
    log(
      `events: ${eventIds.size} distinct (${eventCopies} published again), ${wantedEvents.size} expected, ${missing.length} missing; dead letters: ${deadLetters.size} (${deadLetterCopies} copies); outbox rows left: ${summary.outbox_left}`,
    );

    // ----- verify -----
    const report = await retrying('verify', () => verifyLedger(db!));
    summary.verify = report.ok ? 'ok' : 'failed';
    for (const check of report.checks)
      if (!check.ok) problem(`verify: ${check.name}: ${check.problems.slice(0, 3).join('; ')}`);
  } finally {
    for (const subscription of subscriptions) await subscription.close().catch(() => undefined);
    finished = true;
    const stopping = service;
    if (stopping !== undefined) intentional.add(stopping);
    await stopping?.stop('SIGTERM').catch(() => undefined);
    await transport?.close().catch(() => undefined);
    await db?.close().catch(() => undefined);
    await proxy?.close().catch(() => undefined);
    if (!options.keep) {
      await Promise.allSettled([database?.drop(), vhost?.drop()]);
    } else {
      log(`kept database ${database?.name ?? '?'} and vhost ${vhost?.vhost ?? '?'}`);
    }
  }
  for (const line of problems) log(`PROBLEM ${line}`);
  summary.seconds = Math.round((performance.now() - started) / 1000);
  summary.ok =
    summary.lost === 0 &&
    summary.duplicated === 0 &&
    summary.mismatched === 0 &&
    summary.balance_mismatches === 0 &&
    summary.events_missing === 0 &&
    summary.verify === 'ok';
  return summary;
}

async function waitUntil(condition: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  await until(condition, { timeoutMs, intervalMs: 250, what });
}
