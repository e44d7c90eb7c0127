/**
 * `npm run bench`: the ledger end to end on this machine. For each scenario
 * (uniform, mixed, hot; hot last, so the last line is the headline) it starts
 * the transactions service as its own process against the real PostgreSQL and
 * RabbitMQ (a fresh database and vhost each), publishes domain events to
 * RabbitMQ as the other services would, waits until each is committed and its
 * ledger event has come out, and prints one JSON line on stdout:
 *
 *   {"scenario":"hot","transfers":…,"seconds":…,"transfers_per_second":…,
 *    "latency_ms_p50":…,"latency_ms_p99":…,"baseline_transfers_per_second":…,
 *    "ratio":…,"rss_mb_max":…, …what explains them}
 *
 * Throughput: published as fast as the ledger takes them (at most about a
 * second of work ahead of the events seen), for `throughputSeconds`, counted
 * until the last event. Latency: publish -> event, paced at half that rate.
 * Baseline: the same service, same database, batch size 1, measured in the
 * same run. Durable commits throughout (synchronous_commit stays on). After
 * each scenario `verify` checks the books. Every loop is bounded in time, and
 * the whole run by a watchdog.
 *
 * Options: --quick (a smoke run within 60 s: 2 / 1 / 1 s phases, 2,000 users in
 * uniform, 500 elsewhere), --scenario NAME (repeatable),
 * --sweep (hot across batch sizes, for the chart of docs/performance.md),
 * --out FILE (the run as JSON; bench/chart.ts draws a sweep), --batch N (the
 * batch size measured, default the service's), --service-node-args='...' (e.g.
 * '--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the service under load),
 * --partitions N (LEDGER_PARTITIONS of the measured service; the bench then
 * publishes as a partition-aware producer, straight to `<type>.p<k>`; the
 * baseline is the same partitioned service with batch size 1).
 * Progress goes to stderr, results to stdout.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { Connection } from 'rabbitmq-client';
import { exchanges, partitionRoutingKey } from '@t50/contracts';
import {
  createLogger,
  createPostgresDatabase,
  createRabbitTransport,
  sleep,
  type OutgoingMessage,
  type Transport,
} from '@t50/kit';
import { createTestDatabase, createTestVhost, until } from '@t50/kit/testing';
import { transactionsConfigSpec } from '../services/transactions/src/config';
import { holdPlacedBy, routeOf } from '../services/transactions/src/messages/partition';
import { verifyLedger } from '../services/transactions/src/verify/verify';
import { cpuPerThousand, cpuSnapshot, machineSummary, otherLoadPercent, type CpuPerThousand } from './cpu';
import { setServiceNodeArgs, startScriptNodeFlags, startService, type ServiceProcess } from './service-process';
import { workloads, type Envelope, type Workload } from './workloads';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sweep: { type: 'boolean', default: false },
    scenario: { type: 'string', multiple: true },
    out: { type: 'string' },
    batch: { type: 'string', default: String(transactionsConfigSpec.LEDGER_BATCH_MAX_MESSAGES.default) },
    'service-node-args': { type: 'string', default: '' },
    partitions: { type: 'string', default: '1' },
  },
});

const partitions = Number(values.partitions);
if (!Number.isInteger(partitions) || partitions < 1 || partitions > 64) throw new Error('--partitions must be an integer from 1 to 64');

const quick = values.quick;
setServiceNodeArgs(values['service-node-args'].split(' ').filter(Boolean));
const settings = quick
  ? { throughputSeconds: 2, latencySeconds: 1, baselineSeconds: 1, uniformUsers: 2000, users: 500 }
  : { throughputSeconds: 20, latencySeconds: 10, baselineSeconds: 10, uniformUsers: 10_000, users: 2000 };
/**
 * How far publishing may run ahead of the events: about a second of work at
 * the rate seen so far, at least two batches (so the consumer's prefetch can
 * fill the next batch while one is written), never more than this.
 */
const maxWindow = 20_000;
const drainTimeoutMs = 120_000;

const progress = (message: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

/** Counts ledger events by the phase prefix of the message they answer, and times them. */
class EventTally {
  readonly counts = new Map<string, number>();
  readonly lastAt = new Map<string, number>();
  readonly rejected = new Map<string, number>();
  readonly sentAt = new Map<string, number>();
  readonly latencies: number[] = [];

  /** Every message answered so far: an event published twice (the outbox is at least once) counts once. */
  readonly answered = new Set<string>();
  /** Times the broker connection dropped during the scenario. */
  disruptions = 0;

  seen(messageId: string, type: string): void {
    if (this.answered.has(messageId)) return;
    this.answered.add(messageId);
    const phase = messageId.slice(0, messageId.indexOf('.'));
    this.counts.set(phase, (this.counts.get(phase) ?? 0) + 1);
    this.lastAt.set(phase, performance.now());
    if (type === 'ledger.transfer.rejected') this.rejected.set(phase, (this.rejected.get(phase) ?? 0) + 1);
    const sent = this.sentAt.get(messageId);
    if (sent !== undefined) {
      this.latencies.push(performance.now() - sent);
      this.sentAt.delete(messageId);
    }
  }
  count(phase: string): number {
    return this.counts.get(phase) ?? 0;
  }
}

/**
 * Watches the ledger's events through a transient classic queue, consumed
 * without acks. The harness is an observer, not one of the platform's
 * consumers: a durable quorum queue here (what services use) would bill the
 * broker's replication work for the harness to the ledger under test.
 */
async function tallyEvents(url: string, tally: EventTally): Promise<() => Promise<void>> {
  const connection = new Connection({ url, connectionName: 'bench-events', noDelay: true });
  connection.on('error', (error: unknown) => {
    // A broker restart (another agent's chaos test on this shared machine) spoils the figures: count it.
    tally.disruptions += 1;
    progress(`event watcher connection: ${String(error)}`);
  });
  const queue = `bench.events.${randomBytes(4).toString('hex')}`;
  await connection.exchangeDeclare({ exchange: exchanges.events, type: 'topic', durable: true });
  const consumer = connection.createConsumer(
    {
      queue,
      noAck: true,
      queueOptions: { queue, exclusive: true, autoDelete: true, durable: false },
      // Account-opened events answer registrations; transfer events answer the rest.
      queueBindings: [
        { queue, exchange: exchanges.events, routingKey: 'ledger.transfer.*' },
        { queue, exchange: exchanges.events, routingKey: 'ledger.account.opened' },
      ],
    },
    (message) => {
      const body = Buffer.isBuffer(message.body) ? message.body.toString('utf8') : JSON.stringify(message.body);
      // The harness shares the cores with the service: a transfer event's
      // answered message id is read without parsing the whole event.
      const fast = message.type?.startsWith('ledger.transfer.') === true ? messageIdOf(body) : undefined;
      if (fast !== undefined) {
        tally.seen(fast, message.type!);
        return;
      }
      const event = JSON.parse(body) as { type: string; data: { messageId: string; account?: { asset: string } } };
      // A registration opens three accounts; count it once.
      if (event.type === 'ledger.account.opened' && event.data.account?.asset !== 'USD') return;
      tally.seen(event.data.messageId, event.type);
    },
  );
  consumer.on('error', (error: unknown) => progress(`event watcher: ${String(error)}`));
  await once(consumer, 'ready');
  return async () => {
    await consumer.close();
    await connection.close();
  };
}

/**
 * `data.messageId` of a ledger transfer event: the first "messageId" key of
 * the body (the envelope has none of its own; ids are restricted to
 * `[A-Za-z0-9:._@-]`, so there is no escaping to undo). Undefined if absent.
 */
function messageIdOf(body: string): string | undefined {
  const key = '"messageId":"';
  const start = body.indexOf(key);
  if (start < 0) return undefined;
  const end = body.indexOf('"', start + key.length);
  return end < 0 ? undefined : body.slice(start + key.length, end);
}

/** Holds the bench placed, by partition: a completion is published to its hold's partition. */
const holdPartition = new Map<string, number>();

/** A partition-aware producer: the envelope's partition from the same function the ledger's router uses. */
function partitionOfEnvelope(envelope: Envelope): number {
  const route = routeOf(envelope, partitions);
  const partition = 'partition' in route ? route.partition : (holdPartition.get(route.holdId) ?? 0);
  const placed = holdPlacedBy(envelope);
  if (placed !== undefined) holdPartition.set(placed, partition);
  return partition;
}

const toMessage = (envelope: Envelope): OutgoingMessage => ({
  exchange: exchanges.events,
  routingKey: partitions === 1 ? envelope.type : partitionRoutingKey(envelope.type, partitionOfEnvelope(envelope), partitions),
  body: envelope,
  messageId: envelope.id,
  type: envelope.type,
});

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  await until(condition, { timeoutMs, intervalMs: 5, what });
}

/** Publishes `messages` and waits for an event for each. */
async function publishAndWait(
  transport: Transport,
  tally: EventTally,
  phase: string,
  messages: Envelope[],
): Promise<void> {
  for (let start = 0; start < messages.length; start += 2000) {
    await transport.publishMany(messages.slice(start, start + 2000).map(toMessage));
    await waitFor(() => start - tally.count(phase) < 10_000, drainTimeoutMs, `${phase} to drain`);
  }
  await waitFor(
    () => tally.count(phase) >= messages.length,
    drainTimeoutMs,
    `${phase} events (${tally.count(phase)}/${messages.length})`,
  );
}

/** Max throughput: publish for `seconds`, never more than `window` ahead of the events. */
async function measureThroughput(
  transport: Transport,
  tally: EventTally,
  workload: Workload,
  phase: string,
  seconds: number,
  batchSize: number,
) {
  const started = performance.now();
  const minWindow = Math.max(50, 2 * batchSize);
  let published = 0;
  const window = () => {
    const elapsed = (performance.now() - started) / 1000;
    const rate = elapsed > 0.5 ? tally.count(phase) / elapsed : 0;
    return Math.max(minWindow, Math.min(maxWindow, Math.round(rate)));
  };
  const publisher = async () => {
    while (performance.now() - started < seconds * 1000) {
      const room = window() - (published - tally.count(phase));
      if (room < Math.min(250, minWindow / 2)) {
        await sleep(1);
        continue;
      }
      const size = Math.min(500, room);
      const chunk: Envelope[] = [];
      for (let index = 0; index < size; index += 1) chunk.push(workload.next(phase));
      published += chunk.length;
      await transport.publishMany(chunk.map(toMessage));
    }
  };
  // Two publishers keep a chunk in flight while the other waits for confirms.
  await Promise.all([publisher(), publisher()]);
  await waitFor(
    () => tally.count(phase) >= published,
    drainTimeoutMs,
    `${phase} events (${tally.count(phase)}/${published})`,
  );
  const elapsed = ((tally.lastAt.get(phase) ?? performance.now()) - started) / 1000;
  return {
    transfers: published,
    seconds: elapsed,
    perSecond: published / elapsed,
    rejected: tally.rejected.get(phase) ?? 0,
  };
}

/** Latency at a fixed rate: every 10 ms what is due by then, each message timed from publish to its event. */
async function measureLatency(
  transport: Transport,
  tally: EventTally,
  workload: Workload,
  phase: string,
  rate: number,
  seconds: number,
) {
  tally.latencies.length = 0;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  let published = 0;
  for (let tick = 0; performance.now() - started < seconds * 1000; tick += 1) {
    const due = started + tick * 10;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    // Cumulative, so a rate below 100/s is kept too (some ticks send nothing).
    const count = Math.floor((rate * (tick + 1)) / 100) - published;
    if (count <= 0) continue;
    const chunk: Envelope[] = [];
    for (let index = 0; index < count; index += 1) chunk.push(workload.next(phase));
    const now = performance.now();
    for (const envelope of chunk) tally.sentAt.set(envelope.id, now);
    published += chunk.length;
    pending.push(transport.publishMany(chunk.map(toMessage)));
  }
  await Promise.all(pending);
  await waitFor(() => tally.count(phase) >= published, drainTimeoutMs, `${phase} latency events`);
  const sorted = [...tally.latencies].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  return { p50: at(0.5), p99: at(0.99), samples: sorted.length, rate: Math.round(rate) };
}

/** The service's own view: how big its batches were and how long each took (from /metrics). */
async function batchMetrics(url: string): Promise<{ count: number; commands: number; seconds: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  // Summed over the partitions' label sets.
  const value = (name: string) =>
    [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((sum, match) => sum + Number(match[1]), 0);
  return {
    count: value('ledger_batch_size_count'),
    commands: value('ledger_batch_size_sum'),
    seconds: value('ledger_batch_seconds_sum'),
  };
}

/** Average batch size and time between two readings of the metrics. */
function batchesBetween(
  before: Awaited<ReturnType<typeof batchMetrics>>,
  after: Awaited<ReturnType<typeof batchMetrics>>,
) {
  const count = after.count - before.count;
  return {
    averageSize: count === 0 ? 0 : Math.round((after.commands - before.commands) / count),
    averageMs: count === 0 ? 0 : Number((((after.seconds - before.seconds) / count) * 1000).toFixed(1)),
  };
}

/** Samples the service's heap and external memory (its /metrics) until stopped: where the RSS goes. */
function sampleMemory(url: string) {
  const peak = { heapMb: 0, externalMb: 0 };
  const timer = setInterval(() => {
    fetch(`${url}/metrics`, { signal: AbortSignal.timeout(1000) })
      .then((response) => response.text())
      .then((text) => {
        const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0) / 2 ** 20;
        peak.heapMb = Math.max(peak.heapMb, value('nodejs_heap_size_total_bytes'));
        peak.externalMb = Math.max(peak.externalMb, value('nodejs_external_memory_bytes'));
      })
      .catch(() => undefined);
  }, 250);
  return () => {
    clearInterval(timer);
    return { heap_mb_max: Math.round(peak.heapMb), external_mb_max: Math.round(peak.externalMb) };
  };
}

interface ScenarioResult {
  // The fields the issue asks for, in its order; then what explains them.
  scenario: string;
  transfers: number;
  seconds: number;
  transfers_per_second: number;
  latency_ms_p50: number;
  latency_ms_p99: number;
  baseline_transfers_per_second: number | null;
  ratio: number | null;
  rss_mb_max: number;
  partitions: number;
  batch_size: number;
  latency_rate_per_second: number;
  latency_samples: number;
  heap_mb_max: number;
  external_mb_max: number;
  average_batch: number;
  average_batch_ms: number;
  cpu_ms_per_1000: CpuPerThousand;
  /** CPU the rest of the machine (other jobs, tests) used during the throughput phase, in % of all cores. */
  other_load_pct: number;
  baseline_other_load_pct: number | null;
  rejected: number;
  broker_disruptions: number;
  verify: 'ok' | 'failed';
}

interface Phases {
  readonly throughputSeconds: number;
  readonly latencySeconds: number;
  /** 0: no baseline. */
  readonly baselineSeconds: number;
}

async function runScenario(name: string, batchSize: number, phases: Phases): Promise<ScenarioResult> {
  const database = await createTestDatabase(`bench_${name}`);
  const vhost = await createTestVhost(`bench-${name}`);
  // Logs go to stderr with the progress lines: stdout carries only the results.
  const logger = createLogger({ service: 'bench', level: 'warn', destination: process.stderr });
  const transport = await createRabbitTransport({ url: vhost.url, logger, connectionName: 'bench' });
  const tally = new EventTally();
  // The baseline is the same service, partitions included, with a batch size of 1.
  const env = (batch: number) => ({
    TRANSACTIONS_DATABASE_URL: database.url,
    RABBITMQ_URL: vhost.url,
    LEDGER_PARTITIONS: String(partitions),
    LEDGER_BATCH_MAX_MESSAGES: String(batch),
    LEDGER_BATCH_MAX_WAIT_MS: batch === 1 ? '0' : '5',
  });
  let service: ServiceProcess | undefined;
  let stopTally: (() => Promise<void>) | undefined;
  try {
    service = await startService(env(batchSize));
    current = service;
    stopTally = await tallyEvents(vhost.url, tally);
    const workload = workloads[name]!(name === 'uniform' ? settings.uniformUsers : settings.users);
    progress(`${name}: setup (${workload.setup.length} messages)`);
    await publishAndWait(
      transport,
      tally,
      'setup',
      workload.setup.map((envelope) => ({ ...envelope, id: `setup.${envelope.id}` })),
    );
    service.resetRss();
    const stopMemory = sampleMemory(service.url);
    progress(`${name}: throughput at batch ${batchSize} for ${phases.throughputSeconds} s`);
    const batchesBefore = await batchMetrics(service.url);
    const cpuBefore = cpuSnapshot(service.pid);
    const throughput = await measureThroughput(transport, tally, workload, 'max', phases.throughputSeconds, batchSize);
    const cpuAfter = cpuSnapshot(service.pid);
    const cpu = cpuPerThousand(cpuBefore, cpuAfter, throughput.transfers);
    const batches = batchesBetween(batchesBefore, await batchMetrics(service.url));
    progress(
      `${name}: ${Math.round(throughput.perSecond)} transfers/s (batches of ${batches.averageSize}, ${batches.averageMs} ms each; ` +
        `CPU ms per 1000: ${JSON.stringify(cpu)}); latency at half rate for ${phases.latencySeconds} s`,
    );
    const latency = await measureLatency(
      transport,
      tally,
      workload,
      'lat',
      throughput.perSecond / 2,
      phases.latencySeconds,
    );
    const memory = stopMemory();
    const rss = service.rssMaxMb();
    progress(
      `${name}: latency p50 ${latency.p50} ms, p99 ${latency.p99} ms at ${latency.rate}/s; service RSS peak ${rss} MB`,
    );
    await service.stop();
    service = undefined;
    let baseline: number | null = null;
    let baselineOtherLoad: number | null = null;
    if (phases.baselineSeconds > 0) {
      progress(`${name}: baseline (the same service, batch size 1) for ${phases.baselineSeconds} s`);
      service = await startService(env(1));
      current = service;
      const baselineCpuBefore = cpuSnapshot(service.pid);
      baseline = (await measureThroughput(transport, tally, workload, 'base', phases.baselineSeconds, 1)).perSecond;
      baselineOtherLoad = otherLoadPercent(baselineCpuBefore, cpuSnapshot(service.pid));
      progress(`${name}: baseline ${Math.round(baseline)} transfers/s`);
      await service.stop();
      service = undefined;
    }
    const db = createPostgresDatabase({ url: database.url, maxConnections: 1 });
    const report = await verifyLedger(db).finally(() => db.close());
    return {
      scenario: name,
      transfers: throughput.transfers,
      seconds: Number(throughput.seconds.toFixed(2)),
      transfers_per_second: Math.round(throughput.perSecond),
      latency_ms_p50: latency.p50,
      latency_ms_p99: latency.p99,
      baseline_transfers_per_second: baseline === null ? null : Math.round(baseline),
      ratio: baseline === null ? null : Number((throughput.perSecond / baseline).toFixed(1)),
      rss_mb_max: rss,
      partitions,
      batch_size: batchSize,
      latency_rate_per_second: latency.rate,
      latency_samples: latency.samples,
      ...memory,
      average_batch: batches.averageSize,
      average_batch_ms: batches.averageMs,
      cpu_ms_per_1000: cpu,
      other_load_pct: otherLoadPercent(cpuBefore, cpuAfter),
      baseline_other_load_pct: baselineOtherLoad,
      rejected: throughput.rejected,
      broker_disruptions: tally.disruptions,
      verify: report.ok ? 'ok' : 'failed',
    };
  } finally {
    current = undefined;
    await service?.stop('SIGKILL');
    await stopTally?.();
    await transport.close();
    await Promise.allSettled([database.drop(), vhost.drop()]);
  }
}

/**
 * A last-resort bound on the whole run, well above what it should take (a full
 * run within 5 minutes, --quick within 60 s): kill the service and stop.
 */
let current: ServiceProcess | undefined;
const runLimitSeconds = values.sweep ? (quick ? 300 : 900) : quick ? 180 : 600;
setTimeout(() => {
  progress(
    `run exceeded ${runLimitSeconds} s; stopping (a test database and vhost may be left: t50_bench_* / t50-bench-*)`,
  );
  if (current !== undefined) process.kill(current.pid, 'SIGKILL');
  process.exit(1);
}, runLimitSeconds * 1000).unref();

const results: ScenarioResult[] = [];
const started = Date.now();
const serviceFlags = [...startScriptNodeFlags(), ...values['service-node-args'].split(' ').filter(Boolean)].join(' ');
progress(`machine: ${machineSummary()}; service node flags: ${serviceFlags || '(none)'}`);
if (values.sweep) {
  // Hot deposits across batch sizes, for the chart in docs/performance.md; no baseline (batch 1 is a point).
  const sweepPhases = { throughputSeconds: quick ? 3 : 10, latencySeconds: quick ? 2 : 5, baselineSeconds: 0 };
  for (const batch of [1, 10, 50, 100, 250, 500, 1000, 2000]) {
    const result = await runScenario('hot', batch, sweepPhases);
    results.push({ ...result, scenario: 'sweep-hot' });
    console.log(JSON.stringify({ ...result, scenario: 'sweep-hot' }));
  }
} else {
  const phases = {
    throughputSeconds: settings.throughputSeconds,
    latencySeconds: settings.latencySeconds,
    baselineSeconds: settings.baselineSeconds,
  };
  // Hot last: its line is the headline (the last line of the output).
  for (const name of values.scenario ?? (partitions > 1 ? ['hot'] : ['uniform', 'mixed', 'hot'])) {
    if (workloads[name] === undefined)
      throw new Error(`unknown scenario ${name}; known: ${Object.keys(workloads).join(', ')}`);
    if (partitions > 1 && name !== 'hot') {
      // A send between partitions completes with a second event the tally cannot tie to its message.
      throw new Error('with --partitions only the hot scenario is measured (deposits stay within their partition)');
    }
    const result = await runScenario(name, Number(values.batch), phases);
    results.push(result);
    console.log(JSON.stringify(result));
  }
}
progress(`done in ${Math.round((Date.now() - started) / 1000)} s`);
if (values.out !== undefined) {
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(
    values.out,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        quick,
        sweep: values.sweep,
        machine: machineSummary(),
        service_node_flags: serviceFlags,
        results,
      },
      null,
      2,
    ),
  );
}
if (results.some((result) => result.broker_disruptions > 0)) {
  progress('the broker connection dropped during a scenario (broker_disruptions): its figures are not valid; run again');
  process.exitCode = 1;
}
if (results.some((result) => result.verify !== 'ok')) {
  progress('verify FAILED after a scenario');
  process.exitCode = 1;
}
