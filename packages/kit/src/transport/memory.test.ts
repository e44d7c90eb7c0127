import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../logger';
import { until } from '../testing/eventually';
import { runTransportContract } from './contract';
import { createMemoryBroker, createMemoryTransport, memoryQueueCapacity, topicMatches } from './memory';
import type { Delivery } from './types';

// One broker for the file: a second transport (the crash case) sees the first one's queues.
const broker = createMemoryBroker();

runTransportContract('in-memory', (logger) => {
  const transport = createMemoryTransport({ logger, broker });
  return Promise.resolve({
    transport,
    cleanup: () => transport.close(),
    crash: () => Promise.resolve(transport.disconnect()),
  });
});

void describe('in-memory transport specifics', () => {
  const logger = createLogger({ service: 'memory-test', level: 'silent' });

  void it('matches topics like RabbitMQ', () => {
    const matches = (pattern: string, key: string) => topicMatches(pattern.split('.'), key.split('.'));
    assert.equal(matches('a.*.c', 'a.b.c'), true);
    assert.equal(matches('a.*.c', 'a.c'), false);
    assert.equal(matches('a.#', 'a'), true);
    assert.equal(matches('a.#.z', 'a.b.c.z'), true);
    assert.equal(matches('#', 'anything.at.all'), true);
    assert.equal(matches('#.end', 'end'), true);
    assert.equal(matches('*', 'two.words'), false);
  });

  void it('copies bodies: a publisher that changes its Buffer afterwards changes nothing delivered', async () => {
    const transport = createMemoryTransport({ logger });
    try {
      await transport.declareQueue({ name: 'copies' });
      const body = Buffer.from('original');
      await transport.publish({ exchange: '', routingKey: 'copies', body, messageId: 'm' });
      body.write('CHANGED!');
      const received: Delivery[] = [];
      await transport.consume('copies', (delivery) => {
        received.push(delivery);
        return Promise.resolve();
      });
      await until(() => received.length > 0, { timeoutMs: 5_000, intervalMs: 10, what: 'the delivery' });
      assert.equal(received[0]?.body.toString(), 'original');
    } finally {
      await transport.close();
    }
  });

  void it(`rejects a publish beyond ${memoryQueueCapacity} messages in a queue`, async () => {
    const transport = createMemoryTransport({ logger });
    try {
      await transport.declareQueue({ name: 'bounded' });
      const message = { exchange: '', routingKey: 'bounded', body: Buffer.alloc(1), messageId: 'm' };
      await transport.publishMany(Array.from({ length: memoryQueueCapacity }, () => message));
      await assert.rejects(transport.publish(message), /full/);
    } finally {
      await transport.close();
    }
  });

  void it('scales retry delays by retryDelayScale', async () => {
    const transport = createMemoryTransport({ logger, retryDelayScale: 0.001 });
    try {
      await transport.declareQueue({ name: 'scaled', maxAttempts: 2, retryDelaysMs: [60_000] });
      const attempts: number[] = [];
      await transport.consume('scaled', (delivery) => {
        attempts.push(delivery.attempt);
        return delivery.attempt === 1 ? Promise.reject(new Error('transient')) : Promise.resolve();
      });
      await transport.publish({ exchange: '', routingKey: 'scaled', body: {}, messageId: 'm' });
      await until(() => attempts.length >= 2, { timeoutMs: 5_000, intervalMs: 10, what: 'the retry' });
      assert.deepEqual(attempts, [1, 2]);
    } finally {
      await transport.close();
    }
  });
});
