/**
 * CPU time by component over a phase, from /proc: the service process, the
 * broker (beam.smp), every PostgreSQL process, and this harness. On a 2-core
 * machine where all four share the cores, this says where throughput goes.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

const ticksPerSecond = 100;

function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat; 12 and 13 after the command.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return 0;
  }
}

function pidsOf(args: string[]): number[] {
  try {
    return execFileSync('pgrep', args, { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Busy CPU milliseconds of the whole machine (all cores), from /proc/stat. */
function machineBusyMs(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
    const busy = fields.slice(0, 8).reduce((sum, value, index) => (index === 3 || index === 4 ? sum : sum + value), 0);
    return (busy * 1000) / ticksPerSecond;
  } catch {
    return 0;
  }
}

export interface CpuSnapshot {
  readonly at: number;
  readonly machine: number;
  readonly service: number;
  readonly broker: number;
  readonly postgres: Map<number, number>;
  readonly harness: number;
}

export function cpuSnapshot(servicePid: number): CpuSnapshot {
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    machine: machineBusyMs(),
    service: processCpuMs(servicePid),
    broker: pidsOf(['-f', 'beam.smp']).reduce((sum, pid) => sum + processCpuMs(pid), 0),
    postgres: new Map(pidsOf(['-u', 'postgres']).map((pid) => [pid, processCpuMs(pid)])),
    harness: (usage.user + usage.system) / 1000,
  };
}

export interface CpuPerThousand {
  readonly service: number;
  readonly broker: number;
  readonly postgres: number;
  readonly harness: number;
}

function postgresMs(before: CpuSnapshot, after: CpuSnapshot): number {
  let postgres = 0;
  // Backends that exited between the snapshots are missed; the benchmark's own connections stay open.
  for (const [pid, ms] of after.postgres) postgres += ms - (before.postgres.get(pid) ?? 0);
  return postgres;
}

/** CPU milliseconds each component spent per 1,000 transfers between two snapshots. */
export function cpuPerThousand(before: CpuSnapshot, after: CpuSnapshot, transfers: number): CpuPerThousand {
  const postgres = postgresMs(before, after);
  const per = (ms: number) => Math.round((ms * 1000) / Math.max(1, transfers));
  return {
    service: per(after.service - before.service),
    broker: per(after.broker - before.broker),
    postgres: per(postgres),
    harness: per(after.harness - before.harness),
  };
}

/**
 * What the rest of the machine used between two snapshots, in % of all its
 * cores: the machine's busy time less the service, broker, PostgreSQL and
 * this harness. On a shared machine this says how much was taken from us.
 */
export function otherLoadPercent(before: CpuSnapshot, after: CpuSnapshot): number {
  const elapsedMs = after.at - before.at;
  if (elapsedMs <= 0) return 0;
  const ours =
    after.service -
    before.service +
    (after.broker - before.broker) +
    postgresMs(before, after) +
    (after.harness - before.harness);
  const other = Math.max(0, after.machine - before.machine - ours);
  return Math.round((100 * other) / (elapsedMs * cpus().length));
}

/** Cores, memory and the load average, for the record of a run. */
export function machineSummary(): string {
  const [one, five] = loadavg();
  return `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, load average ${one!.toFixed(2)} (1 min) ${five!.toFixed(2)} (5 min)`;
}
