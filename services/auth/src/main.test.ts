// The standalone service as deployed: main.ts in its own process against a
// real PostgreSQL, with Consul registration (a local fake agent) and graceful
// shutdown; and the config module it starts from.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ConfigError, createLogger, createPostgresDatabase } from '@t50/kit';
import {
  createTestDatabase,
  eventually,
  startExpectingFailure,
  startFakeConsul,
  startTsProcess,
  waitForStdout,
  type FakeConsul,
  type StartedProcess,
  type TestDatabase,
} from '@t50/kit/testing';
import { databaseUrlOf, loadAuthConfig } from './config';
import { createApiKeyService } from './keys/service';
import { goodPassword } from './testing/harness';

const serviceRoot = fileURLToPath(new URL('..', import.meta.url));

let testDatabase: TestDatabase;
let consul: FakeConsul;

before(async () => {
  testDatabase = await createTestDatabase('auth_main');
  consul = await startFakeConsul();
});
after(async () => {
  await consul.close();
  await testDatabase.drop();
});

const startMain = (environment: Record<string, string>): StartedProcess =>
  startTsProcess(serviceRoot, 'src/main.ts', environment);

void describe('main (the standalone composition root)', () => {
  void it(
    'migrates, listens, registers with Consul, serves, and on SIGTERM deregisters and exits 0',
    { timeout: 120_000 },
    async () => {
      const started = startMain({
        AUTH_DATABASE_URL: testDatabase.url,
        PORT: '0',
        CONSUL_HTTP_ADDR: consul.address,
        LOG_LEVEL: 'info',
      });
      try {
        const registration = await eventually(
          () => {
            assert.equal(started.child.exitCode, null, `main exited early:\n${started.output()}`);
            return consul.calls.find((call) => call.url === '/v1/agent/service/register');
          },
          { timeoutMs: 60_000, intervalMs: 100, what: () => `a Consul registration:\n${started.output()}` },
        );
        const registered = JSON.parse(registration.body) as {
          ID: string;
          Name: string;
          Port: number;
          Check: { HTTP: string };
        };
        assert.equal(registered.Name, 'auth');
        assert.equal(registered.Check.HTTP, `http://127.0.0.1:${registered.Port}/health/ready`);
        const base = `http://127.0.0.1:${registered.Port}`;
        // One human line on stdout when ready, with the address it serves.
        await waitForStdout(started, new RegExp(`^auth listening on ${base}$`, 'm'));

        const ready = await fetch(`${base}/health/ready`);
        assert.equal(ready.status, 200);

        // A key made the way the CLI makes it, straight in the database.
        const db = createPostgresDatabase({ url: testDatabase.url, maxConnections: 1 });
        const key = await createApiKeyService({ db, logger: createLogger({ service: 'test', level: 'silent' }) })
          .create('main-test')
          .finally(() => db.close());
        const post = (path: string, body: unknown) =>
          fetch(`${base}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': key.plaintext },
            body: JSON.stringify(body),
          });
        const created = await post('/v1/credentials', { email: 'main@example.com', password: goodPassword });
        assert.equal(created.status, 201);
        const { userId } = (await created.json()) as { userId: string };
        const authenticated = await post('/v1/authenticate', { email: 'main@example.com', password: goodPassword });
        assert.deepEqual(await authenticated.json(), { userId });
        const unauthorised = await fetch(`${base}/v1/authenticate`, { method: 'POST' });
        assert.equal(unauthorised.status, 401);

        started.child.kill('SIGTERM');
        assert.equal(await started.exitCode(30_000), 0, started.output());
        assert.ok(
          consul.calls.some((call) => call.url === `/v1/agent/service/deregister/${encodeURIComponent(registered.ID)}`),
          'deregistered from Consul',
        );
        assert.match(started.output(), /"msg":"shutting down"/);
        assert.ok(
          !started.output().includes(goodPassword) && !started.output().includes(key.plaintext.slice(13)),
          'no secret in the logs',
        );
      } finally {
        started.child.kill('SIGKILL');
      }
    },
  );

  void it(
    'with PostgreSQL on a closed port: "start failed: PostgreSQL" on stderr, no credentials, exit 1 within 30 s',
    { timeout: 120_000 },
    async () => {
      const failed = await startExpectingFailure(serviceRoot, 'src/main.ts', {
        AUTH_DATABASE_URL: 'postgres://postgres:pg-secret-pw@127.0.0.1:1/t50_auth',
        PORT: '0',
      });
      assert.equal(failed.code, 1, failed.output);
      // Timed from the start path's first log record: loading the code is slow on a busy test machine.
      assert.ok(
        failed.failedWithinMs < 30_000,
        `exited ${Math.round(failed.failedWithinMs)} ms after starting (${Math.round(failed.elapsedMs)} ms after spawn)`,
      );
      assert.match(failed.stderr, /^auth: start failed: PostgreSQL: /m);
      assert.match(failed.output, /"msg":"start failed"/);
      assert.doesNotMatch(failed.stderr, /\n\s+at /, 'no stack trace');
      assert.doesNotMatch(failed.output, /pg-secret-pw/, 'no password');
    },
  );

  void it(
    'refuses to start on bad config in a few lines naming the key: no stack, exit 1',
    { timeout: 120_000 },
    async () => {
      const failed = await startExpectingFailure(serviceRoot, 'src/main.ts', {
        AUTH_DATABASE_URL: testDatabase.url,
        ARGON2_MEMORY_KIB: '4096',
      });
      assert.equal(failed.code, 1, failed.output);
      assert.match(failed.stderr, /^auth: invalid configuration/);
      assert.match(failed.stderr, /ARGON2_MEMORY_KIB is invalid: expected a number from 19456/);
      assert.doesNotMatch(failed.stderr, /\n\s+at /, 'no stack trace');
    },
  );
});

void describe('config', () => {
  void it('has the documented defaults', () => {
    const config = loadAuthConfig({});
    assert.equal(config.PORT, 4001);
    assert.equal(config.HOST, '127.0.0.1');
    assert.equal(config.LOG_LEVEL, 'info');
    assert.equal(config.RATE_LIMIT_EMAIL_MAX_FAILURES, 10);
    assert.equal(config.RATE_LIMIT_ADDRESS_MAX_FAILURES, 100);
    assert.equal(config.RATE_LIMIT_EMAIL_WINDOW_SECONDS, 900);
  });

  void it('prefers AUTH_DATABASE_URL over DATABASE_URL, and requires one of them', () => {
    const both = loadAuthConfig({
      AUTH_DATABASE_URL: 'postgres://127.0.0.1/auth',
      DATABASE_URL: 'postgres://127.0.0.1/other',
    });
    assert.equal(databaseUrlOf(both), 'postgres://127.0.0.1/auth');
    assert.equal(
      databaseUrlOf(loadAuthConfig({ DATABASE_URL: 'postgres://127.0.0.1/other' })),
      'postgres://127.0.0.1/other',
    );
    assert.throws(
      () => databaseUrlOf(loadAuthConfig({})),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, `a ConfigError, not: ${String(error)}`);
        assert.match(error.message, /AUTH_DATABASE_URL or DATABASE_URL is required/);
        return true;
      },
    );
  });

  void it('refuses argon2 parameters below OWASP and bad numbers, naming every bad key and no value', () => {
    assert.throws(
      () =>
        loadAuthConfig({
          ARGON2_MEMORY_KIB: '19455',
          ARGON2_ITERATIONS: '1',
          ARGON2_PARALLELISM: '0',
          PORT: 'eighty',
          DATABASE_URL: 'secret-not-a-url',
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, `a ConfigError, not: ${String(error)}`);
        for (const key of ['ARGON2_MEMORY_KIB', 'ARGON2_ITERATIONS', 'ARGON2_PARALLELISM', 'PORT', 'DATABASE_URL']) {
          assert.ok(
            error.problems.some((problem) => problem.startsWith(key)),
            key,
          );
        }
        assert.ok(!error.message.includes('secret-not-a-url'), 'the message does not show the DATABASE_URL value');
        return true;
      },
    );
    const raised = loadAuthConfig({ ARGON2_MEMORY_KIB: '65536', ARGON2_ITERATIONS: '3' });
    assert.equal(raised.ARGON2_MEMORY_KIB, 65_536);
    assert.equal(raised.ARGON2_ITERATIONS, 3);
  });
});
