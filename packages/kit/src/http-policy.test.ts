/**
 * The HTTP policy every service inherits from createHttpServer, on a real
 * listening server: bodies are not coerced, query strings are; objects are
 * closed; a union of envelopes is validated by its `type`; every answer
 * carries the security headers (a route's own CSP is kept); framework errors
 * (431, a bad %-encoding) are problem documents; no query string reaches a log
 * line or a span.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Type, type TProperties } from '@sinclair/typebox';
import { createHttpServer, type HttpServer } from './http';
import { createLogger } from './logger';
import { until } from './testing/eventually';
import { initTracing } from './tracing';

const exporter = new InMemorySpanExporter();
const stopTracing = initTracing({ serviceName: 'policy-test', exporter });

const envelope = (type: string, data: TProperties) =>
  Type.Object({ id: Type.String(), type: Type.Literal(type), version: Type.Literal(1), data: Type.Object(data) });

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

void describe('the HTTP policy of every service', () => {
  let app: HttpServer;
  let port: number;
  const logLines: string[] = [];
  const received: unknown[] = [];

  before(async () => {
    const logger = createLogger({
      service: 'policy-test',
      level: 'trace',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(chunk.toString('utf8'));
          done();
        },
      }),
    });
    app = await createHttpServer({ name: 'policy-test', version: '1', description: 'test', logger, readiness: {}, hsts: true });
    app.post(
      '/things',
      {
        schema: {
          body: Type.Object({ amount: Type.String({ pattern: '^[0-9]+$' }), nested: Type.Optional(Type.Object({ name: Type.String() })) }),
          querystring: Type.Object({ limit: Type.Integer({ default: 5 }) }),
        },
      },
      (request) => {
        received.push(request.body);
        return { limit: request.query.limit };
      },
    );
    app.post(
      '/commands',
      {
        schema: {
          body: Type.Union([
            envelope('a.open', { ownerId: Type.String() }),
            envelope('a.move', { amount: Type.String({ pattern: '^[1-9][0-9]*$' }), to: Type.String() }),
            envelope('a.close', { ownerId: Type.String() }),
          ]),
        },
      },
      () => ({ ok: true }),
    );
    app.get('/page', (_request, reply) =>
      reply.header('content-security-policy', "default-src 'self'").header('cache-control', 'max-age=60').type('text/html').send('<p>hi</p>'),
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
  });
  after(async () => {
    await app.close();
    await stopTracing();
  });

  it('refuses a JSON number where the schema says string, in a body, and changes nothing', async () => {
    for (const payload of ['{"amount":12345678901234567891}', '{"amount":1e3}', '{"amount":1.0}', '{"amount":["1"]}']) {
      const before = received.length;
      const response = await app.inject({ method: 'POST', url: '/things', headers: { 'content-type': 'application/json' }, payload });
      assert.equal(response.statusCode, 400, payload);
      assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
      const problem = response.json<{ code: string; errors: { path: string; message: string }[] }>();
      assert.equal(problem.code, 'invalid_request');
      assert.deepEqual(problem.errors.map((error) => error.path), ['body/amount'], payload);
      assert.equal(received.length, before, `the handler ran for ${payload}`);
    }
  });

  it('coerces the query string and closes objects that do not say otherwise', async () => {
    const ok = await app.inject({ method: 'POST', url: '/things?limit=7', payload: { amount: '12' } });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { limit: 7 });
    const extra = await app.inject({ method: 'POST', url: '/things', payload: { amount: '12', surprise: true } });
    assert.equal(extra.statusCode, 400);
    const nested = await app.inject({ method: 'POST', url: '/things', payload: { amount: '12', nested: { name: 'n', more: 1 } } });
    assert.equal(nested.statusCode, 400);
    assert.match(nested.json<{ errors: { path: string; message: string }[] }>().errors[0]!.path, /^body\/nested/);
  });

  it('validates a union of envelopes against the member its type names: one error, naming the field', async () => {
    const bad = await app.inject({ method: 'POST', url: '/commands', payload: { id: 'x', type: 'a.move', version: 1, data: { amount: 5, to: 'b' } } });
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(bad.json<{ errors: { path: string }[] }>().errors, [{ path: 'body/data/amount', message: 'must be string' }]);
    const unknown = await app.inject({ method: 'POST', url: '/commands', payload: { id: 'x', type: 'a.explode', version: 1, data: {} } });
    assert.equal(unknown.statusCode, 400);
    assert.deepEqual(unknown.json<{ errors: { path: string }[] }>().errors.map((error) => error.path), ['body/type']);
    const version = await app.inject({ method: 'POST', url: '/commands', payload: { id: 'x', type: 'a.open', version: '1', data: { ownerId: 'o' } } });
    assert.equal(version.statusCode, 400);
    const good = await app.inject({ method: 'POST', url: '/commands', payload: { id: 'x', type: 'a.close', version: 1, data: { ownerId: 'o' } } });
    assert.equal(good.statusCode, 200);
  });

  it('puts the security headers on every answer, errors included, and keeps what a route set itself', async () => {
    for (const [method, url] of [
      ['GET', '/health/live'],
      ['GET', '/nowhere'],
      ['POST', '/things'],
    ] as const) {
      const response = await app.inject({ method, url, ...(method === 'POST' ? { payload: { amount: 1 } } : {}) });
      assert.equal(response.headers['cache-control'], 'no-store', url);
      assert.equal(response.headers['x-content-type-options'], 'nosniff', url);
      assert.equal(response.headers['x-frame-options'], 'DENY', url);
      assert.equal(response.headers['content-security-policy'], "frame-ancestors 'none'", url);
      assert.equal(response.headers['referrer-policy'], 'no-referrer', url);
      assert.equal(response.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains', url);
    }
    const page = await app.inject({ method: 'GET', url: '/page' });
    assert.equal(page.headers['content-security-policy'], "default-src 'self'");
    assert.equal(page.headers['cache-control'], 'max-age=60');
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
  });

  it('answers a header section over the limit with a 431 problem document', async () => {
    const { head, body } = await rawRequest(port, `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(head, /^HTTP\/1\.1 431 /);
    assert.match(head, /content-type: application\/problem\+json/i);
    assert.match(head, /x-content-type-options: nosniff/i);
    assert.match(head, /cache-control: no-store/i);
    const problem = JSON.parse(body) as { status: number; code: string; type: string };
    assert.equal(problem.status, 431);
    assert.equal(problem.code, 'headers_too_large');
  });

  it('answers a request Node cannot parse with a 400 problem document', async () => {
    const { head, body } = await rawRequest(port, 'NOT A REQUEST\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 400 /);
    assert.match(head, /content-type: application\/problem\+json/i);
    assert.equal((JSON.parse(body) as { code: string }).code, 'bad_request');
  });

  it('answers a path that is not valid %-encoding with a 400 problem document', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/things/%E0%A4%A`);
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const problem = (await response.json()) as { code: string; status: number };
    assert.equal(problem.code, 'bad_url');
    assert.equal(problem.status, 400);
  });

  it('logs and traces a request by its path: a token or key in the query string never reaches a log line or a span', async () => {
    const token = 'eyJhbGciOiJFZERTQSJ9.secret-token-payload.signature';
    const key = 't50_0123456789abcdefSECRETKEY';
    exporter.reset();
    const response = await fetch(`http://127.0.0.1:${port}/health/live?access_token=${token}&x-api-key=${key}`);
    assert.equal(response.status, 200);
    const missing = await fetch(`http://127.0.0.1:${port}/nowhere?access_token=${token}`);
    assert.equal(missing.status, 404);
    assert.doesNotMatch(await missing.text(), /secret-token-payload/);
    // Both answers are logged once they are sent: wait for the second one's line.
    await until(() => logLines.join('').includes('"url":"/nowhere"'), { what: 'the log line of /nowhere' });
    const logged = logLines.join('');
    assert.match(logged, /"url":"\/nowhere"/, 'the request is logged by its path');
    assert.doesNotMatch(logged, /secret-token-payload/);
    assert.doesNotMatch(logged, /SECRETKEY/);
    const targets = exporter.getFinishedSpans().map((span) => String(span.attributes['http.target']));
    assert.ok(targets.includes('/health/live'), JSON.stringify(targets));
    assert.ok(targets.every((target) => !target.includes('?')), JSON.stringify(targets));
  });
});
