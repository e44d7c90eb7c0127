/**
 * A batch whose writes would break the balance invariant (debits = credits)
 * is a bug in the ledger's code, not bad input: the writer must halt loudly
 * and write nothing, never retry or dead-letter the messages. A test hook
 * plays the bug: it changes one entry's amount after the engine produced the
 * batch, before the check runs. Then: nothing of the batch is in the
 * database, its messages are back in the RabbitMQ queue untouched (neither in
 * a retry queue nor dead-lettered), /health/ready and /metrics say so, and one
 * fatal log line names the message ids. A ledger started without the bug (the
 * fixed code) then applies them, once.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { userAccountId } from '@t50/contracts';
import { createLogger } from '@t50/kit';
import { eventually, rabbitmqctl } from '@t50/kit/testing';
import { ledgerQueue } from '../src/messages/consumer';
import { createTransactionsService, type TransactionsService } from '../src/service';
import { WriterHaltedError } from '../src/ledger/writer';
import { startTestLedger, testLedgerConfig, type TestLedger } from '../src/testing';
import { asMessage, deposit, registered, uid } from './helpers';

describe('a batch that would break the balance invariant', () => {
  let ledger: TestLedger;
  let fixed: TransactionsService | undefined;
  const logLines: Record<string, unknown>[] = [];
  /** The transfer whose first entry the "bug" changes. */
  let broken: string | undefined;

  before(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line.trim() !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
        }
        done();
      },
    });
    ledger = await startTestLedger(
      'invariant-halt',
      {},
      {
        logger: createLogger({ service: 'test-invariant-halt', level: 'warn', destination }),
        writerHooks: {
          beforeInvariantCheck(writes) {
            const index = writes.entries.findIndex((entry) => entry.transferId === broken);
            const entry = writes.entries[index];
            if (entry !== undefined) writes.entries[index] = { ...entry, amount: entry.amount + 1n };
          },
        },
      },
    );
  });
  after(async () => {
    await fixed?.close();
    await ledger?.close();
  });

  /** Messages per ledger queue, ready or delivered and not yet settled. */
  async function queueDepths(): Promise<Map<string, { ready: number; unacked: number }>> {
    const output = await rabbitmqctl([
      'list_queues',
      '-p',
      ledger.vhost,
      'name',
      'messages_ready',
      'messages_unacknowledged',
      '--formatter',
      'json',
    ]);
    const rows = JSON.parse(output) as { name: string; messages_ready: number; messages_unacknowledged: number }[];
    return new Map(
      rows
        .filter((row) => row.name.startsWith(ledgerQueue))
        .map((row) => [row.name, { ready: row.messages_ready, unacked: row.messages_unacknowledged }]),
    );
  }

  async function balance(user: string): Promise<string | undefined> {
    const [row] = await ledger.db.query<{ balance: string }>(
      'select (posted_credits - posted_debits)::text as balance from accounts where id = $1',
      [userAccountId(user, 'USD')],
    );
    return row?.balance;
  }

  it(
    'halts the writer: nothing written, the messages back in the queue untouched, not ready, one fatal line',
    { timeout: 120_000 },
    async () => {
      const user = uid('halt');
      await ledger.send(registered(user));
      await ledger.events.waitForCount((e) => e.type === 'ledger.account.opened' && e.data.account.ownerId === user, 3);
      const first = deposit(user, '10', `pi_ok_${user}`);
      await ledger.send(first);
      await ledger.events.waitFor((e) => e.type === 'ledger.transfer.posted' && e.data.messageId === first.id);
      const app = ledger.service.app;
      assert.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200);

      const badPayment = uid('pi_bad_');
      const bad = deposit(user, '20', badPayment);
      const next = deposit(user, '30', uid('pi_next_'));
      broken = `deposit:stripe:${badPayment}`;
      await ledger.transport.publishMany([asMessage(bad), asMessage(next)]);

      const ready = await eventually(
        async () => {
          const answer = await app.inject({ method: 'GET', url: '/health/ready' });
          return answer.statusCode === 503 ? answer : undefined;
        },
        { what: 'the service reporting itself not ready' },
      );
      assert.deepEqual(ready.json(), {
        status: 'unavailable',
        checks: { database: 'ok', broker: 'ok', writers: 'failing' },
      });
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(metrics, /^ledger_writer_halted\{partition="0"\} 1$/m);

      // Both messages go back to the ledger's queue, as they were: not acked,
      // not in a retry queue, not dead-lettered; and no consumer takes them.
      const depths = await eventually(
        async () => {
          const seen = await queueDepths();
          return seen.get(ledgerQueue)?.ready === 2 ? seen : undefined;
        },
        { what: 'both messages ready in the ledger queue' },
      );
      for (const [name, depth] of depths) {
        assert.deepEqual(depth, name === ledgerQueue ? { ready: 2, unacked: 0 } : { ready: 0, unacked: 0 }, name);
      }

      // Nothing of the batch was written: no transfer, no entry, no inbox row, no event.
      const ids = [bad.id, next.id];
      const transfers = await ledger.db.query('select id from transfers where message_id = any($1::text[])', [ids]);
      assert.deepEqual([...transfers], []);
      const inbox = await ledger.db.query('select message_id from inbox where message_id = any($1::text[])', [ids]);
      assert.deepEqual([...inbox], []);
      assert.equal(await balance(user), '10');
      assert.deepEqual(
        ledger.events.events.filter((e) => 'messageId' in e.data && ids.includes(e.data.messageId)),
        [],
        'no event for either message',
      );

      // One fatal line, with the message ids and what broke; no user id in it.
      const fatal = logLines.filter((line) => line.level === 60);
      assert.equal(fatal.length, 1, JSON.stringify(fatal));
      assert.match(String(fatal[0]!.msg), /^ledger invariant broken/);
      assert.ok((fatal[0]!.messageIds as string[]).includes(bad.id), JSON.stringify(fatal[0]));
      assert.match(String(fatal[0]!.invariant), /debits and credits differ by/);
      assert.ok(!JSON.stringify(fatal[0]).includes(user), 'no user id in the fatal line');

      // A command from HTTP is refused too: the halted writer takes nothing until a restart.
      const writer = ledger.service.writers[0]!;
      assert.equal(writer.halted, true);
      const open = {
        messageId: `open-${user}`,
        commandType: 'ledger.account.open',
        command: { kind: 'open_accounts' as const, ownerId: user, assets: ['EUR'] },
      };
      await assert.rejects(writer.submit([open]), WriterHaltedError);

      // The fixed code (no hook) applies both messages, once.
      broken = undefined;
      fixed = await createTransactionsService({
        config: testLedgerConfig(),
        db: ledger.db,
        transport: ledger.transport,
        logger: ledger.logger,
      });
      for (const message of [bad, next]) {
        await ledger.events.waitFor((e) => e.type === 'ledger.transfer.posted' && e.data.messageId === message.id);
      }
      assert.equal(await balance(user), '60');
      assert.equal((await fixed.app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200);
    },
  );
});
