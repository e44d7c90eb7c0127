/**
 * Request/reply over both transports: the same cases against RabbitMQ (a vhost
 * of this file's own; client and server on two connections, as two services
 * are) and against the in-process transport (two transports on one broker).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createLogger } from './logger';
import { createRpcClient, RequestFailedError, RequestTimeoutError, serveRequests, type RpcClient } from './rpc';
import { createTestVhost, type TestVhost } from './testing/rabbit';
import { sleep } from './timing';
import { createMemoryBroker, createMemoryTransport, createRabbitTransport, deadLetterQueueName } from './transport';
import type { Delivery, Transport } from './transport';

const caseTimeoutMs = 30_000;
const waitTimeoutMs = 15_000;

interface Pair {
  readonly client: Transport;
  readonly server: Transport;
}

function runRpcCases(name: string, openPair: () => Promise<Pair>): void {
  void describe(`request/reply: ${name}`, () => {
    const logLines: string[] = [];
    const logger = createLogger({
      service: 'rpc-test',
      level: 'debug',
      destination: { write: (line: string) => void (logLines.length < 10_000 && logLines.push(line)) },
    });
    const opened: Pair[] = [];
    const clients: RpcClient[] = [];
    const setUp = async () => {
      const pair = await openPair();
      opened.push(pair);
      const client = await createRpcClient({ transport: pair.client, logger, name: 'test' });
      clients.push(client);
      return { ...pair, rpc: client, queue: `requests-${randomUUID().slice(0, 8)}` };
    };
    const tearDown = async () => {
      await Promise.all(clients.splice(0).map((client) => client.close()));
      await Promise.all(opened.splice(0).flatMap((pair) => [pair.client.close(), pair.server.close()]));
    };

    void it(
      'answers each request with its own reply, whatever the order of the replies',
      { timeout: caseTimeoutMs },
      async () => {
        try {
          const { server, rpc, queue } = await setUp();
          const arrived: { delivery: Delivery; release: (body: unknown) => void }[] = [];
          await serveRequests(
            server,
            queue,
            (delivery) =>
              new Promise((resolve) => {
                arrived.push({ delivery, release: resolve });
              }),
            { logger },
          );
          const replies = [1, 2, 3].map((n) => rpc.request(queue, envelope(`n${n}`), { timeoutMs: waitTimeoutMs }));
          await waitUntil(() => arrived.length === 3, 'three requests');
          // Answered last to first; each reply names the request it answers.
          for (const { delivery, release } of [...arrived].reverse()) {
            const request = JSON.parse(delivery.body.toString('utf8')) as { id: string; data: { label: string } };
            release({ answer: request.data.label, messageId: delivery.messageId, type: delivery.type });
          }
          const bodies = await Promise.all(replies);
          assert.deepEqual(
            bodies.map((body) => (body as { answer: string }).answer),
            ['n1', 'n2', 'n3'],
          );
          const first = bodies[0] as { messageId: string; type: string };
          assert.equal(first.type, 'test.echo');
          assert.match(first.messageId, /^[0-9a-f-]{36}$/);
        } finally {
          await tearDown();
        }
      },
    );

    void it('rejects with RequestTimeoutError when no reply comes', { timeout: caseTimeoutMs }, async () => {
      try {
        const { server, rpc, queue } = await setUp();
        await server.declareQueue({ name: queue }); // nobody serves it
        const error = await rpc
          .request(queue, envelope('unanswered'), { timeoutMs: 150 })
          .catch((caught: unknown) => caught);
        assert.ok(error instanceof RequestTimeoutError, String(error));
        assert.equal(error.queue, queue);
        assert.equal(error.timeoutMs, 150);
      } finally {
        await tearDown();
      }
    });

    void it(
      'ignores a reply that comes after its timeout; the next request gets its own',
      { timeout: caseTimeoutMs },
      async () => {
        try {
          const { server, rpc, queue } = await setUp();
          let timedOut: () => void = () => undefined;
          const slowGate = new Promise<void>((resolve) => (timedOut = resolve));
          const handled: string[] = [];
          // One at a time: the late reply is published before the second request is handled.
          await serveRequests(
            server,
            queue,
            async (delivery) => {
              const label = (JSON.parse(delivery.body.toString('utf8')) as { data: { label: string } }).data.label;
              handled.push(label);
              if (label === 'slow') await slowGate;
              return { answer: label };
            },
            { logger, prefetch: 1 },
          );
          const slow = rpc.request(queue, envelope('slow'), { timeoutMs: 300 });
          await assert.rejects(slow, RequestTimeoutError);
          timedOut();
          const next = await rpc.request(queue, envelope('next'), { timeoutMs: waitTimeoutMs });
          assert.deepEqual(next, { answer: 'next' });
          assert.deepEqual(handled, ['slow', 'next']);
          await waitUntil(
            () => logLines.some((line) => line.includes('reply ignored')),
            'the late reply to be ignored',
          );
        } finally {
          await tearDown();
        }
      },
    );

    void it(
      'drops a request whose caller no longer waits, without handling it',
      { timeout: caseTimeoutMs },
      async () => {
        try {
          const { server, rpc, queue } = await setUp();
          await server.declareQueue({ name: queue, maxAttempts: 3, retryDelaysMs: [200, 1_000] });
          const sentAt = Date.now();
          await assert.rejects(rpc.request(queue, envelope('stale'), { timeoutMs: 100 }), RequestTimeoutError);
          // A timer may fire a millisecond before the wall clock shows its deadline.
          await waitUntil(() => Date.now() > sentAt + 100, 'the wall clock to pass the deadline');
          const handled: string[] = [];
          await serveRequests(
            server,
            queue,
            (delivery) => {
              const label = (JSON.parse(delivery.body.toString('utf8')) as { data: { label: string } }).data.label;
              handled.push(label);
              return Promise.resolve({ answer: label });
            },
            { logger, prefetch: 1 },
          );
          assert.deepEqual(await rpc.request(queue, envelope('fresh'), { timeoutMs: waitTimeoutMs }), {
            answer: 'fresh',
          });
          assert.deepEqual(handled, ['fresh']);
        } finally {
          await tearDown();
        }
      },
    );

    void it(
      'retries a handler that throws; its reply still answers the request',
      { timeout: caseTimeoutMs },
      async () => {
        try {
          const { server, rpc, queue } = await setUp();
          let calls = 0;
          await serveRequests(
            server,
            queue,
            (delivery) => {
              calls += 1;
              if (delivery.attempt === 1) return Promise.reject(new Error('database down'));
              return Promise.resolve({ attempt: delivery.attempt });
            },
            { logger, retryDelaysMs: [20] },
          );
          assert.deepEqual(await rpc.request(queue, envelope('retried'), { timeoutMs: waitTimeoutMs }), { attempt: 2 });
          assert.equal(calls, 2);
        } finally {
          await tearDown();
        }
      },
    );

    void it('dead-letters a request that has nowhere to send its reply', { timeout: caseTimeoutMs }, async () => {
      try {
        const { client, server, queue } = await setUp();
        const handled: Delivery[] = [];
        await serveRequests(
          server,
          queue,
          (delivery) => {
            handled.push(delivery);
            return Promise.resolve({});
          },
          { logger },
        );
        await client.publish({ exchange: '', routingKey: queue, body: envelope('orphan'), messageId: 'orphan' });
        const dead: Delivery[] = [];
        await server.consume(deadLetterQueueName(queue), (delivery) => {
          dead.push(delivery);
          return Promise.resolve();
        });
        await waitUntil(() => dead.length === 1, 'the dead letter');
        assert.equal(dead[0]?.messageId, 'orphan');
        assert.match(String(dead[0]?.headers['x-t50-death-reason']), /^no_reply_to/);
        assert.equal(handled.length, 0);
      } finally {
        await tearDown();
      }
    });

    void it(
      'rejects what still waits when the client closes, and refuses new requests',
      { timeout: caseTimeoutMs },
      async () => {
        try {
          const { server, rpc, queue } = await setUp();
          await server.declareQueue({ name: queue });
          const waiting = rpc.request(queue, envelope('pending'), { timeoutMs: waitTimeoutMs });
          await rpc.close();
          await assert.rejects(waiting, RequestFailedError);
          await assert.rejects(rpc.request(queue, envelope('after'), { timeoutMs: 1_000 }), RequestFailedError);
          await assert.rejects(rpc.request(queue, envelope('bad'), { timeoutMs: 0 }), RangeError);
        } finally {
          await tearDown();
        }
      },
    );
  });
}

const envelope = (label: string) => ({ id: randomUUID(), type: 'test.echo', version: 1, data: { label } });

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + waitTimeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${waitTimeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

const silent = createLogger({ service: 'rpc-test-transport', level: 'silent' });

runRpcCases('in-memory', () => {
  const broker = createMemoryBroker();
  return Promise.resolve({
    client: createMemoryTransport({ logger: silent, broker }),
    server: createMemoryTransport({ logger: silent, broker }),
  });
});

void describe('request/reply on RabbitMQ', () => {
  let vhost: TestVhost | undefined;
  before(async () => {
    vhost = await createTestVhost('rpc');
  });
  after(async () => {
    await vhost?.drop();
  });
  runRpcCases('rabbitmq', async () => {
    if (vhost === undefined) throw new Error('the test vhost was not created');
    const client = await createRabbitTransport({ url: vhost.url, logger: silent, connectionName: 'rpc-client' });
    const server = await createRabbitTransport({ url: vhost.url, logger: silent, connectionName: 'rpc-server' });
    return { client, server };
  });
});
