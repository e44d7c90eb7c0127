/**
 * `npm run chaos [-- options]`: the ledger under faults. Progress goes to
 * stderr; the last line on stdout is the JSON summary. Exits 1 on any loss,
 * duplicate, wrong outcome, wrong balance, missing event or verify failure,
 * 2 when the harness itself could not run.
 *
 *   (default)          the short run: 20,000 transfers, 3 kills, vhost connection
 *                      drops and terminated database connections (safe while
 *                      other tests use the same servers)
 *   --full             200,000 transfers, 6 kills
 *   --restart-broker   also one real `rabbitmqctl stop_app` / `start_app`
 *   --restart-db       also one real PostgreSQL restart
 *   --faulty           the deliberately faulty service (acks before commit):
 *                      must fail
 *   --transfers N  --malformed N  --kills N  --rate N (msgs/s, 0 = unpaced)
 *   --graceful-restarts N  --broker-drops N  --db-terminations N
 *   --commit-cuts N    lose the answer to N COMMITs (through a proxy; see
 *                      docs/reliability.md: events then wait for a restart)
 *   --seed N  --users N  --stall-ms N  --keep
 */
import { parseArgs } from 'node:util';
import { runChaos, type ChaosOptions } from './harness';

const { values } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    'restart-broker': { type: 'boolean', default: false },
    'restart-db': { type: 'boolean', default: false },
    faulty: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    transfers: { type: 'string' },
    malformed: { type: 'string' },
    kills: { type: 'string' },
    rate: { type: 'string' },
    seed: { type: 'string' },
    users: { type: 'string' },
    'stall-ms': { type: 'string' },
    'broker-drops': { type: 'string' },
    'graceful-restarts': { type: 'string' },
    'commit-cuts': { type: 'string' },
    'db-terminations': { type: 'string' },
  },
  strict: true,
});

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    console.error(`--${name} must be an integer in ${min}..${max}`);
    process.exit(2);
  }
  return value;
}

const full = values.full;
const transfers = integer('transfers', values.transfers, full ? 200_000 : 20_000, 100, 5_000_000);
const options: ChaosOptions = {
  transfers,
  malformed: integer('malformed', values.malformed, Math.max(24, Math.round(transfers / 50)), 0, 1_000_000),
  richUsers: integer('users', values.users, full ? 300 : 100, 2, 100_000),
  poorUsers: full ? 30 : 10,
  seed: integer('seed', values.seed, Math.floor(Math.random() * 2 ** 31), 0, 2 ** 31),
  kills: integer('kills', values.kills, full ? 6 : 3, 0, 15),
  gracefulRestarts: integer('graceful-restarts', values['graceful-restarts'], 1, 0, 10),
  brokerRestarts: values['restart-broker'] ? 1 : 0,
  brokerDrops: integer('broker-drops', values['broker-drops'], full ? 2 : 1, 0, 10),
  dbRestarts: values['restart-db'] ? 1 : 0,
  dbTerminations: integer('db-terminations', values['db-terminations'], 2, 0, 10),
  commitCuts: integer('commit-cuts', values['commit-cuts'], 0, 0, 10),
  rate: integer('rate', values.rate, full ? 2000 : 500, 0, 1_000_000),
  faulty: values.faulty,
  stallMs: integer('stall-ms', values['stall-ms'], 30_000, 1000, 600_000),
  batchMax: 500,
  keep: values.keep,
  log: (line) => console.error(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`),
};

options.log(`options: ${JSON.stringify({ ...options, log: undefined })}`);
try {
  const summary = await runChaos(options);
  console.log(JSON.stringify(summary));
  process.exitCode = summary.ok ? 0 : 1;
} catch (error) {
  console.error(error);
  console.log(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
  process.exitCode = 2;
}
