/**
 * The standalone gateway as deployed: main.ts in its own process against the
 * real PostgreSQL, RabbitMQ and Redis, registering with Consul (a local fake
 * agent), serving, and shutting down gracefully; and refusing to start when a
 * required key is missing, naming it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import {
  assertStartFailedOn,
  type ConsulCall,
  createTestDatabase,
  createTestVhost,
  eventually,
  type FakeConsul,
  startExpectingFailure,
  startFakeConsul,
  startTsProcess,
  type TestDatabase,
  type TestVhost,
  unreachableDependencies,
  waitForStdout,
} from '@t50/kit/testing';
import { Redis } from 'ioredis';
import { newSigningKeyPem } from './testing/harness';

const serviceRoot = fileURLToPath(new URL('..', import.meta.url));
let database: TestDatabase;
let vhost: TestVhost;
let consul: FakeConsul;
const redisPrefix = `t50test:gateway:main:${randomBytes(4).toString('hex')}:`;

before(async () => {
  database = await createTestDatabase('gw_main');
  vhost = await createTestVhost('gw-main');
  consul = await startFakeConsul();
});
after(async () => {
  await consul?.close();
  const redis = new Redis('redis://127.0.0.1:6379');
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  await Promise.allSettled([database?.drop(), vhost?.drop()]);
});

describe('main (the standalone composition root)', () => {
  test(
    'migrates, listens, registers with Consul, serves, and on SIGTERM deregisters and exits 0',
    { timeout: 120_000 },
    async () => {
      const pem = newSigningKeyPem();
      const apiKey = `t50_0123abcd_${'k'.repeat(43)}`;
      const started = startTsProcess(serviceRoot, 'src/main.ts', {
        GATEWAY_DATABASE_URL: database.url,
        RABBITMQ_URL: vhost.url,
        REDIS_KEY_PREFIX: redisPrefix,
        GATEWAY_PORT: '0',
        CONSUL_HTTP_ADDR: consul.address,
        AUTH_API_KEY: apiKey,
        TRANSACTIONS_API_KEY: apiKey,
        JWT_PRIVATE_KEY: pem,
        LOG_LEVEL: 'info',
      });
      try {
        const registration: ConsulCall = await eventually(
          () => {
            assert.equal(started.child.exitCode, null, `main exited early:\n${started.output()}`);
            return consul.calls.find((call) => call.url === '/v1/agent/service/register');
          },
          { timeoutMs: 60_000, intervalMs: 100, what: () => `a Consul registration:\n${started.output()}` },
        );
        const registered = JSON.parse(registration.body) as { ID: string; Name: string; Port: number };
        assert.equal(registered.Name, 'gateway');
        const base = `http://127.0.0.1:${registered.Port}`;
        // One human line on stdout when ready, with the address it serves.
        await waitForStdout(started, new RegExp(`^gateway listening on ${base}$`, 'm'));
        const ready = await fetch(`${base}/health/ready`);
        assert.equal(ready.status, 200, await ready.text());
        assert.equal((await fetch(`${base}/docs/json`)).status, 200);
        const jwks = (await (await fetch(`${base}/v1/auth/jwks`)).json()) as { keys: { kty: string; crv: string }[] };
        assert.equal(jwks.keys[0]?.crv, 'Ed25519');
        assert.equal((await fetch(`${base}/v1/me`)).status, 401);

        started.child.kill('SIGTERM');
        assert.equal(await started.exitCode(30_000), 0, started.output());
        assert.ok(
          consul.calls.some((call) => call.url === `/v1/agent/service/deregister/${encodeURIComponent(registered.ID)}`),
          `the gateway deregistered ${registered.ID} from Consul`,
        );
        const keyBody = pem.split('\n')[1] ?? 'unreachable';
        assert.equal(started.output().includes(keyBody), false, 'the signing key is never logged');
        assert.equal(started.output().includes(apiKey), false, 'the API keys are never logged');
      } finally {
        started.child.kill('SIGKILL');
      }
    },
  );

  test(
    'refuses to start without its secrets, naming each: a few lines on stderr, no stack, exit 1',
    { timeout: 120_000 },
    async () => {
      const failed = await startExpectingFailure(serviceRoot, 'src/main.ts', {
        GATEWAY_DATABASE_URL: database.url,
        GATEWAY_PORT: 'port-secret-value',
      });
      assert.equal(failed.code, 1, failed.output);
      assert.match(failed.stderr, /^gateway: invalid configuration/);
      for (const key of ['AUTH_API_KEY', 'TRANSACTIONS_API_KEY', 'JWT_PRIVATE_KEY'])
        assert.match(failed.stderr, new RegExp(`${key} is required`));
      assert.match(failed.stderr, /GATEWAY_PORT is invalid/);
      assert.doesNotMatch(failed.stderr, /\n\s+at /, 'no stack trace');
      assert.doesNotMatch(failed.output, /port-secret-value/, 'no value');
    },
  );

  // Each unreachable dependency: one line naming it on stderr, no stack, no credentials, exit 1 within 30 s.
  const unreachable = unreachableDependencies({
    databaseKey: 'GATEWAY_DATABASE_URL',
    databaseName: 't50_gateway',
    brokerUrl: () => vhost.url,
    redisKey: 'REDIS_URL',
  });
  for (const { what, dependency, env } of unreachable) {
    test(
      `with ${what}: "start failed: ${dependency}" on stderr and exit 1 within 30 s`,
      { timeout: 120_000 },
      async () => {
        const apiKey = `t50_0123abcd_${'k'.repeat(43)}`;
        const failed = await startExpectingFailure(serviceRoot, 'src/main.ts', {
          GATEWAY_DATABASE_URL: database.url,
          RABBITMQ_URL: vhost.url,
          REDIS_KEY_PREFIX: redisPrefix,
          GATEWAY_PORT: '0',
          AUTH_API_KEY: apiKey,
          TRANSACTIONS_API_KEY: apiKey,
          JWT_PRIVATE_KEY: newSigningKeyPem(),
          LOG_LEVEL: 'info',
          ...env(),
        });
        assertStartFailedOn(failed, 'gateway', dependency);
      },
    );
  }
});
