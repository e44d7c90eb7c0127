/**
 * One trace crosses every hop of the platform: an HTTP request that carries a
 * W3C traceparent -> a publish to the real RabbitMQ -> the consumer -> a query
 * on the real PostgreSQL. Every span, and the consumer's log line, carries the
 * trace id the caller sent.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createPostgresDatabase } from './db/postgres';
import { createHttpServer, type HttpServer } from './http';
import { createLogger } from './logger';
import { until } from './testing/eventually';
import { createTestDatabase, type TestDatabase } from './testing/postgres';
import { createTestVhost, type TestVhost } from './testing/rabbit';
import { initTracing } from './tracing';
import { createRabbitTransport } from './transport/rabbitmq';
import type { Database } from './db/types';
import type { Transport } from './transport/types';

const exporter = new InMemorySpanExporter();
const stopTracing = initTracing({ serviceName: 'trace-test', exporter });

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  await until(condition, { timeoutMs, intervalMs: 20, what });
}

void describe('one trace across HTTP, RabbitMQ and PostgreSQL', () => {
  let vhost: TestVhost;
  let database: TestDatabase;
  let db: Database;
  let transport: Transport;
  let app: HttpServer;
  const logLines: Record<string, unknown>[] = [];
  const handled: string[] = [];

  before(async () => {
    vhost = await createTestVhost('trace');
    database = await createTestDatabase('trace');
    db = createPostgresDatabase({ url: database.url, maxConnections: 2, applicationName: 'trace-test' });
    await db.exec('create table seen (note text not null)');
    const logger = createLogger({
      service: 'trace-test',
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _encoding, callback) {
          for (const line of chunk.toString('utf8').split('\n')) {
            if (line.trim() !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
          }
          callback();
        },
      }),
    });
    transport = await createRabbitTransport({ url: vhost.url, logger, connectionName: 'trace-test' });
    await transport.declareExchange('trace.events');
    await transport.declareQueue({
      name: 'trace.notes',
      bindings: [{ exchange: 'trace.events', routingKey: 'note.#' }],
    });
    await transport.consume('trace.notes', async (delivery) => {
      const { note } = JSON.parse(delivery.body.toString('utf8')) as { note: string };
      await db.query('insert into seen (note) values ($1)', [note]);
      logger.info({ note }, 'note stored');
      handled.push(note);
    });

    app = await createHttpServer({
      name: 'trace-test',
      version: '0.0.0',
      description: 'trace test',
      logger,
      readiness: { broker: () => transport.isReady() },
    });
    app.post<{ Body: { note: string } }>('/notes', async (request, reply) => {
      await transport.publish({
        exchange: 'trace.events',
        routingKey: 'note.created',
        body: { note: request.body.note },
        messageId: randomBytes(8).toString('hex'),
      });
      return reply.code(202).send({ accepted: true });
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
  });

  after(async () => {
    await app.close();
    await transport.close();
    await db.close();
    await database.drop();
    await vhost.drop();
    await stopTracing();
  });

  void it('keeps the caller trace id from the HTTP request to the database query', async () => {
    const traceId = randomBytes(16).toString('hex');
    const parentSpanId = randomBytes(8).toString('hex');
    const address = app.server.address();
    assert.ok(address !== null && typeof address === 'object', 'the app listens on a TCP address');
    const response = await fetch(`http://127.0.0.1:${address.port}/notes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${parentSpanId}-01` },
      body: JSON.stringify({ note: 'hello' }),
    });
    assert.equal(response.status, 202);
    await waitUntil(() => handled.includes('hello'), 'the consumer to store the note');
    assert.deepEqual(
      (await db.query<{ note: string }>('select note from seen')).map((row) => row.note),
      ['hello'],
    );

    await waitUntil(
      () => exporter.getFinishedSpans().some((span) => span.name === 'trace.notes process'),
      'the consumer span to end',
    );
    const spans = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    const kinds = spans.map((span) => span.name);
    // The server span of the request, the consumer span of the message, and the insert it ran.
    const server = spans.find((span) => span.name === 'POST /notes');
    const consumer = spans.find((span) => span.name === 'trace.notes process');
    const insert = spans.find(
      (span) => span.name === 'db.query' && String(span.attributes['db.statement']).startsWith('insert into seen'),
    );
    assert.ok(server, `an HTTP server span in the caller's trace; saw ${kinds.join(', ')}`);
    assert.ok(consumer, `a consumer span in the caller's trace; saw ${kinds.join(', ')}`);
    assert.ok(insert, `the insert's span in the caller's trace; saw ${kinds.join(', ')}`);
    assert.equal(server.parentSpanContext?.spanId, parentSpanId, 'the server span continues the caller span');
    assert.equal(
      insert.parentSpanContext?.spanId,
      consumer.spanContext().spanId,
      'the query runs inside the consumer span',
    );

    const stored = logLines.find((line) => line.msg === 'note stored');
    assert.equal(stored?.trace_id, traceId, 'the consumer log line carries the trace id');
  });
});
