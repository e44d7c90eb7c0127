// Bad input on every body-taking route answers a 400 problem document, stores
// nothing, and leaves the service serving. SQL-looking text is data: refused
// where it is not a valid value (an email), stored safely where it is (a password).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCredential, goodPassword, startHarness, type Harness, type Reply } from '../testing/harness';

let harness: Harness;
let userId: string;
const existingEmail = 'existing@example.com';

before(async () => {
  harness = await startHarness('auth_bad_input');
  userId = await createCredential(harness, existingEmail);
});
after(async () => {
  await harness.close();
});

function assertBadRequest(reply: Reply, code: string, path?: string): void {
  assert.equal(reply.status, 400, reply.text);
  assert.match(String(reply.headers['content-type']), /^application\/problem\+json/);
  assert.equal(reply.body?.code, code, reply.text);
  assert.equal(reply.body?.status, 400);
  if (path !== undefined) {
    const errors = reply.body?.errors as { path: string; message: string }[] | undefined;
    assert.ok(
      errors?.some((error) => error.path === path),
      `expected an error at ${path}: ${reply.text}`,
    );
  }
}

/** Everything the database holds for credentials: nothing bad input may change. */
async function snapshot() {
  return harness.db.query('select user_id, email, password_hash, updated_at from credentials order by user_id');
}

const megabytePassword = 'p'.repeat(1024 * 1024);
const sqlLooking = [
  "' OR '1'='1",
  "admin'--",
  "robert'); DROP TABLE credentials;--@example.com",
  'x@example.com; delete from credentials',
  '"quoted"@example.com',
  "o'brien@exam'ple.com",
];

void describe('POST /v1/credentials with bad input', () => {
  const cases: { name: string; body: unknown; code: string; path?: string }[] = [
    { name: 'no email', body: { password: goodPassword }, code: 'invalid_request', path: 'body' },
    { name: 'no password', body: { email: 'new@example.com' }, code: 'invalid_request', path: 'body' },
    { name: 'an empty object', body: {}, code: 'invalid_request', path: 'body' },
    {
      name: 'a 1 MiB password',
      body: { email: 'new@example.com', password: megabytePassword },
      code: 'invalid_request',
      path: 'body/password',
    },
    { name: 'an invalid email', body: { email: 'new.example.com', password: goodPassword }, code: 'invalid_email' },
    {
      name: 'an email with an inner space',
      body: { email: 'new user@example.com', password: goodPassword },
      code: 'invalid_email',
    },
    {
      name: 'an email with no domain dot',
      body: { email: 'new@localhost', password: goodPassword },
      code: 'invalid_email',
    },
    {
      name: 'an empty email',
      body: { email: '', password: goodPassword },
      code: 'invalid_request',
      path: 'body/email',
    },
    {
      name: 'a number as email',
      body: { email: 12345, password: goodPassword },
      code: 'invalid_request',
      path: 'body/email',
    },
    {
      name: 'a number as password',
      body: { email: 'new@example.com', password: 123456789012345 },
      code: 'invalid_request',
      path: 'body/password',
    },
    {
      name: 'an array as password',
      body: { email: 'new@example.com', password: [goodPassword] },
      code: 'invalid_request',
      path: 'body/password',
    },
    {
      name: 'an object as password',
      body: { email: 'new@example.com', password: { value: goodPassword } },
      code: 'invalid_request',
      path: 'body/password',
    },
    {
      name: 'null as email',
      body: { email: null, password: goodPassword },
      code: 'invalid_request',
      path: 'body/email',
    },
    {
      name: 'true as password',
      body: { email: 'new@example.com', password: true },
      code: 'invalid_request',
      path: 'body/password',
    },
    { name: 'an array as body', body: [{ email: 'new@example.com', password: goodPassword }], code: 'invalid_request' },
    { name: 'a string as body', body: '"new@example.com"', code: 'invalid_request' },
    {
      name: 'an extra field',
      body: { email: 'new@example.com', password: goodPassword, userId: '00000000-0000-4000-8000-000000000001' },
      code: 'invalid_request',
      path: 'body',
    },
    { name: 'malformed JSON', body: '{"email": "new@example.com", "password": "correct horse', code: 'malformed_json' },
    ...sqlLooking.map((email) => ({
      name: `the email ${JSON.stringify(email)}`,
      body: { email, password: goodPassword },
      code: 'invalid_email',
    })),
    // U+0000 is refused by the schema of every text field (PostgreSQL cannot store it).
    {
      name: 'an email with U+0000',
      body: { email: 'x@example.com\u0000', password: goodPassword },
      code: 'invalid_request',
      path: 'body/email',
    },
    {
      name: 'a password with U+0000',
      body: { email: 'nul@example.com', password: `${goodPassword}\u0000` },
      code: 'invalid_request',
      path: 'body/password',
    },
  ];

  for (const testCase of cases) {
    void it(`answers 400 ${testCase.code} to ${testCase.name} and stores nothing`, async () => {
      const before = await snapshot();
      const reply = await harness.call('POST', '/v1/credentials', { body: testCase.body });
      assertBadRequest(reply, testCase.code, testCase.path);
      assert.deepEqual(await snapshot(), before);
    });
  }

  void it('answers 400 malformed_json to an empty JSON body', async () => {
    const reply = await harness.call('POST', '/v1/credentials', {
      body: '',
      headers: { 'content-type': 'application/json' },
    });
    assertBadRequest(reply, 'malformed_json');
  });

  void it('answers 415 to a body that is not JSON', async () => {
    const reply = await harness.call('POST', '/v1/credentials', {
      body: `email=new@example.com&password=${goodPassword}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(reply.status, 415, reply.text);
    assert.equal(reply.body?.code, 'unsupported_media_type');
  });

  void it('answers 413 payload_too_large to a body over the 2 MiB limit', async () => {
    const reply = await harness.call('POST', '/v1/credentials', {
      body: { email: 'new@example.com', password: 'p'.repeat(3 * 1024 * 1024) },
    });
    assert.equal(reply.status, 413, reply.text);
    assert.equal(reply.body?.code, 'payload_too_large');
  });

  void it('stores a password that looks like SQL as the password it is', async () => {
    const password = "'; DROP TABLE credentials; --";
    const id = await createCredential(harness, 'bobby@example.com', password);
    const reply = await harness.call('POST', '/v1/authenticate', { body: { email: 'bobby@example.com', password } });
    assert.deepEqual(reply.body, { userId: id });
    assert.ok((await harness.countRows('credentials')) >= 2, 'the credentials table still holds its rows');
  });

  void it("accepts an apostrophe where an email may have one (o'brien)", async () => {
    const id = await createCredential(harness, "O'Brien@example.com");
    const reply = await harness.call('POST', '/v1/authenticate', {
      body: { email: "o'brien@example.com", password: goodPassword },
    });
    assert.deepEqual(reply.body, { userId: id });
  });
});

void describe('the other routes with bad input', () => {
  const cases: {
    name: string;
    method: 'POST' | 'PUT';
    url: () => string;
    body: unknown;
    code: string;
    path?: string;
  }[] = [
    {
      name: 'authenticate without a password',
      method: 'POST',
      url: () => '/v1/authenticate',
      body: { email: existingEmail },
      code: 'invalid_request',
      path: 'body',
    },
    {
      name: 'authenticate with a 1 MiB password',
      method: 'POST',
      url: () => '/v1/authenticate',
      body: { email: existingEmail, password: megabytePassword },
      code: 'invalid_request',
      path: 'body/password',
    },
    {
      name: 'authenticate with a number as password',
      method: 'POST',
      url: () => '/v1/authenticate',
      body: { email: existingEmail, password: 1234567890123 },
      code: 'invalid_request',
      path: 'body/password',
    },
    {
      name: 'authenticate with an SQL-looking email',
      method: 'POST',
      url: () => '/v1/authenticate',
      body: { email: "' OR 1=1 --", password: goodPassword },
      code: 'invalid_email',
    },
    {
      name: 'authenticate with an extra field',
      method: 'POST',
      url: () => '/v1/authenticate',
      body: { email: existingEmail, password: goodPassword, admin: true },
      code: 'invalid_request',
      path: 'body',
    },
    {
      name: 'a password change without the current password',
      method: 'PUT',
      url: () => `/v1/credentials/${userId}/password`,
      body: { newPassword: 'a brand new password' },
      code: 'invalid_request',
      path: 'body',
    },
    {
      name: 'a password change to a 1 MiB password',
      method: 'PUT',
      url: () => `/v1/credentials/${userId}/password`,
      body: { currentPassword: goodPassword, newPassword: megabytePassword },
      code: 'invalid_request',
      path: 'body/newPassword',
    },
    {
      name: 'a password change with a wrong type',
      method: 'PUT',
      url: () => `/v1/credentials/${userId}/password`,
      body: { currentPassword: goodPassword, newPassword: ['a brand new password'] },
      code: 'invalid_request',
      path: 'body/newPassword',
    },
    {
      name: 'a password change on an SQL-looking user id',
      method: 'PUT',
      url: () => `/v1/credentials/${encodeURIComponent("1' or '1'='1")}/password`,
      body: { currentPassword: goodPassword, newPassword: 'a brand new password' },
      code: 'invalid_request',
      path: 'params/userId',
    },
    {
      name: 'an email change without the password',
      method: 'PUT',
      url: () => `/v1/credentials/${userId}/email`,
      body: { email: 'new@example.com' },
      code: 'invalid_request',
      path: 'body',
    },
    {
      name: 'an email change to an SQL-looking email',
      method: 'PUT',
      url: () => `/v1/credentials/${userId}/email`,
      body: { password: goodPassword, email: "x@example.com'; update credentials set email='a" },
      code: 'invalid_email',
    },
    {
      name: 'an email change with a number as email',
      method: 'PUT',
      url: () => `/v1/credentials/${userId}/email`,
      body: { password: goodPassword, email: 42 },
      code: 'invalid_request',
      path: 'body/email',
    },
  ];

  for (const testCase of cases) {
    void it(`answers 400 ${testCase.code} to ${testCase.name} and changes nothing`, async () => {
      const before = await snapshot();
      const reply = await harness.call(testCase.method, testCase.url(), { body: testCase.body });
      assertBadRequest(reply, testCase.code, testCase.path);
      assert.deepEqual(await snapshot(), before);
    });
  }

  void it('still serves afterwards: the existing credential logs in with its unchanged password and email', async () => {
    const reply = await harness.call('POST', '/v1/authenticate', {
      body: { email: existingEmail, password: goodPassword },
    });
    assert.deepEqual(reply.body, { userId });
  });
});
