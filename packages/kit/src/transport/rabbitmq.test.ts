import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../logger';
import { closeVhostConnections, createTestVhost, publishRaw, rabbitmqctl, readRaw, returnUnsettled, type TestVhost } from '../testing/rabbit';
import { jsonDepth } from './json';
import { sleep } from './common';
import { runTransportContract } from './contract';
import { createRabbitTransport } from './rabbitmq';
import { DeadLetterError, deadLetterQueueName, type Delivery } from './types';

void describe('RabbitMQ transport', () => {
  let vhost: TestVhost | undefined;
  before(async () => {
    vhost = await createTestVhost('transport-contract');
  });
  after(async () => {
    await vhost?.drop();
  });

  runTransportContract('rabbitmq', async (logger) => {
    if (vhost === undefined) throw new Error('the test vhost was not created');
    const { url, vhost: name } = vhost;
    const transport = await createRabbitTransport({ url, logger, connectionName: 'transport-contract' });
    return {
      transport,
      cleanup: () => transport.close(),
      // The broker drops every connection of this file's vhost, as a network failure would.
      crash: () => closeVhostConnections(name),
    };
  });

  void it('declares its queues again after a reconnect', { timeout: 60_000 }, async () => {
    if (vhost === undefined) throw new Error('the test vhost was not created');
    const logger = createLogger({ service: 'transport-redeclare', level: 'silent' });
    const transport = await createRabbitTransport({ url: vhost.url, logger });
    try {
      await transport.declareQueue({ name: 'redeclared' });
      // Lose the dead-letter queue (as a broker that lost its state would), then the connection.
      await rabbitmqctl(['delete_queue', '--vhost', vhost.vhost, deadLetterQueueName('redeclared')]);
      await closeVhostConnections(vhost.vhost);
      await waitUntil(() => !transport.isReady(), 'the connection to drop');
      await waitUntil(() => transport.isReady(), 'the reconnect');

      await transport.consume('redeclared', () => Promise.reject(new DeadLetterError('malformed')));
      await transport.publish({ exchange: '', routingKey: 'redeclared', body: {}, messageId: 'm' });
      // Without the redeclaration this dead letter would be unroutable, and lost.
      const dead: Delivery[] = [];
      await transport.consume(deadLetterQueueName('redeclared'), (delivery) => {
        dead.push(delivery);
        return Promise.resolve();
      });
      await waitUntil(() => dead.length >= 1, 'the dead letter');
      assert.equal(dead[0]?.messageId, 'm');
      assert.equal(dead[0]?.headers['x-t50-death-reason'], 'malformed');
    } finally {
      await transport.close();
    }
  });
});

void describe('RabbitMQ transport: hostile deliveries', () => {
  let vhost: TestVhost | undefined;
  before(async () => {
    vhost = await createTestVhost('transport-hostile');
  });
  after(async () => {
    await vhost?.drop();
  });

  void it(
    'hands a foreign application/json body nested 10,000 levels deep to the handler intact, once',
    { timeout: 60_000 },
    async () => {
      if (vhost === undefined) throw new Error('the test vhost was not created');
      const logger = createLogger({ service: 'transport-deep', level: 'silent' });
      const transport = await createRabbitTransport({ url: vhost.url, logger });
      try {
        await transport.declareQueue({ name: 'deep' });
        const seen: Delivery[] = [];
        await transport.consume('deep', (delivery) => {
          seen.push(delivery);
          return Promise.reject(new DeadLetterError('too_deep'));
        });
        const depth = 10_000;
        const body = `{"data":${'['.repeat(depth)}${']'.repeat(depth)}}`;
        // Another client's JSON: rabbitmq-client decodes it before the transport sees it.
        await publishRaw(vhost.url, { exchange: '', routingKey: 'deep', body, contentType: 'application/json', messageId: 'deep-1' });
        const [dead] = await readRaw(vhost.url, deadLetterQueueName('deep'));
        assert.equal(seen.length, 1, 'delivered once, not crashed on and redelivered');
        assert.equal(seen[0]?.body.toString('utf8'), body);
        assert.equal(jsonDepth(seen[0]?.body ?? ''), 65, 'the depth check stops counting past its limit');
        assert.equal(dead?.messageId, 'deep-1');
        assert.equal(dead?.headers['x-t50-death-reason'], 'too_deep');
        assert.equal(dead?.headers['x-t50-attempt'], 1);
      } finally {
        await transport.close();
      }
    },
  );

  void it(
    'dead-letters a message returned unsettled almost as often as the delivery limit allows, with reason delivery_limit',
    { timeout: 60_000 },
    async () => {
      if (vhost === undefined) throw new Error('the test vhost was not created');
      const logger = createLogger({ service: 'transport-limit', level: 'silent' });
      const transport = await createRabbitTransport({ url: vhost.url, logger });
      try {
        await transport.declareQueue({ name: 'crashy' });
        await transport.publish({ exchange: '', routingKey: 'crashy', body: { n: 1 }, messageId: 'crashy-1' });
        // As if 19 consumers had died on it in turn (the broker's limit is 20).
        await returnUnsettled(vhost.url, 'crashy', 19);
        const seen: Delivery[] = [];
        await transport.consume('crashy', (delivery) => {
          seen.push(delivery);
          return Promise.resolve();
        });
        // Read as any other client would: the reason is on the message itself.
        const [dead] = await readRaw(vhost.url, deadLetterQueueName('crashy'));
        assert.equal(dead?.messageId, 'crashy-1');
        assert.match(String(dead?.headers['x-t50-death-reason']), /^delivery_limit: /);
        assert.equal(dead?.headers['x-t50-original-queue'], 'crashy');
        assert.deepEqual(seen, [], 'not handed to the handler a 20th time');
      } finally {
        await transport.close();
      }
    },
  );
});

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}
