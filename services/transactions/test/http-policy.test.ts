/**
 * What the ledger accepts is the same on HTTP and on the broker, against the
 * real PostgreSQL and RabbitMQ: an amount, a version or a timeout written as a
 * JSON number, text with U+0000, a metadata key outside its pattern are a 400
 * on POST /v1/commands and an `invalid_schema` dead letter on the queue, and
 * change nothing. What is stored is what is shown; every event the ledger
 * publishes passes its own catalog schema; a cursor the database cannot hold
 * is a 400; every answer carries the security headers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemAccountId, userAccountId, validatorFor, type LedgerEvent } from '@t50/contracts';
import { drainDeadLetters, startTestLedger, testApiKey, type TestLedger } from '../src/testing';
import { deposit, post, registered, transfer, uid, voidHold } from './helpers';

const USD = (user: string) => userAccountId(user, 'USD');
const fees = systemAccountId('fees', 'USD');

describe('ledger: one validation policy on HTTP and on the broker', () => {
  let ledger: TestLedger;
  const headers = { 'x-api-key': testApiKey, 'content-type': 'application/json' };
  const get = async (url: string) => {
    const response = await ledger.service.app.inject({ method: 'GET', url, headers: { 'x-api-key': testApiKey } });
    return { status: response.statusCode, body: response.json<Record<string, unknown>>(), headers: response.headers };
  };
  const command = async (payload: string | object) => {
    const response = await ledger.service.app.inject({ method: 'POST', url: '/v1/commands', headers, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });
    return { status: response.statusCode, body: response.json<{ code: string; errors?: { path: string; message: string }[] }>() };
  };
  const balance = async (accountId: string) => (await get(`/v1/accounts/${accountId}`)).body.balance;
  const postedFor = (transferId: string) => (e: LedgerEvent) => e.type === 'ledger.transfer.posted' && e.data.transfer.transferId === transferId;

  async function fundedUser(usd: string): Promise<string> {
    const user = uid();
    await ledger.send(registered(user));
    await ledger.events.waitForCount((e) => e.type === 'ledger.account.opened' && e.data.account.ownerId === user, 3);
    const paymentId = uid('pi_');
    await ledger.send(deposit(user, usd, paymentId));
    await ledger.events.waitFor(postedFor(`deposit:stripe:${paymentId}`));
    return user;
  }

  /** Sends each body to the ledger's queue and expects each one dead-lettered as invalid_schema, at once. */
  async function expectDeadLettered(bodies: readonly string[], routingKey: string | readonly string[]): Promise<void> {
    const started = Date.now();
    for (const [index, body] of bodies.entries()) await ledger.send(body, { routingKey: typeof routingKey === 'string' ? routingKey : routingKey[index]! });
    const dead: Awaited<ReturnType<typeof drainDeadLetters>> = [];
    while (dead.length < bodies.length && Date.now() - started < 10_000) dead.push(...(await drainDeadLetters(ledger.transport, undefined, 200)));
    const elapsed = Date.now() - started;
    assert.equal(dead.length, bodies.length, `dead letters: ${JSON.stringify(dead.map((letter) => letter.reason))}`);
    for (const letter of dead) assert.match(letter.reason, /^invalid_schema/, letter.body);
    // Refused by the schema on arrival, not retried until the database gives up.
    assert.ok(elapsed < 5_000, `dead-lettered after ${elapsed} ms`);
  }

  before(async () => {
    ledger = await startTestLedger('http_policy');
  });
  after(async () => {
    await ledger?.close();
  });

  it('refuses amounts, versions and timeouts written as JSON numbers, on HTTP and on the broker, and applies nothing', async () => {
    const user = await fundedUser('5000');
    const leg = (amount: string) => `[{"debitAccountId":"${USD(user)}","creditAccountId":"${fees}","asset":"USD","amount":${amount}}]`;
    const cases = (prefix: string) => {
      const id = (name: string) => `${prefix}-${name}-${uid('t')}`;
      return [
        ['big number', id('big'), (transferId: string) => `{"id":"m-${transferId}","type":"ledger.transfer.create","version":1,"data":{"transferId":"${transferId}","code":"send","legs":${leg('12345678901234567891')}}}`],
        ['exponent', id('exp'), (transferId: string) => `{"id":"m-${transferId}","type":"ledger.transfer.create","version":1,"data":{"transferId":"${transferId}","code":"send","legs":${leg('1e3')}}}`],
        ['fraction', id('frac'), (transferId: string) => `{"id":"m-${transferId}","type":"ledger.transfer.create","version":1,"data":{"transferId":"${transferId}","code":"send","legs":${leg('1.0')}}}`],
        ['version as text', id('ver'), (transferId: string) => `{"id":"m-${transferId}","type":"ledger.transfer.create","version":"1","data":{"transferId":"${transferId}","code":"send","legs":${leg('"5"')}}}`],
        ['timeout as text', id('tmo'), (transferId: string) => `{"id":"m-${transferId}","type":"ledger.transfer.create","version":1,"data":{"transferId":"${transferId}","code":"send","legs":${leg('"5"')},"pending":{"timeoutSeconds":"60"}}}`],
      ] as const;
    };
    for (const [name, transferId, body] of cases('http')) {
      const answer = await command(body(transferId));
      assert.equal(answer.status, 400, name);
      assert.equal(answer.body.code, 'invalid_request', name);
      assert.equal((await get(`/v1/transfers/${transferId}`)).status, 404, `${name}: nothing recorded`);
    }
    const broker = cases('amqp');
    await expectDeadLettered(
      broker.map(([, transferId, body]) => body(transferId)),
      'ledger.command.ledger.transfer.create',
    );
    for (const [name, transferId] of broker) assert.equal((await get(`/v1/transfers/${transferId}`)).status, 404, `${name}: nothing recorded`);
    assert.equal(await balance(USD(user)), '5000');
  });

  it('names the bad field of a command once, not once per command type', async () => {
    const user = await fundedUser('10');
    const answer = await command({
      id: uid('m'),
      type: 'ledger.transfer.create',
      version: 1,
      data: { transferId: uid('t'), code: 'send', legs: [{ debitAccountId: USD(user), creditAccountId: fees, asset: 'USD', amount: 5 }] },
    });
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body.errors, [{ path: 'body/data/legs/0/amount', message: 'must be string' }]);
  });

  it('refuses text with U+0000 (metadata, a payout failure reason) at once: 400 on HTTP, invalid_schema on the broker', async () => {
    const user = await fundedUser('1000');
    const transferId = uid('nul');
    const http = await command(transfer(transferId, [{ debitAccountId: USD(user), creditAccountId: fees, asset: 'USD', amount: '5' }], { metadata: { note: 'a\u0000b' } }));
    assert.equal(http.status, 400);
    assert.equal(http.body.code, 'invalid_request');
    assert.equal((await get(`/v1/transfers/${transferId}`)).status, 404);

    const payoutId = uid('po_');
    await ledger.send({ id: `req-${payoutId}`, type: 'payments.payout.requested', version: 1, data: { payoutId, provider: 'stripe', userId: user, asset: 'USD', amount: '300' } });
    await ledger.events.waitFor((e) => e.type === 'ledger.transfer.pending' && e.data.transfer.transferId === `payout:${payoutId}`);
    const brokerTransferId = uid('nul');
    await expectDeadLettered(
      [
        JSON.stringify(transfer(brokerTransferId, [{ debitAccountId: USD(user), creditAccountId: fees, asset: 'USD', amount: '5' }], { metadata: { note: 'a\u0000b' } })),
        JSON.stringify({ id: `fail-${payoutId}`, type: 'payments.payout.failed', version: 1, data: { payoutId, reason: 'bank said \u0000 no' } }),
      ],
      ['ledger.command.ledger.transfer.create', 'payments.payout.failed'],
    );
    assert.equal((await get(`/v1/transfers/${brokerTransferId}`)).status, 404);
    assert.equal((await get(`/v1/transfers/payout:${payoutId}`)).body.state, 'pending', 'the hold stays until a valid outcome arrives');
    assert.equal((await get(`/v1/accounts/${USD(user)}`)).body.available, '700');
  });

  it('accepts only metadata keys of the documented pattern and text values, on both paths; what is stored is what is shown', async () => {
    const user = await fundedUser('1000');
    const legs = [{ debitAccountId: USD(user), creditAccountId: fees, asset: 'USD', amount: '1' }];
    const badKeys = ['bad key!', '', 'k'.repeat(65), 'clé'];
    for (const key of badKeys) {
      const transferId = uid('md');
      const answer = await command(transfer(transferId, legs, { metadata: { [key]: 'v' } }));
      assert.equal(answer.status, 400, `key ${JSON.stringify(key)}`);
      assert.equal((await get(`/v1/transfers/${transferId}`)).status, 404);
    }
    for (const value of [5, true, null, { nested: 'x' }]) {
      const answer = await command({ ...transfer(uid('md'), legs), data: { ...transfer(uid('md'), legs).data, metadata: { k: value } } });
      assert.equal(answer.status, 400, `value ${JSON.stringify(value)}`);
    }
    const brokerBodies = [
      ...badKeys.map((key) => JSON.stringify(transfer(uid('mdq'), legs, { metadata: { [key]: 'v' } }))),
      ...[5, true, { nested: 'x' }].map((value) => {
        const message = transfer(uid('mdq'), legs);
        return JSON.stringify({ ...message, data: { ...message.data, metadata: { 'bad key!': value } } });
      }),
      (() => {
        const message = transfer(uid('mdq'), legs);
        return JSON.stringify({ ...message, data: { ...message.data, metadata: { k: 7 } } });
      })(),
    ];
    await expectDeadLettered(brokerBodies, 'ledger.command.ledger.transfer.create');
    assert.equal(await balance(USD(user)), '1000');

    const transferId = uid('md');
    const metadata = { 'order.id': 'A-1', ['k'.repeat(64)]: 'long key', note_2: 'text with spaces and ü' };
    const ok = await command(transfer(transferId, legs, { metadata }));
    assert.equal(ok.status, 200);
    const stored = await ledger.db.query<{ metadata: Record<string, string> }>('select metadata from transfers where id = $1', [transferId]);
    assert.deepEqual(stored[0]?.metadata, metadata);
    assert.deepEqual((await get(`/v1/transfers/${transferId}`)).body.metadata, metadata);
  });

  it('refuses a cursor the database cannot hold with a 400, and pages with one it can', async () => {
    const user = await fundedUser('10');
    for (const cursor of ['9999999999999999999', '9223372036854775808', '1'.repeat(40)]) {
      const answer = await get(`/v1/accounts/${USD(user)}/entries?cursor=${cursor}`);
      assert.equal(answer.status, 400, cursor);
      assert.equal(answer.body.code, 'invalid_request');
    }
    const page = await get(`/v1/accounts/${USD(user)}/entries?cursor=999999999999999999`);
    assert.equal(page.status, 200);
    assert.equal((page.body.entries as unknown[]).length, 1);
  });

  it('puts the security headers on every answer: reads, commands, problems, health', async () => {
    const user = await fundedUser('10');
    const answers = [
      await get(`/v1/accounts/${USD(user)}`),
      await get('/v1/accounts/nobody'),
      await get(`/v1/accounts/${USD(user)}/entries?cursor=x`),
      await get('/health/ready'),
      { headers: (await ledger.service.app.inject({ method: 'GET', url: '/v1/accounts/x' })).headers },
      { headers: (await ledger.service.app.inject({ method: 'POST', url: '/v1/commands', headers, payload: '{"oops' })).headers },
    ];
    for (const [index, answer] of answers.entries()) {
      assert.equal(answer.headers['cache-control'], 'no-store', `answer ${index}`);
      assert.equal(answer.headers['x-content-type-options'], 'nosniff', `answer ${index}`);
      assert.equal(answer.headers['x-frame-options'], 'DENY', `answer ${index}`);
      assert.equal(answer.headers['content-security-policy'], "frame-ancestors 'none'", `answer ${index}`);
      assert.equal(answer.headers['referrer-policy'], 'no-referrer', `answer ${index}`);
    }
  });

  it('publishes only events that pass their own catalog schema (posted, pending, voided, expired, rejected, opened)', async () => {
    const user = await fundedUser('1000');
    const legs = (amount: string) => [{ debitAccountId: USD(user), creditAccountId: fees, asset: 'USD', amount }];
    const metadata = { 'order.id': 'o-1', note: 'x' };
    await ledger.send(transfer(uid('ev'), legs('10'), { metadata }));
    const posted = uid('hold');
    await ledger.send(transfer(posted, legs('20'), { pending: { timeoutSeconds: 600 }, metadata }));
    await ledger.send(post(posted, '5'));
    const voided = uid('hold');
    await ledger.send(transfer(voided, legs('20'), { pending: { timeoutSeconds: 600 } }));
    await ledger.send(voidHold(voided));
    const expiring = uid('hold');
    await ledger.send(transfer(expiring, legs('20'), { pending: { timeoutSeconds: 1 } }));
    const refused = uid('big');
    await ledger.send(transfer(refused, legs('999999')));
    await ledger.events.waitFor((e) => e.type === 'ledger.transfer.voided' && e.data.transfer.pendingId === voided);
    await ledger.events.waitFor((e) => e.type === 'ledger.transfer.rejected' && e.data.transferId === refused);
    await ledger.events.waitFor((e) => e.type === 'ledger.transfer.posted' && e.data.transfer.pendingId === posted);
    await ledger.events.waitFor((e) => e.type === 'ledger.transfer.voided' && e.data.reason === 'expired' && e.data.transfer.pendingId === expiring, 15_000);

    const seen = new Set<string>();
    for (const event of ledger.events.events) {
      const check = validatorFor(event.type);
      assert.ok(check !== undefined, `no catalog schema for ${event.type}`);
      const errors = [...check.Errors(event)].map((error) => `${error.path}: ${error.message}`);
      assert.deepEqual(errors, [], `${event.type} ${JSON.stringify(event)}`);
      seen.add(event.type);
    }
    assert.deepEqual(
      [...seen].sort(),
      ['ledger.account.opened', 'ledger.transfer.pending', 'ledger.transfer.posted', 'ledger.transfer.rejected', 'ledger.transfer.voided'],
    );
  });
});
