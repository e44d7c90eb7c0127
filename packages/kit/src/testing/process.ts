/**
 * Runs a service's composition root as a child process, the way it is
 * deployed, and a fake Consul agent (no Consul server can run here) that
 * records what the service registers: the agent's real HTTP API paths.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sleep } from '../timing';

export interface StartedProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** What it wrote to stdout so far. */
  stdout(): string;
  /** What it wrote to stderr so far. */
  stderr(): string;
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
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    stderr += chunk;
  });
  return {
    child,
    output: () => output,
    stdout: () => stdout,
    stderr: () => stderr,
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

export interface StartFailure {
  readonly code: number | null;
  /** From the spawn to the exit (includes loading the code, slow on a busy machine). */
  readonly elapsedMs: number;
  /** From the service's `starting` log record (its start path began) to the exit; Infinity without one. */
  readonly failedWithinMs: number;
  readonly stderr: string;
  readonly output: string;
}

/** Starts `script` expecting it to fail at start; waits up to `timeoutMs` (then SIGKILL). */
export async function startExpectingFailure(
  cwd: string,
  script: string,
  environment: Record<string, string>,
  timeoutMs = 90_000,
): Promise<StartFailure> {
  const started = performance.now();
  const process_ = startTsProcess(cwd, script, environment);
  let startingAt: number | undefined;
  const onData = (chunk: Buffer | string) => {
    if (startingAt === undefined && String(chunk).includes('"msg":"starting"')) startingAt = performance.now();
  };
  process_.child.stdout?.on('data', onData);
  const code = await process_.exitCode(timeoutMs);
  const exitedAt = performance.now();
  return {
    code,
    elapsedMs: exitedAt - started,
    failedWithinMs: startingAt === undefined ? Number.POSITIVE_INFINITY : exitedAt - startingAt,
    stderr: process_.stderr(),
    output: process_.output(),
  };
}

/** A dependency a service cannot reach at start, and the environment that makes it so. */
export interface UnreachableDependency {
  readonly what: string;
  readonly dependency: 'PostgreSQL' | 'RabbitMQ' | 'Redis';
  /** Read when the case runs (a test vhost's URL exists only after `before`). */
  readonly env: () => Record<string, string>;
}

/**
 * The unreachable-dependency cases every service's start path is tested with:
 * PostgreSQL on a closed port; RabbitMQ on a closed port, an unknown vhost and
 * a wrong password (when `brokerUrl` is given); Redis on a closed port (when
 * `redisKey` is given). Every URL carries a password containing `secret-pw`,
 * which must never be printed.
 */
export function unreachableDependencies(options: {
  readonly databaseKey: string;
  readonly databaseName: string;
  readonly brokerUrl?: () => string;
  readonly redisKey?: string;
}): UnreachableDependency[] {
  const cases: UnreachableDependency[] = [
    {
      what: 'PostgreSQL on a closed port',
      dependency: 'PostgreSQL',
      env: () => ({ [options.databaseKey]: `postgres://postgres:pg-secret-pw@127.0.0.1:1/${options.databaseName}` }),
    },
  ];
  const brokerUrl = options.brokerUrl;
  if (brokerUrl !== undefined) {
    cases.push(
      {
        what: 'RabbitMQ on a closed port',
        dependency: 'RabbitMQ',
        env: () => ({ RABBITMQ_URL: 'amqp://guest:amqp-secret-pw@127.0.0.1:1/' }),
      },
      {
        what: 'an unknown RabbitMQ vhost',
        dependency: 'RabbitMQ',
        env: () => ({ RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672/t50-no-such-vhost' }),
      },
      {
        what: 'a wrong RabbitMQ password',
        dependency: 'RabbitMQ',
        env: () => ({ RABBITMQ_URL: brokerUrl().replace('guest:guest@', 'guest:amqp-secret-pw@') }),
      },
    );
  }
  if (options.redisKey !== undefined) {
    cases.push({
      what: 'Redis on a closed port',
      dependency: 'Redis',
      env: () => ({ [options.redisKey!]: 'redis://:redis-secret-pw@127.0.0.1:1' }),
    });
  }
  return cases;
}

/**
 * What a start that could not reach `dependency` must show: exit 1 within 30 s
 * of the start path's first log record, one `<service>: start failed:
 * <dependency>: ` line on stderr, a `start failed` log record, no stack trace,
 * no password.
 */
export function assertStartFailedOn(failed: StartFailure, service: string, dependency: string): void {
  assert.equal(failed.code, 1, failed.output);
  // Timed from the start path's first log record: loading the code is slow on a busy test machine.
  assert.ok(
    failed.failedWithinMs < 30_000,
    `exited ${Math.round(failed.failedWithinMs)} ms after starting (${Math.round(failed.elapsedMs)} ms after spawn)`,
  );
  assert.match(failed.stderr, new RegExp(`^${service}: start failed: ${dependency}: `, 'm'));
  assert.match(failed.output, /"msg":"start failed"/);
  assert.doesNotMatch(failed.stderr, /\n\s+at /, 'no stack trace');
  assert.doesNotMatch(failed.output, /secret-pw/, 'no password');
}

/** Waits until `started` printed `pattern` on stdout (or exited, or `timeoutMs` passed). */
export async function waitForStdout(
  started: StartedProcess,
  pattern: RegExp,
  timeoutMs = 60_000,
): Promise<RegExpMatchArray> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(started.stdout());
    if (match !== null) return match;
    if (started.child.exitCode !== null || performance.now() > deadline)
      throw new Error(`no ${String(pattern)} on stdout:\n${started.output()}`);
    await sleep(50);
  }
}
