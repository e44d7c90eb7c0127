/**
 * Runs a service's composition root as a child process, the way it is
 * deployed, and a fake Consul agent (no Consul server can run here) that
 * records what the service registers: the agent's real HTTP API paths.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StartedProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Waits for the exit (SIGKILL after `timeoutMs`) and returns its code. */
  exitCode(timeoutMs: number): Promise<number | null>;
}

/** Starts `node --import tsx <script>` in `cwd` with exactly `environment` (plus PATH). */
export function startTsProcess(cwd: string, script: string, environment: Record<string, string>): StartedProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return {
    child,
    output: () => output,
    async exitCode(timeoutMs) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const [code] = (await once(child, 'exit')) as [number | null];
      clearTimeout(timer);
      return code;
    },
  };
}

export interface ConsulCall {
  readonly method: string;
  readonly url: string;
  readonly body: string;
}

export interface FakeConsul {
  readonly address: string;
  readonly calls: readonly ConsulCall[];
  close(): Promise<void>;
}

/** A local HTTP server answering 200 to the agent API and recording every call. */
export async function startFakeConsul(): Promise<FakeConsul> {
  const calls: ConsulCall[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      calls.push({ method: request.method ?? '', url: request.url ?? '', body });
      response.writeHead(200).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    address: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
