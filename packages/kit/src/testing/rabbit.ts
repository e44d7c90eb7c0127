/**
 * A fresh RabbitMQ vhost per test file, so files run in parallel without
 * seeing each other's queues. Uses rabbitmqctl on this machine (the broker on
 * 127.0.0.1:5672, guest/guest). Dropped, with its queues and connections, by
 * `drop()`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

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
