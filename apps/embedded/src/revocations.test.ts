/**
 * Embedded mode keeps token revocations across a restart, as it keeps the key
 * that signs the tokens: the root `npm start` command as a child process on a
 * fresh data folder; a token ended by logout and one ended by a password change
 * are still refused (401) after SIGTERM and a new start, while a token nobody
 * revoked still works.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startEmbedded, type EmbeddedProcess } from './testing';

/** Embedded mode on `dataDir`, ready, its health naming what exists: there is no Redis, the hot store is process memory. */
async function start(dataDir: string): Promise<EmbeddedProcess> {
  const running = await startEmbedded(dataDir, { env: { LOG_LEVEL: 'warn' } });
  const ready = await fetch(`${running.gateway}/health/ready`);
  assert.equal(ready.status, 200);
  const health = (await ready.json()) as { checks: Record<string, string>; kinds?: Record<string, string> };
  assert.equal(health.checks.redis, undefined);
  assert.equal(health.checks.hot_store, 'ok');
  assert.match(health.kinds?.hot_store ?? '', /^memory/);
  return running;
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
  let running: EmbeddedProcess | undefined;

  after(async () => {
    await running?.kill();
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

    assert.equal(await running.stop(), 0);
    running = await start(root);
    const after = running.gateway;
    const me = await call(`${after}/v1/me`, loggedOut, 'GET');
    assert.equal(me.status, 401, `the logged-out token after a restart: ${JSON.stringify(me.json)}`);
    assert.equal((await call(`${after}/v1/me`, endedByPasswordChange, 'GET')).status, 401);
    assert.equal((await call(`${after}/v1/me`, kept, 'GET')).status, 200, 'an unrevoked token still works');
    assert.equal(await running.stop(), 0);
  });
});
