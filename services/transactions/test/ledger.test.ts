/**
 * The ledger as other services see it: messages in through RabbitMQ, events
 * out, balances over HTTP, against the real PostgreSQL and RabbitMQ.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemAccountId, userAccountId, type LedgerEvent } from '@t50/contracts';
import { sleep } from '@t50/kit';
import { until } from '@t50/kit/testing';
import { drainDeadLetters, startTestLedger, testApiKey, type TestLedger } from '../src/testing';
import { verifyLedger } from '../src/verify/verify';
import { deposit, post, registered, transfer, uid, voidHold } from './helpers';

const USD = (user: string) => userAccountId(user, 'USD');
const ETH = (user: string) => userAccountId(user, 'ETH');

describe('ledger over RabbitMQ', () => {
  let ledger: TestLedger;
  const get = async (url: string) => {
    const response = await ledger.service.app.inject({ method: 'GET', url, headers: { 'x-api-key': testApiKey } });
    return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
  };
  const account = async (id: string) => (await get(`/v1/accounts/${id}`)).body as Record<string, string>;
  const postedFor = (transferId: string) => (e: LedgerEvent) =>
    e.type === 'ledger.transfer.posted' && e.data.transfer.transferId === transferId;
  const rejectedFor = (messageId: string) => (e: LedgerEvent) =>
    e.type === 'ledger.transfer.rejected' && e.data.messageId === messageId;

  /** A registered user with `usd` cents deposited. */
  async function fundedUser(usd: string): Promise<string> {
    const user = uid();
    await ledger.send(registered(user));
    await ledger.events.waitForCount((e) => e.type === 'ledger.account.opened' && e.data.account.ownerId === user, 3);
    if (usd !== '0') {
      const paymentId = uid('pi_');
      await ledger.send(deposit(user, usd, paymentId));
      await ledger.events.waitFor(postedFor(`deposit:stripe:${paymentId}`));
    }
    return user;
  }

  before(async () => {
    ledger = await startTestLedger('ledger');
  });
  after(async () => {
    await ledger?.close();
  });

  it('records a fiat deposit: clearing -> user, with entries and balance_after', async () => {
    const user = await fundedUser('0');
    const paymentId = uid('pi_');
    await ledger.send(deposit(user, '1999', paymentId));
    const event = await ledger.events.waitFor(postedFor(`deposit:stripe:${paymentId}`));
    assert.equal(event.type, 'ledger.transfer.posted');
    assert.deepEqual(event.data.transfer.legs, [
      {
        debitAccountId: systemAccountId('stripe_clearing', 'USD'),
        creditAccountId: USD(user),
        asset: 'USD',
        amount: '1999',
      },
    ]);
    const view = await account(USD(user));
    assert.equal(view.balance, '1999');
    assert.equal(view.available, '1999');
    const entries = await get(`/v1/accounts/${USD(user)}/entries`);
    const list = entries.body.entries as { side: string; amount: string; balanceAfter: string; code: string }[];
    assert.equal(list.length, 1);
    assert.deepEqual(
      [list[0]!.side, list[0]!.amount, list[0]!.balanceAfter, list[0]!.code],
      ['credit', '1999', '1999', 'deposit'],
    );
  });

  it('posts a withdrawal hold in part and releases the rest', async () => {
    const user = await fundedUser('10000');
    const holdId = uid('hold-');
    await ledger.send(
      transfer(
        holdId,
        [
          {
            debitAccountId: USD(user),
            creditAccountId: systemAccountId('payouts_in_flight', 'USD'),
            asset: 'USD',
            amount: '4000',
          },
        ],
        { pending: { timeoutSeconds: 600 }, code: 'withdrawal' },
      ),
    );
    await ledger.events.waitFor((e) => e.type === 'ledger.transfer.pending' && e.data.transfer.transferId === holdId);
    let view = await account(USD(user));
    assert.deepEqual([view.balance, view.pendingDebits, view.available], ['10000', '4000', '6000']);

    await ledger.send(post(holdId, '2500'));
    const posted = await ledger.events.waitFor(postedFor(`${holdId}:post`));
    assert.equal(posted.type === 'ledger.transfer.posted' && posted.data.transfer.legs[0]?.amount, '2500');
    view = await account(USD(user));
    assert.deepEqual([view.balance, view.pendingDebits, view.available], ['7500', '0', '7500']);
    const hold = await get(`/v1/transfers/${holdId}`);
    assert.equal(hold.body.state, 'posted');

    // A posted hold cannot be posted or voided again.
    await ledger.send(voidHold(holdId));
    const refused = await ledger.events.waitFor(rejectedFor(`msg-${holdId}:void`));
    assert.equal(refused.type === 'ledger.transfer.rejected' && refused.data.code, 'hold_already_posted');
  });

  it('voids a hold: the money is available again and nothing is posted', async () => {
    const user = await fundedUser('5000');
    const holdId = uid('hold-');
    await ledger.send(
      transfer(
        holdId,
        [
          {
            debitAccountId: USD(user),
            creditAccountId: systemAccountId('payouts_in_flight', 'USD'),
            asset: 'USD',
            amount: '5000',
          },
        ],
        { pending: { timeoutSeconds: 600 } },
      ),
    );
    await ledger.events.waitFor((e) => e.type === 'ledger.transfer.pending' && e.data.transfer.transferId === holdId);
    assert.equal((await account(USD(user))).available, '0');
    await ledger.send(voidHold(holdId));
    const voided = await ledger.events.waitFor(
      (e) => e.type === 'ledger.transfer.voided' && e.data.transfer.pendingId === holdId,
    );
    assert.equal(voided.type === 'ledger.transfer.voided' && voided.data.reason, 'voided');
    const view = await account(USD(user));
    assert.deepEqual([view.balance, view.pendingDebits, view.available], ['5000', '0', '5000']);
    assert.equal((await get(`/v1/transfers/${holdId}`)).body.state, 'voided');
  });

  it('voids an expired hold by itself, and refuses to post it afterwards', async () => {
    const user = await fundedUser('3000');
    const holdId = uid('hold-');
    await ledger.send(
      transfer(
        holdId,
        [
          {
            debitAccountId: USD(user),
            creditAccountId: systemAccountId('payouts_in_flight', 'USD'),
            asset: 'USD',
            amount: '1000',
          },
        ],
        { pending: { timeoutSeconds: 1 } },
      ),
    );
    const expired = await ledger.events.waitFor(
      (e) => e.type === 'ledger.transfer.voided' && e.data.transfer.pendingId === holdId,
      10_000,
    );
    assert.equal(expired.type === 'ledger.transfer.voided' && expired.data.reason, 'expired');
    assert.equal((await account(USD(user))).available, '3000');
    assert.equal((await get(`/v1/transfers/${holdId}`)).body.state, 'expired');
    await ledger.send(post(holdId));
    const refused = await ledger.events.waitFor(rejectedFor(`msg-${holdId}:post`));
    assert.equal(refused.type === 'ledger.transfer.rejected' && refused.data.code, 'hold_expired');
  });

  it('executes a trade with fiat, ETH and fee legs all or nothing', async () => {
    const user = await fundedUser('100000');
    const trade = (quoteId: string, fiatAmount: string) => ({
      id: `msg-${quoteId}`,
      type: 'gateway.trade.executed' as const,
      version: 1 as const,
      data: {
        quoteId,
        userId: user,
        side: 'buy' as const,
        fiatAsset: 'USD',
        fiatAmount,
        ethAmount: '25000000000000000',
        feeAmount: '150',
      },
    });
    const ok = uid('q');
    await ledger.send(trade(ok, '50000'));
    const event = await ledger.events.waitFor(postedFor(`trade:${ok}`));
    assert.equal(event.type === 'ledger.transfer.posted' && event.data.transfer.legs.length, 3);
    assert.equal((await account(USD(user))).balance, String(100000 - 50000 - 150));
    assert.equal((await account(ETH(user))).balance, '25000000000000000');

    // 49,850 left: a 49,800 buy plus a 150 fee is 50 short. Nothing may move.
    const short = uid('q');
    await ledger.send(trade(short, '49800'));
    const refused = await ledger.events.waitFor(rejectedFor(`msg-${short}`));
    assert.equal(refused.type === 'ledger.transfer.rejected' && refused.data.code, 'insufficient_funds');
    assert.equal((await account(USD(user))).balance, '49850');
    assert.equal((await account(ETH(user))).balance, '25000000000000000');
    assert.equal((await get(`/v1/transfers/trade:${short}`)).status, 404);
  });

  it('refuses an overdraft while a concurrent deposit lands, over the queue and over HTTP at once', async () => {
    const user = await fundedUser('100');
    const other = await fundedUser('0');
    const sendId = uid('s');
    const paymentId = uid('pi_');
    const httpSend = uid('h');
    await Promise.all([
      ledger.send(
        transfer(sendId, [{ debitAccountId: USD(user), creditAccountId: USD(other), asset: 'USD', amount: '300' }]),
      ),
      ledger.send(deposit(user, '100', paymentId)),
      ledger.service.app
        .inject({
          method: 'POST',
          url: '/v1/commands',
          headers: { 'x-api-key': testApiKey },
          payload: transfer(httpSend, [
            { debitAccountId: USD(user), creditAccountId: USD(other), asset: 'USD', amount: '250' },
          ]),
        })
        .then((response) => {
          assert.equal(response.statusCode, 422);
          assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
          assert.equal(response.json<{ code: string }>().code, 'insufficient_funds');
        }),
    ]);
    const refused = await ledger.events.waitFor(rejectedFor(`msg-${sendId}`));
    assert.equal(refused.type === 'ledger.transfer.rejected' && refused.data.code, 'insufficient_funds');
    await ledger.events.waitFor(postedFor(`deposit:stripe:${paymentId}`));
    assert.equal((await account(USD(user))).balance, '200');
    assert.equal((await account(USD(other))).balance, '0');
  });

  it('applies a message delivered twice, and one delivered 100 times at once, exactly once', async () => {
    const user = await fundedUser('0');
    const twice = uid('pi_');
    await ledger.send(deposit(user, '10', twice));
    await ledger.events.waitFor(postedFor(`deposit:stripe:${twice}`));
    await ledger.send(deposit(user, '10', twice));

    const hundred = uid('pi_');
    await Promise.all(Array.from({ length: 100 }, () => ledger.send(deposit(user, '1000', hundred))));
    await ledger.events.waitFor(postedFor(`deposit:stripe:${hundred}`));
    // Give every copy time to be consumed, then count what happened.
    const marker = uid('pi_');
    await ledger.send(deposit(user, '1', marker));
    await ledger.events.waitFor(postedFor(`deposit:stripe:${marker}`));
    assert.equal((await account(USD(user))).balance, '1011');
    assert.equal(ledger.events.events.filter(postedFor(`deposit:stripe:${hundred}`)).length, 1);
    assert.equal(ledger.events.events.filter(postedFor(`deposit:stripe:${twice}`)).length, 1);
    const [row] = await ledger.db.query<{ n: string }>(
      'select count(*)::text as n from entries where transfer_id = $1',
      [`deposit:stripe:${hundred}`],
    );
    assert.equal(row?.n, '2');
  });

  it('answers the same transfer id with the same content with the first outcome, and with other content as a conflict', async () => {
    const user = await fundedUser('500');
    const other = await fundedUser('0');
    const id = uid('t');
    const legs = [{ debitAccountId: USD(user), creditAccountId: USD(other), asset: 'USD', amount: '100' }];
    await ledger.send(transfer(id, legs, { id: `${id}-a` }));
    await ledger.events.waitFor(postedFor(id));
    const replay = await ledger.service.app.inject({
      method: 'POST',
      url: '/v1/commands',
      headers: { 'x-api-key': testApiKey },
      payload: transfer(id, legs, { id: `${id}-b` }),
    });
    assert.equal(replay.statusCode, 200);
    assert.equal(replay.json<{ duplicate: boolean }>().duplicate, true);
    assert.equal(replay.json<{ transfer: { transferId: string } }>().transfer.transferId, id);

    await ledger.send(transfer(id, [{ ...legs[0]!, amount: '101' }], { id: `${id}-c` }));
    const conflict = await ledger.events.waitFor(rejectedFor(`${id}-c`));
    assert.equal(conflict.type === 'ledger.transfer.rejected' && conflict.data.code, 'conflict');
    assert.equal((await account(USD(other))).balance, '100');
  });

  it('answers a reused envelope id with other content as a conflict, not as a duplicate', async () => {
    const user = await fundedUser('500');
    const other = await fundedUser('0');
    const id = uid('t');
    const legs = [{ debitAccountId: USD(user), creditAccountId: USD(other), asset: 'USD', amount: '100' }];
    const post = (payload: object) =>
      ledger.service.app.inject({ method: 'POST', url: '/v1/commands', headers: { 'x-api-key': testApiKey }, payload });
    assert.equal((await post(transfer(id, legs, { id: `${id}-env` }))).statusCode, 200);
    const same = await post(transfer(id, legs, { id: `${id}-env` }));
    assert.equal(same.statusCode, 200);
    assert.equal(same.json<{ duplicate: boolean }>().duplicate, true);
    const otherAmount = await post(transfer(id, [{ ...legs[0]!, amount: '300' }], { id: `${id}-env` }));
    assert.equal(otherAmount.statusCode, 409);
    assert.equal(otherAmount.json<{ code: string }>().code, 'conflict');
    assert.match(otherAmount.json<{ title: string }>().title, /envelope id was used for another command/);
    const otherTransfer = await post(transfer(uid('t'), legs, { id: `${id}-env` }));
    assert.equal(otherTransfer.statusCode, 409);
    assert.equal((await account(USD(other))).balance, '100');
    assert.equal((await account(USD(user))).balance, '400');
  });

  it('sends the outcome to reply_to with the correlation id', async () => {
    const user = await fundedUser('700');
    const replies: { correlationId: string | undefined; body: LedgerEvent }[] = [];
    await ledger.transport.declareQueue({ name: 'test.replies' });
    const subscription = await ledger.transport.consume('test.replies', (delivery) => {
      replies.push({
        correlationId: delivery.correlationId,
        body: JSON.parse(delivery.body.toString('utf8')) as LedgerEvent,
      });
      return Promise.resolve();
    });
    const id = uid('t');
    await ledger.send(
      transfer(id, [
        { debitAccountId: USD(user), creditAccountId: systemAccountId('fees', 'USD'), asset: 'USD', amount: '900' },
      ]),
      {
        replyTo: 'test.replies',
        correlationId: 'corr-1',
      },
    );
    await until(() => replies.length > 0, { timeoutMs: 10_000, what: 'a reply on test.replies' });
    await subscription.close();
    assert.equal(replies.length, 1);
    assert.equal(replies[0]!.correlationId, 'corr-1');
    assert.equal(replies[0]!.body.type, 'ledger.transfer.rejected');
  });

  it('dead-letters malformed messages with a reason, rejects well-formed refusals, and keeps consuming', async () => {
    const user = await fundedUser('100');
    const base = deposit(user, '5', 'pi_shape');
    const malformed: [string, unknown][] = [
      ['not json', '{"id": "x", oops'],
      ['wrong schema', { id: 'bad-schema', type: 'payments.deposit.succeeded', version: 1, data: { paymentId: 'p' } }],
      ['negative amount', { ...base, id: 'bad-negative', data: { ...base.data, amount: '-5' } }],
      ['fractional amount', { ...base, id: 'bad-fraction', data: { ...base.data, amount: '5.5' } }],
      ['79-digit amount', { ...base, id: 'bad-79', data: { ...base.data, amount: '1'.repeat(79) } }],
      ['number amount', { ...base, id: 'bad-number', data: { ...base.data, amount: 5 } }],
      ['unknown type', { id: 'bad-type', type: 'payments.deposit.exploded', version: 1, data: {} }],
      ['too large', { ...base, id: 'bad-large', data: { ...base.data, paymentId: 'p'.repeat(70_000) } }],
    ];
    for (const [, body] of malformed)
      await ledger.send(typeof body === 'string' ? body : body, { routingKey: 'payments.deposit.succeeded' });
    await ledger.send({ ...base, id: 'bad-asset', data: { ...base.data, paymentId: 'pi_asset', asset: 'XYZ' } });
    await ledger.send({ ...base, id: 'bad-account', data: { ...base.data, paymentId: 'pi_nouser', userId: 'nobody' } });
    const good = uid('pi_');
    await ledger.send(deposit(user, '7', good));
    await ledger.events.waitFor(postedFor(`deposit:stripe:${good}`));
    const unknownAsset = await ledger.events.waitFor(rejectedFor('bad-asset'));
    assert.equal(unknownAsset.type === 'ledger.transfer.rejected' && unknownAsset.data.code, 'unknown_asset');
    const unknownAccount = await ledger.events.waitFor(rejectedFor('bad-account'));
    assert.equal(unknownAccount.type === 'ledger.transfer.rejected' && unknownAccount.data.code, 'account_not_found');

    const dead = await drainDeadLetters(ledger.transport);
    const reasons = dead.map((letter) => letter.reason.split(':')[0]);
    assert.equal(dead.length, malformed.length, `dead letters: ${JSON.stringify(reasons)}`);
    assert.deepEqual(
      reasons.sort(),
      [
        'invalid_schema',
        'invalid_schema',
        'invalid_schema',
        'invalid_schema',
        'invalid_schema',
        'malformed_json',
        'message_too_large',
        'unknown_type',
      ].sort(),
    );
    assert.equal((await account(USD(user))).balance, '107');
  });

  it('serves the read API only with a key, and answers problems for bad input', async () => {
    const user = await fundedUser('100');
    assert.equal(
      (await ledger.service.app.inject({ method: 'GET', url: `/v1/accounts/${USD(user)}` })).statusCode,
      401,
    );
    const forged = await ledger.service.app.inject({
      method: 'GET',
      url: `/v1/accounts/${USD(user)}`,
      headers: { 'x-api-key': 'x'.repeat(40) },
    });
    assert.equal(forged.statusCode, 401);
    assert.equal(forged.json<{ code: string }>().code, 'unauthorized');
    assert.equal((await get('/v1/accounts/user:nobody:USD')).status, 404);
    const owners = await get(`/v1/owners/${user}/accounts`);
    assert.deepEqual(
      (owners.body.accounts as { asset: string }[]).map((a) => a.asset),
      ['ETH', 'EUR', 'USD'],
    );
    const badJson = await ledger.service.app.inject({
      method: 'POST',
      url: '/v1/commands',
      headers: { 'x-api-key': testApiKey, 'content-type': 'application/json' },
      payload: '{"nope',
    });
    assert.equal(badJson.statusCode, 400);
    assert.equal(badJson.json<{ code: string }>().code, 'malformed_json');
    const negative = await ledger.service.app.inject({
      method: 'POST',
      url: '/v1/commands',
      headers: { 'x-api-key': testApiKey },
      payload: transfer(uid('t'), [
        { debitAccountId: USD(user), creditAccountId: systemAccountId('fees', 'USD'), asset: 'USD', amount: '-1' },
      ]),
    });
    assert.equal(negative.statusCode, 400);
    assert.equal(negative.json<{ code: string }>().code, 'invalid_request');
    assert.equal((await account(USD(user))).balance, '100');
  });

  it('paginates entries newest first and filters by code, time and metadata; answers balances at a time', async () => {
    const user = await fundedUser('1000');
    const before = new Date();
    // A real pause: what is recorded from here on is strictly after `before`.
    await sleep(20);
    for (let index = 0; index < 5; index += 1) {
      const id = uid('t');
      await ledger.send(
        transfer(
          id,
          [{ debitAccountId: USD(user), creditAccountId: systemAccountId('fees', 'USD'), asset: 'USD', amount: '10' }],
          { metadata: { order: `o${index}` } },
        ),
      );
      await ledger.events.waitFor(postedFor(id));
    }
    const page1 = await get(`/v1/accounts/${USD(user)}/entries?limit=4`);
    const first = page1.body.entries as { seq: string; code: string; balanceAfter: string }[];
    assert.equal(first.length, 4);
    assert.deepEqual(
      first.map((e) => e.balanceAfter),
      ['950', '960', '970', '980'],
    );
    const page2 = await get(`/v1/accounts/${USD(user)}/entries?limit=4&cursor=${String(page1.body.nextCursor)}`);
    const second = page2.body.entries as { code: string; balanceAfter: string }[];
    assert.deepEqual(
      second.map((e) => e.balanceAfter),
      ['990', '1000'],
    );
    assert.equal(page2.body.nextCursor, null);
    const deposits = await get(`/v1/accounts/${USD(user)}/entries?code=deposit`);
    assert.equal((deposits.body.entries as unknown[]).length, 1);
    const byMeta = await get(`/v1/accounts/${USD(user)}/entries?metadataKey=order&metadataValue=o3`);
    assert.deepEqual(
      (byMeta.body.entries as { balanceAfter: string }[]).map((e) => e.balanceAfter),
      ['960'],
    );
    const since = await get(`/v1/accounts/${USD(user)}/entries?from=${encodeURIComponent(before.toISOString())}`);
    assert.equal((since.body.entries as unknown[]).length, 5);
    const then = await get(`/v1/accounts/${USD(user)}/balance?at=${encodeURIComponent(before.toISOString())}`);
    assert.equal(then.body.balance, '1000');
    const now = await get(`/v1/accounts/${USD(user)}/balance`);
    assert.equal(now.body.balance, '950');
  });

  it('verifies the books after all of the above', async () => {
    const report = await verifyLedger(ledger.db);
    assert.equal(report.ok, true, JSON.stringify(report.checks.filter((check) => !check.ok)));
    const http = await get('/v1/verify');
    assert.equal(http.status, 200);
    assert.equal(http.body.ok, true);
  });
});
