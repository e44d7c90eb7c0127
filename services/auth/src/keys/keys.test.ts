// Service API keys: creation, storage (hash only), listing, use on every /v1
// route, revocation, and the embedded gateway key.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ensureEmbeddedGatewayKey } from '../service';
import { createCredential, goodPassword, startHarness, type Harness, type Reply } from '../testing/harness';
import { InvalidKeyNameError } from './service';

let harness: Harness;
before(async () => {
  harness = await startHarness('auth_keys');
});
after(async () => {
  await harness.close();
});

const keyPattern = /^t50_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/;

function assertUnauthorized(reply: Reply, code: 'missing_api_key' | 'invalid_api_key'): void {
  assert.equal(reply.status, 401, reply.text);
  assert.match(String(reply.headers['content-type']), /^application\/problem\+json/);
  assert.equal(reply.body?.code, code);
}

const createWith = (apiKey: string | null, email: string) =>
  harness.call('POST', '/v1/credentials', { apiKey, body: { email, password: goodPassword } });

void describe('creating a key', () => {
  void it('returns t50_<8 hex prefix>_<32 random bytes in base64url> and stores only its SHA-256', async () => {
    const created = await harness.service.keys.create('payments');
    const match = keyPattern.exec(created.plaintext);
    assert.ok(match, created.plaintext);
    assert.equal(match[1], created.prefix);
    assert.equal(Buffer.from(match[2] ?? '', 'base64url').length, 32);
    assert.equal(created.name, 'payments');
    assert.equal(created.revokedAt, null);

    const rows = await harness.db.query<{ name: string; prefix: string; key_sha256: Buffer }>(
      'select name, prefix, key_sha256 from api_keys where prefix = $1',
      [created.prefix],
    );
    assert.equal(rows.length, 1);
    assert.deepEqual(Buffer.from(rows[0]?.key_sha256 ?? []), createHash('sha256').update(created.plaintext).digest());
    const everything = JSON.stringify(await harness.db.query('select * from api_keys'));
    assert.ok(!everything.includes(match[2] ?? 'unreachable'), 'the secret is not stored');
  });

  void it('gives every key a different prefix and secret', async () => {
    const keys = await Promise.all(Array.from({ length: 20 }, () => harness.service.keys.create('many')));
    assert.equal(new Set(keys.map((key) => key.prefix)).size, 20);
    assert.equal(new Set(keys.map((key) => key.plaintext)).size, 20);
  });

  void it('refuses a name that is empty, too long or has odd characters', async () => {
    for (const name of ['', 'x'.repeat(65), 'two words', '-leading', "robert'); drop table api_keys;--"]) {
      await assert.rejects(harness.service.keys.create(name), InvalidKeyNameError, name);
    }
  });
});

void describe('using a key', () => {
  void it('lets a request with a valid key through', async () => {
    const created = await harness.service.keys.create('gateway');
    const reply = await createWith(created.plaintext, 'with-key@example.com');
    assert.equal(reply.status, 201, reply.text);
  });

  void it('answers 401 missing_api_key without the header, or with an empty one, on every /v1 route', async () => {
    const userId = await createCredential(harness, 'keyless-target@example.com');
    const requests = [
      ['POST', '/v1/credentials', { email: 'no-key@example.com', password: goodPassword }],
      ['POST', '/v1/authenticate', { email: 'keyless-target@example.com', password: goodPassword }],
      [
        'PUT',
        `/v1/credentials/${userId}/password`,
        { currentPassword: goodPassword, newPassword: 'another password!' },
      ],
      ['PUT', `/v1/credentials/${userId}/email`, { password: goodPassword, email: 'moved@example.com' }],
      ['DELETE', `/v1/credentials/${userId}`, undefined],
    ] as const;
    for (const [method, url, body] of requests) {
      assertUnauthorized(
        await harness.call(method, url, { apiKey: null, ...(body === undefined ? {} : { body }) }),
        'missing_api_key',
      );
      assertUnauthorized(
        await harness.call(method, url, { apiKey: '', ...(body === undefined ? {} : { body }) }),
        'missing_api_key',
      );
    }
    // Nothing happened: the credential is still there with its email and password.
    const reply = await harness.call('POST', '/v1/authenticate', {
      body: { email: 'keyless-target@example.com', password: goodPassword },
    });
    assert.deepEqual(reply.body, { userId });
    const strays = await harness.db.query(
      "select 1 from credentials where email in ('no-key@example.com', 'moved@example.com')",
    );
    assert.equal(strays.length, 0);
  });

  void it('answers 401 invalid_api_key to a malformed key, an unknown prefix and a wrong secret', async () => {
    const created = await harness.service.keys.create('probe');
    const [, prefix, secret = ''] = keyPattern.exec(created.plaintext) ?? [];
    const flipped = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    for (const wrong of [
      'not a key',
      `Bearer ${created.plaintext}`,
      `${created.plaintext} `.repeat(2),
      `t50_ffffffff_${secret}`.replace('ffffffff', prefix === 'ffffffff' ? 'eeeeeeee' : 'ffffffff'),
      `t50_${prefix}_${flipped}`,
      `t50_${prefix}_${'A'.repeat(43)}`,
      "t50_' or 1=1 --",
    ]) {
      assertUnauthorized(await createWith(wrong, 'wrong-key@example.com'), 'invalid_api_key');
    }
    assert.equal((await harness.db.query("select 1 from credentials where email = 'wrong-key@example.com'")).length, 0);
  });

  void it('leaves health, metrics and the OpenAPI document open (Consul and Prometheus carry no key)', async () => {
    for (const url of ['/health/live', '/health/ready', '/metrics', '/docs/json']) {
      const reply = await harness.call('GET', url, { apiKey: null });
      assert.equal(reply.status, 200, `${url}: ${reply.text.slice(0, 200)}`);
    }
  });

  void it('counts refused keys in the metrics', async () => {
    await createWith(null, 'counted@example.com');
    await createWith('t50_00000000_nothing', 'counted@example.com');
    const metrics = (await harness.call('GET', '/metrics', { apiKey: null })).text;
    assert.match(metrics, /auth_api_key_rejections_total\{reason="missing"\} [1-9]/);
    assert.match(metrics, /auth_api_key_rejections_total\{reason="invalid"\} [1-9]/);
  });
});

void describe('listing and revoking keys', () => {
  void it('lists keys with name, prefix, creation and revocation time, never a secret', async () => {
    const created = await harness.service.keys.create('listed');
    const listed = await harness.service.keys.list();
    const entry = listed.find((key) => key.prefix === created.prefix);
    assert.deepEqual(entry, { name: 'listed', prefix: created.prefix, createdAt: created.createdAt, revokedAt: null });
    assert.ok(!JSON.stringify(listed).includes(created.plaintext.slice(13)), 'the listing holds no part of the secret');
  });

  void it('revokes a key: from then on it gets 401 invalid_api_key, and other keys keep working', async () => {
    const revoked = await harness.service.keys.create('to-revoke');
    const kept = await harness.service.keys.create('to-keep');
    assert.equal((await createWith(revoked.plaintext, 'before-revoke@example.com')).status, 201);

    assert.equal(await harness.service.keys.revoke(revoked.prefix), true);
    assertUnauthorized(await createWith(revoked.plaintext, 'after-revoke@example.com'), 'invalid_api_key');
    assert.equal((await createWith(kept.plaintext, 'kept@example.com')).status, 201);

    const entry = (await harness.service.keys.list()).find((key) => key.prefix === revoked.prefix);
    assert.ok(entry?.revokedAt instanceof Date, 'the revoked key shows its revocation time');
    assert.equal(await harness.service.keys.revoke(revoked.prefix), false, 'revoking twice');
    assert.equal(await harness.service.keys.revoke('00000000'), false, 'an unknown prefix');
  });
});

void describe('ensureEmbeddedGatewayKey', () => {
  void it('makes a working key named gateway-embedded, and a new one (the old one dead) at every call', async () => {
    const first = await ensureEmbeddedGatewayKey(harness.db);
    assert.match(first, keyPattern);
    assert.equal((await createWith(first, 'embedded-1@example.com')).status, 201);

    const second = await ensureEmbeddedGatewayKey(harness.db);
    assert.notEqual(second, first);
    assert.equal((await createWith(second, 'embedded-2@example.com')).status, 201);
    assertUnauthorized(await createWith(first, 'embedded-3@example.com'), 'invalid_api_key');

    const named = (await harness.service.keys.list()).filter((key) => key.name === 'gateway-embedded');
    assert.equal(named.length, 1);
  });
});
