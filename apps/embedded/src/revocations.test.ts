/**
 * Embedded mode keeps token revocations across a restart, as it keeps the key
 * that signs the tokens: the root `npm start` command as a child process on a
 * fresh data folder; a token ended by logout and one ended by a password change
 * are still refused (401) after SIGTERM and a new start, while a token nobody
 * revoked still works.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const repositoryRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const readyWithinMs = 120_000;

interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  readonly gateway: string;
  readonly exited: Promise<number | null>;
}

/** The command behind `npm start`, run directly so SIGTERM reaches the process itself. */
function startCommand(): string[] {
  const manifest = JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const words = (manifest.scripts.start ?? '').split(' ');
  assert.equal(words[0], 'node', 'npm start runs node');
  return words.slice(1);
}

/** SIGKILL to the child's whole process group (it is started detached, as its group's leader). */
function killGroup(child: ChildProcessWithoutNullStreams): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

async function start(dataDir: string): Promise<Running> {
  const child = spawn(process.execPath, startCommand(), {
    cwd: repositoryRoot,
    env: { ...process.env, EMBEDDED_DATA_DIR: dataDir, EMBEDDED_PORT: '0', LOG_LEVEL: 'warn' },
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const startedAt = Date.now();
  // Bounded: one look every 200 ms until the banner's last line, the deadline, or an early exit.
  while (!output.includes('Press Ctrl-C to stop.')) {
    if (child.exitCode !== null) assert.fail(`embedded mode exited with ${child.exitCode}:\n${output}`);
    if (Date.now() - startedAt > readyWithinMs) {
      // A start that failed leaves nothing running.
      killGroup(child);
      assert.fail(`no banner within ${readyWithinMs} ms:\n${output}`);
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  const gateway = /^ {2}gateway +(http:\/\/127\.0\.0\.1:\d+) /m.exec(output)?.[1];
  assert.ok(gateway !== undefined, `the banner names the gateway:\n${output}`);
  const ready = await fetch(`${gateway}/health/ready`);
  assert.equal(ready.status, 200);
  // Health names what exists: there is no Redis here, the hot store is process memory.
  const health = (await ready.json()) as { checks: Record<string, string>; kinds?: Record<string, string> };
  assert.equal(health.checks.redis, undefined);
  assert.equal(health.checks.hot_store, 'ok');
  assert.match(health.kinds?.hot_store ?? '', /^memory/);
  return { child, gateway, exited };
}

async function stop(running: Running): Promise<number | null> {
  running.child.kill('SIGTERM');
  const timeout = setTimeout(() => killGroup(running.child), 30_000);
  try {
    return await running.exited;
  } finally {
    clearTimeout(timeout);
  }
}

async function call(
  url: string,
  token: string | undefined,
  method: 'GET' | 'POST' | 'PUT',
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

describe('embedded mode keeps revocations across a restart', () => {
  const root = join(tmpdir(), `t50-revocations-${randomBytes(4).toString('hex')}`);
  const email = `revoked-${randomBytes(3).toString('hex')}@example.com`;
  const password = 'correct horse battery staple 42';
  let running: Running | undefined;

  after(async () => {
    if (running !== undefined) killGroup(running.child);
    await rm(root, { recursive: true, force: true });
  });

  it('a logged-out token and one ended by a password change stay refused after a restart', async () => {
    running = await start(root);
    const gateway = running.gateway;
    const registered = await call(`${gateway}/v1/auth/register`, undefined, 'POST', { email, password });
    assert.equal(registered.status, 201, JSON.stringify(registered.json));
    const loggedOut = registered.json.accessToken as string;
    const login = async () => {
      const reply = await call(`${gateway}/v1/auth/login`, undefined, 'POST', { email, password });
      assert.equal(reply.status, 200, JSON.stringify(reply.json));
      return reply.json.accessToken as string;
    };
    const kept = await login();
    const endedByPasswordChange = await login();

    assert.equal((await call(`${gateway}/v1/auth/logout`, loggedOut, 'POST')).status, 204);
    const newPassword = 'another correct horse battery staple';
    const changed = await call(`${gateway}/v1/me/password`, kept, 'PUT', { currentPassword: password, newPassword });
    assert.equal(changed.status, 200, JSON.stringify(changed.json));
    assert.equal((await call(`${gateway}/v1/me`, loggedOut, 'GET')).status, 401);
    assert.equal((await call(`${gateway}/v1/me`, endedByPasswordChange, 'GET')).status, 401);
    assert.equal((await call(`${gateway}/v1/me`, kept, 'GET')).status, 200);

    assert.equal(await stop(running), 0);
    running = await start(root);
    const after = running.gateway;
    const me = await call(`${after}/v1/me`, loggedOut, 'GET');
    assert.equal(me.status, 401, `the logged-out token after a restart: ${JSON.stringify(me.json)}`);
    assert.equal((await call(`${after}/v1/me`, endedByPasswordChange, 'GET')).status, 401);
    assert.equal((await call(`${after}/v1/me`, kept, 'GET')).status, 200, 'an unrevoked token still works');
    assert.equal(await stop(running), 0);
  });
});
