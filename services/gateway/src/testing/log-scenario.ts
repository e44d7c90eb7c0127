/**
 * A realistic gateway flow for the log test (../logs.test.ts), run as its own
 * process so that test can read every line the gateway, auth and the ledger
 * log (all three write to this process's stdout at TEST_LOG_LEVEL): register,
 * log in, refresh, KYC 1 with distinctive personal data, a document and KYC 2,
 * approval, a USD send, a password change, logout; then the failures that used
 * to put data in the logs: a PostgreSQL error whose parameters and row are KYC
 * values, a bad login, and a malformed AUTH_API_KEY reaching the auth client.
 * Writes what must never be logged to the file named by SECRETS_FILE.
 */
import { writeFileSync } from 'node:fs';
import { createLogger } from '@t50/kit';
import { testApiKey } from '@t50/transactions/testing';
import { cookieOf, goodPassword, startGatewayHarness } from './harness';

const secretsFile = process.env.SECRETS_FILE;
if (secretsFile === undefined) throw new Error('SECRETS_FILE is required');

const person = {
  firstName: 'Philomena',
  lastName: 'Quetzalcoatl-Brandt',
  dateOfBirth: '1977-03-29',
  address: {
    line1: '77 Zwetschgenweg',
    line2: 'Hinterhaus 3',
    city: 'Wolkenkuckucksheim',
    postalCode: 'ZK-9931',
    country: 'DE',
  },
  phone: '+4917612398765',
};
/** The second person's KYC 1 hits a check constraint added below: PostgreSQL quotes the failing row. */
const other = {
  firstName: 'Thaddeus',
  lastName: 'Oyelaran-Vasquez',
  dateOfBirth: '1961-11-02',
  address: { line1: '5 Kumquat Terrace', city: 'Llanfairpwll', postalCode: 'LL61 5UJ', country: 'GB' },
  phone: '+447700955123',
};
const documentNumber = 'XK4471902QZ';
const newPassword = 'a different correct horse battery staple';
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2048, 7)]);

const h = await startGatewayHarness('logscan');
const secrets: string[] = [];
const expect = (what: string, status: number, reply: { status: number; text: string }) => {
  if (reply.status !== status) throw new Error(`${what}: ${reply.status} ${reply.text}`);
};
try {
  const email = 'philomena.qb@example.com';
  const registered = await h.call('POST', '/v1/auth/register', { body: { email, password: goodPassword } });
  expect('register', 201, registered);
  const userId = String((registered.body?.user as { userId: string }).userId);
  secrets.push(String(registered.body?.accessToken), cookieOf(registered).split('=')[1] ?? '');
  const loggedIn = await h.call('POST', '/v1/auth/login', { body: { email, password: goodPassword } });
  expect('login', 200, loggedIn);
  const refreshed = await h.call('POST', '/v1/auth/refresh', { cookie: cookieOf(loggedIn) });
  expect('refresh', 200, refreshed);
  let token = String(refreshed.body?.accessToken);
  secrets.push(String(loggedIn.body?.accessToken), token, cookieOf(loggedIn).split('=')[1] ?? '');
  secrets.push(cookieOf(refreshed).split('=')[1] ?? '');
  expect(
    'a wrong password',
    401,
    await h.call('POST', '/v1/auth/login', { body: { email, password: 'wrong ' + newPassword } }),
  );

  expect('kyc 1', 200, await h.call('POST', '/v1/kyc/level1', { token, body: person }));
  const uploaded = await h.call('POST', '/v1/kyc/documents', {
    token,
    body: jpeg,
    headers: { 'content-type': 'image/jpeg' },
  });
  expect('upload', 201, uploaded);
  const submitted = await h.call('POST', '/v1/kyc/level2', {
    token,
    body: {
      documentType: 'passport',
      documentNumber,
      issuingCountry: 'DE',
      expiryDate: '2034-05-31',
      documentId: uploaded.body?.documentId,
    },
  });
  expect('kyc 2', 201, submitted);
  const operator = await h.register('reviewer.logscan@example.com', { waitForAccounts: false });
  secrets.push(operator.token);
  await h.makeOperator(operator.userId);
  expect(
    'review',
    200,
    await h.call('GET', `/v1/operator/kyc/${String(submitted.body?.submissionId)}`, { token: operator.token }),
  );
  expect(
    'approve',
    200,
    await h.call('POST', `/v1/operator/kyc/${String(submitted.body?.submissionId)}/approve`, { token: operator.token }),
  );

  const friend = await h.register('friend.logscan@example.com');
  secrets.push(friend.token);
  await h.setTier(friend.userId, 'full');
  await h.fund(userId, 'USD', 5000n);
  expect(
    'send',
    201,
    await h.call('POST', '/v1/sends', { token, body: { toEmail: friend.email, asset: 'USD', amount: '1234' } }),
  );

  const changed = await h.call('PUT', '/v1/me/password', {
    token,
    body: { currentPassword: goodPassword, newPassword },
  });
  expect('password change', 200, changed);
  const again = await h.call('POST', '/v1/auth/login', { body: { email, password: newPassword } });
  expect('login with the new password', 200, again);
  token = String(again.body?.accessToken);
  secrets.push(token);
  expect('logout', 204, await h.call('POST', '/v1/auth/logout', { token }));

  // A PostgreSQL error with KYC values as parameters and in the row it quotes: a 500.
  const victim = await h.register('thaddeus.ov@example.com', { waitForAccounts: false });
  secrets.push(victim.token);
  await h.db.exec(`alter table kyc_level1 add constraint logscan_forced check (first_name <> 'Thaddeus')`);
  const forced = await h.call('POST', '/v1/kyc/level1', { token: victim.token, body: other });
  expect('the forced database error', 500, forced);
  // A data exception quotes its input in the message itself.
  const bad = await h.call('GET', `/v1/operator/kyc/${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`, {
    token: operator.token,
  });
  expect('an unknown submission', 404, bad);

  // A malformed AUTH_API_KEY (npm's banner captured with it) that got past the start: registration fails
  // with 500, and the key must not be in the log.
  const authKey = h.config.AUTH_API_KEY;
  const malformed = `\n> @t50/auth@0.1.0 keys\n> node --import tsx src/cli/keys.ts create gateway\n\n${authKey}`;
  let refusedAtStart: unknown;
  try {
    await h.restart({ AUTH_API_KEY: malformed });
  } catch (error) {
    refusedAtStart = error;
  }
  if (refusedAtStart === undefined) {
    expect(
      'register with a malformed key',
      500,
      await h.call('POST', '/v1/auth/register', { body: { email: 'late.comer@example.com', password: goodPassword } }),
    );
    await h.restart();
  } else {
    // Refused when the service is made: logged as a start-up failure would be.
    createLogger({ service: 'test-gateway-logscan', level: 'trace' }).error({ err: refusedAtStart }, 'start failed');
  }

  const signingKey = h.config.JWT_PRIVATE_KEY.privateKey;
  const pem = signingKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const jwk = signingKey.export({ format: 'jwk' });
  secrets.push(
    authKey,
    authKey.slice(13),
    testApiKey,
    ...pem.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----')),
    String(jwk.d),
    goodPassword,
    newPassword,
  );
  const personal = [
    ...Object.values(person).flatMap((value) => (typeof value === 'string' ? [value] : Object.values(value))),
    ...Object.values(other).flatMap((value) => (typeof value === 'string' ? [value] : Object.values(value))),
    documentNumber,
  ].filter((value) => value.length > 2 && !['DE', 'GB'].includes(value));
  writeFileSync(secretsFile, JSON.stringify({ secrets: secrets.filter((value) => value.length > 8), personal }));
} finally {
  await h.close();
}
