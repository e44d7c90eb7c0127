/**
 * How an error appears in a log line: pino's standard error serializer (type,
 * message, stack, cause, code and the other fields drivers attach) minus every
 * field that carries the data of the failed statement. postgres.js attaches
 * the statement and its parameters (`query`, `parameters`, `args`), PGlite
 * attaches `query`, `params` and `queryOptions`, and PostgreSQL's own `detail`
 * and `where` quote row values ("Failing row contains (...)", "Key (email)=(...)").
 * Those are a user's data (KYC fields, emails) or secrets; the code, the
 * constraint, the table and the message stay, which is what an operator needs.
 * A data exception's message quotes the input, so that part of it goes too.
 */
import { stdSerializers } from 'pino';

export const errorDataFields = [
  'query',
  'parameters',
  'params',
  'queryOptions',
  'args',
  'detail',
  'where',
  'internalQuery',
  'internal_query',
] as const;

const maxDepth = 4;

function strip(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null || depth > maxDepth) return value;
  if (Array.isArray(value)) return value.map((item) => strip(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) {
    if ((errorDataFields as readonly string[]).includes(name)) continue;
    out[name] = strip(field, depth + 1);
  }
  return out;
}

/**
 * PostgreSQL's data exceptions (SQLSTATE class 22) quote the offending input in
 * the message itself (`invalid input syntax for type date: "..."`): the quoted
 * part is replaced.
 */
function withoutQuotedInput(serialized: Record<string, unknown>): Record<string, unknown> {
  if (typeof serialized.code !== 'string' || !/^22[0-9A-Z]{3}$/.test(serialized.code)) return serialized;
  const hide = (text: unknown) => (typeof text === 'string' ? text.replace(/"[^"\n]*"/g, '"[redacted]"') : text);
  return { ...serialized, message: hide(serialized.message), stack: hide(serialized.stack) };
}

export function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  return withoutQuotedInput(strip(stdSerializers.err(error), 0) as Record<string, unknown>);
}
