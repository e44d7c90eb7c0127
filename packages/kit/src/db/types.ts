/**
 * PostgreSQL access behind one small interface with two drivers: postgres.js
 * against a real server, and PGlite (PostgreSQL in WebAssembly) for embedded
 * mode. Both return NUMERIC and int8 as decimal strings (never a float),
 * timestamps as Date and json/jsonb parsed. A bigint parameter is sent as its
 * decimal string.
 */
export type Row = Record<string, unknown>;

export interface Queryable {
  /** Runs one parameterised statement ($1, $2, ...). */
  // Function-typed properties, not methods: they never use `this`, so they may be passed around unbound.
  readonly query: <T extends Row = Row>(text: string, params?: readonly unknown[]) => Promise<T[]>;
  /** Runs several statements without parameters (migrations, scripts). */
  readonly exec: (text: string) => Promise<void>;
}

export interface Database extends Queryable {
  readonly driver: 'postgres' | 'pglite';
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when
   * it throws. Statements issued without awaiting in between are pipelined by
   * the postgres driver.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** True when the database answers (readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Parameters as the drivers accept them: bigint as its decimal string. */
export function encodeParams(params: readonly unknown[] | undefined): unknown[] {
  if (params === undefined) return [];
  return params.map((value) => (typeof value === 'bigint' ? value.toString() : value));
}

/**
 * A PostgreSQL text[] literal, so an array travels as one text parameter the
 * same way through both drivers: `where id = any($1::text::text[])`.
 */
export function textArray(values: Iterable<string>): string {
  const quoted: string[] = [];
  for (const value of values) quoted.push(`"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`);
  return `{${quoted.join(',')}}`;
}
