/**
 * Registration, login, refresh-token rotation and reuse detection, logout, and
 * every attack on an access token the issue names: alg none, a wrong alg, a
 * wrong kid, a foreign key, expired, revoked, tampered, wrong iss/aud.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import {
  cookieOf,
  goodPassword,
  startGatewayHarness,
  type GatewayHarness,
  type SignedInUser,
} from '../testing/harness';

let h: GatewayHarness;
before(async () => {
  h = await startGatewayHarness('sessions');
});
after(async () => {
  await h?.close();
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function me(token: string) {
  return h.call('GET', '/v1/me', { token });
}

function claimsFor(user: SignedInUser, overrides: Record<string, unknown> = {}) {
  const payload = JSON.parse(Buffer.from(user.token.split('.')[1] ?? '', 'base64url').toString()) as Record<
    string,
    unknown
  >;
  return { ...payload, ...overrides };
}

describe('register and log in', () => {
  test('registering creates a Browsing profile, signs in, and opens the ledger accounts through the outbox', async () => {
    const user = await h.register('Ada.Lovelace@Example.com ');
    assert.equal(user.email, 'ada.lovelace@example.com');
    const mine = await me(user.token);
    assert.equal(mine.status, 200);
    assert.equal(mine.body?.tier, 'browsing');
    const accounts = await h.accountsOf(user.userId);
    assert.deepEqual(accounts.map((account) => account.asset).sort(), ['ETH', 'EUR', 'USD']);
    const [outbox] = await h.db.query<{ published: boolean }>(
      "select published_at is not null as published from outbox where body->>'type' = $1 and body->'data'->>'userId' = $2",
      ['gateway.user.registered', user.userId],
    );
    assert.equal(outbox?.published, true);
    const [audit] = await h.db.query<{ action: string }>(
      'select action from audit_log where user_id = $1 order by seq',
      [user.userId],
    );
    assert.equal(audit?.action, 'profile.created');
  });

  test('the refresh cookie is httpOnly, Secure, SameSite=Strict and scoped to /v1/auth', async () => {
    const reply = await h.call('POST', '/v1/auth/register', {
      body: { email: 'cookie@example.com', password: goodPassword },
    });
    assert.equal(reply.status, 201);
    const cookie = String(reply.headers['set-cookie']);
    assert.match(cookie, /^t50_refresh=[A-Za-z0-9_-]{43}; /);
    for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/v1/auth'])
      assert.ok(cookie.includes(attribute), attribute);
    assert.equal(
      JSON.stringify(reply.body).includes(cookie.split(';')[0]!.split('=')[1]!),
      false,
      'refresh token never in the body',
    );
  });

  test('registering an email twice is 409 and stores nothing more', async () => {
    await h.register('twice@example.com', { waitForAccounts: false });
    const before = await h.countRows('profiles');
    const reply = await h.call('POST', '/v1/auth/register', {
      body: { email: 'TWICE@example.com', password: goodPassword },
    });
    assert.equal(reply.status, 409);
    assert.equal(reply.body?.code, 'email_taken');
    assert.equal(await h.countRows('profiles'), before);
  });

  test('a weak password is 400 weak_password and stores nothing', async () => {
    const before = await h.countRows('profiles');
    const reply = await h.call('POST', '/v1/auth/register', { body: { email: 'weak@example.com', password: 'short' } });
    assert.equal(reply.status, 400);
    assert.equal(reply.body?.code, 'weak_password');
    assert.equal(await h.countRows('profiles'), before);
  });

  test('log in with the right password; a wrong one is 401 invalid_credentials', async () => {
    const user = await h.register(undefined, { waitForAccounts: false });
    const ok = await h.call('POST', '/v1/auth/login', { body: { email: user.email, password: goodPassword } });
    assert.equal(ok.status, 200);
    assert.equal((ok.body?.user as { userId: string }).userId, user.userId);
    // Seconds left when the answer is written: 7200, or 7199 if a second boundary passed since the token was issued.
    assert.ok([7199, 7200].includes(Number(ok.body?.expiresIn)), `expiresIn ${String(ok.body?.expiresIn)}`);
    const wrong = await h.call('POST', '/v1/auth/login', {
      body: { email: user.email, password: 'not the password at all' },
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body?.code, 'invalid_credentials');
    const unknown = await h.call('POST', '/v1/auth/login', {
      body: { email: 'nobody@example.com', password: goodPassword },
    });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body?.code, 'invalid_credentials');
  });
});

describe('refresh tokens', () => {
  test('each refresh rotates the token; reusing an old one ends the whole family', async () => {
    const user = await h.register(undefined, { waitForAccounts: false });
    const first = await h.call('POST', '/v1/auth/refresh', { cookie: user.cookie });
    assert.equal(first.status, 200);
    const second = cookieOf(first);
    assert.notEqual(second, user.cookie);
    const newToken = String(first.body?.accessToken);
    assert.equal((await me(newToken)).status, 200);

    const third = await h.call('POST', '/v1/auth/refresh', { cookie: second });
    assert.equal(third.status, 200);
    const current = cookieOf(third);
    const currentToken = String(third.body?.accessToken);

    // An attacker replays the first (used) token: the family ends.
    const replay = await h.call('POST', '/v1/auth/refresh', { cookie: user.cookie });
    assert.equal(replay.status, 401);
    assert.equal(replay.body?.code, 'invalid_refresh_token');
    // The legitimate holder's newest token is dead too, and so are the family's access tokens.
    const afterReplay = await h.call('POST', '/v1/auth/refresh', { cookie: current });
    assert.equal(afterReplay.status, 401);
    assert.equal((await me(currentToken)).status, 401);
    assert.equal((await me(user.token)).status, 401);
    const [reuse] = await h.db.query<{ count: string }>(
      `select count(*) as count from audit_log where user_id = $1 and action = 'refresh_token.reused'`,
      [user.userId],
    );
    assert.equal(reuse?.count, '1');

    // Another login starts a new family that works.
    const again = await h.call('POST', '/v1/auth/login', { body: { email: user.email, password: goodPassword } });
    assert.equal(again.status, 200);
    assert.equal((await h.call('POST', '/v1/auth/refresh', { cookie: cookieOf(again) })).status, 200);
  });

  test('no cookie, an unknown token, or an expired token is 401', async () => {
    assert.equal((await h.call('POST', '/v1/auth/refresh')).status, 401);
    assert.equal((await h.call('POST', '/v1/auth/refresh', { cookie: `t50_refresh=${'A'.repeat(43)}` })).status, 401);
    assert.equal((await h.call('POST', '/v1/auth/refresh', { cookie: 't50_refresh=../../etc' })).status, 401);
    const user = await h.register(undefined, { waitForAccounts: false });
    h.clockOffsetMs = 31 * 86_400_000;
    try {
      assert.equal((await h.call('POST', '/v1/auth/refresh', { cookie: user.cookie })).status, 401);
    } finally {
      h.clockOffsetMs = 0;
    }
  });

  test('a refresh past two hours keeps the user signed in', async () => {
    const user = await h.register(undefined, { waitForAccounts: false });
    h.clockOffsetMs = 3 * 3600_000;
    try {
      assert.equal((await me(user.token)).status, 401, 'the access token expired');
      const refreshed = await h.call('POST', '/v1/auth/refresh', { cookie: user.cookie });
      assert.equal(refreshed.status, 200);
      assert.equal((await me(String(refreshed.body?.accessToken))).status, 200);
    } finally {
      h.clockOffsetMs = 0;
    }
  });
});

describe('logout', () => {
  test('logging out revokes the access token and the refresh token at once', async () => {
    const user = await h.register(undefined, { waitForAccounts: false });
    const out = await h.call('POST', '/v1/auth/logout', { token: user.token });
    assert.equal(out.status, 204);
    assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
    const after = await me(user.token);
    assert.equal(after.status, 401);
    assert.equal(after.body?.code, 'invalid_token');
    assert.equal((await h.call('POST', '/v1/auth/refresh', { cookie: user.cookie })).status, 401);
  });
});

describe('access token attacks are refused', () => {
  let user: SignedInUser;
  let other: SignedInUser;
  before(async () => {
    user = await h.register(undefined, { waitForAccounts: false });
    other = await h.register(undefined, { waitForAccounts: false });
  });

  const kid = () => h.service.tokens.keyId;

  test('a valid token is accepted (the control)', async () => {
    const reply = await me(user.token);
    assert.equal(reply.status, 200);
    assert.equal(reply.body?.userId, user.userId);
    const header = JSON.parse(Buffer.from(user.token.split('.')[0]!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    assert.deepEqual(header, { alg: 'EdDSA', kid: kid(), typ: 'JWT' });
    const claims = claimsFor(user);
    assert.equal(claims.iss, 't50-gateway');
    assert.equal(claims.aud, 't50-web');
    assert.equal(claims.sub, user.userId);
    assert.equal(Number(claims.exp) - Number(claims.iat), 7200);
    assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
  });

  test('alg none', async () => {
    const token = `${b64({ alg: 'none', typ: 'JWT', kid: kid() })}.${b64(claimsFor(user))}.`;
    const reply = await me(token);
    assert.equal(reply.status, 401);
    assert.equal(reply.body?.code, 'invalid_token');
  });

  test('HS256 signed with the public key as the secret (algorithm confusion)', async () => {
    const publicPem = h.config.JWT_PRIVATE_KEY.publicKey.export({ type: 'spki', format: 'pem' });
    const token = await new SignJWT(claimsFor(user))
      .setProtectedHeader({ alg: 'HS256', kid: kid(), typ: 'JWT' })
      .sign(Buffer.from(publicPem));
    assert.equal((await me(token)).status, 401);
  });

  test('ES256 from another key with our kid', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = await new SignJWT(claimsFor(user)).setProtectedHeader({ alg: 'ES256', kid: kid() }).sign(privateKey);
    assert.equal((await me(token)).status, 401);
  });

  test('our own key with a wrong kid, and no kid', async () => {
    const signWith = (header: Record<string, unknown>) =>
      new SignJWT(claimsFor(user))
        .setProtectedHeader({ alg: 'EdDSA', ...header })
        .sign(h.config.JWT_PRIVATE_KEY.privateKey);
    assert.equal((await me(await signWith({ kid: 'some-other-key' }))).status, 401);
    assert.equal((await me(await signWith({}))).status, 401);
    // The same claims and header with the right kid pass, so only the kid made the difference.
    assert.equal((await me(await signWith({ kid: kid() }))).status, 200);
  });

  test('an Ed25519 key of our own making, presented with our kid', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const token = await new SignJWT(claimsFor(user)).setProtectedHeader({ alg: 'EdDSA', kid: kid() }).sign(privateKey);
    assert.equal((await me(token)).status, 401);
  });

  test('expired: refused at two hours, accepted just before', async () => {
    h.clockOffsetMs = 7200_000 - 5_000;
    try {
      assert.equal((await me(user.token)).status, 200);
      h.clockOffsetMs = 7200_000 + 1_000;
      const reply = await me(user.token);
      assert.equal(reply.status, 401);
      assert.equal(reply.body?.reason, 'expired');
    } finally {
      h.clockOffsetMs = 0;
    }
  });

  test('tampered: another user id in the payload, the signature kept', async () => {
    const [header, , signature] = user.token.split('.');
    const forged = `${header}.${b64(claimsFor(user, { sub: other.userId }))}.${signature}`;
    const reply = await me(forged);
    assert.equal(reply.status, 401);
    // A flipped signature byte fails too.
    const flipped = `${user.token.slice(0, -2)}${user.token.endsWith('AA') ? 'BB' : 'AA'}`;
    assert.equal((await me(flipped)).status, 401);
  });

  test('wrong issuer or audience, signed with our key', async () => {
    const sign = (overrides: Record<string, unknown>) =>
      new SignJWT(claimsFor(user, overrides))
        .setProtectedHeader({ alg: 'EdDSA', kid: kid() })
        .sign(h.config.JWT_PRIVATE_KEY.privateKey);
    assert.equal((await me(await sign({ iss: 'someone-else' }))).status, 401);
    assert.equal((await me(await sign({ aud: 'another-app' }))).status, 401);
  });

  test('revoked: a logged-out token stays refused even though it has not expired', async () => {
    const session = await h.call('POST', '/v1/auth/login', { body: { email: user.email, password: goodPassword } });
    const token = String(session.body?.accessToken);
    assert.equal((await me(token)).status, 200);
    assert.equal((await h.call('POST', '/v1/auth/logout', { token })).status, 204);
    assert.equal((await me(token)).status, 401);
    // The user's other session is untouched.
    assert.equal((await me(user.token)).status, 200);
  });

  test('garbage, a missing scheme, and no header', async () => {
    assert.equal((await me('not-a-jwt')).status, 401);
    assert.equal((await h.call('GET', '/v1/me', { headers: { authorization: user.token } })).status, 401);
    const none = await h.call('GET', '/v1/me');
    assert.equal(none.status, 401);
    assert.equal(none.body?.code, 'unauthenticated');
    assert.equal(none.headers['www-authenticate'], 'Bearer');
  });

  test('refusals are counted by reason at /metrics', async () => {
    const metrics = await h.call('GET', '/metrics');
    assert.match(metrics.text, /gateway_token_rejections_total\{reason="algorithm"\} [1-9]/);
    assert.match(metrics.text, /gateway_token_rejections_total\{reason="expired"\} [1-9]/);
    assert.match(metrics.text, /gateway_token_rejections_total\{reason="revoked"\} [1-9]/);
    assert.match(metrics.text, /gateway_refresh_token_reuse_total [1-9]/);
  });

  test('the public key set publishes our key, and only public members', async () => {
    const reply = await h.call('GET', '/v1/auth/jwks');
    assert.equal(reply.status, 200);
    const [key] = (reply.body?.keys ?? []) as Record<string, unknown>[];
    assert.equal(key?.kid, kid());
    assert.equal(key?.crv, 'Ed25519');
    assert.equal(key?.d, undefined);
  });
});
