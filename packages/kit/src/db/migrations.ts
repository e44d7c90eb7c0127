/**
 * SQL migrations, one change per file, named `<UTC timestamp>_<what>.sql`
 * (e.g. `20261125090000_ledger_schema.sql`), applied in name order, each in its
 * own transaction, recorded in `schema_migrations`. A service runs them at
 * start and from its `migrate` CLI. A transaction-scoped advisory lock keeps
 * two instances from migrating at once.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Database, Queryable } from './types';

const lockKey = 742_050_001;
const namePattern = /^\d{14}_[a-z0-9_]+\.sql$/;

export async function runMigrations(db: Database, directory: string, logger: Logger): Promise<string[]> {
  const files = (await readdir(directory)).filter((name) => name.endsWith('.sql')).sort();
  const badName = files.find((name) => !namePattern.test(name));
  if (badName !== undefined) throw new Error(`migration ${badName} does not match <14-digit timestamp>_<name>.sql`);
  // A transaction-scoped advisory lock: released by the commit on the same
  // connection. (A session lock taken and released through a pool may be
  // released on another connection, and then stays held for ever.)
  const locked = <T>(work: (tx: Queryable) => Promise<T>) =>
    db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [lockKey]);
      return work(tx);
    });
  await locked((tx) =>
    tx.exec('create table if not exists schema_migrations (version text primary key, applied_at timestamptz not null default now())'),
  );
  const applied: string[] = [];
  for (const file of files) {
    const text = await readFile(join(directory, file), 'utf8');
    // Each migration in its own transaction, checked again under the lock: another instance may have applied it.
    const ran = await locked(async (tx) => {
      const done = await tx.query('select 1 from schema_migrations where version = $1', [file]);
      if (done.length > 0) return false;
      // Multi-statement text runs through the simple protocol (no parameters).
      await tx.exec(text);
      await tx.query('insert into schema_migrations (version) values ($1)', [file]);
      return true;
    });
    if (ran) {
      logger.info({ migration: file }, 'migration applied');
      applied.push(file);
    }
  }
  return applied;
}
