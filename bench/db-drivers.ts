/**
 * `node --import tsx bench/db-drivers.ts`: which PostgreSQL driver the kit
 * uses, measured. The ledger's write pattern: one transaction per batch that
 * locks the hot account, inserts `batch` transfer rows, as many inbox rows and
 * as many outbox rows (each from one JSON parameter), updates the account, and
 * commits durably (synchronous_commit on): five statements per transaction. The same work through
 * postgres.js (statements of a transaction pipelined) and through pg
 * (node-postgres, one round trip per statement), alternating rounds so that
 * the noise of a shared machine falls on both. Prints one JSON line per driver
 * and a last line with the ratio. Bounded: `--seconds` per round, 3 rounds.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import postgres from 'postgres';
import { createTestDatabase } from '@t50/kit/testing';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '4' }, batch: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '3' } },
});
const roundSeconds = Number(values.seconds);
const batch = Number(values.batch);
const rounds = Number(values.rounds);
if (![roundSeconds, batch, rounds].every((value) => Number.isInteger(value) && value > 0) || roundSeconds > 30 || batch > 10_000 || rounds > 10) {
  throw new Error('--seconds (1-30), --batch (1-10000) and --rounds (1-10) must be whole numbers');
}

const schema = `
  create table accounts (id text primary key, balance numeric(78,0) not null);
  create table transfers (id text primary key, account_id text not null, amount numeric(78,0) not null check (amount > 0), recorded_at timestamptz not null);
  create table inbox (message_id text primary key, recorded_at timestamptz not null);
  create table outbox (seq bigserial primary key, event_id text not null unique, payload jsonb not null);
  insert into accounts values ('hot', 0);`;
const insertTransfers = `insert into transfers (id, account_id, amount, recorded_at)
  select id, 'hot', amount::numeric, now() from json_to_recordset($1::text::json) as x (id text, amount text)`;
const insertInbox = `insert into inbox (message_id, recorded_at) select 'm-' || id, now() from json_to_recordset($1::text::json) as x (id text)`;
const insertOutbox = `insert into outbox (event_id, payload)
  select 'e-' || id, json_build_object('transferId', id, 'amount', amount)::jsonb from json_to_recordset($1::text::json) as x (id text, amount text)`;
const lockHot = `select balance from accounts where id = 'hot' for no key update`;
const updateHot = `update accounts set balance = balance + $1::numeric where id = 'hot'`;

function batchOf(round: string, index: number): { json: string; total: bigint } {
  const rows = Array.from({ length: batch }, (_, n) => ({ id: `${round}-${index}-${n}`, amount: '1' }));
  return { json: JSON.stringify(rows), total: BigInt(batch) };
}

type Writer = (json: string, total: bigint) => Promise<void>;

async function measure(name: string, write: Writer): Promise<number> {
  const round = `${name}-${randomBytes(4).toString('hex')}`;
  const deadline = Date.now() + roundSeconds * 1000;
  const started = process.hrtime.bigint();
  let transfers = 0;
  for (let index = 0; Date.now() < deadline && index < 1_000_000; index += 1) {
    const { json, total } = batchOf(round, index);
    await write(json, total);
    transfers += batch;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return transfers / seconds;
}

const database = await createTestDatabase('bench_drivers');
const sql = postgres(database.url, { max: 1, onnotice: () => undefined });
const client = new pg.Client({ connectionString: database.url });
try {
  await sql.unsafe(schema);
  await client.connect();
  const writers: Record<'postgres.js' | 'pg', Writer> = {
    'postgres.js': async (json, total) => {
      await sql.begin((tx) => [
        tx.unsafe(lockHot),
        tx.unsafe(insertTransfers, [json]),
        tx.unsafe(insertInbox, [json]),
        tx.unsafe(insertOutbox, [json]),
        tx.unsafe(updateHot, [total.toString()]),
      ]);
    },
    pg: async (json, total) => {
      await client.query('begin');
      try {
        await client.query(lockHot);
        await client.query(insertTransfers, [json]);
        await client.query(insertInbox, [json]);
        await client.query(insertOutbox, [json]);
        await client.query(updateHot, [total.toString()]);
        await client.query('commit');
      } catch (error) {
        await client.query('rollback');
        throw error;
      }
    },
  };
  const results: Record<string, number[]> = { 'postgres.js': [], pg: [] };
  for (let round = 1; round <= rounds; round += 1) {
    for (const name of ['postgres.js', 'pg'] as const) {
      const rate = await measure(name, writers[name]);
      results[name]!.push(rate);
      process.stderr.write(`[drivers] round ${round}/${rounds} ${name}: ${Math.round(rate)} rows/s\n`);
    }
  }
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;
  for (const [name, list] of Object.entries(results)) {
    console.log(JSON.stringify({ driver: name, batch, rounds, seconds_per_round: roundSeconds, rows_per_second_median: Math.round(median(list)) }));
  }
  const ratio = median(results['postgres.js']!) / median(results.pg!);
  console.log(JSON.stringify({ comparison: 'postgres.js / pg', ratio: Math.round(ratio * 100) / 100 }));
} finally {
  await client.end().catch(() => undefined);
  await sql.end({ timeout: 5 });
  await database.drop();
}
