/**
 * One message of a delivered batch that cannot be written (here a database
 * trigger refuses its inbox row, as a real constraint or data error would)
 * must not take its neighbours with it: they are committed and acked once,
 * and only the failing message is retried and finally dead-lettered with its
 * own reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { userAccountId } from '@t50/contracts';
import { sleep } from '@t50/kit';
import { until } from '@t50/kit/testing';
import { drainDeadLetters, startTestLedger, type TestLedger } from '../src/testing';
import { asMessage, deposit, registered, uid } from './helpers';

describe('a batch with one message that cannot be written', () => {
  let ledger: TestLedger;
  before(async () => {
    // Batches fill for 300 ms, so the burst below is delivered and written as one batch.
    ledger = await startTestLedger('poison', { LEDGER_BATCH_MAX_MESSAGES: 100, LEDGER_BATCH_MAX_WAIT_MS: 300 });
  });
  after(async () => {
    await ledger?.close();
  });

  it('acks the neighbours once and dead-letters only the failing message, with its own reason', { timeout: 120_000 }, async () => {
    const user = uid('poison');
    await ledger.send(registered(user));
    await ledger.events.waitForCount((e) => e.type === 'ledger.account.opened' && e.data.account.ownerId === user, 3);

    const poisonId = `msg-pi_poison_${uid()}`;
    await ledger.db.query(`
      create function refuse_poison() returns trigger language plpgsql as $$
      begin
        if new.message_id = '${poisonId}' then
          raise exception 'the test refuses this row' using errcode = '22023';
        end if;
        return new;
      end $$`);
    await ledger.db.query('create trigger refuse_poison before insert on inbox for each row execute function refuse_poison()');

    const deposits = Array.from({ length: 20 }, (_, index) => deposit(user, '10', `pi_neighbour_${user}_${index}`));
    deposits[7] = { ...deposit(user, '10', `pi_poison_${user}`), id: poisonId };
    await ledger.transport.publishMany(deposits.map((message) => asMessage(message)));

    // The poison goes through its retries (about 12 s) and then to the dead-letter queue.
    const dead: Awaited<ReturnType<typeof drainDeadLetters>> = [];
    await until(
      async () => {
        dead.push(...(await drainDeadLetters(ledger.transport)));
        return dead.length > 0;
      },
      { timeoutMs: 60_000, what: 'a dead letter' },
    );
    // A real pause: anything else that would follow it has had time to arrive too.
    await sleep(2_000);
    dead.push(...(await drainDeadLetters(ledger.transport)));

    assert.deepEqual(
      dead.map((letter) => letter.messageId),
      [poisonId],
      `only the failing message is dead-lettered; got ${JSON.stringify(dead.map((l) => [l.messageId, l.reason]))}`,
    );
    assert.match(dead[0]!.reason, /^write_failed: the test refuses this row$/);

    const rows = await ledger.db.query<{ n: string }>(
      "select count(*)::text as n from inbox where message_id like 'msg-pi_neighbour_%' and message_id like $1",
      [`%${user}%`],
    );
    assert.equal(rows[0]?.n, '19', 'the 19 neighbours are recorded');
    const [account] = await ledger.db.query<{ balance: string }>(
      'select (posted_credits - posted_debits)::text as balance from accounts where id = $1',
      [userAccountId(user, 'USD')],
    );
    assert.equal(account?.balance, '190', 'each neighbour counted once, the poison not at all');
  });
});
