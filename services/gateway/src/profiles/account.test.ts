/**
 * Hot user data in Redis (served from the cache, invalidated on change),
 * password and email changes that end the user's other sessions, and account
 * deletion refused while money is left.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  cookieOf,
  goodPassword,
  startGatewayHarness,
  type GatewayHarness,
  type SignedInUser,
} from '../testing/harness';
import { userSummaryKey } from './hot';

let h: GatewayHarness;
before(async () => {
  h = await startGatewayHarness('account');
});
after(async () => {
  await h?.close();
});

const newPassword = 'a brand new passphrase 2026';

async function login(email: string, password = goodPassword) {
  return h.call('POST', '/v1/auth/login', { body: { email, password } });
}

/** A second session of the same user: its access token and refresh cookie. */
async function secondSession(user: SignedInUser): Promise<{ token: string; cookie: string }> {
  const reply = await login(user.email);
  assert.equal(reply.status, 200);
  return { token: String(reply.body?.accessToken), cookie: cookieOf(reply) };
}

describe('hot user data', () => {
  test('GET /v1/me is served from Redis and refreshed when the profile changes', async () => {
    const user = await h.register(undefined, { waitForAccounts: false });
    const first = await h.call('GET', '/v1/me', { token: user.token });
    assert.equal(first.status, 200);
    const cached = await h.redis.get(`${h.redisPrefix}${userSummaryKey(user.userId)}`);
    assert.ok(cached !== null, 'GET /v1/me cached the summary in Redis');
    assert.equal((JSON.parse(cached) as { summary: { tier: string } }).summary.tier, 'browsing');
    const ttl = await h.redis.ttl(`${h.redisPrefix}${userSummaryKey(user.userId)}`);
    assert.ok(ttl > 0 && ttl <= 300, String(ttl));

    // A change behind the service's back is not seen: the answer really comes from Redis.
    await h.db.query(`update profiles set tier = 'full' where user_id = $1`, [user.userId]);
    assert.equal((await h.call('GET', '/v1/me', { token: user.token })).body?.tier, 'browsing');
    await h.db.query(`update profiles set tier = 'browsing' where user_id = $1`, [user.userId]);

    // A change through the service is seen at once.
    const kyc = await h.call('POST', '/v1/kyc/level1', {
      token: user.token,
      body: {
        firstName: 'Grace',
        lastName: 'Hopper',
        dateOfBirth: '1980-01-01',
        address: { line1: '1 Navy Yard', city: 'Arlington', postalCode: '22202', country: 'US' },
        phone: '+12025550123',
      },
    });
    assert.equal(kyc.status, 200);
    const after = await h.call('GET', '/v1/me', { token: user.token });
    assert.equal(after.body?.tier, 'basic');
    assert.deepEqual(after.body?.kyc, { level1: true, level2: 'none' });
  });

  test('a reader that loaded the old data before a change cannot put it back into the cache', async () => {
    const user = await h.register(undefined, { waitForAccounts: false });
    const key = `${h.redisPrefix}${userSummaryKey(user.userId)}`;
    assert.equal((await h.call('GET', '/v1/me', { token: user.token })).body?.role, 'user');
    const stale = await h.redis.get(key);
    assert.ok(stale !== null, 'the summary is cached before the change');
    await h.makeOperator(user.userId);
    // The late writer: the summary loaded before the change lands after the invalidation.
    await h.redis.set(key, stale, 'EX', 300);
    assert.equal((await h.call('GET', '/v1/me', { token: user.token })).body?.role, 'operator');
  });
});

describe('password and email changes end the other sessions', () => {
  test('changing the password: other sessions end, this one stays, the old password stops working', async () => {
    const user = await h.register(undefined, { waitForAccounts: false });
    const other = await secondSession(user);
    const wrong = await h.call('PUT', '/v1/me/password', {
      token: user.token,
      body: { currentPassword: 'not my password at all', newPassword },
    });
    assert.equal(wrong.status, 401);
    assert.equal((await h.call('GET', '/v1/me', { token: other.token })).status, 200, 'a failed change ends nothing');

    const changed = await h.call('PUT', '/v1/me/password', {
      token: user.token,
      body: { currentPassword: goodPassword, newPassword },
    });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.body?.sessionsEnded, 1);
    assert.equal((await h.call('GET', '/v1/me', { token: other.token })).status, 401);
    assert.equal((await h.call('POST', '/v1/auth/refresh', { cookie: other.cookie })).status, 401);
    assert.equal((await h.call('GET', '/v1/me', { token: user.token })).status, 200);
    assert.equal((await h.call('POST', '/v1/auth/refresh', { cookie: user.cookie })).status, 200);
    assert.equal((await login(user.email)).status, 401);
    assert.equal((await login(user.email, newPassword)).status, 200);
  });

  test('changing the email: other sessions end, the new email signs in and shows at once', async () => {
    const user = await h.register(undefined, { waitForAccounts: false });
    const other = await secondSession(user);
    const taken = await h.register(undefined, { waitForAccounts: false });
    const clash = await h.call('PUT', '/v1/me/email', {
      token: user.token,
      body: { password: goodPassword, email: taken.email },
    });
    assert.equal(clash.status, 409);
    assert.equal(clash.body?.code, 'email_taken');

    const email = `moved-${user.userId}@example.com`;
    const changed = await h.call('PUT', '/v1/me/email', {
      token: user.token,
      body: { password: goodPassword, email: ` ${email.toUpperCase()} ` },
    });
    assert.equal(changed.status, 200, changed.text);
    assert.equal((changed.body?.user as { email: string }).email, email);
    assert.equal(changed.body?.sessionsEnded, 1);
    assert.equal((await h.call('GET', '/v1/me', { token: user.token })).body?.email, email);
    assert.equal((await h.call('GET', '/v1/me', { token: other.token })).status, 401);
    assert.equal((await login(user.email)).status, 401);
    assert.equal((await login(email)).status, 200);
    const [audit] = await h.db.query<{ detail: { to: string } }>(
      `select detail from audit_log where user_id = $1 and action = 'email.changed'`,
      [user.userId],
    );
    assert.equal(audit?.detail.to, email);
  });
});

describe('registration failing half way', () => {
  test('a credential whose profile cannot be stored is deleted again, and nothing is announced', async () => {
    // A live profile holding the email without a credential: the profile insert will fail.
    await h.db.query(`insert into profiles (user_id, email) values (gen_random_uuid(), 'ghost@example.com')`);
    const outbox = await h.countRows('outbox');
    const reply = await h.call('POST', '/v1/auth/register', {
      body: { email: 'ghost@example.com', password: goodPassword },
    });
    assert.equal(reply.status, 500);
    assert.equal(reply.body?.code, 'internal_error');
    const [credential] = await h.authDb.query(`select 1 from credentials where email = 'ghost@example.com'`);
    assert.equal(credential, undefined);
    assert.equal(await h.countRows('outbox'), outbox);
  });
});

describe('deleting the account', () => {
  test('the balance_not_zero advice follows what the user’s tier allows', async () => {
    const basic = await h.register();
    await h.setTier(basic.userId, 'basic');
    await h.fund(basic.userId, 'ETH', 7n);
    await h.fund(basic.userId, 'USD', 300n);
    const refused = await h.call('DELETE', '/v1/me', { token: basic.token, body: { password: goodPassword } });
    assert.equal(refused.status, 409);
    assert.equal(refused.body?.code, 'balance_not_zero');
    const detail = String(refused.body?.detail);
    assert.match(detail, /Withdraw ETH or send it to another user first\./);
    assert.match(detail, /cannot move USD yet: complete KYC level 2 to withdraw or send it, or contact support/);
    assert.doesNotMatch(detail, /Withdraw (USD|ETH, USD)/, 'a Basic user cannot withdraw or send USD');

    await h.setTier(basic.userId, 'full');
    const full = await h.call('DELETE', '/v1/me', { token: basic.token, body: { password: goodPassword } });
    assert.equal(full.status, 409);
    assert.equal(String(full.body?.detail), 'Withdraw ETH, USD or send it to another user first.');
  });

  test('refused with the reason while a balance is not zero; allowed once it is zero', async () => {
    const rich = await h.register();
    await h.fund(rich.userId, 'EUR', 250n);
    const refused = await h.call('DELETE', '/v1/me', { token: rich.token, body: { password: goodPassword } });
    assert.equal(refused.status, 409);
    assert.equal(refused.body?.code, 'balance_not_zero');
    assert.deepEqual(refused.body?.balances, [{ asset: 'EUR', balance: '250', pendingDebits: '0' }]);
    // A Browsing user cannot withdraw or send EUR: the advice says what they can do instead.
    assert.doesNotMatch(String(refused.body?.detail), /^Withdraw|send it to another user first/);
    assert.match(String(refused.body?.detail), /complete KYC level 2 to withdraw or send it, or contact support/);
    assert.equal((await h.call('GET', '/v1/me', { token: rich.token })).status, 200, 'still there');

    const empty = await h.register();
    const other = await secondSession(empty);
    const wrong = await h.call('DELETE', '/v1/me', { token: empty.token, body: { password: 'definitely not it' } });
    assert.equal(wrong.status, 401);
    const deleted = await h.call('DELETE', '/v1/me', { token: empty.token, body: { password: goodPassword } });
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal((await h.call('GET', '/v1/me', { token: empty.token })).status, 401);
    assert.equal((await h.call('GET', '/v1/me', { token: other.token })).status, 401);
    assert.equal((await h.call('POST', '/v1/auth/refresh', { cookie: empty.cookie })).status, 401);
    assert.equal((await login(empty.email)).status, 401);
    const [profile] = await h.db.query<{ deleted: boolean }>(
      'select deleted_at is not null as deleted from profiles where user_id = $1',
      [empty.userId],
    );
    assert.equal(profile?.deleted, true, 'the row stays for the audit trail');
    // The email is free again.
    const again = await h.call('POST', '/v1/auth/register', { body: { email: empty.email, password: goodPassword } });
    assert.equal(again.status, 201);
  });
});
