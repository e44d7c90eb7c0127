/**
 * A fresh RabbitMQ vhost per test file, so files run in parallel without
 * seeing each other's queues. Uses rabbitmqctl on this machine (the broker on
 * 127.0.0.1:5672, guest/guest). Dropped, with its queues and connections, by
 * `drop()`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Connection } from 'rabbitmq-client';
import { sleep } from '../timing';

const run = promisify(execFile);

export const testBrokerUrl = 'amqp://guest:guest@127.0.0.1:5672';
/** rabbitmqctl starts an Erlang VM each call (~1 s); stop_app / start_app take longer. */
const rabbitmqctlTimeoutMs = 120_000;

export interface TestVhost {
  readonly url: string;
  readonly vhost: string;
  drop(): Promise<void>;
}

/** Runs rabbitmqctl with `args` (never through a shell) and returns its output. */
export async function rabbitmqctl(args: readonly string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', [...args], { timeout: rabbitmqctlTimeoutMs });
  return stdout;
}

export async function createTestVhost(prefix: string): Promise<TestVhost> {
  const vhost = `t50-${prefix.replace(/[^a-z0-9-]/gi, '-').toLowerCase()}-${randomBytes(4).toString('hex')}`;
  await rabbitmqctl(['add_vhost', vhost]);
  try {
    await rabbitmqctl(['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
  } catch (error) {
    await rabbitmqctl(['delete_vhost', vhost]);
    throw error;
  }
  return {
    vhost,
    url: `${testBrokerUrl}/${encodeURIComponent(vhost)}`,
    drop: async () => {
      await rabbitmqctl(['delete_vhost', vhost]);
    },
  };
}

/** Closes every connection to `vhost` from the broker's side, as a network failure would. */
export async function closeVhostConnections(vhost: string): Promise<void> {
  await rabbitmqctl(['close_all_connections', '--vhost', vhost, 'test: simulated connection loss']);
}

/**
 * Publishes the way another client would (plain rabbitmq-client, not this
 * kit's transport): e.g. `application/json` without a content encoding, which
 * the consuming client decodes itself. With `mandatory`, rejects when the
 * broker returns the message as unroutable.
 */
export async function publishRaw(
  url: string,
  message: { exchange: string; routingKey: string; body: string; contentType?: string; messageId?: string; mandatory?: boolean },
): Promise<void> {
  const connection = new Connection(url);
  const publisher = connection.createPublisher({ confirm: true });
  // The broker returns a mandatory message nothing is bound to before it confirms it.
  let returned = false;
  publisher.on('basic.return', () => {
    returned = true;
  });
  try {
    await publisher.send(
      {
        exchange: message.exchange,
        routingKey: message.routingKey,
        durable: true,
        ...(message.contentType === undefined ? {} : { contentType: message.contentType }),
        ...(message.messageId === undefined ? {} : { messageId: message.messageId }),
        ...(message.mandatory === undefined ? {} : { mandatory: message.mandatory }),
      },
      Buffer.from(message.body, 'utf8'),
    );
    // rabbitmq-client emits the return after the confirm resolves: give it a moment.
    if (message.mandatory === true) await sleep(250);
    if (returned) throw new Error(`unroutable: ${message.exchange} returned routing key ${message.routingKey}`);
  } finally {
    await publisher.close();
    await connection.close();
  }
}

/**
 * Takes the next message of `queue` and gives it back unsettled, `times`
 * times, as a consumer that crashes on it each time would (the broker counts
 * each return in the message's delivery count).
 */
export async function returnUnsettled(url: string, queue: string, times: number): Promise<void> {
  const connection = new Connection(url);
  const channel = await connection.acquire();
  try {
    for (let returned = 0; returned < times; returned += 1) {
      let message: Awaited<ReturnType<typeof channel.basicGet>> | undefined;
      for (let tries = 0; message === undefined && tries < 200; tries += 1) {
        message = await channel.basicGet({ queue });
        if (message === undefined) await sleep(25);
      }
      if (message === undefined) throw new Error(`no message in ${queue} to return`);
      channel.basicNack({ deliveryTag: message.deliveryTag, requeue: true });
    }
  } finally {
    await channel.close();
    await connection.close();
  }
}

/** Reads (and acks) the messages of `queue` as another client sees them: headers as stored. */
export async function readRaw(
  url: string,
  queue: string,
  waitMs = 10_000,
): Promise<{ messageId: string | undefined; headers: Record<string, unknown>; body: Buffer }[]> {
  const connection = new Connection(url);
  const channel = await connection.acquire();
  const found: { messageId: string | undefined; headers: Record<string, unknown>; body: Buffer }[] = [];
  try {
    const deadline = performance.now() + waitMs;
    for (;;) {
      const message = await channel.basicGet({ queue, noAck: true });
      if (message !== undefined) {
        const body: unknown = message.body;
        found.push({
          messageId: message.messageId,
          headers: message.headers ?? {},
          body: Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : '', 'utf8'),
        });
        continue;
      }
      if (found.length > 0 || performance.now() > deadline) return found;
      await sleep(50);
    }
  } finally {
    await channel.close();
    await connection.close();
  }
}
