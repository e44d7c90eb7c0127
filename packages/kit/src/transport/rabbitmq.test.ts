import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../logger';
import { closeVhostConnections, createTestVhost, rabbitmqctl, type TestVhost } from '../testing/rabbit';
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

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}
