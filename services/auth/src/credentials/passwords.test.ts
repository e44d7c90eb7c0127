// Password storage with the real default argon2id parameters (m=19456 KiB,
// t=2, p=1): the stored PHC string, the upgrade of an older hash at login, and
// an unknown email costing as much as a wrong password. Plus the policy and
// email rules the routes rely on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hash } from '@node-rs/argon2';
import { loadAuthConfig } from '../config';
import { createCredential, defaultArgon2, goodPassword, startHarness, type Harness } from '../testing/harness';
import { normaliseEmail } from './email';
import { createPasswordHasher, normalisePassword } from './passwords';
import { loadPasswordPolicy, parseCommonPasswords, type PasswordPolicy } from './policy';

const currentPrefix = '$argon2id$v=19$m=19456,t=2,p=1$';

let harness: Harness;
before(async () => {
  harness = await startHarness('auth_passwords', defaultArgon2);
});
after(async () => {
  await harness.close();
});

const storedHash = async (userId: string) =>
  (
    await harness.db.query<{ password_hash: string }>('select password_hash from credentials where user_id = $1', [
      userId,
    ])
  )[0]?.password_hash ?? '';

const login = (email: string, password: string) =>
  harness.call('POST', '/v1/authenticate', { body: { email, password } });

void describe('argon2id with the default parameters', () => {
  void it('are the config defaults, and at least OWASP', () => {
    const config = loadAuthConfig({});
    assert.equal(config.ARGON2_MEMORY_KIB, defaultArgon2.ARGON2_MEMORY_KIB);
    assert.equal(config.ARGON2_ITERATIONS, defaultArgon2.ARGON2_ITERATIONS);
    assert.equal(config.ARGON2_PARALLELISM, defaultArgon2.ARGON2_PARALLELISM);
  });

  void it('stores a new password as an argon2id PHC string with m=19456,t=2,p=1 and a fresh salt', async () => {
    const first = await storedHash(await createCredential(harness, 'phc-1@example.com'));
    const second = await storedHash(await createCredential(harness, 'phc-2@example.com'));
    assert.ok(first.startsWith(currentPrefix), first.slice(0, 40));
    assert.ok(second.startsWith(currentPrefix), `the second hash is current argon2id: ${second.slice(0, 40)}`);
    assert.notEqual(first, second, 'same password, different salt');
  });

  void it('upgrades a hash made with older, lower parameters at the next successful login', async () => {
    const userId = await createCredential(harness, 'legacy@example.com');
    const legacy = await hash(goodPassword, { algorithm: 2, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    assert.ok(
      legacy.startsWith('$argon2id$v=19$m=4096,t=1,p=1$'),
      `the legacy hash has the old parameters: ${legacy.slice(0, 40)}`,
    );
    await harness.db.query('update credentials set password_hash = $2 where user_id = $1', [userId, legacy]);

    // A failed login leaves it alone.
    assert.equal((await login('legacy@example.com', 'wrong horse battery staple')).status, 401);
    assert.equal(await storedHash(userId), legacy);

    const reply = await login('legacy@example.com', goodPassword);
    assert.deepEqual(reply.body, { userId });
    const upgraded = await storedHash(userId);
    assert.notEqual(upgraded, legacy);
    assert.ok(upgraded.startsWith(currentPrefix), upgraded.slice(0, 40));
    // The upgraded hash still matches the same password, and only it.
    assert.deepEqual((await login('legacy@example.com', goodPassword)).body, { userId });
    assert.equal((await login('legacy@example.com', 'wrong horse battery staple')).status, 401);
    assert.equal(await storedHash(userId), upgraded, 'a current hash is not rehashed again');
    assert.match((await harness.call('GET', '/metrics', { apiKey: null })).text, /auth_password_rehashes_total 1\b/);
  });

  void it('upgrades an argon2i hash to argon2id too', async () => {
    const userId = await createCredential(harness, 'argon2i@example.com');
    const legacy = await hash(goodPassword, { algorithm: 1, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    assert.ok(legacy.startsWith('$argon2i$'), `the legacy hash is argon2i: ${legacy.slice(0, 40)}`);
    await harness.db.query('update credentials set password_hash = $2 where user_id = $1', [userId, legacy]);
    assert.deepEqual((await login('argon2i@example.com', goodPassword)).body, { userId });
    assert.ok((await storedHash(userId)).startsWith(currentPrefix), 'the login upgraded the hash to current argon2id');
  });

  void it('spends about as long on an unknown email as on a wrong password (it verifies a dummy hash)', async () => {
    await createCredential(harness, 'timed@example.com');
    const median = async (email: string) => {
      const times: number[] = [];
      for (let round = 0; round < 7; round++) {
        const started = performance.now();
        const reply = await login(email, `wrong password number ${round}`);
        times.push(performance.now() - started);
        assert.equal(reply.status, 401);
      }
      return times.sort((left, right) => left - right)[3] ?? Number.NaN;
    };
    const wrongPassword = await median('timed@example.com');
    const unknownEmail = await median('nobody-at-all@example.com');
    // Without the dummy hash an unknown email answers in a few milliseconds,
    // against tens of milliseconds for a real argon2id check: a ratio near 0.05.
    const ratio = unknownEmail / wrongPassword;
    assert.ok(
      ratio > 0.5 && ratio < 2,
      `unknown email ${unknownEmail.toFixed(1)} ms, wrong password ${wrongPassword.toFixed(1)} ms`,
    );
  });
});

void describe('the hasher', () => {
  void it('says which hashes need a rehash', async () => {
    const hasher = await createPasswordHasher({ memoryKib: 1024, iterations: 2, parallelism: 1 });
    const current = await hasher.hash('some password here');
    assert.equal(hasher.needsRehash(current), false);
    for (const [memoryCost, timeCost, parallelism] of [
      [512, 2, 1],
      [1024, 1, 1],
      [1024, 2, 2],
      [2048, 2, 1],
    ] as const) {
      const other = await hash('some password here', { algorithm: 2, memoryCost, timeCost, parallelism });
      assert.equal(hasher.needsRehash(other), true, `m=${memoryCost},t=${timeCost},p=${parallelism}`);
    }
    assert.equal(await hasher.verify(current, 'some password here'), true);
    assert.equal(await hasher.verify(current, 'some password herE'), false);
    assert.equal(await hasher.verifyDummy('some password here'), false);
  });

  void it('compares passwords in NFKC form', () => {
    // "é" precomposed and as e + combining accent; a full-width A and a plain A.
    assert.equal(normalisePassword('caf\u00e9 au lait!!'), normalisePassword('cafe\u0301 au lait!!'));
    assert.equal(normalisePassword('\uff21bcdefghijkl'), 'Abcdefghijkl');
  });
});

void describe('the password policy', () => {
  let policy: PasswordPolicy;
  before(async () => {
    policy = await loadPasswordPolicy();
  });

  void it('ships a list of a few hundred to a few thousand common passwords', () => {
    assert.ok(
      policy.commonPasswordCount >= 300 && policy.commonPasswordCount <= 5000,
      String(policy.commonPasswordCount),
    );
  });

  void it('refuses short, long and common passwords, compares the list in lower case, and accepts the rest', () => {
    assert.equal(policy.check('a'.repeat(11)), 'too_short');
    assert.equal(policy.check('a'.repeat(257)), 'too_long');
    assert.equal(policy.check('password1234'), 'common');
    assert.equal(policy.check('PASSWORD1234'), 'common');
    assert.equal(policy.check('1qaz2wsx3edc'), 'common');
    assert.equal(policy.check('a'.repeat(12)), undefined);
    assert.equal(policy.check(goodPassword), undefined);
    assert.equal(policy.check('x'.repeat(256)), undefined);
  });

  void it('reads one password a line, skipping comments and blank lines', () => {
    const parsed = parseCommonPasswords('# a comment\nHunter2Hunter2\r\n\nletmein12345\n');
    assert.deepEqual([...parsed].sort(), ['hunter2hunter2', 'letmein12345']);
  });
});

void describe('email normalisation', () => {
  void it('trims and lower-cases', () => {
    assert.equal(normaliseEmail('  Ada.Lovelace+T50@Example.COM \n'), 'ada.lovelace+t50@example.com');
  });

  void it('accepts ordinary addresses', () => {
    for (const email of [
      "o'brien@example.ie",
      'a@b.co',
      'first.last@sub.example.co.uk',
      'x@xn--mller-kva.de',
      'user_1-2@my-host.example',
    ]) {
      assert.equal(normaliseEmail(email), email.toLowerCase(), email);
    }
  });

  void it('refuses what is not an address', () => {
    for (const email of [
      '',
      'plain',
      '@example.com',
      'user@',
      'user@localhost',
      'user@@example.com',
      'us er@example.com',
      '.user@example.com',
      'user.@example.com',
      'us..er@example.com',
      'user@-example.com',
      'user@example..com',
      'user@192.168.0.1',
      '"user"@example.com',
      'user@exa_mple.com',
      'üser@example.com',
      `${'a'.repeat(65)}@example.com`,
      `user@${'a'.repeat(250)}.com`,
    ]) {
      assert.equal(normaliseEmail(email), undefined, email);
    }
  });
});
