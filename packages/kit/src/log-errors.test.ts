/**
 * A failed statement logged as an error carries no data of the statement:
 * real PostgreSQL (postgres.js) and real PGlite errors, from parameterised
 * statements with personal data as parameters and in the row PostgreSQL
 * quotes back, go through the logger and only the code, the constraint and
 * the message remain.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { createPgliteDatabase, createPostgresDatabase, type Database } from './db';
import { createLogger } from './logger';
import { createTestDatabase, type TestDatabase } from './testing';

const personal = ['Zebulon', 'Quaritch', '1931-04-17', '+4930999888777', 'zebulon.quaritch@example.com'];

function capture() {
  let text = '';
  const logger = createLogger({
    service: 'log-errors-test',
    level: 'trace',
    destination: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        text += chunk.toString('utf8');
        callback();
      },
    }),
  });
  return { logger, text: () => text };
}

async function failingStatements(db: Database): Promise<unknown[]> {
  await db.exec(`create table people (
    email text primary key, first_name text, last_name text, date_of_birth date, phone text,
    constraint no_zebulon check (first_name <> 'Zebulon'))`);
  await db.query('insert into people (email, first_name) values ($1, $2)', [personal[4], 'Ann']);
  const errors: unknown[] = [];
  for (const [text, params] of [
    // A check violation: PostgreSQL's detail quotes the failing row.
    ['insert into people values ($1, $2, $3, $4, $5)', [personal[4] + '.x', ...personal.slice(0, 4)]],
    // A unique violation: the detail quotes the key.
    ['insert into people (email, first_name) values ($1, $2)', [personal[4], 'Bob']],
    // A type error on a parameter.
    ['select * from people where date_of_birth = $1::date and phone = $2', ['not a date ' + personal[1], personal[3]]],
  ] as const) {
    await db.query(text, [...params]).then(
      () => assert.fail(`${text} should fail`),
      (error: unknown) => errors.push(error),
    );
  }
  return errors;
}

function assertClean(logged: string, errors: unknown[]) {
  const lines = logged.trim().split('\n');
  assert.equal(lines.length, errors.length);
  for (const line of lines) {
    const record = JSON.parse(line) as { err: Record<string, unknown> };
    assert.ok(typeof record.err.message === 'string' && typeof record.err.stack === 'string', line);
    for (const field of ['query', 'parameters', 'params', 'detail', 'queryOptions', 'args'])
      assert.equal(record.err[field], undefined, field);
  }
  for (const value of personal) assert.equal(logged.includes(value), false, `${value} in the log:\n${logged}`);
}

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase('log_errors');
});
after(async () => {
  await database?.drop();
});

test('PostgreSQL (postgres.js) errors are logged without parameters or row values', async () => {
  const db = createPostgresDatabase({ url: database.url, maxConnections: 1, applicationName: 'log-errors-test' });
  try {
    const errors = await failingStatements(db);
    // The data really is on the errors (so the test can fail): the detail quotes it.
    assert.ok(
      errors.some((error) => JSON.stringify((error as { detail?: string }).detail).includes('Zebulon')),
      'a PostgreSQL error detail quotes the row value',
    );
    const { logger, text } = capture();
    for (const error of errors) logger.error({ err: error }, 'unexpected error');
    assertClean(text(), errors);
    assert.match(text(), /"code":"23514"/, 'the code stays');
    assert.match(text(), /no_zebulon/, 'the constraint stays');
  } finally {
    await db.close();
  }
});

test('PGlite errors are logged without their query, params or row values', async () => {
  const db = await createPgliteDatabase({});
  try {
    const errors = await failingStatements(db);
    assert.ok(
      errors.some((error) => JSON.stringify((error as { params?: unknown }).params).includes('Zebulon')),
      'a PGlite error carries the query params',
    );
    const { logger, text } = capture();
    for (const error of errors) logger.error({ err: error }, 'unexpected error');
    assertClean(text(), errors);
  } finally {
    await db.close();
  }
});
