/**
 * The PostgreSQL driver against the real server: money stays a decimal string,
 * a transaction is all or nothing, and one that never settles is given up
 * after its deadline with a retryable error while the pool keeps serving.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, startTsProcess, type TestDatabase } from '../testing';
import { createPostgresDatabase, TransactionTimeoutError } from './postgres';
import type { Database } from './types';

let server: TestDatabase;
let db: Database;

before(async () => {
  server = await createTestDatabase('kit_pg');
  db = createPostgresDatabase({ url: server.url, maxConnections: 2, transactionTimeoutMs: 500 });
  await db.exec('create table t (id int primary key, amount numeric(78,0) not null)');
});
after(async () => {
  await db?.close();
  await server?.drop();
});

test('NUMERIC comes back as a decimal string, exactly', async () => {
  const big = '115792089237316195423570985008687907853269984665640564039457584007913129639935';
  await db.query('insert into t values ($1, $2)', [1, big]);
  const [row] = await db.query<{ amount: string }>('select amount from t where id = 1');
  assert.equal(row?.amount, big);
});

test('a transaction that fails leaves nothing behind', async () => {
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.query('insert into t values ($1, $2)', [2, '5']);
      await tx.query('insert into t values ($1, $2)', [2, '6']); // duplicate key
    }),
    { code: '23505' },
  );
  assert.equal((await db.query('select id from t where id = 2')).length, 0);
});

test('a transaction past its deadline is given up with TRANSACTION_TIMEOUT, and the pool still serves', async () => {
  const startedAt = performance.now();
  const error = await db
    .transaction(async (tx) => {
      await tx.query('select pg_sleep(3)');
      await tx.query('insert into t values ($1, $2)', [3, '7']);
    })
    .then(
      () => assert.fail('expected a timeout'),
      (caught: unknown) => caught,
    );
  const waitedMs = performance.now() - startedAt;
  assert.ok(error instanceof TransactionTimeoutError, String(error));
  assert.equal(error.code, 'TRANSACTION_TIMEOUT');
  assert.ok(waitedMs >= 450 && waitedMs < 2_500, `gave up after ${Math.round(waitedMs)} ms`);
  // The other connection answers at once.
  assert.deepEqual([...(await db.query<{ one: number }>('select 1 as one'))], [{ one: 1 }]);
});

test('backends terminated under load: queries fail with retryable errors, the process never crashes', async () => {
  // postgres.js 3.4.9 unpatched dies here with "Cannot read properties of null (reading 'write')"
  // (patches/postgres+3.4.9.patch, docs/reliability.md finding 1).
  const storm = startTsProcess(process.cwd(), fileURLToPath(new URL('./termination-storm.ts', import.meta.url)), {
    STORM_DATABASE_URL: server.url,
    STORM_MS: '3000',
  });
  assert.equal(await storm.exitCode(60_000), 0, `the process died:\n${storm.output()}`);
  const reportLine = storm
    .output()
    .split('\n')
    .find((line) => line.startsWith('{'));
  const report = JSON.parse(reportLine ?? 'null') as {
    committed: number;
    failed: Record<string, number>;
    terminations: number;
  };
  assert.ok(report.terminations >= 10, JSON.stringify(report));
  assert.ok(report.committed > 0, JSON.stringify(report));
  const retryable = new Set([
    '57P01',
    'CONNECTION_CLOSED',
    'CONNECTION_DESTROYED',
    'ECONNRESET',
    'EPIPE',
    'TRANSACTION_TIMEOUT',
  ]);
  for (const code of Object.keys(report.failed))
    assert.ok(retryable.has(code), `unexpected failure ${code}: ${JSON.stringify(report)}`);
});
