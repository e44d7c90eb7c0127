/**
 * The kit's HTTP policy as a client of every service sees it (auth, gateway,
 * ledger, each real, on real PostgreSQL, RabbitMQ and Redis):
 * - every string field of every JSON body of every route, sent as a JSON
 *   number, is a 400 naming that field, and nothing changes;
 * - text with U+0000 is a 400 (KYC names and address, a send's recipient, a
 *   rejection reason, an email);
 * - a history cursor the ledger's bigint cannot hold is a 400 through the gateway;
 * - every answer carries the security headers; a huge header (431) and a bad
 *   %-encoding are problem documents on every service.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startGatewayHarness, type GatewayHarness, type SignedInUser } from '../testing/harness';

type Schema = Record<string, unknown>;
interface Operation {
  readonly method: string;
  readonly path: string;
  readonly body: Schema;
}

const isRecord = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The JSON bodies of a served OpenAPI document, $refs resolved. */
function jsonBodies(document: Schema): Operation[] {
  const components = (isRecord(document.components) && isRecord(document.components.schemas) ? document.components.schemas : {}) as Record<string, Schema>;
  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resolve);
    if (!isRecord(node)) return node;
    if (typeof node.$ref === 'string') return resolve(components[node.$ref.split('/').pop()!]);
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, resolve(value)]));
  };
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, Schema>>)) {
    for (const [method, operation] of Object.entries(methods)) {
      const content = (operation.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined)?.content;
      const schema = content?.['application/json']?.schema;
      if (schema !== undefined) operations.push({ method: method.toUpperCase(), path, body: resolve(schema) as Schema });
    }
  }
  return operations;
}

/** A value of the schema's shape (valid where it is easy to be). */
function sample(schema: Schema): unknown {
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (Array.isArray(schema.anyOf)) return sample(schema.anyOf[0] as Schema);
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  switch (schema.type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = (schema.required ?? []) as string[];
      return Object.fromEntries(required.map((name) => [name, sample(properties[name] ?? {})]));
    }
    case 'array':
      return [sample((schema.items ?? {}) as Schema)];
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      if (schema.format === 'uuid') return randomUUID();
      if (schema.format === 'date-time') return new Date().toISOString();
      return 'x';
  }
}

/** Paths (as JSON-pointer segments) of every string field in a value built by sample(). */
function stringFields(schema: Schema, at: readonly (string | number)[] = []): (string | number)[][] {
  const members = Array.isArray(schema.anyOf) ? (schema.anyOf as Schema[]) : [schema];
  const found: (string | number)[][] = [];
  if (members.some((member) => member.type === 'string')) found.push([...at]);
  const shape = members.find((member) => member.type === 'object' || member.type === 'array');
  if (shape?.type === 'object') {
    const properties = (shape.properties ?? {}) as Record<string, Schema>;
    for (const name of (shape.required ?? []) as string[]) found.push(...stringFields(properties[name] ?? {}, [...at, name]));
  }
  if (shape?.type === 'array') found.push(...stringFields((shape.items ?? {}) as Schema, [...at, 0]));
  return found;
}

function withNumberAt(value: unknown, path: readonly (string | number)[]): string {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  for (const segment of path.slice(0, -1)) node = node[segment] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = '__number__';
  // A number too large for a double: coercion would store a rounded string.
  return JSON.stringify(copy).replace('"__number__"', '12345678901234567891');
}

async function rawRequest(port: number, text: string): Promise<{ head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const split = received.indexOf('\r\n\r\n');
      resolve({ head: received.slice(0, split), body: received.slice(split + 4) });
    });
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer')));
  });
}

const securityHeaders = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

describe('the HTTP policy on every service', () => {
  let h: GatewayHarness;
  let user: SignedInUser;
  let gatewayPort: number;

  before(async () => {
    h = await startGatewayHarness('policy');
    user = await h.register();
    await h.setTier(user.userId, 'full');
    await h.makeOperator(user.userId);
    await h.fund(user.userId, 'USD', 5_000n);
    await h.service.app.listen({ host: '127.0.0.1', port: 0 });
    gatewayPort = (h.service.app.server.address() as { port: number }).port;
  });
  after(async () => {
    await h?.close();
  });

  const portOf = (url: string) => Number(new URL(url).port);

  test('every string field of every JSON body of every route, sent as a JSON number, is a 400 naming it, and nothing changes', async (t) => {
    const params: Record<string, string> = {
      userId: user.userId,
      submissionId: randomUUID(),
      asset: 'USD',
      accountId: `user:${user.userId}:USD`,
      ownerId: user.userId,
      transferId: 'x',
    };
    const fill = (path: string) => path.replace(/\{(\w+)\}/g, (_match, name: string) => params[name] ?? 'x');
    const services = [
      {
        name: 'auth',
        atLeast: 4,
        document: h.auth.app.swagger() as unknown as Schema,
        send: (method: string, url: string, payload: string) =>
          h.auth.app.inject({ method: method as 'POST', url, payload, headers: { 'content-type': 'application/json', 'x-api-key': h.config.AUTH_API_KEY } }),
      },
      {
        name: 'gateway',
        atLeast: 8,
        document: h.service.app.swagger() as unknown as Schema,
        send: (method: string, url: string, payload: string) =>
          h.service.app.inject({ method: method as 'POST', url, payload, headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` } }),
      },
      {
        name: 'transactions',
        atLeast: 1,
        document: h.ledger.service.app.swagger() as unknown as Schema,
        send: (method: string, url: string, payload: string) =>
          h.ledger.service.app.inject({ method: method as 'POST', url, payload, headers: { 'content-type': 'application/json', 'x-api-key': h.config.TRANSACTIONS_API_KEY } }),
      },
    ];
    const before = { accounts: await h.accountsOf(user.userId), transfers: await h.ledger.db.query('select id from transfers order by id') };
    let checked = 0;
    const routes = new Set<string>();
    for (const service of services) {
      const operations = jsonBodies(service.document);
      assert.ok(operations.length >= service.atLeast, `${service.name}: ${operations.length} routes with a JSON body`);
      for (const operation of operations) {
        const bodies = Array.isArray(operation.body.anyOf) ? (operation.body.anyOf as Schema[]) : [operation.body];
        for (const body of bodies) {
          const valid = sample(body);
          for (const field of stringFields(body)) {
            if (field.length === 0) continue;
            const response = await service.send(operation.method, fill(operation.path), withNumberAt(valid, field));
            const where = `${service.name} ${operation.method} ${operation.path} ${field.join('/')}`;
            assert.equal(response.statusCode, 400, `${where}: ${response.body}`);
            const problem = response.json<{ code: string; errors?: { path: string }[] }>();
            assert.equal(problem.code, 'invalid_request', where);
            const expected = field[field.length - 1] === 'type' && field.length === 1 ? 'body/type' : `body/${field.join('/')}`;
            assert.ok(problem.errors?.some((error) => error.path === expected), `${where}: ${JSON.stringify(problem.errors)}`);
            checked += 1;
            routes.add(`${service.name} ${operation.method} ${operation.path}`);
          }
        }
      }
    }
    // Every JSON body of the three services as served: 4 auth, 9 gateway and 1 ledger route today.
    t.diagnostic(`${routes.size} routes with a JSON body, ${checked} string fields sent as numbers`);
    assert.ok(routes.size >= 13, `${routes.size} routes`);
    assert.ok(checked >= 40, `${checked} fields`);
    assert.deepEqual(await h.accountsOf(user.userId), before.accounts);
    assert.deepEqual(await h.ledger.db.query('select id from transfers order by id'), before.transfers);
  });

  test('refuses text with U+0000 with a 400 problem: KYC names and address, a rejection reason, a send recipient, an email', async () => {
    const nul = 'a\u0000b';
    const level1 = {
      firstName: 'Ada',
      lastName: 'Lovelace',
      dateOfBirth: '1990-01-01',
      address: { line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
      phone: '+4930123456',
    };
    const cases: [string, string, unknown][] = [
      ['POST', '/v1/kyc/level1', { ...level1, firstName: nul }],
      ['POST', '/v1/kyc/level1', { ...level1, lastName: nul }],
      ['POST', '/v1/kyc/level1', { ...level1, address: { ...level1.address, line1: nul } }],
      ['POST', '/v1/kyc/level1', { ...level1, address: { ...level1.address, line2: nul } }],
      ['POST', '/v1/kyc/level1', { ...level1, address: { ...level1.address, city: nul } }],
      ['POST', `/v1/operator/kyc/${randomUUID()}/reject`, { reason: `bad ${nul}` }],
      ['POST', '/v1/sends', { toEmail: `x${nul}@example.com`, asset: 'USD', amount: '1' }],
      ['POST', '/v1/auth/register', { email: `n${nul}@example.com`, password: 'correct horse battery staple' }],
      ['POST', '/v1/auth/login', { email: `n${nul}@example.com`, password: 'correct horse battery staple' }],
    ];
    for (const [method, url, body] of cases) {
      const reply = await h.call(method as 'POST', url, { body, token: user.token });
      assert.equal(reply.status, 400, `${url} ${JSON.stringify(body)}: ${reply.text}`);
      assert.equal(reply.body?.code, 'invalid_request');
    }
    const kyc = await h.call('GET', '/v1/kyc', { token: user.token });
    assert.equal(kyc.status, 200);
    assert.doesNotMatch(kyc.text, /\\u0000/);
    const direct = await h.auth.app.inject({
      method: 'POST',
      url: '/v1/credentials',
      headers: { 'x-api-key': h.config.AUTH_API_KEY },
      payload: { email: `n${nul}@example.com`, password: 'correct horse battery staple' },
    });
    assert.equal(direct.statusCode, 400);
  });

  test('refuses a history cursor the ledger cannot hold with a 400, through the gateway and on the ledger', async () => {
    for (const cursor of ['9999999999999999999', '9223372036854775808']) {
      const reply = await h.call('GET', `/v1/accounts/USD/history?cursor=${cursor}`, { token: user.token });
      assert.equal(reply.status, 400, reply.text);
      assert.equal(reply.body?.code, 'invalid_request');
      const ledger = await h.ledger.service.app.inject({
        method: 'GET',
        url: `/v1/accounts/user:${user.userId}:USD/entries?cursor=${cursor}`,
        headers: { 'x-api-key': h.config.TRANSACTIONS_API_KEY },
      });
      assert.equal(ledger.statusCode, 400);
    }
    const page = await h.call('GET', '/v1/accounts/USD/history?cursor=999999999999999999', { token: user.token });
    assert.equal(page.status, 200, page.text);
  });

  test('every answer carries the security headers, and the gateway (Secure cookies) Strict-Transport-Security', async () => {
    const answers = [
      await h.call('GET', '/v1/me', { token: user.token }),
      await h.call('GET', '/v1/accounts', { token: user.token }),
      await h.call('GET', '/v1/kyc', { token: user.token }),
      await h.call('GET', '/v1/me'),
      await h.call('GET', '/v1/nowhere', { token: user.token }),
      await h.call('GET', `/v1/operator/kyc/${randomUUID()}`, { token: user.token }),
      await h.call('GET', `/v1/operator/kyc/${randomUUID()}/document`, { token: user.token }),
      await h.call('GET', '/health/ready'),
    ];
    for (const [index, answer] of answers.entries()) {
      for (const [name, value] of Object.entries(securityHeaders)) assert.equal(answer.headers[name], value, `gateway answer ${index}: ${name}`);
      assert.equal(answer.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', `gateway answer ${index}`);
    }
    for (const [name, app, headers] of [
      ['auth', h.auth.app, { 'x-api-key': h.config.AUTH_API_KEY }],
      ['transactions', h.ledger.service.app, { 'x-api-key': h.config.TRANSACTIONS_API_KEY }],
    ] as const) {
      for (const url of ['/v1/nowhere', '/health/ready', `/v1/accounts/user:${user.userId}:USD`]) {
        const answer = await app.inject({ method: 'GET', url, headers });
        for (const [header, value] of Object.entries(securityHeaders)) assert.equal(answer.headers[header], value, `${name} ${url}: ${header}`);
        // Not behind TLS as far as they know: no HSTS.
        assert.equal(answer.headers['strict-transport-security'], undefined);
      }
    }
  });

  test("the operator's submission detail and identity-document download are not stored by caches", async () => {
    const applicant = await h.register();
    const level1 = await h.call('POST', '/v1/kyc/level1', {
      token: applicant.token,
      body: {
        firstName: 'Ada',
        lastName: 'Lovelace',
        dateOfBirth: '1990-12-10',
        address: { line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
        phone: '+442071234567',
      },
    });
    assert.equal(level1.status, 200, level1.text);
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2048, 7)]);
    const uploaded = await h.call('POST', '/v1/kyc/documents', { token: applicant.token, body: jpeg, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(uploaded.status, 201, uploaded.text);
    const submitted = await h.call('POST', '/v1/kyc/level2', {
      token: applicant.token,
      body: { documentType: 'passport', documentNumber: 'P1234567', issuingCountry: 'GB', expiryDate: '2031-01-31', documentId: uploaded.body?.documentId },
    });
    assert.ok(submitted.status < 300, submitted.text);
    const pending = await h.call('GET', '/v1/operator/kyc/pending', { token: user.token });
    const submission = JSON.stringify(pending.body).match(/"submissionId":"([0-9a-f-]{36})"/)?.[1];
    assert.ok(submission !== undefined, pending.text);
    for (const url of [`/v1/operator/kyc/${submission}`, `/v1/operator/kyc/${submission}/document`]) {
      const answer = await h.call('GET', url, { token: user.token });
      assert.equal(answer.status, 200, `${url}: ${answer.text.slice(0, 200)}`);
      for (const [name, value] of Object.entries(securityHeaders)) assert.equal(answer.headers[name], value, `${url}: ${name}`);
    }
  });

  test('a header section over the limit (431) and a bad %-encoding (400) are problem documents on every service', async () => {
    const ports = { gateway: gatewayPort, auth: portOf(h.config.AUTH_SERVICE_URL), transactions: portOf(h.config.TRANSACTIONS_URL) };
    for (const [name, port] of Object.entries(ports)) {
      const huge = await rawRequest(port, `GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      assert.match(huge.head, /^HTTP\/1\.1 431 /, name);
      assert.match(huge.head, /content-type: application\/problem\+json/i, name);
      assert.match(huge.head, /x-content-type-options: nosniff/i, name);
      assert.equal((JSON.parse(huge.body) as { code: string }).code, 'headers_too_large', name);

      const bad = await fetch(`http://127.0.0.1:${port}/v1/accounts/%E0%A4%A`);
      assert.equal(bad.status, 400, name);
      assert.equal(bad.headers.get('content-type'), 'application/problem+json; charset=utf-8', name);
      assert.equal(bad.headers.get('cache-control'), 'no-store', name);
      assert.equal(((await bad.json()) as { code: string }).code, 'bad_url', name);
    }
  });
});
