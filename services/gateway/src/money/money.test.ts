/**
 * The signed-in user's money through the real ledger: balances, history
 * (paginated, filtered), one transfer, and sends by email with the tier rule
 * per asset. One user can never see or move another's money.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startGatewayHarness, type GatewayHarness, type SignedInUser } from '../testing/harness';

let h: GatewayHarness;
let alice: SignedInUser;
let bob: SignedInUser;
let mallory: SignedInUser;
const eth = 10n ** 18n;

before(async () => {
  h = await startGatewayHarness('money');
  alice = await h.register();
  bob = await h.register();
  mallory = await h.register();
  await h.setTier(alice.userId, 'basic');
  await h.setTier(bob.userId, 'full');
  await h.setTier(mallory.userId, 'full');
  await h.fund(alice.userId, 'ETH', 5n * eth);
  await h.fund(alice.userId, 'USD', 10_000n);
  await h.fund(mallory.userId, 'USD', 500n);
});
after(async () => {
  await h?.close();
});

async function balances(user: SignedInUser): Promise<Record<string, string>> {
  const reply = await h.call('GET', '/v1/accounts', { token: user.token });
  assert.equal(reply.status, 200, reply.text);
  return Object.fromEntries(
    (reply.body?.balances as { asset: string; balance: string }[]).map((row) => [row.asset, row.balance]),
  );
}

function send(from: SignedInUser, body: Record<string, unknown>) {
  return h.call('POST', '/v1/sends', { token: from.token, body });
}

describe('balances, history and transfers', () => {
  test('balances are the ledger’s, as decimal strings in minor units', async () => {
    assert.deepEqual(await balances(alice), { ETH: (5n * eth).toString(), EUR: '0', USD: '10000' });
    assert.deepEqual(await balances(bob), { ETH: '0', EUR: '0', USD: '0' });
  });

  test('send ETH by email from Basic: one ledger transfer, seen by both sides', async () => {
    const sent = await send(alice, { toEmail: bob.email.toUpperCase(), asset: 'ETH', amount: (2n * eth).toString() });
    assert.equal(sent.status, 201, sent.text);
    assert.equal(sent.body?.state, 'posted');
    assert.deepEqual(await balances(alice), { ETH: (3n * eth).toString(), EUR: '0', USD: '10000' });
    assert.equal((await balances(bob)).ETH, (2n * eth).toString());

    const transferId = String(sent.body?.transferId);
    const asAlice = await h.call('GET', `/v1/transfers/${encodeURIComponent(transferId)}`, { token: alice.token });
    assert.equal(asAlice.status, 200);
    assert.deepEqual(asAlice.body?.legs, [{ asset: 'ETH', amount: (2n * eth).toString(), direction: 'out' }]);
    const asBob = await h.call('GET', `/v1/transfers/${encodeURIComponent(transferId)}`, { token: bob.token });
    assert.deepEqual(asBob.body?.legs, [{ asset: 'ETH', amount: (2n * eth).toString(), direction: 'in' }]);
    assert.equal(
      JSON.stringify(asBob.body).includes(alice.userId),
      false,
      'the other side’s account ids are not shown',
    );

    const history = await h.call('GET', '/v1/accounts/ETH/history?limit=1', { token: alice.token });
    assert.equal(history.status, 200);
    const [newest] = history.body?.entries as { transferId: string; direction: string; balanceAfter: string }[];
    assert.equal(newest?.transferId, transferId);
    assert.equal(newest?.direction, 'out');
    assert.equal(newest?.balanceAfter, (3n * eth).toString());
    assert.ok(typeof history.body?.nextCursor === 'string', 'the first page has a cursor to the next');
    const next = await h.call('GET', `/v1/accounts/ETH/history?limit=1&cursor=${String(history.body?.nextCursor)}`, {
      token: alice.token,
    });
    assert.equal((next.body?.entries as { direction: string }[])[0]?.direction, 'in', 'the deposit, one page further');
    const deposits = await h.call('GET', '/v1/accounts/ETH/history?code=deposit', { token: alice.token });
    assert.deepEqual(
      (deposits.body?.entries as { code: string }[]).map((entry) => entry.code),
      ['deposit'],
    );
  });

  test('a retried send with the same sendId moves the money once', async () => {
    const sendId = randomUUID();
    const body = { toEmail: bob.email, asset: 'ETH', amount: '1000', sendId };
    const first = await send(alice, body);
    const second = await send(alice, body);
    assert.equal(first.status, 201);
    assert.equal(second.status, 200);
    assert.equal(second.body?.duplicate, true);
    assert.equal(second.body?.transferId, first.body?.transferId);
    assert.equal((await balances(bob)).ETH, (2n * eth + 1000n).toString());
  });

  test('fiat needs Full: a Basic user is refused, a Full user may', async () => {
    const refused = await send(alice, { toEmail: bob.email, asset: 'USD', amount: '100' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body?.code, 'tier_too_low');
    assert.equal(refused.body?.requiredTier, 'full');
    assert.equal((await balances(alice)).USD, '10000');
    const allowed = await send(mallory, { toEmail: bob.email, asset: 'USD', amount: '100' });
    assert.equal(allowed.status, 201, allowed.text);
    assert.equal((await balances(bob)).USD, '100');
  });

  test('insufficient funds, an unknown recipient and oneself are refused, nothing moves', async () => {
    const before = await balances(alice);
    const tooMuch = await send(alice, { toEmail: bob.email, asset: 'ETH', amount: (100n * eth).toString() });
    assert.equal(tooMuch.status, 422);
    assert.equal(tooMuch.body?.code, 'insufficient_funds');
    const nobody = await send(alice, { toEmail: 'nobody@example.com', asset: 'ETH', amount: '1' });
    assert.equal(nobody.status, 404);
    assert.equal(nobody.body?.code, 'recipient_not_found');
    const self = await send(alice, { toEmail: alice.email, asset: 'ETH', amount: '1' });
    assert.equal(self.status, 400);
    assert.equal(self.body?.code, 'send_to_self');
    assert.deepEqual(await balances(alice), before);
  });
});

describe('a send id names one send', () => {
  test('the same sendId with another amount is 409 conflict; a repeat answers the recorded send', async () => {
    const sendId = randomUUID();
    const before = await balances(bob);
    const first = await send(alice, { toEmail: bob.email, asset: 'ETH', amount: '500', sendId });
    assert.equal(first.status, 201, first.text);
    const other = await send(alice, { toEmail: bob.email, asset: 'ETH', amount: '900', sendId });
    assert.equal(other.status, 409, other.text);
    assert.equal(other.body?.code, 'conflict');
    const repeat = await send(alice, { toEmail: bob.email, asset: 'ETH', amount: '500', sendId });
    assert.equal(repeat.status, 200, repeat.text);
    assert.equal(repeat.body?.duplicate, true);
    assert.equal(repeat.body?.amount, '500');
    assert.equal(repeat.body?.transferId, first.body?.transferId);
    assert.equal(
      BigInt((await balances(bob)).ETH ?? '0') - BigInt(before.ETH ?? '0'),
      500n,
      'moved once, the first amount',
    );
  });

  test('the same sendId to another recipient or in another asset is 409 conflict, nothing moves', async () => {
    const sendId = randomUUID();
    const first = await send(mallory, { toEmail: bob.email, asset: 'USD', amount: '20', sendId });
    assert.equal(first.status, 201, first.text);
    const before = { bob: await balances(bob), alice: await balances(alice), mallory: await balances(mallory) };
    const elsewhere = await send(mallory, { toEmail: alice.email, asset: 'ETH', amount: '20', sendId });
    assert.equal(elsewhere.status, 409, elsewhere.text);
    assert.equal(elsewhere.body?.code, 'conflict');
    const otherAsset = await send(mallory, { toEmail: bob.email, asset: 'EUR', amount: '20', sendId });
    assert.equal(otherAsset.status, 409, otherAsset.text);
    assert.deepEqual(
      { bob: await balances(bob), alice: await balances(alice), mallory: await balances(mallory) },
      before,
    );
  });
});

describe('the tier rules hold for the recipient too', () => {
  test('fiat to a Basic user is refused 422 recipient_tier_too_low and nothing moves; ETH is fine', async () => {
    const basic = await h.register();
    await h.setTier(basic.userId, 'basic');
    const before = await balances(mallory);
    const refused = await send(mallory, { toEmail: basic.email, asset: 'USD', amount: '10' });
    assert.equal(refused.status, 422, refused.text);
    assert.equal(refused.body?.code, 'recipient_tier_too_low');
    assert.equal(JSON.stringify(refused.body).includes('basic'), false, 'the recipient’s tier is not revealed');
    assert.equal(JSON.stringify(refused.body).includes(basic.userId), false);
    assert.deepEqual(await balances(basic), { ETH: '0', EUR: '0', USD: '0' });
    assert.deepEqual(await balances(mallory), before);
    const eth = await send(alice, { toEmail: basic.email, asset: 'ETH', amount: '5' });
    assert.equal(eth.status, 201, eth.text);
  });

  test('nothing to a Browsing user, who cannot hold money yet', async () => {
    const browsing = await h.register();
    const refused = await send(alice, { toEmail: browsing.email, asset: 'ETH', amount: '5' });
    assert.equal(refused.status, 422, refused.text);
    assert.equal(refused.body?.code, 'recipient_tier_too_low');
    assert.deepEqual(await balances(browsing), { ETH: '0', EUR: '0', USD: '0' });
  });
});

describe('one user cannot see or move another’s money', () => {
  test('another user’s transfers are 404, exactly like a missing one', async () => {
    const sent = await send(alice, { toEmail: bob.email, asset: 'ETH', amount: '7' });
    const transferId = encodeURIComponent(String(sent.body?.transferId));
    const snoop = await h.call('GET', `/v1/transfers/${transferId}`, { token: mallory.token });
    assert.equal(snoop.status, 404);
    assert.equal(snoop.body?.code, 'transfer_not_found');
    const missing = await h.call('GET', '/v1/transfers/send:nothing', { token: mallory.token });
    assert.equal(missing.body?.code, snoop.body?.code);
    // The deposit that funded Alice, whose id Mallory might guess.
    const aliceHistory = await h.call('GET', '/v1/accounts/USD/history', { token: alice.token });
    const deposit = (aliceHistory.body?.entries as { transferId: string }[])[0]?.transferId ?? '';
    assert.equal(
      (await h.call('GET', `/v1/transfers/${encodeURIComponent(deposit)}`, { token: mallory.token })).status,
      404,
    );
  });

  test('balances and history are always the caller’s own; no route takes a user or account id', async () => {
    const mine = await h.call('GET', '/v1/accounts/USD/history', { token: mallory.token });
    const entries = mine.body?.entries as { transferId: string }[];
    assert.ok(entries.length > 0, 'mallory has history entries of her own');
    const aliceEntries = (await h.call('GET', '/v1/accounts/USD/history', { token: alice.token })).body?.entries as {
      transferId: string;
    }[];
    const overlap = entries.filter((entry) => aliceEntries.some((other) => other.transferId === entry.transferId));
    assert.deepEqual(overlap, []);
    // Query parameters naming someone else are refused, not obeyed.
    for (const url of [
      `/v1/accounts?userId=${alice.userId}`,
      `/v1/accounts/USD/history?accountId=user:${alice.userId}:USD`,
    ]) {
      const reply = await h.call('GET', url, { token: mallory.token });
      assert.ok(reply.status === 400 || JSON.stringify(reply.body).includes(alice.userId) === false, url);
    }
    assert.equal(
      (await h.call('GET', `/v1/accounts/user:${alice.userId}:USD/history`, { token: mallory.token })).status,
      400,
    );
  });

  test('a send always debits the signed-in user: extra fields naming another sender are refused', async () => {
    const before = await balances(alice);
    const forged = await send(mallory, { toEmail: mallory.email, asset: 'ETH', amount: '1', fromUserId: alice.userId });
    assert.equal(forged.status, 400);
    // Reusing Alice's send id does not reach Alice's transfer either.
    const aliceSend = await send(alice, { toEmail: bob.email, asset: 'ETH', amount: '3', sendId: randomUUID() });
    const sameId = await send(mallory, {
      toEmail: bob.email,
      asset: 'ETH',
      amount: '3',
      sendId: aliceSend.body?.sendId,
    });
    assert.equal(sameId.status, 422, 'Mallory has no ETH: her own transfer, refused; not a duplicate of Alice’s');
    assert.notEqual(sameId.body?.transferId, aliceSend.body?.transferId);
    const after = await balances(alice);
    assert.equal(BigInt(after.ETH ?? '0'), BigInt(before.ETH ?? '0') - 3n);
  });
});
