// Failed password checks are limited per email and per client address, in
// PostgreSQL: past the limit the answer is 429 with Retry-After, also for the
// right password, until the window ends; the counts survive a restart.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sleep } from '@t50/kit';
import { createCredential, goodPassword, startHarness, type Harness, type Reply } from '../testing/harness';
import { addressBucket } from './address';
import { createFailureLimiter, subjectHash } from './service';

const limits = {
  RATE_LIMIT_EMAIL_MAX_FAILURES: 3,
  RATE_LIMIT_EMAIL_WINDOW_SECONDS: 600,
  RATE_LIMIT_ADDRESS_MAX_FAILURES: 6,
  RATE_LIMIT_ADDRESS_WINDOW_SECONDS: 600,
};

let harness: Harness;
before(async () => {
  harness = await startHarness('auth_ratelimit', limits);
});
after(async () => {
  await harness.close();
});

/** Each test uses its own client address, so their address counts do not mix. */
let nextAddress = 1;
const freshAddress = () => `198.51.100.${nextAddress++}`;

const login = (email: string, password: string, address: string) =>
  harness.call('POST', '/v1/authenticate', { body: { email, password }, headers: { 'x-client-address': address } });

function assertRateLimited(reply: Reply, maxSeconds: number): number {
  assert.equal(reply.status, 429, reply.text);
  assert.match(String(reply.headers['content-type']), /^application\/problem\+json/);
  assert.equal(reply.body?.code, 'rate_limited');
  const retryAfter = Number(reply.headers['retry-after']);
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= maxSeconds,
    `Retry-After ${String(reply.headers['retry-after'])}`,
  );
  assert.equal(reply.body?.retryAfterSeconds, retryAfter);
  return retryAfter;
}

void describe('per email', () => {
  void it('allows 3 failures, then answers 429 with Retry-After, even to the right password', async () => {
    const userId = await createCredential(harness, 'limited@example.com');
    const address = freshAddress();
    for (let attempt = 1; attempt <= 3; attempt++) {
      assert.equal((await login('limited@example.com', `wrong password ${attempt}!`, address)).status, 401);
    }
    assertRateLimited(await login('limited@example.com', `wrong password 4!`, address), 600);
    // The limit is on the email, whichever address asks, and whatever the password.
    assertRateLimited(await login(' LIMITED@example.com', goodPassword, freshAddress()), 600);
    // Another email from the same address is unaffected.
    const otherId = await createCredential(harness, 'unlimited@example.com');
    assert.deepEqual((await login('unlimited@example.com', goodPassword, address)).body, { userId: otherId });
    assert.notEqual(otherId, userId);
  });

  void it('limits unknown emails the same way (so the limit does not reveal which emails exist)', async () => {
    const address = freshAddress();
    for (let attempt = 1; attempt <= 3; attempt++) {
      assert.equal((await login('ghost@example.com', goodPassword, address)).status, 401);
    }
    assertRateLimited(await login('ghost@example.com', goodPassword, address), 600);
  });

  void it('forgets the failures of an email after a successful login', async () => {
    await createCredential(harness, 'forgiven@example.com');
    const address = freshAddress();
    for (let attempt = 1; attempt <= 2; attempt++) {
      assert.equal((await login('forgiven@example.com', 'wrong horse battery', address)).status, 401);
    }
    assert.equal((await login('forgiven@example.com', goodPassword, address)).status, 200);
    for (let attempt = 1; attempt <= 3; attempt++) {
      assert.equal(
        (await login('forgiven@example.com', 'wrong horse battery', freshAddress())).status,
        401,
        `attempt ${attempt}`,
      );
    }
    assertRateLimited(await login('forgiven@example.com', goodPassword, freshAddress()), 600);
  });

  void it('counts wrong current passwords on password and email changes too, and then refuses them with 429', async () => {
    const userId = await createCredential(harness, 'changer@example.com');
    const address = freshAddress();
    const changePassword = (currentPassword: string) =>
      harness.call('PUT', `/v1/credentials/${userId}/password`, {
        body: { currentPassword, newPassword: 'a brand new password' },
        headers: { 'x-client-address': address },
      });
    assert.equal((await changePassword('wrong horse battery')).status, 401);
    assert.equal((await changePassword('wrong horse battery')).status, 401);
    const changeEmail = await harness.call('PUT', `/v1/credentials/${userId}/email`, {
      body: { password: 'wrong horse battery', email: 'moved@example.com' },
      headers: { 'x-client-address': address },
    });
    assert.equal(changeEmail.status, 401);
    assertRateLimited(await changePassword(goodPassword), 600);
    assertRateLimited(await login('changer@example.com', goodPassword, freshAddress()), 600);
  });

  void it('holds under concurrency: of 10 simultaneous wrong guesses exactly 3 are checked', async () => {
    await createCredential(harness, 'stampede@example.com');
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, index) => login('stampede@example.com', `wrong guess ${index}!!`, freshAddress())),
    );
    const statuses = replies.map((reply) => reply.status).sort();
    assert.deepEqual(statuses, [401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
  });

  void it('counts checks and refusals in the metrics', async () => {
    const metrics = (await harness.call('GET', '/metrics', { apiKey: null })).text;
    assert.match(metrics, /auth_authentications_total\{outcome="rate_limited"\} [1-9]/);
    assert.match(metrics, /auth_authentications_total\{outcome="invalid_credentials"\} [1-9]/);
  });
});

void describe('per client address', () => {
  void it('allows 6 failures from one address across emails, then 429 for anyone from it; other addresses are fine', async () => {
    const userId = await createCredential(harness, 'victim@example.com');
    const address = freshAddress();
    for (let attempt = 1; attempt <= 6; attempt++) {
      assert.equal((await login(`spray-${attempt}@example.com`, goodPassword, address)).status, 401);
    }
    assertRateLimited(await login('victim@example.com', goodPassword, address), 600);
    assert.deepEqual((await login('victim@example.com', goodPassword, freshAddress())).body, { userId });
  });

  void it('counts one IPv6 /64 as one address', async () => {
    for (let host = 1; host <= 6; host++) {
      assert.equal((await login(`v6-${host}@example.com`, goodPassword, `2001:db8:7:1::${host}`)).status, 401);
    }
    assertRateLimited(await login('v6-7@example.com', goodPassword, '2001:db8:7:1:ffff::1'), 600);
    assert.equal((await login('v6-8@example.com', goodPassword, '2001:db8:7:2::1')).status, 401);
  });

  void it('does not spend the address budget on successful logins', async () => {
    await createCredential(harness, 'regular@example.com');
    const address = freshAddress();
    for (let attempt = 1; attempt <= 10; attempt++) {
      assert.equal((await login('regular@example.com', goodPassword, address)).status, 200, `login ${attempt}`);
    }
    for (let attempt = 1; attempt <= 6; attempt++) {
      assert.equal(
        (await login(`other-${attempt}@example.com`, goodPassword, address)).status,
        401,
        `failure ${attempt}`,
      );
    }
    assertRateLimited(await login('regular@example.com', goodPassword, address), 600);
  });

  void it('answers 400 to an x-client-address that is not an IP address', async () => {
    const reply = await login('anyone@example.com', goodPassword, "1.2.3.4' or 1=1");
    assert.equal(reply.status, 400, reply.text);
    assert.equal(reply.body?.code, 'invalid_request');
  });

  void it('groups addresses as documented', () => {
    assert.equal(addressBucket('203.0.113.9'), '203.0.113.9');
    assert.equal(addressBucket('::ffff:203.0.113.9'), '203.0.113.9');
    assert.equal(addressBucket('2001:DB8:0:0:1::1'), '2001:db8:0:0::/64');
    assert.equal(addressBucket('2001:db8::'), '2001:db8:0:0::/64');
    assert.equal(addressBucket('::1'), '0:0:0:0::/64');
    assert.equal(addressBucket('64:ff9b::192.0.2.33'), '64:ff9b:0:0::/64');
    assert.equal(addressBucket('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(addressBucket('not an address'), undefined);
    assert.equal(addressBucket('1.2.3.4.5'), undefined);
  });
});

void describe('persistence and windows', () => {
  void it('keeps the counts across a restart (they live in PostgreSQL)', async () => {
    await createCredential(harness, 'restart@example.com');
    for (let attempt = 1; attempt <= 3; attempt++) {
      assert.equal((await login('restart@example.com', 'wrong horse battery', freshAddress())).status, 401);
    }
    await harness.restart();
    assertRateLimited(await login('restart@example.com', goodPassword, freshAddress()), 600);
  });

  void it('lets the owner in again once the window has ended, after the Retry-After it was given', async () => {
    const windowSeconds = 3;
    await harness.restart({ RATE_LIMIT_EMAIL_WINDOW_SECONDS: windowSeconds });
    try {
      const userId = await createCredential(harness, 'patient@example.com');
      // Windows are aligned to multiples of their length; start just after a
      // boundary so that all four attempts fall into one window (a real pause:
      // the clock is what this case is about).
      const intoWindowMs = Date.now() % (windowSeconds * 1000);
      await sleep(windowSeconds * 1000 - intoWindowMs + 100);
      for (let attempt = 1; attempt <= 3; attempt++) {
        assert.equal((await login('patient@example.com', 'wrong horse battery', freshAddress())).status, 401);
      }
      const retryAfter = assertRateLimited(
        await login('patient@example.com', goodPassword, freshAddress()),
        windowSeconds,
      );
      // A real pause: exactly what the client was told to wait, and a little more.
      await sleep(retryAfter * 1000 + 250);
      assert.deepEqual((await login('patient@example.com', goodPassword, freshAddress())).body, { userId });
    } finally {
      await harness.restart();
    }
  });

  void it('purges windows that ended, and keeps current ones', async () => {
    // The earlier cases' short windows may have ended by now: start from none, so the count is this case's own.
    await harness.db.query('delete from auth_failure_windows');
    const limiter = createFailureLimiter(harness.db, [
      { scope: 'email', maxFailures: 3, windowSeconds: 600, onSuccess: 'reset' },
    ]);
    const old = subjectHash('email', 'old@example.com');
    await harness.db.query(
      "insert into auth_failure_windows (subject, window_start, failures) values ($1, now() - interval '2 hours', 5)",
      [old],
    );
    const admission = await limiter.admit([
      {
        rule: { scope: 'email', maxFailures: 3, windowSeconds: 600, onSuccess: 'reset' },
        value: 'current@example.com',
      },
    ]);
    assert.equal(admission.admitted, true);
    const before = await harness.countRows('auth_failure_windows');
    assert.equal(await limiter.purgeExpired(), 1);
    assert.equal(await harness.countRows('auth_failure_windows'), before - 1);
    const left = await harness.db.query('select 1 from auth_failure_windows where subject = $1', [old]);
    assert.equal(left.length, 0);
  });

  void it('stores hashes of emails and addresses, not the values', async () => {
    const rows = await harness.db.query<{ subject: Buffer }>('select subject from auth_failure_windows');
    assert.ok(rows.length > 0, 'failure windows are stored');
    const text = rows.map((row) => Buffer.from(row.subject).toString('latin1')).join('');
    assert.ok(
      !text.includes('@example.com') && !text.includes('198.51.100.'),
      'the subjects hold no email or address in clear',
    );
  });
});
