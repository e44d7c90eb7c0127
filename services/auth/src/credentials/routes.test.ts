// Every credential route over HTTP, its successes and its expected failures,
// against a real PostgreSQL (fast argon2 parameters; see passwords.test.ts for
// the real ones).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCredential, goodPassword, startHarness, type Harness, type Reply } from '../testing/harness';

let harness: Harness;
before(async () => {
  harness = await startHarness('auth_routes');
});
after(async () => {
  await harness.close();
});

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const unknownUserId = '00000000-0000-4000-8000-000000000000';

function assertProblem(reply: Reply, status: number, code: string): void {
  assert.equal(reply.status, status, reply.text);
  assert.match(String(reply.headers['content-type']), /^application\/problem\+json/);
  assert.equal(reply.body?.code, code);
  assert.equal(reply.body?.status, status);
  assert.equal(reply.body?.type, `https://transactions50.dev/problems/${code}`);
  assert.equal(typeof reply.body?.title, 'string');
}

const authenticate = (email: string, password: string) =>
  harness.call('POST', '/v1/authenticate', { body: { email, password } });

async function storedCredential(userId: string) {
  const [row] = await harness.db.query<{ email: string; password_hash: string }>(
    'select email, password_hash from credentials where user_id = $1',
    [userId],
  );
  return row;
}

void describe('POST /v1/credentials', () => {
  void it('creates a credential: 201 with a new user id and the normalised email; only a hash is stored', async () => {
    const reply = await harness.call('POST', '/v1/credentials', {
      body: { email: '  Grace.Hopper@Example.COM ', password: goodPassword },
    });
    assert.equal(reply.status, 201, reply.text);
    assert.match(String(reply.body?.userId), uuidPattern);
    assert.equal(reply.body?.email, 'grace.hopper@example.com');
    assert.deepEqual(Object.keys(reply.body ?? {}).sort(), ['email', 'userId']);
    const row = await storedCredential(String(reply.body?.userId));
    assert.equal(row?.email, 'grace.hopper@example.com');
    assert.match(row?.password_hash ?? '', /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/);
    assert.ok(!(row?.password_hash ?? '').includes(goodPassword), 'the stored hash does not contain the password');
  });

  void it('answers 409 email_taken for an email that differs only in case or spaces, and stores nothing', async () => {
    await createCredential(harness, 'taken@example.com');
    const before = await harness.countRows('credentials');
    const reply = await harness.call('POST', '/v1/credentials', {
      body: { email: ' TAKEN@example.com', password: 'another good password' },
    });
    assertProblem(reply, 409, 'email_taken');
    assert.equal(await harness.countRows('credentials'), before);
  });

  for (const [password, reason] of [
    ['elevenchars', 'too_short'],
    ['x'.repeat(257), 'too_long'],
    ['Password1234', 'common'],
    ['QwertyASDFGH', 'common'],
  ] as const) {
    void it(`answers 400 weak_password (${reason}) for ${password.slice(0, 12)}…, storing nothing`, async () => {
      const before = await harness.countRows('credentials');
      const reply = await harness.call('POST', '/v1/credentials', {
        body: { email: 'weak@example.com', password },
      });
      assertProblem(reply, 400, 'weak_password');
      assert.equal(reply.body?.reason, reason);
      assert.equal(typeof reply.body?.detail, 'string');
      assert.equal(await harness.countRows('credentials'), before);
    });
  }

  void it('accepts exactly 12 and exactly 256 characters, counted as characters, not bytes', async () => {
    await createCredential(harness, 'twelve@example.com', 'abcdefghijk!');
    await createCredential(harness, 'long@example.com', 'y'.repeat(256));
    // 12 emoji are 24 UTF-16 units and 48 bytes, but 12 characters.
    await createCredential(harness, 'emoji@example.com', '🔐🦊🌍🎲🧩🚲🍋🌵🎻🪁🦉🧭');
    const eleven = await harness.call('POST', '/v1/credentials', {
      body: { email: 'emoji11@example.com', password: '🔐🦊🌍🎲🧩🚲🍋🌵🎻🪁🦉' },
    });
    assertProblem(eleven, 400, 'weak_password');
    assert.equal((await authenticate('emoji@example.com', '🔐🦊🌍🎲🧩🚲🍋🌵🎻🪁🦉🧭')).status, 200);
  });

  void it('answers 400 invalid_email for an address that is not one', async () => {
    const reply = await harness.call('POST', '/v1/credentials', {
      body: { email: 'not-an-email', password: goodPassword },
    });
    assertProblem(reply, 400, 'invalid_email');
  });
});

void describe('POST /v1/authenticate', () => {
  let userId: string;
  before(async () => {
    userId = await createCredential(harness, 'ada@example.com');
  });

  void it('answers 200 with the user id for the right password, whatever the email case and spaces', async () => {
    const reply = await authenticate(' ADA@example.com  ', goodPassword);
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.body, { userId });
  });

  void it('answers the same 401 invalid_credentials for a wrong password and for an unknown email', async () => {
    const wrongPassword = await authenticate('ada@example.com', 'wrong horse battery staple');
    const unknownEmail = await authenticate('nobody@example.com', goodPassword);
    assertProblem(wrongPassword, 401, 'invalid_credentials');
    assertProblem(unknownEmail, 401, 'invalid_credentials');
    assert.deepEqual(wrongPassword.body, unknownEmail.body);
  });

  void it('does not match a password that differs in case', async () => {
    assertProblem(await authenticate('ada@example.com', goodPassword.toUpperCase()), 401, 'invalid_credentials');
  });

  void it('answers 400 invalid_email for a malformed email', async () => {
    assertProblem(await authenticate('ada at example.com', goodPassword), 400, 'invalid_email');
  });
});

void describe('PUT /v1/credentials/:userId/password', () => {
  let userId: string;
  const email = 'change-password@example.com';
  before(async () => {
    userId = await createCredential(harness, email);
  });
  const change = (id: string, currentPassword: string, newPassword: string) =>
    harness.call('PUT', `/v1/credentials/${id}/password`, { body: { currentPassword, newPassword } });

  void it('answers 401 invalid_credentials for a wrong current password and keeps the old one', async () => {
    assertProblem(await change(userId, 'not the current password', 'a brand new password'), 401, 'invalid_credentials');
    assert.equal((await authenticate(email, goodPassword)).status, 200);
    assertProblem(await authenticate(email, 'a brand new password'), 401, 'invalid_credentials');
  });

  void it('answers 400 weak_password for a weak new password and keeps the old one', async () => {
    const reply = await change(userId, goodPassword, 'iloveyou1234');
    assertProblem(reply, 400, 'weak_password');
    assert.equal(reply.body?.reason, 'common');
    assert.equal((await authenticate(email, goodPassword)).status, 200);
  });

  void it('answers 404 credential_not_found for an unknown user id', async () => {
    assertProblem(await change(unknownUserId, goodPassword, 'a brand new password'), 404, 'credential_not_found');
  });

  void it('answers 400 invalid_request for a user id that is not a UUID', async () => {
    const reply = await change('1 or 1=1', goodPassword, 'a brand new password');
    assertProblem(reply, 400, 'invalid_request');
  });

  void it('answers 204 and from then on only the new password works', async () => {
    const before = (await storedCredential(userId))?.password_hash;
    const reply = await change(userId, goodPassword, 'a brand new password');
    assert.equal(reply.status, 204, reply.text);
    assert.equal(reply.text, '');
    assert.notEqual((await storedCredential(userId))?.password_hash, before);
    assertProblem(await authenticate(email, goodPassword), 401, 'invalid_credentials');
    assert.deepEqual((await authenticate(email, 'a brand new password')).body, { userId });
  });
});

void describe('PUT /v1/credentials/:userId/email', () => {
  let userId: string;
  before(async () => {
    userId = await createCredential(harness, 'old-address@example.com');
    await createCredential(harness, 'someone-else@example.com');
  });
  const change = (id: string, password: string, email: string) =>
    harness.call('PUT', `/v1/credentials/${id}/email`, { body: { password, email } });

  void it('answers 401 invalid_credentials for a wrong password and keeps the email', async () => {
    assertProblem(
      await change(userId, 'wrong horse battery staple', 'new-address@example.com'),
      401,
      'invalid_credentials',
    );
    assert.equal((await storedCredential(userId))?.email, 'old-address@example.com');
  });

  void it('answers 409 email_taken for an email another credential has', async () => {
    assertProblem(await change(userId, goodPassword, ' Someone-Else@example.com'), 409, 'email_taken');
    assert.equal((await storedCredential(userId))?.email, 'old-address@example.com');
  });

  void it('answers 400 invalid_email for a malformed email', async () => {
    assertProblem(await change(userId, goodPassword, 'new-address@'), 400, 'invalid_email');
  });

  void it('answers 404 credential_not_found for an unknown user id', async () => {
    assertProblem(await change(unknownUserId, goodPassword, 'new-address@example.com'), 404, 'credential_not_found');
  });

  void it('answers 200 with the normalised email; logins use the new one only', async () => {
    const reply = await change(userId, goodPassword, ' New-Address@Example.com ');
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.body, { userId, email: 'new-address@example.com' });
    assert.deepEqual((await authenticate('new-address@example.com', goodPassword)).body, { userId });
    assertProblem(await authenticate('old-address@example.com', goodPassword), 401, 'invalid_credentials');
  });

  void it('answers 200 when the new email is the current one', async () => {
    const reply = await change(userId, goodPassword, 'NEW-ADDRESS@example.com');
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.body, { userId, email: 'new-address@example.com' });
  });
});

void describe('DELETE /v1/credentials/:userId', () => {
  void it('answers 204, after which the credential cannot log in and its email is free again', async () => {
    const userId = await createCredential(harness, 'leaving@example.com');
    const reply = await harness.call('DELETE', `/v1/credentials/${userId}`);
    assert.equal(reply.status, 204, reply.text);
    assert.equal(await storedCredential(userId), undefined);
    assertProblem(await authenticate('leaving@example.com', goodPassword), 401, 'invalid_credentials');
    const again = await createCredential(harness, 'leaving@example.com');
    assert.notEqual(again, userId);
  });

  void it('answers 404 credential_not_found for an unknown or already deleted user id', async () => {
    const userId = await createCredential(harness, 'twice@example.com');
    assert.equal((await harness.call('DELETE', `/v1/credentials/${userId}`)).status, 204);
    assertProblem(await harness.call('DELETE', `/v1/credentials/${userId}`), 404, 'credential_not_found');
    assertProblem(await harness.call('DELETE', `/v1/credentials/${unknownUserId}`), 404, 'credential_not_found');
  });

  void it('answers 400 invalid_request for a user id that is not a UUID', async () => {
    assertProblem(
      await harness.call('DELETE', "/v1/credentials/'%3B%20delete%20from%20credentials"),
      400,
      'invalid_request',
    );
  });
});

void describe('unknown routes', () => {
  void it('answer 404 not_found as a problem document', async () => {
    assertProblem(await harness.call('GET', '/v1/credentials'), 404, 'not_found');
  });
});
