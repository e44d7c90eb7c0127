/**
 * The posting rules, flow by flow, as the other services will drive them: each
 * domain event published on the real RabbitMQ, the outcome read back from the
 * ledger's events and its HTTP API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemAccountId, userAccountId, type DomainEvent, type LedgerEvent } from '@t50/contracts';
import { startTestLedger, testApiKey, type TestLedger } from '../src/testing';
import { verifyLedger } from '../src/verify/verify';
import { deposit, registered, uid } from './helpers';

const event = <E extends DomainEvent>(type: E['type'], data: E['data'], id = uid(`msg-${type}-`)) =>
  ({ id, type, version: 1, data }) as DomainEvent;
const txHash = () => `0x${Array.from({ length: 64 }, () => Math.floor(Math.random() * 16).toString(16)).join('')}`;
const ethWei = (eth: bigint) => (eth * 10n ** 18n).toString();

describe('posting rules over RabbitMQ', () => {
  let ledger: TestLedger;
  const get = async (url: string) => {
    const response = await ledger.service.app.inject({ method: 'GET', url, headers: { 'x-api-key': testApiKey } });
    return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
  };
  const account = async (id: string) => (await get(`/v1/accounts/${id}`)).body as Record<string, string>;
  const balances = async (id: string) => {
    const view = await account(id);
    return [view.balance, view.pendingDebits, view.available];
  };
  const state = async (transferId: string) => (await get(`/v1/transfers/${encodeURIComponent(transferId)}`)).body.state;
  const seen = (type: LedgerEvent['type'], transferId: string) => (e: LedgerEvent) =>
    e.type === type && 'transfer' in e.data && e.data.transfer.transferId === transferId;
  const rejection = async (messageId: string) => {
    const refused = await ledger.events.waitFor((e) => e.type === 'ledger.transfer.rejected' && e.data.messageId === messageId);
    return refused.type === 'ledger.transfer.rejected' ? refused.data.code : undefined;
  };

  async function newUser(): Promise<string> {
    const user = uid('p');
    await ledger.send(registered(user));
    await ledger.events.waitForCount((e) => e.type === 'ledger.account.opened' && e.data.account.ownerId === user, 3);
    return user;
  }

  before(async () => {
    ledger = await startTestLedger('posting');
  });
  after(async () => {
    await ledger?.close();
  });

  it('fiat payout: a hold on request, posted when paid out, voided when it fails, refused when short', async () => {
    const user = await newUser();
    const paymentId = uid('pp_');
    await ledger.send(deposit(user, '10000', paymentId, 'EUR'));
    await ledger.events.waitFor(seen('ledger.transfer.posted', `deposit:stripe:${paymentId}`));
    const EUR = userAccountId(user, 'EUR');

    const paid = uid('po_');
    await ledger.send(event('payments.payout.requested', { payoutId: paid, provider: 'paypal', userId: user, asset: 'EUR', amount: '4000' }));
    await ledger.events.waitFor(seen('ledger.transfer.pending', `payout:${paid}`));
    assert.deepEqual(await balances(EUR), ['10000', '4000', '6000']);
    await ledger.send(event('payments.payout.completed', { payoutId: paid }));
    await ledger.events.waitFor(seen('ledger.transfer.posted', `payout:${paid}:completed`));
    assert.deepEqual(await balances(EUR), ['6000', '0', '6000']);
    assert.equal(await state(`payout:${paid}`), 'posted');
    assert.equal((await account(systemAccountId('payouts_in_flight', 'EUR'))).postedCredits, '4000');

    const failed = uid('po_');
    await ledger.send(event('payments.payout.requested', { payoutId: failed, provider: 'stripe', userId: user, asset: 'EUR', amount: '3000' }));
    await ledger.events.waitFor(seen('ledger.transfer.pending', `payout:${failed}`));
    assert.deepEqual(await balances(EUR), ['6000', '3000', '3000']);
    await ledger.send(event('payments.payout.failed', { payoutId: failed, reason: 'bank account closed' }));
    const voided = await ledger.events.waitFor((e) => e.type === 'ledger.transfer.voided' && e.data.transfer.pendingId === `payout:${failed}`);
    assert.equal(voided.type === 'ledger.transfer.voided' && voided.data.transfer.metadata.reason, 'bank account closed');
    assert.deepEqual(await balances(EUR), ['6000', '0', '6000']);
    assert.equal(await state(`payout:${failed}`), 'voided');

    const tooMuch = event('payments.payout.requested', { payoutId: uid('po_'), provider: 'stripe', userId: user, asset: 'EUR', amount: '6001' });
    await ledger.send(tooMuch);
    assert.equal(await rejection(tooMuch.id), 'insufficient_funds');
    assert.deepEqual(await balances(EUR), ['6000', '0', '6000']);
  });

  it('chain deposit: wei beyond 64 bits, recorded once per tx hash and log index whatever the message id or hash case', async () => {
    const user = await newUser();
    const ETH = userAccountId(user, 'ETH');
    const hash = txHash();
    const amount = ethWei(150n); // 1.5e20 wei: more than a signed 64-bit integer holds
    await ledger.send(event('wallet.deposit.confirmed', { txHash: hash, logIndex: 0, userId: user, amount }));
    await ledger.events.waitFor(seen('ledger.transfer.posted', `chain-deposit:${hash}:0`));
    // The same chain fact again, carried by another message with the hash upper-cased: a duplicate, not a second deposit.
    const again = event('wallet.deposit.confirmed', { txHash: `0x${hash.slice(2).toUpperCase()}`, logIndex: 0, userId: user, amount });
    await ledger.send(again);
    // Another log of the same transaction is another deposit.
    await ledger.send(event('wallet.deposit.confirmed', { txHash: hash, logIndex: 1, userId: user, amount: '1' }));
    await ledger.events.waitFor(seen('ledger.transfer.posted', `chain-deposit:${hash}:1`));
    assert.equal((await account(ETH)).balance, (150n * 10n ** 18n + 1n).toString());
    assert.equal((await account(systemAccountId('hot_wallet', 'ETH'))).postedDebits, (150n * 10n ** 18n + 1n).toString());
  });

  it('chain withdrawal: a hold on request, posted when confirmed, voided when it fails', async () => {
    const user = await newUser();
    const ETH = userAccountId(user, 'ETH');
    const hash = txHash();
    await ledger.send(event('wallet.deposit.confirmed', { txHash: hash, logIndex: 3, userId: user, amount: ethWei(5n) }));
    await ledger.events.waitFor(seen('ledger.transfer.posted', `chain-deposit:${hash}:3`));

    const confirmed = uid('w');
    const toAddress = `0x${'Ab'.repeat(20)}`;
    await ledger.send(event('wallet.withdrawal.requested', { withdrawalId: confirmed, userId: user, amount: ethWei(2n), toAddress }));
    const pending = await ledger.events.waitFor(seen('ledger.transfer.pending', `chain-withdrawal:${confirmed}`));
    assert.equal(pending.type === 'ledger.transfer.pending' && pending.data.transfer.metadata.toAddress, toAddress.toLowerCase());
    assert.deepEqual(await balances(ETH), [ethWei(5n), ethWei(2n), ethWei(3n)]);
    const broadcast = txHash();
    await ledger.send(event('wallet.withdrawal.confirmed', { withdrawalId: confirmed, txHash: broadcast }));
    await ledger.events.waitFor(seen('ledger.transfer.posted', `chain-withdrawal:${confirmed}:confirmed`));
    assert.deepEqual(await balances(ETH), [ethWei(3n), '0', ethWei(3n)]);

    const failed = uid('w');
    await ledger.send(event('wallet.withdrawal.requested', { withdrawalId: failed, userId: user, amount: ethWei(3n), toAddress }));
    await ledger.events.waitFor(seen('ledger.transfer.pending', `chain-withdrawal:${failed}`));
    assert.deepEqual(await balances(ETH), [ethWei(3n), ethWei(3n), '0']);
    await ledger.send(event('wallet.withdrawal.failed', { withdrawalId: failed, reason: 'nonce too low' }));
    await ledger.events.waitFor((e) => e.type === 'ledger.transfer.voided' && e.data.transfer.pendingId === `chain-withdrawal:${failed}`);
    assert.deepEqual(await balances(ETH), [ethWei(3n), '0', ethWei(3n)]);

    // Confirming a withdrawal that already failed is refused, and moves nothing.
    const late = event('wallet.withdrawal.confirmed', { withdrawalId: failed, txHash: txHash() });
    await ledger.send(late);
    assert.equal(await rejection(late.id), 'hold_already_voided');
    assert.deepEqual(await balances(ETH), [ethWei(3n), '0', ethWei(3n)]);
  });

  it('internal send: one transfer between two users, refused whole when the sender is short', async () => {
    const [alice, bob] = [await newUser(), await newUser()];
    const paymentId = uid('pi_');
    await ledger.send(deposit(alice, '3000', paymentId));
    await ledger.events.waitFor(seen('ledger.transfer.posted', `deposit:stripe:${paymentId}`));
    const sendId = uid('s');
    await ledger.send(event('gateway.send.requested', { sendId, fromUserId: alice, toUserId: bob, asset: 'USD', amount: '2500' }));
    const sent = await ledger.events.waitFor(seen('ledger.transfer.posted', `send:${sendId}`));
    assert.equal(sent.type === 'ledger.transfer.posted' && sent.data.transfer.code, 'send');
    assert.equal((await account(userAccountId(alice, 'USD'))).balance, '500');
    assert.equal((await account(userAccountId(bob, 'USD'))).balance, '2500');

    const short = event('gateway.send.requested', { sendId: uid('s'), fromUserId: alice, toUserId: bob, asset: 'USD', amount: '501' });
    await ledger.send(short);
    assert.equal(await rejection(short.id), 'insufficient_funds');
    assert.equal((await account(userAccountId(alice, 'USD'))).balance, '500');
    assert.equal((await account(userAccountId(bob, 'USD'))).balance, '2500');

    const nobody = event('gateway.send.requested', { sendId: uid('s'), fromUserId: alice, toUserId: 'no-such-user', asset: 'USD', amount: '1' });
    await ledger.send(nobody);
    assert.equal(await rejection(nobody.id), 'account_not_found');
  });

  it('sell trade: ETH to the treasury, fiat back, the fee from the fiat, in one transfer', async () => {
    const user = await newUser();
    const hash = txHash();
    await ledger.send(event('wallet.deposit.confirmed', { txHash: hash, logIndex: 0, userId: user, amount: ethWei(1n) }));
    await ledger.events.waitFor(seen('ledger.transfer.posted', `chain-deposit:${hash}:0`));
    const quoteId = uid('q');
    const sell = { quoteId, userId: user, side: 'sell' as const, fiatAsset: 'USD', fiatAmount: '300000', ethAmount: ethWei(1n), feeAmount: '900' };
    await ledger.send(event('gateway.trade.executed', sell));
    const posted = await ledger.events.waitFor(seen('ledger.transfer.posted', `trade:${quoteId}`));
    assert.deepEqual(
      posted.type === 'ledger.transfer.posted' && posted.data.transfer.legs.map((leg) => [leg.debitAccountId, leg.creditAccountId, leg.amount]),
      [
        [userAccountId(user, 'ETH'), systemAccountId('treasury', 'ETH'), ethWei(1n)],
        [systemAccountId('treasury', 'USD'), userAccountId(user, 'USD'), '300000'],
        [userAccountId(user, 'USD'), systemAccountId('fees', 'USD'), '900'],
      ],
    );
    assert.equal((await account(userAccountId(user, 'ETH'))).balance, '0');
    assert.equal((await account(userAccountId(user, 'USD'))).balance, '299100');
  });

  it('leaves books that verify', async () => {
    const report = await verifyLedger(ledger.db);
    assert.equal(report.ok, true, JSON.stringify(report));
  });
});
