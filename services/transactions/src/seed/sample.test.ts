/**
 * The seed command against the real PostgreSQL and RabbitMQ: it fills an empty
 * ledger with balances a newcomer can see, its events go out through the
 * outbox, the books balance, and a second run changes nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createPostgresDatabase, type Database } from '@t50/kit';
import { createTestDatabase, createTestVhost, type TestDatabase, type TestVhost } from '@t50/kit/testing';
import { verifyLedger } from '../verify/verify';
import { sampleMessages, seedUserIds } from './sample';

const seedCli = fileURLToPath(new URL('../cli/seed.ts', import.meta.url));

describe('seed command', () => {
  let database: TestDatabase;
  let vhost: TestVhost;
  let db: Database;

  before(async () => {
    database = await createTestDatabase('seed');
    vhost = await createTestVhost('seed');
    db = createPostgresDatabase({ url: database.url, maxConnections: 2 });
  });
  after(async () => {
    await db?.close();
    await Promise.allSettled([database?.drop(), vhost?.drop()]);
  });

  const runSeed = () =>
    spawnSync(process.execPath, ['--import', 'tsx', seedCli], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, TRANSACTIONS_DATABASE_URL: database.url, RABBITMQ_URL: vhost.url },
    });

  const balances = async () =>
    Object.fromEntries(
      (
        await db.query<{ id: string; balance: string; available: string }>(
          `select id, (posted_credits - posted_debits)::text as balance,
                  (posted_credits - posted_debits - pending_debits)::text as available
           from accounts where owner_type = 'user' order by id`,
        )
      ).map((row) => [row.id, `${row.balance}/${row.available}`]),
    );

  it('fills an empty ledger with users and balances', async () => {
    const first = runSeed();
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, new RegExp(` ${sampleMessages().length} applied, 0 already recorded, 0 refused`));
    const seen = await balances();
    // balance/available in minor units
    assert.equal(seen['user:seed-alice:USD'], '97500/87500'); // 1,000.00 in, 25.00 sent, 100.00 held for a payout
    assert.equal(seen['user:seed-alice:ETH'], '2000000000000000000/2000000000000000000');
    assert.equal(seen['user:seed-bob:EUR'], '20000/20000'); // 250.00 in, 50.00 paid out
    assert.equal(seen['user:seed-bob:USD'], '2500/2500');
    assert.equal(seen['user:seed-carol:USD'], '19850/19850'); // 500.00 in, 300.00 + 1.50 fee for 0.1 ETH
    assert.equal(seen['user:seed-carol:ETH'], '100000000000000000/100000000000000000');
    assert.equal(Object.keys(seen).length, seedUserIds.length * 3);
    const [outbox] = await db.query<{ count: string }>('select count(*)::text as count from outbox');
    assert.equal(outbox?.count, '0', 'every event was published');
    assert.equal((await verifyLedger(db)).ok, true);
  });

  it('changes nothing on a second run', async () => {
    const before = await balances();
    const [counts] = await db.query<{ transfers: string; entries: string }>(
      'select (select count(*) from transfers)::text as transfers, (select count(*) from entries)::text as entries',
    );
    const second = runSeed();
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, new RegExp(` 0 applied, ${sampleMessages().length} already recorded, 0 refused`));
    assert.deepEqual(await balances(), before);
    const [again] = await db.query<{ transfers: string; entries: string }>(
      'select (select count(*) from transfers)::text as transfers, (select count(*) from entries)::text as entries',
    );
    assert.deepEqual(again, counts);
  });

  it('refuses wrong usage with exit code 2', () => {
    const wrong = spawnSync(process.execPath, ['--import', 'tsx', seedCli, '--bogus'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /usage: seed/);
  });
});
