/**
 * How long `npm start` takes to be ready, and how much memory it holds then.
 *
 *   node --import tsx bench/embedded-start.ts [--runs 3] [--node <path to node>] [--start '<command>']
 *
 * Each run starts the root `npm start` command (the `start` script of
 * package.json, run directly with node) on a fresh data folder, waits for the
 * banner and for every service's /health/ready, reads the process's resident
 * memory (VmRSS, and its peak VmHWM, from /proc), stops it with SIGTERM, then
 * does the same again on the same folder (a restart). Prints one line per start
 * and the medians. Runs one start at a time; kills what it started.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '@t50/kit/testing';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const runs = Number(option('runs', '3'));
const node = option('node', process.execPath);
// --start compares another command (e.g. the former 'node --import tsx apps/embedded/src/main.ts').
const script = option(
  'start',
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start,
);
const words = script.split(' ');
if (words[0] !== 'node') throw new Error(`npm start does not run node: ${script}`);
const args = words.slice(1);

interface Measured {
  readonly readyMs: number;
  /** CPU seconds the start used (every process of its group, with reaped children): steadier than the wall clock on a busy machine. */
  readonly cpuS: number;
  readonly rssMb: number;
  readonly peakMb: number;
}

/** User + system CPU of every process in the group `group`, in seconds (Linux clock ticks, 100 per second). */
function groupCpu(group: number): number {
  let ticks = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command's closing parenthesis: state ppid pgrp ...; utime is the 14th field of the line.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== group) continue;
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  return ticks / 100;
}

function memory(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 'NaN');
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

async function once(dataDir: string): Promise<Measured> {
  const startedAt = performance.now();
  const child = spawn(node, args, {
    cwd: root,
    env: { ...process.env, EMBEDDED_DATA_DIR: dataDir, EMBEDDED_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  try {
    // Bounded: looks every 50 ms for at most 3 minutes.
    await until(
      () => {
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${output}`);
        return output.includes('Press Ctrl-C to stop.');
      },
      { timeoutMs: 180_000, intervalMs: 50, what: () => `the ready banner:\n${output}` },
    );
    for (const match of output.matchAll(/^ {2}\w+ +(http:\/\/127\.0\.0\.1:\d+) /gm)) {
      const ready = await fetch(`${match[1]}/health/ready`);
      if (ready.status !== 200) throw new Error(`${match[1]} answered ${ready.status}`);
    }
    const readyMs = performance.now() - startedAt;
    return { readyMs, cpuS: groupCpu(child.pid!), ...memory(child.pid!) };
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const show = (label: string, m: Measured) =>
  console.log(
    `${label.padEnd(15)} ready ${(m.readyMs / 1000).toFixed(1).padStart(5)} s   CPU ${m.cpuS.toFixed(1).padStart(5)} s   RSS ${m.rssMb.toFixed(0).padStart(5)} MB   peak ${m.peakMb.toFixed(0).padStart(5)} MB`,
  );

console.log(`node ${node} (${process.version} runs this script); start command: ${script}`);
const fresh: Measured[] = [];
const restart: Measured[] = [];
for (let run = 1; run <= runs; run++) {
  const dataDir = mkdtempSync(join(tmpdir(), 't50-start-bench-'));
  try {
    const first = await once(dataDir);
    show(`fresh ${run}`, first);
    fresh.push(first);
    const again = await once(dataDir);
    show(`restart ${run}`, again);
    restart.push(again);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
for (const [label, list] of [
  ['fresh', fresh],
  ['restart', restart],
] as const) {
  show(`median ${label}`, {
    readyMs: median(list.map((m) => m.readyMs)),
    cpuS: median(list.map((m) => m.cpuS)),
    rssMb: median(list.map((m) => m.rssMb)),
    peakMb: median(list.map((m) => m.peakMb)),
  });
}
