/**
 * The service as a whole: the OpenAPI contract at /docs names every route of
 * the policy table with its security, readiness checks its dependencies, and
 * the operator role is granted from the command line's code path.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { routePolicy } from './access/policy';
import { setRoleByEmail } from './profiles/operators';
import { startGatewayHarness, type GatewayHarness } from './testing/harness';

let h: GatewayHarness;
before(async () => {
  h = await startGatewayHarness('service');
});
after(async () => {
  await h?.close();
});

describe('OpenAPI at /docs', () => {
  test('every route of the policy table is documented, with bearer security unless public', async () => {
    const reply = await h.call('GET', '/docs/json');
    assert.equal(reply.status, 200);
    const document = reply.body as {
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    assert.match(document.openapi, /^3\./);
    assert.deepEqual(document.components.securitySchemes.bearer, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    for (const [route, rule] of Object.entries(routePolicy)) {
      const [method, path] = route.split(' ') as [string, string];
      const operation = document.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
      assert.ok(operation, `${route} is documented`);
      if (rule.access.kind === 'public') assert.equal(operation.security, undefined, route);
      else assert.deepEqual(operation.security, [{ bearer: [] }], route);
    }
    assert.equal((await h.call('GET', '/docs')).status < 400, true, 'the UI is served');
  });
});

describe('operations', () => {
  test('ready when PostgreSQL, Redis and RabbitMQ answer; the hot store is named by what it is', async () => {
    const reply = await h.call('GET', '/health/ready');
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body?.checks, { database: 'ok', hot_store: 'ok', broker: 'ok' });
    assert.deepEqual(reply.body?.kinds, { hot_store: 'redis' });
  });

  test('granting and revoking the operator role takes effect at the next request', async () => {
    const user = await h.register(undefined, { waitForAccounts: false });
    const deps = { db: h.db, users: h.service.users };
    assert.equal((await h.call('GET', '/v1/operator/kyc/pending', { token: user.token })).status, 403);
    assert.equal(await setRoleByEmail(deps, user.email, 'operator'), true);
    assert.equal((await h.call('GET', '/v1/operator/kyc/pending', { token: user.token })).status, 200);
    assert.equal(await setRoleByEmail(deps, user.email, 'user'), true);
    assert.equal((await h.call('GET', '/v1/operator/kyc/pending', { token: user.token })).status, 403);
    assert.equal(await setRoleByEmail(deps, 'nobody@example.com', 'operator'), false);
    const [audit] = await h.db.query<{ count: string }>(
      `select count(*) as count from audit_log where user_id = $1 and action = 'role.changed'`,
      [user.userId],
    );
    assert.equal(audit?.count, '2');
  });
});
