/**
 * SQL migrations, one change per file, named `<UTC timestamp>_<what>.sql`
 * (e.g. `20261125090000_ledger_schema.sql`), applied in name order, each in its
 * own transaction, recorded in `schema_migrations`. A service runs them at
 * start; `t50-migrate` runs them from the command line. An advisory lock keeps
 * two instances from migrating at once.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Database } from './types';

const lockKey = 742_050_001;
const namePattern = /^\d{14}_[a-z0-9_]+\.sql$/;

export async function runMigrations(db: Database, directory: string, logger: Logger): Promise<string[]> {
  const files = (await readdir(directory)).filter((name) => name.endsWith('.sql')).sort();
  const badName = files.find((name) => !namePattern.test(name));
  if (badName !== undefined) throw new Error(`migration ${badName} does not match <14-digit timestamp>_<name>.sql`);
  await db.exec(
    'create table if not exists schema_migrations (version text primary key, applied_at timestamptz not null default now())',
  );
  const applied: string[] = [];
  await db.query('select pg_advisory_lock($1)', [lockKey]);
  try {
    const done = new Set(
      (await db.query<{ version: string }>('select version from schema_migrations')).map((row) => row.version),
    );
    for (const file of files) {
      if (done.has(file)) continue;
      const text = await readFile(join(directory, file), 'utf8');
      await db.transaction(async (tx) => {
        // Multi-statement text runs through the simple protocol (no parameters).
        await tx.exec(text);
        await tx.query('insert into schema_migrations (version) values ($1)', [file]);
      });
      logger.info({ migration: file }, 'migration applied');
      applied.push(file);
    }
  } finally {
    await db.query('select pg_advisory_unlock($1)', [lockKey]);
  }
  return applied;
}
