/**
 * Restarts the RabbitMQ application: every other test using the broker would
 * fail meanwhile, so this file runs alone, after all others (*.serial.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../logger';
import { createTestVhost, rabbitmqctl } from '../testing/rabbit';
import { sleep } from './common';
import { createRabbitTransport } from './rabbitmq';
import type { Delivery } from './types';

const waitTimeoutMs = 60_000;

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + waitTimeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${waitTimeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

void describe('RabbitMQ transport across a broker restart', () => {
  void it(
    'resumes consuming after stop_app / start_app, and logs the loss and the recovery',
    { timeout: 180_000 },
    async () => {
      const vhost = await createTestVhost('transport-restart');
      const logLines: string[] = [];
      const logger = createLogger({
        service: 'transport-restart',
        level: 'info',
        destination: { write: (line: string) => void (logLines.length < 10_000 && logLines.push(line)) },
      });
      const transport = await createRabbitTransport({ url: vhost.url, logger, connectionName: 'transport-restart' });
      try {
        await transport.declareQueue({ name: 'survives' });
        const received: Delivery[] = [];
        await transport.consume('survives', (delivery) => {
          received.push(delivery);
          return Promise.resolve();
        });
        await transport.publish({ exchange: '', routingKey: 'survives', body: { n: 1 }, messageId: 'before' });
        await waitUntil(() => received.length >= 1, 'the message published before the restart');

        try {
          await rabbitmqctl(['stop_app']);
          await waitUntil(() => !transport.isReady(), 'the transport to notice the broker is gone');
        } finally {
          // Never leave the broker stopped, whatever failed above.
          await rabbitmqctl(['start_app']);
        }

        await waitUntil(() => transport.isReady(), 'the transport to reconnect');
        await transport.publish({ exchange: '', routingKey: 'survives', body: { n: 2 }, messageId: 'after' });
        await waitUntil(() => received.length >= 2, 'the message published after the restart');
        assert.deepEqual(
          received.map((delivery) => delivery.messageId),
          ['before', 'after'],
        );
        assert.ok(
          logLines.some((line) => line.includes('RabbitMQ connection lost')),
          `the lost connection is logged:\n${logLines.join('\n')}`,
        );
        assert.ok(
          logLines.some((line) => line.includes('RabbitMQ reconnected')),
          `the reconnection is logged:\n${logLines.join('\n')}`,
        );
      } finally {
        await transport.close();
        await vhost.drop();
      }
    },
  );
});
