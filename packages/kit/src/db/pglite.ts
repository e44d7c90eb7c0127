import { mkdir } from 'node:fs/promises';
import { PGlite, types } from '@electric-sql/pglite';
import { traced } from '../tracing';
import { encodeParams, type Database, type Queryable, type Row } from './types';

/** PGlite does not create parent folders, so we do. `dataDir` undefined: in memory. */
async function openPglite(dataDir: string | undefined): Promise<PGlite> {
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  const db = new PGlite(dataDir, {
    // PGlite parses int8 to a JS number by default; keep it exact like postgres.js.
    parsers: { [types.INT8]: (value: string) => value },
  });
  await db.waitReady;
  return db;
}

const wrap = (runner: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
  query: <T extends Row>(text: string, params?: readonly unknown[]) =>
    traced('db.query', text, async () => (await runner.query<T>(text, encodeParams(params))).rows),
  async exec(text) {
    await runner.exec(text);
  },
});

/**
 * A `Database` over a PGlite instance. Every statement outside a transaction,
 * and every transaction as a whole, runs through `exclusive`, which may first
 * set the connection up (the cluster's schema switch).
 */
function pgliteDatabase(
  db: PGlite,
  exclusive: <T>(work: () => Promise<T>) => Promise<T>,
  close: () => Promise<void>,
): Database {
  return {
    driver: 'pglite',
    query: <T extends Row>(text: string, params?: readonly unknown[]) =>
      exclusive(() => wrap(db).query<T>(text, params)),
    exec: (text) => exclusive(() => wrap(db).exec(text)),
    transaction: <T>(work: (tx: Queryable) => Promise<T>) => exclusive(() => db.transaction((tx) => work(wrap(tx)))),
    async ping() {
      try {
        await exclusive(() => db.query('select 1'));
        return true;
      } catch {
        return false;
      }
    },
    close,
  };
}

/**
 * Embedded PostgreSQL, one database. `dataDir` undefined keeps it in memory.
 * One connection: transactions are serialised by PGlite itself.
 */
export async function createPgliteDatabase(options: { dataDir?: string }): Promise<Database> {
  const db = await openPglite(options.dataDir);
  return pgliteDatabase(
    db,
    (work) => work(),
    async () => {
      if (!db.closed) await db.close();
    },
  );
}

/** One PGlite instance shared by several services, each in its own schema. */
export interface PgliteCluster {
  /**
   * The database of one service: its own schema (named after the service,
   * created if missing) owned by its own role (`t50_<name>`). While it runs a
   * statement or a transaction, the connection has `search_path` = that schema
   * only and that role, so its unqualified names (its tables, its
   * `schema_migrations`, its outbox) never meet another service's, and a
   * qualified name of another service's table is refused (permission denied).
   * Its `close()` does nothing: the cluster's owner closes the cluster.
   */
  database(name: string): Promise<Database>;
  close(): Promise<void>;
}

/** Lower case only, so the quoted names (any word, even a reserved one such as `user`) are exactly these. */
const schemaNamePattern = /^[a-z][a-z0-9_]{0,40}$/;

/** The role a service's statements run as in a PGlite cluster. */
export const clusterRoleOf = (name: string): string => `t50_${name}`;

/**
 * Opens one PGlite instance (`dataDir` undefined: in memory) to hold the
 * databases of several services, one schema each (see `PgliteCluster`).
 * PGlite is one connection: a statement or transaction of one service waits
 * for the one in flight to finish, then the connection is switched to its
 * schema and role if another service used it last (one `set` statement).
 */
export async function openPgliteCluster(options: { dataDir?: string }): Promise<PgliteCluster> {
  const pglite = await openPglite(options.dataDir);
  /** The schema the connection is set up for; undefined: unknown (superuser, or a switch failed). */
  let current: string | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(schema: string | undefined, work: () => Promise<T>): Promise<T> => {
    const run = tail.then(async () => {
      if (current !== schema) {
        current = undefined;
        await pglite.exec(
          schema === undefined
            ? 'reset role; reset search_path'
            : `set role "${clusterRoleOf(schema)}"; set search_path to "${schema}"`,
        );
        current = schema;
      }
      return work();
    });
    tail = run.catch(() => undefined);
    return run;
  };
  return {
    async database(name) {
      if (!schemaNamePattern.test(name)) throw new Error(`schema name must match ${schemaNamePattern.source}: ${name}`);
      const role = clusterRoleOf(name);
      await exclusive(undefined, () =>
        pglite.exec(
          `do $$ begin
             if not exists (select from pg_roles where rolname = '${role}') then create role "${role}" nologin; end if;
           end $$;
           create schema if not exists "${name}" authorization "${role}";`,
        ),
      );
      return pgliteDatabase(
        pglite,
        (work) => exclusive(name, work),
        () => Promise.resolve(),
      );
    },
    async close() {
      await tail;
      if (!pglite.closed) await pglite.close();
    },
  };
}
