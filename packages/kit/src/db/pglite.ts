import { mkdir } from 'node:fs/promises';
import { PGlite, types } from '@electric-sql/pglite';
import { traced } from '../tracing';
import { encodeParams, type Database, type Queryable, type Row } from './types';

/**
 * Embedded PostgreSQL. `dataDir` undefined keeps the database in memory. PGlite
 * does not create parent folders, so we do. One connection: transactions are
 * serialised by PGlite itself.
 */
export async function createPgliteDatabase(options: { dataDir?: string }): Promise<Database> {
  if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true });
  const db = new PGlite(options.dataDir, {
    // PGlite parses int8 to a JS number by default; keep it exact like postgres.js.
    parsers: { [types.INT8]: (value: string) => value },
  });
  await db.waitReady;
  const wrap = (runner: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    query: <T extends Row>(text: string, params?: readonly unknown[]) =>
      traced('db.query', text, async () => (await runner.query<T>(text, encodeParams(params))).rows),
    async exec(text) {
      await runner.exec(text);
    },
  });
  const root = wrap(db);
  return {
    driver: 'pglite',
    query: root.query,
    exec: root.exec,
    transaction: <T>(work: (tx: Queryable) => Promise<T>) => db.transaction((tx) => work(wrap(tx))),
    async ping() {
      try {
        await db.query('select 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (!db.closed) await db.close();
    },
  };
}
