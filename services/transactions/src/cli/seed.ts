/**
 * `npm run -w @t50/transactions seed`: fills a ledger with sample users and
 * transfers (src/seed/sample.ts) so a newcomer sees balances at once.
 * Idempotent: every id is fixed, so a second run changes nothing.
 *
 *   seed                      the ledger in TRANSACTIONS_DATABASE_URL; its events are
 *                             published to RABBITMQ_URL through the outbox
 *   seed --data-dir <folder>  the embedded ledger under an embedded-mode data folder
 *                             (default of `npm start`: .data); embedded mode must be
 *                             stopped, and publishes the events at its next start.
 *                             A relative folder is taken from where the command was
 *                             typed, not from services/transactions where npm runs it
 *
 * Exit codes: 0 done, 1 the ledger refused part of the sample, 2 wrong usage or
 * it could not run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  createLogger,
  createPostgresDatabase,
  createRabbitTransport,
  ensureDatabaseExists,
  loadConfig,
  openPgliteCluster,
  runMigrations,
  type Database,
  type Transport,
} from '@t50/kit';
import { Registry } from 'prom-client';
import { transactionsConfigSpec } from '../config';
import { loadAssets } from '../ledger/reads';
import { recordedPartitions } from '../ledger/store';
import { createLedgerWriter, type OutboxSink } from '../ledger/writer';
import { declareLedgerTopology } from '../messages/consumer';
import { createOutboxRelay } from '../outbox/relay';
import { seedLedger, seedUserIds } from '../seed/sample';
import { migrationsDirectory } from '../service';

const usage = 'usage: seed [--data-dir <embedded data folder>]';

/**
 * Resolves a path the user typed. `npm run -w <workspace>` runs the script in
 * the workspace's folder, but sets INIT_CWD to the folder the user typed the
 * command in; a relative path means that folder, as in any other command.
 */
function resolveFromInvocation(path: string, environment: NodeJS.ProcessEnv = process.env): string {
  const typedIn = environment.INIT_CWD;
  return typedIn !== undefined && typedIn !== '' ? resolve(typedIn, path) : resolve(path);
}

/**
 * Where embedded mode keeps its PGlite database inside its data folder: one
 * database, the ledger in its schema `transactions` (apps/embedded/src/data-folder.ts;
 * the embedded test runs this command on a folder embedded mode made).
 */
const embeddedDatabaseDirectory = (dataDir: string): string => join(dataDir, 'pgdata');
/** The layout of earlier versions (one database per service), which embedded mode no longer opens. */
const oldEmbeddedLedgerDirectory = (dataDir: string): string => join(dataDir, 'transactions', 'pgdata');

function parseArguments(args: readonly string[]): { dataDir: string | undefined } | undefined {
  if (args.length === 0) return { dataDir: undefined };
  if (args.length === 2 && args[0] === '--data-dir' && args[1] !== undefined && args[1] !== '')
    return { dataDir: args[1] };
  return undefined;
}

/** True when embedded mode is running on this folder (its pid file names a live process). */
function embeddedRunning(dataDir: string): boolean {
  const pidFile = join(dataDir, 'embedded.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function main(args: readonly string[]): Promise<number> {
  const parsed = parseArguments(args);
  if (parsed === undefined) {
    console.error(usage);
    return 2;
  }
  const logger = createLogger({ service: 'seed', level: 'warn', destination: process.stderr });
  let db: Database;
  let transport: Transport | undefined;
  let target: string;
  let closeCluster: (() => Promise<void>) | undefined;
  if (parsed.dataDir !== undefined) {
    const dataDir = resolveFromInvocation(parsed.dataDir);
    if (embeddedRunning(dataDir)) {
      console.error(`embedded mode is running on ${dataDir}; stop it first (its database has one owner at a time)`);
      return 2;
    }
    target = embeddedDatabaseDirectory(dataDir);
    if (
      !existsSync(join(target, 'PG_VERSION')) &&
      existsSync(join(oldEmbeddedLedgerDirectory(dataDir), 'PG_VERSION'))
    ) {
      console.error(
        `${dataDir} was made by an earlier version of embedded mode (one database per service), which this version does not open; move it away or delete it`,
      );
      return 2;
    }
    const cluster = await openPgliteCluster({ dataDir: target });
    closeCluster = () => cluster.close();
    db = await cluster.database('transactions');
  } else {
    const config = loadConfig({
      TRANSACTIONS_DATABASE_URL: transactionsConfigSpec.TRANSACTIONS_DATABASE_URL,
      RABBITMQ_URL: transactionsConfigSpec.RABBITMQ_URL,
    });
    target = config.TRANSACTIONS_DATABASE_URL.replace(/\/\/[^@/]*@/, '//');
    await ensureDatabaseExists(config.TRANSACTIONS_DATABASE_URL);
    // One connection: the migration lock is a session lock (see services/auth/src/service.ts).
    db = createPostgresDatabase({
      url: config.TRANSACTIONS_DATABASE_URL,
      maxConnections: 1,
      applicationName: 'transactions-seed',
    });
    transport = await createRabbitTransport({ url: config.RABBITMQ_URL, logger, connectionName: 'transactions-seed' });
  }
  try {
    await runMigrations(db, migrationsDirectory, logger);
    const partitions = await recordedPartitions(db);
    if (partitions !== undefined && partitions > 1) {
      throw new Error(`the sample data is for a one-partition ledger; this one has LEDGER_PARTITIONS=${partitions}`);
    }
    const assets = await loadAssets(db);
    // With a broker the events go out now; without one (embedded folder) they
    // stay in the outbox table and the service's relay publishes them at start.
    let outbox: OutboxSink = { enqueue: () => Promise.resolve() };
    let relay: ReturnType<typeof createOutboxRelay> | undefined;
    if (transport !== undefined) {
      await declareLedgerTopology(transport);
      relay = createOutboxRelay({ db, transport, logger });
      outbox = relay;
    }
    const writer = createLedgerWriter({
      db,
      logger,
      assets: () => assets,
      outbox,
      registry: new Registry(),
      options: { maxBatch: 1000 },
    });
    const report = await seedLedger(writer);
    await writer.close();
    await relay?.close();
    console.log(
      `seeded ${target}: ${report.applied} applied, ${report.alreadyRecorded} already recorded, ${report.rejected.length} refused`,
    );
    for (const refusal of report.rejected) console.log(`  refused ${refusal}`);
    console.log(`sample users: ${seedUserIds.join(', ')} (GET /v1/owners/<user>/accounts)`);
    return report.rejected.length === 0 ? 0 : 1;
  } finally {
    await transport?.close();
    await db.close();
    await closeCluster?.();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`seed could not run: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  },
);
