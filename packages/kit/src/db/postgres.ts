import postgres from 'postgres';
import { withTimeout } from '../timeout';
import { assertPatchedDriver } from './driver-patch';
import { traced } from '../tracing';
import { encodeParams, type Database, type Queryable, type Row } from './types';

export interface PostgresOptions {
  readonly url: string;
  /** Pool size. */
  readonly maxConnections?: number;
  readonly applicationName?: string;
  /**
   * A transaction not settled after this long is given up: the caller gets a
   * `TRANSACTION_TIMEOUT` error (retryable) instead of waiting forever. Guards
   * against a query the driver loses when its connection dies mid-flight
   * (docs/reliability.md, finding 1). Default 30 s; 0 turns it off.
   */
  readonly transactionTimeoutMs?: number;
}

/** Raised when a transaction outlives `transactionTimeoutMs`; its outcome is unknown (it may still commit). */
export class TransactionTimeoutError extends Error {
  override readonly name = 'TransactionTimeoutError';
  readonly code = 'TRANSACTION_TIMEOUT';
}

/** postgres.js: measured faster than pg here (it pipelines a transaction's statements). */
export function createPostgresDatabase(options: PostgresOptions): Database {
  assertPatchedDriver();
  const sql = postgres(options.url, {
    max: options.maxConnections ?? 10,
    onnotice: () => undefined,
    connection: { application_name: options.applicationName ?? 't50' },
    // NUMERIC (1700) and int8 (20) stay decimal strings: money is never a float.
    types: {},
  });
  const timeoutMs = options.transactionTimeoutMs ?? 30_000;
  const wrap = (runner: postgres.Sql | postgres.TransactionSql): Queryable => ({
    query: <T extends Row>(text: string, params?: readonly unknown[]) =>
      traced('db.query', text, async () => {
        const rows = await runner.unsafe(text, encodeParams(params) as postgres.ParameterOrJSON<never>[], {
          prepare: true,
        });
        return rows as unknown as T[];
      }),
    async exec(text) {
      await runner.unsafe(text);
    },
  });
  const root = wrap(sql);
  return {
    driver: 'postgres',
    query: root.query,
    exec: root.exec,
    async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
      const running = sql.begin((tx) => work(wrap(tx))) as Promise<T>;
      if (timeoutMs <= 0) return running;
      // A transaction given up may still settle later; its outcome was already reported.
      return withTimeout(
        running,
        timeoutMs,
        () => new TransactionTimeoutError(`transaction not settled after ${timeoutMs} ms`),
      );
    },
    async ping() {
      try {
        await sql`select 1`;
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      // end() waits for queries in flight; one the driver lost would hold it forever: give up after 7 s.
      const gaveUp = new Error('postgres.js did not end');
      await withTimeout(sql.end({ timeout: 5 }), 7_000, () => gaveUp).catch((error: unknown) => {
        if (error !== gaveUp) throw error;
      });
    },
  };
}

/** Creates the database named in `url` if it does not exist (a fresh machine has none of ours). */
export async function ensureDatabaseExists(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]{1,63}$/.test(name)) throw new Error('database name must be letters, digits and _');
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => undefined });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) {
      try {
        await sql.unsafe(`create database "${name}"`);
      } catch (error) {
        // Two services starting at once may race; the loser finds it there.
        if ((error as { code?: string }).code !== '42P04') throw error;
      }
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}
