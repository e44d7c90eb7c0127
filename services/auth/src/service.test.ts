// The service as a whole: what it logs (never a password, hash or key), its
// OpenAPI document, health and metrics, and the embedded-mode path (PGlite,
// migrations by the factory, the gateway key).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger, createPgliteDatabase } from '@t50/kit';
import { createAuthService, ensureEmbeddedGatewayKey } from './service';
import { createCredential, goodPassword, startHarness, testConfig, type Harness } from './testing/harness';

let harness: Harness;
before(async () => {
  harness = await startHarness('auth_service', { RATE_LIMIT_EMAIL_MAX_FAILURES: 2 });
});
after(async () => {
  await harness.close();
});

void describe('logs', () => {
  void it('never contain a password, a hash or an API key, whatever the requests', async () => {
    const passwords = [
      goodPassword,
      'second secret passphrase',
      'third secret passphrase',
      'wrong secret guess one',
      'wrong secret guess two',
    ];
    const revokedKey = await harness.service.keys.create('short-lived');
    const sentKeys = [harness.apiKey, revokedKey.plaintext];

    const userId = await createCredential(harness, 'logged@example.com', passwords[0]);
    await harness.call('POST', '/v1/authenticate', { body: { email: 'logged@example.com', password: passwords[0] } });
    await harness.call('POST', '/v1/authenticate', { body: { email: 'logged@example.com', password: passwords[3] } });
    await harness.call('POST', '/v1/authenticate', { body: { email: 'nobody@example.com', password: passwords[4] } });
    await harness.call('PUT', `/v1/credentials/${userId}/password`, {
      body: { currentPassword: passwords[0], newPassword: passwords[1] },
    });
    await harness.call('PUT', `/v1/credentials/${userId}/email`, {
      body: { password: passwords[1], email: 'relogged@example.com' },
    });
    await harness.call('PUT', `/v1/credentials/${userId}/password`, {
      body: { currentPassword: passwords[1], newPassword: 'short' },
    });
    // Bad input that carries a password: malformed JSON, a wrong type, an extra field.
    await harness.call('POST', '/v1/credentials', { body: `{"email":"x@example.com","password":"${passwords[2]}"` });
    await harness.call('POST', '/v1/credentials', { body: { email: ['x@example.com'], password: passwords[2] } });
    await harness.call('POST', '/v1/credentials', {
      body: { email: 'x@example.com', password: passwords[2], extra: passwords[2] },
    });
    // Rate limited (2 failures allowed here).
    for (let attempt = 0; attempt < 3; attempt++) {
      await harness.call('POST', '/v1/authenticate', {
        body: { email: 'relogged@example.com', password: passwords[3] },
      });
    }
    // Keys: a revoked one, a wrong one, one in an odd header form.
    await harness.service.keys.revoke(revokedKey.prefix);
    await harness.call('POST', '/v1/authenticate', {
      apiKey: revokedKey.plaintext,
      body: { email: 'a@example.com', password: passwords[2] },
    });
    await harness.call('POST', '/v1/authenticate', { apiKey: `${harness.apiKey}x`, body: {} });
    await harness.call('DELETE', `/v1/credentials/${userId}`);

    const hashes = (await harness.db.query<{ password_hash: string }>('select password_hash from credentials')).map(
      (row) => row.password_hash,
    );
    const text = harness.logs.join('');
    // The logs say what happened (so this test is not looking at nothing)...
    for (const message of [
      'credential created',
      'authenticated',
      'password check failed',
      'password changed',
      'email changed',
      'password check refused',
      'api key revoked',
      'credential deleted',
    ]) {
      assert.ok(text.includes(message), `expected a "${message}" line`);
    }
    assert.ok(text.includes(userId), 'the log names the user id');
    // ...and hold no secret in any form.
    for (const secret of [
      ...passwords,
      ...sentKeys,
      ...sentKeys.map((key) => key.slice(13)),
      ...hashes,
      ...hashes.map((phc) => phc.split('$').at(-1) ?? phc),
    ]) {
      assert.ok(!text.includes(secret), `a secret leaked into the logs: ${secret.slice(0, 6)}…`);
    }
    assert.ok(!text.includes('$argon2'), 'no PHC string');
  });
});

void describe('OpenAPI', () => {
  void it('documents every route with its body schema, responses and the API key requirement', async () => {
    const reply = await harness.call('GET', '/docs/json', { apiKey: null });
    assert.equal(reply.status, 200);
    const document = reply.body as {
      components: { securitySchemes: Record<string, unknown> };
      paths: Record<
        string,
        Record<
          string,
          {
            security?: unknown;
            requestBody?: {
              content: Record<string, { schema: { additionalProperties?: boolean; required?: string[] } }>;
            };
            responses: Record<string, unknown>;
          }
        >
      >;
    };
    assert.deepEqual(document.components.securitySchemes.apiKey, { type: 'apiKey', in: 'header', name: 'x-api-key' });
    const expected: [string, string, string[]][] = [
      ['/v1/credentials', 'post', ['201', '400', '401', '409']],
      ['/v1/authenticate', 'post', ['200', '400', '401', '429']],
      ['/v1/credentials/{userId}/password', 'put', ['204', '400', '401', '404', '429']],
      ['/v1/credentials/{userId}/email', 'put', ['200', '400', '401', '404', '409', '429']],
      ['/v1/credentials/{userId}', 'delete', ['204', '400', '401', '404']],
    ];
    for (const [path, method, statuses] of expected) {
      const operation = document.paths[path]?.[method];
      assert.ok(operation, `${method} ${path} is documented`);
      assert.deepEqual(operation.security, [{ apiKey: [] }]);
      assert.deepEqual(Object.keys(operation.responses).sort(), statuses.sort());
      if (method !== 'delete') {
        const schema = operation.requestBody?.content['application/json']?.schema;
        assert.equal(schema?.additionalProperties, false, `${path} body is closed`);
        assert.ok((schema?.required ?? []).length >= 2, `${path} body requires at least two fields`);
      }
    }
    const page = await harness.call('GET', '/docs', { apiKey: null });
    assert.ok(page.status === 200 || page.status === 302, String(page.status));
  });
});

void describe('operations', () => {
  void it('is ready when its database answers, and exposes metrics', async () => {
    const ready = await harness.call('GET', '/health/ready', { apiKey: null });
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body, { status: 'ok', checks: { database: 'ok' } });
    const metrics = (await harness.call('GET', '/metrics', { apiKey: null })).text;
    assert.match(metrics, /http_request_duration_seconds_count\{method="POST",route="\/v1\/authenticate"/);
    assert.match(metrics, /process_cpu_seconds_total/);
  });
});

void describe('embedded mode (PGlite)', () => {
  void it('migrates its own database, and the gateway key it hands out works', { timeout: 120_000 }, async () => {
    const db = await createPgliteDatabase({});
    const logger = createLogger({ service: 'auth', level: 'silent' });
    const service = await createAuthService({ db, logger, config: testConfig });
    try {
      const key = await ensureEmbeddedGatewayKey(db);
      const call = (url: string, body: unknown, apiKey = key) =>
        service.app.inject({
          method: 'POST',
          url,
          headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
          payload: JSON.stringify(body),
        });
      const created = await call('/v1/credentials', { email: 'embedded@example.com', password: goodPassword });
      assert.equal(created.statusCode, 201, created.body);
      const { userId } = JSON.parse(created.body) as { userId: string };
      const authenticated = await call('/v1/authenticate', { email: 'EMBEDDED@example.com', password: goodPassword });
      assert.deepEqual(JSON.parse(authenticated.body), { userId });
      // Rate-limit counters (bytea, timestamps) work on PGlite too.
      const wrong = await call('/v1/authenticate', { email: 'embedded@example.com', password: 'wrong horse battery' });
      assert.equal(wrong.statusCode, 401);
      const newKey = await ensureEmbeddedGatewayKey(db);
      assert.equal(
        (await call('/v1/authenticate', { email: 'embedded@example.com', password: goodPassword }, key)).statusCode,
        401,
      );
      assert.equal(
        (await call('/v1/authenticate', { email: 'embedded@example.com', password: goodPassword }, newKey)).statusCode,
        200,
      );
    } finally {
      await service.close();
      await db.close();
    }
  });
});
