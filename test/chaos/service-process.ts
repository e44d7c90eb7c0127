/**
 * The transactions service as the harness's own child process, on a fixed
 * port (so its HTTP address survives restarts), its logs appended to a file.
 * `entry` is the real main (services/transactions/src/main.ts) or the
 * deliberately faulty variant (faulty-main.ts).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { until } from '@t50/kit/testing';

export const realEntry = fileURLToPath(new URL('../../services/transactions/src/main.ts', import.meta.url));
export const faultyEntry = fileURLToPath(new URL('./faulty-main.ts', import.meta.url));

export interface ServiceChild {
  readonly pid: number;
  readonly exited: Promise<void>;
  alive(): boolean;
  /** Sends `signal`; resolves when the process is gone (SIGKILL after 20 s in any case). */
  stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

const readyTimeoutMs = 90_000;

export async function isReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

export async function startServiceChild(options: {
  entry: string;
  env: Record<string, string>;
  url: string;
  logFile: string;
}): Promise<ServiceChild> {
  const log = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', options.entry], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let gone = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      gone = true;
      resolve();
    }),
  );
  const handle: ServiceChild = {
    pid: child.pid ?? -1,
    exited,
    alive: () => !gone,
    async stop(signal) {
      if (!gone) child.kill(signal);
      const timer = setTimeout(() => {
        if (!gone) child.kill('SIGKILL');
      }, 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
  // Bounded: ends when ready, when the child exits, or at the deadline.
  try {
    await until(
      async () => {
        if (await isReady(options.url)) return true;
        if (gone) throw new Error(`the service exited before it was ready (see ${options.logFile})`);
        return false;
      },
      { timeoutMs: readyTimeoutMs, intervalMs: 100, what: `the service ready (see ${options.logFile})` },
    );
  } catch (error) {
    await handle.stop('SIGKILL');
    throw error;
  }
  return handle;
}
