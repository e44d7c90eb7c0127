/** The inbox against the real PostgreSQL: one effect per message id, whatever the redeliveries and races. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createPostgresDatabase, type Database } from './db';
import { handleOnce } from './inbox';
import { createTestDatabase, type TestDatabase } from './testing';

let database: TestDatabase;
let db: Database;

before(async () => {
  database = await createTestDatabase('kit_inbox');
  db = createPostgresDatabase({ url: database.url, maxConnections: 8 });
  await db.exec(`
    create table inbox (message_id text primary key, received_at timestamptz not null default now());
    create table credits (id serial primary key, message_id text not null, amount numeric not null);`);
});
after(async () => {
  await db?.close();
  await database?.drop();
});

const credit = (messageId: string, amount: bigint) =>
  handleOnce(db, messageId, async (tx) => {
    await tx.query('insert into credits (message_id, amount) values ($1, $2)', [messageId, amount]);
    return amount;
  });

const creditsOf = async (messageId: string) =>
  (await db.query<{ amount: string }>('select amount::text from credits where message_id = $1', [messageId])).map(
    (row) => row.amount,
  );

describe('inbox', () => {
  test('a redelivered message changes nothing the second time', async () => {
    const id = randomUUID();
    assert.deepEqual(await credit(id, 1250n), { duplicate: false, result: 1250n });
    assert.deepEqual(await credit(id, 1250n), { duplicate: true });
    assert.deepEqual(await creditsOf(id), ['1250']);
  });

  test('the same message delivered ten times at once is applied once', async () => {
    const id = randomUUID();
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => credit(id, 7n)));
    // Racing inserts of one key: one commits, the others see it (do nothing) once it has committed.
    const applied = outcomes.filter((outcome) => outcome.status === 'fulfilled' && !outcome.value.duplicate);
    assert.equal(applied.length, 1);
    assert.deepEqual(await creditsOf(id), ['7']);
  });

  test('work that fails records nothing, so the retry applies it', async () => {
    const id = randomUUID();
    await assert.rejects(
      handleOnce(db, id, async (tx) => {
        await tx.query('insert into credits (message_id, amount) values ($1, $2)', [id, 5n]);
        throw new Error('database went away');
      }),
      /went away/,
    );
    assert.deepEqual(await creditsOf(id), []);
    assert.deepEqual(await credit(id, 5n), { duplicate: false, result: 5n });
    assert.deepEqual(await creditsOf(id), ['5']);
  });
});
