/**
 * Rate limits in Redis on login, register and money routes, per user, per
 * email and per client address: 429 with Retry-After, nothing done.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { goodPassword, startGatewayHarness, type GatewayHarness, type Reply } from '../testing/harness';

let h: GatewayHarness;
before(async () => {
  h = await startGatewayHarness('ratelimit', {
    RATE_LIMIT_WINDOW_SECONDS: 60,
    RATE_LIMIT_LOGIN_PER_EMAIL: 3,
    RATE_LIMIT_LOGIN_PER_ADDRESS: 5,
    RATE_LIMIT_REGISTER_PER_ADDRESS: 2,
    RATE_LIMIT_MONEY_PER_USER: 3,
    RATE_LIMIT_MONEY_PER_ADDRESS: 5,
    // One trusted proxy: without X-Forwarded-For the peer counts, as in the other tests.
    TRUSTED_PROXY_HOPS: 1,
  });
});
after(async () => {
  await h?.close();
});

function assertLimited(reply: Reply, limit: string) {
  assert.equal(reply.status, 429, reply.text);
  assert.equal(reply.body?.code, 'rate_limited');
  assert.equal(reply.body?.limit, limit);
  const retryAfter = Number(reply.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, String(reply.headers['retry-after']));
}

const register = (email: string, remoteAddress: string) =>
  h.call('POST', '/v1/auth/register', { body: { email, password: goodPassword }, remoteAddress });
const login = (email: string, password: string, remoteAddress: string) =>
  h.call('POST', '/v1/auth/login', { body: { email, password }, remoteAddress });

describe('register', () => {
  test('per client address; the refused registration stores nothing', async () => {
    assert.equal((await register('r1@example.com', '10.1.0.1')).status, 201);
    assert.equal((await register('r2@example.com', '10.1.0.1')).status, 201);
    const before = await h.countRows('profiles');
    assertLimited(await register('r3@example.com', '10.1.0.1'), 'register-address');
    assert.equal(await h.countRows('profiles'), before);
    // The auth service was not called either: the email is still free.
    assert.equal((await register('r3@example.com', '10.1.0.2')).status, 201);
  });
});

describe('behind a trusted proxy', () => {
  test('each forwarded client address has its own counter; a client-written prefix does not escape it', async () => {
    const viaProxy = (email: string, forwarded: string) =>
      h.call('POST', '/v1/auth/register', {
        body: { email, password: goodPassword },
        remoteAddress: '10.9.9.9',
        headers: { 'x-forwarded-for': forwarded },
      });
    assert.equal((await viaProxy('p1@example.com', '198.51.100.1')).status, 201);
    assert.equal((await viaProxy('p2@example.com', '198.51.100.1')).status, 201);
    assertLimited(await viaProxy('p3@example.com', '1.1.1.1, 198.51.100.1'), 'register-address');
    assert.equal(
      (await viaProxy('p3@example.com', '198.51.100.2')).status,
      201,
      'another client behind the same proxy',
    );
  });
});

describe('login', () => {
  test('per email: past the limit even the right password is refused', async () => {
    await register('victim@example.com', '10.2.0.1');
    for (let attempt = 0; attempt < 3; attempt += 1) {
      assert.equal((await login('victim@example.com', 'wrong password guess', `10.2.1.${attempt}`)).status, 401);
    }
    assertLimited(await login('victim@example.com', goodPassword, '10.2.2.1'), 'login-email');
  });

  test('per client address, across emails', async () => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      assert.equal((await login(`guess${attempt}@example.com`, 'wrong password guess', '10.3.0.1')).status, 401);
    }
    assertLimited(await login('guess9@example.com', 'wrong password guess', '10.3.0.1'), 'login-address');
    assert.equal(
      (await login('guess9@example.com', 'wrong password guess', '10.3.0.2')).status,
      401,
      'another address is not limited',
    );
  });
});

describe('money routes', () => {
  test('per user, and per address across users', async () => {
    const first = await h.call('POST', '/v1/auth/register', {
      body: { email: 'm1@example.com', password: goodPassword },
      remoteAddress: '10.4.0.1',
    });
    const second = await h.call('POST', '/v1/auth/register', {
      body: { email: 'm2@example.com', password: goodPassword },
      remoteAddress: '10.4.0.2',
    });
    const one = String(first.body?.accessToken);
    await h.setTier(String((first.body?.user as { userId: string }).userId), 'basic');
    const two = String(second.body?.accessToken);
    for (let call = 0; call < 3; call += 1) {
      assert.equal((await h.call('GET', '/v1/accounts', { token: one, remoteAddress: `10.5.0.${call}` })).status, 200);
    }
    assertLimited(await h.call('GET', '/v1/accounts', { token: one, remoteAddress: '10.5.1.1' }), 'money-user');
    assertLimited(
      await h.call('POST', '/v1/sends', {
        token: one,
        remoteAddress: '10.5.1.2',
        body: { toEmail: 'm2@example.com', asset: 'ETH', amount: '1' },
      }),
      'money-user',
    );
    // Not a money route: not limited.
    assert.equal((await h.call('GET', '/v1/me', { token: one, remoteAddress: '10.5.1.3' })).status, 200);

    // The second user shares an address with others: five calls from it in all.
    for (let call = 0; call < 3; call += 1) {
      assert.equal(
        (await h.call('GET', '/v1/accounts/ETH/history', { token: two, remoteAddress: '10.6.0.1' })).status,
        200,
      );
    }
    const third = await h.call('POST', '/v1/auth/register', {
      body: { email: 'm3@example.com', password: goodPassword },
      remoteAddress: '10.4.0.3',
    });
    const three = String(third.body?.accessToken);
    assert.equal((await h.call('GET', '/v1/accounts', { token: three, remoteAddress: '10.6.0.1' })).status, 200);
    assert.equal((await h.call('GET', '/v1/accounts', { token: three, remoteAddress: '10.6.0.1' })).status, 200);
    assertLimited(await h.call('GET', '/v1/accounts', { token: three, remoteAddress: '10.6.0.1' }), 'money-address');
  });

  test('the counters live in Redis under the service prefix, with an expiry', async () => {
    const keys = (await h.redisKeys()).filter((key) => key.startsWith(`${h.redisPrefix}ratelimit:`));
    assert.ok(keys.length > 0, 'the counters are in Redis under the service prefix');
    for (const key of keys) {
      const ttl = await h.redis.ttl(key);
      assert.ok(ttl > 0 && ttl <= 60, `${key} ${ttl}`);
      assert.equal(key.includes('@'), false, 'subjects are hashed: no email in a key');
    }
    const metrics = await h.call('GET', '/metrics');
    for (const limit of ['register-address', 'login-email', 'login-address', 'money-user', 'money-address']) {
      assert.match(metrics.text, new RegExp(`gateway_rate_limited_total\\{limit="${limit}"\\} [1-9]`), limit);
    }
  });
});
