/**
 * The faults the harness injects, each undone before it returns (a stopped
 * broker or database is always started again, in a finally):
 *
 * - broker restart: `rabbitmqctl stop_app` / `start_app` (every client of the
 *   broker is cut off: use only when nothing else runs on this machine);
 * - broker connection loss: close every connection of the run's vhost;
 * - database restart: `pg_ctlcluster ... restart` (same caveat);
 * - database connection loss: `pg_terminate_backend` on the service's own
 *   connections (its database, application_name 'transactions').
 *
 * Killing the service is in harness.ts (it owns the child process).
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { sleep } from '@t50/kit';
import { closeVhostConnections, rabbitmqctl, testServerUrl, until } from '@t50/kit/testing';

const run = promisify(execFile);
const pgctlTimeoutMs = 120_000;

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  await until(condition, { timeoutMs, intervalMs: 250, what });
}

export async function restartBroker(downMs: number, log: (line: string) => void): Promise<void> {
  log('fault: rabbitmqctl stop_app');
  try {
    await rabbitmqctl(['stop_app']);
    // A real pause: how long the broker stays away is the fault.
    await sleep(downMs);
  } finally {
    log('fault: rabbitmqctl start_app');
    await rabbitmqctl(['start_app']);
  }
  await waitFor(() => portOpen(5672), 'RabbitMQ to listen again', 120_000);
}

export async function dropBrokerConnections(vhost: string, log: (line: string) => void): Promise<void> {
  log(`fault: rabbitmqctl close_all_connections --vhost ${vhost}`);
  await closeVhostConnections(vhost);
}

function postgresVersion(): string {
  const versions = readdirSync('/etc/postgresql').sort((a, b) => Number(a) - Number(b));
  const version = versions[versions.length - 1];
  if (version === undefined) throw new Error('no PostgreSQL cluster under /etc/postgresql');
  return version;
}

export async function restartDatabase(log: (line: string) => void): Promise<void> {
  const version = postgresVersion();
  log(`fault: pg_ctlcluster ${version} main restart`);
  try {
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart'], { timeout: pgctlTimeoutMs });
  } finally {
    if (!(await portOpen(5432))) {
      log('PostgreSQL is not listening after the restart: starting it');
      await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], {
        timeout: pgctlTimeoutMs,
      }).catch(() => undefined);
    }
  }
  await waitFor(() => portOpen(5432), 'PostgreSQL to listen again', 120_000);
}

/** Terminates the service's own connections; returns how many. */
export async function terminateServiceConnections(database: string, log: (line: string) => void): Promise<number> {
  const admin = postgres(testServerUrl, {
    max: 1,
    onnotice: () => undefined,
    connection: { application_name: 'chaos-admin' },
  });
  try {
    const rows = await admin<{ terminated: boolean }[]>`
      select pg_terminate_backend(pid) as terminated from pg_stat_activity
      where datname = ${database} and application_name = 'transactions' and pid <> pg_backend_pid()`;
    const count = rows.filter((row) => row.terminated).length;
    log(`fault: pg_terminate_backend on ${count} connections of the service`);
    return count;
  } finally {
    await admin.end({ timeout: 5 });
  }
}
