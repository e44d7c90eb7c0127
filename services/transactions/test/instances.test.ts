/**
 * Two instances of the ledger on the same database and broker, two
 * partitions, LEDGER_COMMAND_ROUTE=queue: the first to subscribe is the
 * active consumer of every partition's queue; the second only stands by. HTTP
 * commands and hold expiries sent to the standby are applied by the active
 * instance's writers (one writer per partition across instances), and the
 * standby answers with the committed outcome.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { partitionOf, partitionedSystemAccountId, userAccountId, type LedgerEvent } from '@t50/contracts';
import { createPostgresDatabase, createRabbitTransport, sleep, type Database, type Transport } from '@t50/kit';
import { createTransactionsService, type TransactionsService, type TransactionsServiceConfig } from '../src/service';
import { until } from '@t50/kit/testing';
import { startTestLedger, testApiKey, type TestLedger } from '../src/testing';
import { registered, transfer, uid } from './helpers';

const partitions = 2;
const config: Partial<TransactionsServiceConfig> = {
  LEDGER_PARTITIONS: partitions,
  LEDGER_COMMAND_ROUTE: 'queue',
  LEDGER_COMMAND_TIMEOUT_MS: 15_000,
  LEDGER_HOLD_SWEEP_INTERVAL_MS: 3_600_000, // sweeps only when a test asks
};

describe('two instances, commands through the partition queues', () => {
  let active: TestLedger;
  let standby: TransactionsService;
  let standbyDb: Database;
  let standbyTransport: Transport;

  before(async () => {
    active = await startTestLedger('instances', config);
    standbyDb = createPostgresDatabase({ url: active.databaseUrl, maxConnections: 4 });
    standbyTransport = await createRabbitTransport({
      url: active.brokerUrl,
      logger: active.logger,
      connectionName: 'standby',
    });
    standby = await createTransactionsService({
      config: {
        TRANSACTIONS_API_KEYS: [testApiKey],
        LEDGER_QUEUE: 'ledger.inbox',
        LEDGER_PARTITIONS: partitions,
        LEDGER_COMMAND_ROUTE: 'queue',
        LEDGER_COMMAND_TIMEOUT_MS: 15_000,
        LEDGER_BATCH_MAX_MESSAGES: 100,
        LEDGER_BATCH_MAX_WAIT_MS: 5,
        LEDGER_MAX_MESSAGE_BYTES: 2048,
        LEDGER_HOLD_SWEEP_INTERVAL_MS: 3_600_000,
      },
      db: standbyDb,
      transport: standbyTransport,
      logger: active.logger,
    });
  });
  after(async () => {
    await standby?.close();
    await standbyTransport?.close();
    await standbyDb?.close();
    await active?.close();
  });

  const command = async (service: TransactionsService, payload: unknown) => {
    const response = await service.app.inject({
      method: 'POST',
      url: '/v1/commands',
      headers: { 'x-api-key': testApiKey },
      payload: payload as object,
    });
    return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
  };
  /** Commands applied by an instance's own writers, from its /metrics. */
  const appliedBy = async (service: TransactionsService) => {
    const text = (await service.app.inject({ method: 'GET', url: '/metrics' })).body;
    return [...text.matchAll(/^ledger_commands_total\{[^}]*\} (\S+)$/gm)].reduce(
      (sum, match) => sum + Number(match[1]),
      0,
    );
  };
  const balance = async (accountId: string) => {
    const response = await active.service.app.inject({
      method: 'GET',
      url: `/v1/accounts/${accountId}`,
      headers: { 'x-api-key': testApiKey },
    });
    return response.json<Record<string, string>>();
  };

  /** A user registered through the broker, once the ledger has opened their accounts. */
  const registeredUser = async () => {
    const user = uid();
    await active.send(registered(user));
    await active.events.waitForCount(
      (e: LedgerEvent) => e.type === 'ledger.account.opened' && e.data.account.ownerId === user,
      3,
    );
    return { user, partition: partitionOf(user, partitions) };
  };

  it('has the active instance apply what the standby receives, and the standby answer with the outcome', async () => {
    const { user, partition } = await registeredUser();
    const standbyBefore = await appliedBy(standby);
    const activeBefore = await appliedBy(active.service);

    const depositId = uid('dep-');
    const deposit = transfer(
      depositId,
      [
        {
          debitAccountId: partitionedSystemAccountId('stripe_clearing', 'USD', partition),
          creditAccountId: userAccountId(user, 'USD'),
          asset: 'USD',
          amount: '5000',
        },
      ],
      { code: 'deposit' },
    );
    const first = await command(standby, deposit);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.duplicate, false);
    assert.equal((first.body.transfer as { transferId: string }).transferId, depositId);
    assert.equal((await balance(userAccountId(user, 'USD'))).balance, '5000', 'committed when answered');

    const again = await command(standby, deposit);
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, true, 'the same envelope again: its first outcome');

    const tooMuch = await command(
      standby,
      transfer(
        uid('t-'),
        [
          {
            debitAccountId: userAccountId(user, 'USD'),
            creditAccountId: partitionedSystemAccountId('fees', 'USD', partition),
            asset: 'USD',
            amount: '9999',
          },
        ],
        { code: 'adjustment' as 'send' },
      ),
    );
    assert.equal(tooMuch.status, 422);
    assert.equal(tooMuch.body.code, 'insufficient_funds');

    assert.equal(await appliedBy(standby), standbyBefore, 'the standby wrote nothing itself');
    assert.ok((await appliedBy(active.service)) >= activeBefore + 2, 'the active instance applied them');
    assert.equal((await balance(userAccountId(user, 'USD'))).balance, '5000');
  });

  it('refuses at once a command larger than the queue takes, instead of waiting for it', async () => {
    const metadata = Object.fromEntries(Array.from({ length: 10 }, (_, index) => [`k${index}`, 'x'.repeat(250)]));
    const started = performance.now();
    const answer = await command(
      standby,
      transfer(
        uid('big-'),
        [
          {
            debitAccountId: partitionedSystemAccountId('fees', 'USD', 0),
            creditAccountId: partitionedSystemAccountId('treasury', 'USD', 0),
            asset: 'USD',
            amount: '1',
          },
        ],
        { metadata, code: 'adjustment' as 'send' },
      ),
    );
    assert.equal(answer.status, 400);
    assert.match(String(answer.body.detail), /^message_too_large: \d+ bytes, the limit is 2048$/);
    assert.ok(performance.now() - started < 5_000, 'answered without waiting for the timeout');
  });

  it('expires holds from the standby through the active instance, and ignores an early expiry', async () => {
    const { user, partition } = await registeredUser();
    const fund = await command(
      standby,
      transfer(
        uid('dep-'),
        [
          {
            debitAccountId: partitionedSystemAccountId('stripe_clearing', 'USD', partition),
            creditAccountId: userAccountId(user, 'USD'),
            asset: 'USD',
            amount: '1000',
          },
        ],
        { code: 'deposit' },
      ),
    );
    assert.equal(fund.status, 200);
    const payout = (holdId: string, timeoutSeconds: number) =>
      transfer(
        holdId,
        [
          {
            debitAccountId: userAccountId(user, 'USD'),
            creditAccountId: partitionedSystemAccountId('payouts_in_flight', 'USD', partition),
            asset: 'USD',
            amount: '300',
          },
        ],
        { code: 'withdrawal', pending: { timeoutSeconds } },
      );
    const soon = uid('hold-');
    const later = uid('hold-');
    assert.equal((await command(standby, payout(soon, 1))).status, 200);
    assert.equal((await command(standby, payout(later, 3600))).status, 200);
    assert.equal((await balance(userAccountId(user, 'USD'))).available, '400');

    // Due by the database's clock, which the sweep reads.
    await until(
      async () =>
        (
          await active.db.query<{ due: boolean }>(
            'select expires_at <= now() as due from holds where transfer_id = $1',
            [soon],
          )
        )[0]?.due === true,
      { what: `hold ${soon} due` },
    );
    const standbyBefore = await appliedBy(standby);
    assert.equal(await standby.sweepExpiredHolds(), 1);
    const voided = await active.events.waitFor(
      (e) => e.type === 'ledger.transfer.voided' && e.data.transfer.transferId === `expire:${soon}`,
    );
    assert.ok(voided.type === 'ledger.transfer.voided', 'the ledger voided the expired hold');
    assert.equal(voided.data.reason, 'expired');
    assert.equal(await appliedBy(standby), standbyBefore, 'the standby wrote nothing itself');
    assert.equal((await balance(userAccountId(user, 'USD'))).available, '700');

    // An expiry of a hold that is not due yet changes nothing, and leaves the hold to expire later.
    await active.send({ id: `expire:${later}`, type: 'ledger.hold.expire', version: 1, data: { pendingId: later } });
    // A real pause: an ignored expiry leaves no trace to wait for; what it would change has had time to show.
    await sleep(500);
    const [hold] = await active.db.query<{ state: string }>('select state from holds where transfer_id = $1', [later]);
    assert.equal(hold?.state, 'pending');
    const [inbox] = await active.db.query<{ n: string }>(
      'select count(*)::text as n from inbox where message_id = $1',
      [`expire:${later}`],
    );
    assert.equal(inbox?.n, '0', 'no inbox row: the real expiry can still come');
    assert.equal((await balance(userAccountId(user, 'USD'))).available, '700');
  });
});
