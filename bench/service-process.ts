/**
 * Runs the transactions service as its own process (as in production), so
 * the benchmark measures its throughput and its memory, not the harness's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { until } from '@t50/kit/testing';

const mainModule = fileURLToPath(new URL('../services/transactions/src/main.ts', import.meta.url));
const packageFile = fileURLToPath(new URL('../services/transactions/package.json', import.meta.url));

/**
 * The node flags the service's own start script runs it with (e.g. its heap
 * settings), so the benchmark measures the service as it is deployed.
 */
export function startScriptNodeFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(packageFile, 'utf8')) as { scripts?: { start?: string } };
  const words = (scripts?.start ?? '').split(/\s+/);
  if (words[0] !== 'node') throw new Error(`${packageFile}: the start script does not run node: ${scripts?.start}`);
  const flags: string[] = [];
  // Everything between `node` and `--import tsx`.
  for (const word of words.slice(1)) {
    if (word === '--import') break;
    flags.push(word);
  }
  return flags;
}
const deployedFlags = startScriptNodeFlags();
export const benchApiKey = 'bench-key-0123456789abcdef0123456789abcdef';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

export interface ServiceProcess {
  readonly pid: number;
  readonly url: string;
  /** Highest resident memory seen so far, in MB. */
  rssMaxMb(): number;
  resetRss(): void;
  /** SIGTERM (graceful) or SIGKILL; resolves when the process is gone. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

/** Extra node flags for the service, e.g. `--cpu-prof --cpu-prof-dir=.bench/prof` to profile it under load. */
let serviceNodeArgs: string[] = [];
export function setServiceNodeArgs(args: string[]): void {
  serviceNodeArgs = args;
}

export async function startService(
  env: Record<string, string>,
  options: { readyTimeoutMs?: number } = {},
): Promise<ServiceProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [...deployedFlags, ...serviceNodeArgs, '--import', 'tsx', mainModule],
    {
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        TRANSACTIONS_PORT: String(port),
        TRANSACTIONS_API_KEYS: benchApiKey,
        ...env,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  let rssMax = 0;
  const sampler = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      rssMax = Math.max(rssMax, kb / 1024);
    } catch {
      // The process is gone; the last sample stands.
    }
  }, 100);
  void exited.then(() => clearInterval(sampler));
  const ready = async (): Promise<boolean> => {
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1000) });
      if (response.status === 200) return true;
    } catch {
      // Not listening yet.
    }
    if (child.exitCode !== null)
      throw new Error(`transactions service exited with ${child.exitCode} before it was ready`);
    return false;
  };
  try {
    await until(ready, {
      timeoutMs: options.readyTimeoutMs ?? 60_000,
      intervalMs: 100,
      what: 'the transactions service ready',
    });
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGKILL');
    throw error;
  }
  return {
    pid: child.pid!,
    url,
    rssMaxMb: () => Math.round(rssMax),
    resetRss: () => {
      rssMax = 0;
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    exited,
  };
}
