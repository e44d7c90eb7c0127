import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { userAccountId } from '@t50/contracts';
import { startTestLedger, type TestLedger } from '../src/testing';
import { deposit, registered, uid } from './helpers';

describe('ledger smoke', () => {
  let ledger: TestLedger;
  before(async () => {
    ledger = await startTestLedger('smoke');
  });
  after(async () => {
    await ledger?.close();
  });

  it('opens accounts on registration and records a deposit', async () => {
    const user = uid();
    await ledger.send(registered(user));
    await ledger.events.waitFor((e) => e.type === 'ledger.account.opened' && e.data.account.accountId === userAccountId(user, 'USD'));
    await ledger.send(deposit(user, '1250'));
    const posted = await ledger.events.waitFor((e) => e.type === 'ledger.transfer.posted' && e.data.transfer.legs[0]?.creditAccountId === userAccountId(user, 'USD'));
    assert.equal(posted.type, 'ledger.transfer.posted');
    const response = await ledger.service.app.inject({ method: 'GET', url: `/v1/accounts/${userAccountId(user, 'USD')}`, headers: { 'x-api-key': 'test-key-0123456789abcdef0123456789abcdef' } });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json<{ balance: string }>().balance, '1250');
  });
});
