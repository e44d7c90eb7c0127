/**
 * Revocations without Redis survive a restart: written to the gateway's own
 * PostgreSQL database (a real, fresh one) and loaded back by a new store, as
 * embedded mode does at its next start; expired ones are pruned.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger, createPostgresDatabase, type Database } from '@t50/kit';
import { createTestDatabase, type TestDatabase } from '@t50/kit/testing';
import { migrateGatewayDatabase } from '../service';
import { createDurableRevocationStore } from './durable-revocations';
import { createMemoryHotStore } from './memory-store';

let database: TestDatabase;
let db: Database;
before(async () => {
  database = await createTestDatabase('gw_revocations');
  await migrateGatewayDatabase(database.url, createLogger({ service: 'test', level: 'error' }));
  db = createPostgresDatabase({ url: database.url, maxConnections: 2, applicationName: 'test-revocations' });
});
after(async () => {
  await db?.close();
  await database?.drop();
});

test('a revocation written before a restart is still there after it; other keys are not stored', async () => {
  const first = createDurableRevocationStore(db, createMemoryHotStore());
  await first.set('revoked:session:s1', '1', 3600);
  await first.set('revoked:token:t1', '1', 3600);
  await first.set('user:u1', '{"tier":"basic"}', 3600);
  assert.equal(await first.existsAny(['revoked:token:nope', 'revoked:session:s1']), true);

  // A new process: a fresh memory store, the same database.
  const second = createDurableRevocationStore(db, createMemoryHotStore());
  assert.equal(await second.existsAny(['revoked:token:t1']), true);
  assert.equal(await second.existsAny(['revoked:session:s1']), true);
  assert.equal(await second.existsAny(['revoked:session:other']), false);
  assert.equal(await second.get('user:u1'), undefined, 'hot user data is not persisted');
  const [count] = await db.query<{ n: string }>(`select count(*)::text as n from revocations where key like 'user:%'`);
  assert.equal(count?.n, '0');
});

test('expired revocations stop counting and are pruned', async () => {
  let clock = Date.now();
  const store = createDurableRevocationStore(db, createMemoryHotStore(), { now: () => clock });
  await store.set('revoked:token:short', '1', 1);
  assert.equal(await store.existsAny(['revoked:token:short']), true);
  clock += 2000;
  assert.equal(await store.existsAny(['revoked:token:short']), false);

  // Rows that expired while the process was down (the database's clock decides): the next load prunes them.
  await db.query(
    `insert into revocations (key, expires_at) values ('revoked:token:lapsed', now() - interval '1 second'),
     ('revoked:token:live', now() + interval '1 hour')`,
  );
  const next = createDurableRevocationStore(db, createMemoryHotStore());
  assert.equal(await next.existsAny(['revoked:token:lapsed']), false);
  assert.equal(await next.existsAny(['revoked:token:live']), true);
  const rows = await db.query<{ key: string }>(
    `select key from revocations where key in ('revoked:token:lapsed', 'revoked:token:live')`,
  );
  assert.deepEqual(
    rows.map((row) => row.key),
    ['revoked:token:live'],
    'pruned at the next load',
  );
});

test('the other keys keep the HotStore contract through the wrapper', async () => {
  const store = createDurableRevocationStore(db, createMemoryHotStore());
  assert.deepEqual(await store.hit('w', 60), { count: 1, resetSeconds: 60 });
  assert.equal((await store.hit('w', 60)).count, 2);
  await store.set('a', 'one', 60);
  assert.equal(await store.get('a'), 'one');
  await store.delete(['a', 'revoked:token:t1']);
  assert.equal(await store.get('a'), undefined);
  assert.equal(await createDurableRevocationStore(db, createMemoryHotStore()).existsAny(['revoked:token:t1']), false);
  assert.equal(await store.ping(), true);
});
