/**
 * For tests that meet embedded mode as a newcomer does: the root `npm start`
 * command as a child process (its own process group) on a data folder and free
 * ports. It waits for the banner, reads the services' URLs from it, and never
 * leaves a process behind: a failed start kills its group, `stop()` sends
 * SIGTERM and kills the group if the process has not exited in 30 s, and every group
 * still alive when the test process exits is killed.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repositoryRoot = resolve(import.meta.dirname, '..', '..', '..');

/**
 * The product promises ready within 60 s; a test machine under heavy load (the
 * whole suite in parallel) gets twice that before a test calls it a failure.
 */
export const defaultReadyWithinMs = 120_000;

/** The command behind `npm start`, run directly so a signal reaches the process itself. */
export function startArguments(): string[] {
  const manifest = JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const words = (manifest.scripts.start ?? '').trim().split(/\s+/);
  assert.equal(words[0], 'node', 'npm start runs node');
  return words.slice(1);
}

export interface EmbeddedProcess {
  readonly child: ChildProcess;
  /** Service name -> URL, as the banner lists them. */
  readonly urls: Readonly<Record<string, string>>;
  readonly gateway: string;
  /** Everything printed so far, stdout and stderr. */
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  /** SIGTERM to the process, then SIGKILL to its group after 30 s; the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL to the group (no-op when it has exited). */
  kill(): Promise<void>;
}

const alive = new Set<ChildProcess>();

/** A signal to the child's whole process group (it is started detached, as its group's leader). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

process.once('exit', () => {
  for (const child of alive) signalGroup(child, 'SIGKILL');
});
// A test process ended by a signal (Ctrl-C, the runner's timeout) runs no 'exit' handler by itself.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const child of alive) signalGroup(child, 'SIGKILL');
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  });
}

export async function startEmbedded(
  dataDir: string,
  options: { readonly env?: Readonly<Record<string, string>>; readonly readyWithinMs?: number } = {},
): Promise<EmbeddedProcess> {
  const readyWithinMs = options.readyWithinMs ?? defaultReadyWithinMs;
  const child = spawn(process.execPath, startArguments(), {
    cwd: repositoryRoot,
    env: { ...process.env, EMBEDDED_DATA_DIR: dataDir, EMBEDDED_PORT: '0', LOG_LEVEL: 'info', ...options.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  alive.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      alive.delete(child);
      done(code);
    }),
  );
  const kill = async () => {
    signalGroup(child, 'SIGKILL');
    await exited;
  };
  const startedAt = Date.now();
  try {
    // Bounded: one look every 100 ms until the banner's last line, the deadline, or an early exit.
    while (!output.includes('Press Ctrl-C to stop.')) {
      if (child.exitCode !== null) assert.fail(`embedded mode exited with ${child.exitCode}:\n${output}`);
      if (Date.now() - startedAt > readyWithinMs) assert.fail(`no banner within ${readyWithinMs} ms:\n${output}`);
      await new Promise((done) => setTimeout(done, 100));
    }
    const urls: Record<string, string> = {};
    for (const match of output.matchAll(/^ {2}(\w+) +(http:\/\/127\.0\.0\.1:\d+) /gm)) urls[match[1]!] = match[2]!;
    const gateway = urls.gateway;
    assert.ok(gateway !== undefined, `the banner names the gateway:\n${output}`);
    return {
      child,
      urls,
      gateway,
      output: () => output,
      exited,
      kill,
      async stop() {
        // To the process itself, as Ctrl-C would: it closes its own children.
        child.kill('SIGTERM');
        const timeout = setTimeout(() => signalGroup(child, 'SIGKILL'), 30_000);
        try {
          return await exited;
        } finally {
          clearTimeout(timeout);
        }
      },
    };
  } catch (error) {
    // A start that failed leaves nothing running (its pid file would hold the data folder).
    await kill();
    throw error;
  }
}
