/**
 * Bad input on every route that takes input: a 400 problem document, and
 * nothing stored (no row in any table, nothing in the ledger). The callers
 * hold every tier they need, so only the input is wrong.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { routePolicy } from '../access/policy';
import { startGatewayHarness, type GatewayHarness, type SignedInUser } from '../testing/harness';

let h: GatewayHarness;
let user: SignedInUser;
let operator: SignedInUser;
let recipient: SignedInUser;

before(async () => {
  h = await startGatewayHarness('badinput');
  user = await h.register();
  recipient = await h.register();
  operator = await h.register(undefined, { waitForAccounts: false });
  await h.setTier(user.userId, 'full');
  await h.setTier(recipient.userId, 'basic');
  await h.makeOperator(operator.userId);
  await h.fund(user.userId, 'ETH', 1000n);
});
after(async () => {
  await h?.close();
});

const tables = [
  'profiles',
  'kyc_level1',
  'kyc_documents',
  'kyc_level2',
  'audit_log',
  'outbox',
  'refresh_token_families',
  'refresh_tokens',
];

async function snapshot(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = await h.countRows(table);
  const accounts = await h.accountsOf(user.userId);
  counts.ledgerEth = Number(accounts.find((account) => account.asset === 'ETH')?.postedDebits ?? -1);
  return counts;
}

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
interface Case {
  readonly method: Method;
  readonly url: string;
  readonly body?: unknown;
  readonly as: 'anonymous' | 'user' | 'operator';
  readonly why: string;
  readonly headers?: Record<string, string>;
}

const deposit = { provider: 'sandbox', asset: 'USD', amount: '2500' };
const keyed = { 'idempotency-key': 'bad-input-test-key' };

const submission = randomUUID();
const level1 = {
  firstName: 'Ada',
  lastName: 'Lovelace',
  dateOfBirth: '1990-12-10',
  address: { line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
  phone: '+442071234567',
};
const level2 = {
  documentType: 'passport',
  documentNumber: 'P1234567',
  issuingCountry: 'GB',
  expiryDate: '2031-01-31',
  documentId: randomUUID(),
};
const sendBody = { toEmail: 'someone@example.com', asset: 'ETH', amount: '1' };

const credentialBodies: readonly (readonly [unknown, string])[] = [
  ['{"email": "a@example.com", "password": ', 'malformed JSON'],
  [[], 'an array'],
  [{}, 'no fields'],
  [{ email: 'a@example.com' }, 'no password'],
  [{ email: 42, password: 'correct horse battery staple' }, 'email a number'],
  [{ email: ['a@example.com'], password: 'correct horse battery staple' }, 'email an array'],
  [{ email: 'a@example.com', password: 12345678901234 }, 'password a number'],
  [{ email: 'a@example.com', password: 'correct horse battery staple', tier: 'full' }, 'an extra field (tier)'],
  [{ email: `${'a'.repeat(400)}@example.com`, password: 'correct horse battery staple' }, 'email too long'],
  [{ email: 'a@example.com', password: 'x'.repeat(2000) }, 'password too long'],
];

const cases: Case[] = [
  ...credentialBodies.flatMap(([body, why]) =>
    (['/v1/auth/register', '/v1/auth/login'] as const).map((url) => ({
      method: 'POST' as const,
      url,
      body,
      as: 'anonymous' as const,
      why,
    })),
  ),
  { method: 'PUT', url: '/v1/me/password', body: {}, as: 'user', why: 'no fields' },
  {
    method: 'PUT',
    url: '/v1/me/password',
    body: { currentPassword: 'x', newPassword: 5 },
    as: 'user',
    why: 'new password a number',
  },
  { method: 'PUT', url: '/v1/me/email', body: { password: 'x' }, as: 'user', why: 'no email' },
  {
    method: 'PUT',
    url: '/v1/me/email',
    body: { password: 'x', email: 'b@example.com', userId: randomUUID() },
    as: 'user',
    why: 'an extra field',
  },
  { method: 'DELETE', url: '/v1/me', as: 'user', why: 'no body' },
  { method: 'DELETE', url: '/v1/me', body: { password: '' }, as: 'user', why: 'an empty password' },
  { method: 'POST', url: '/v1/kyc/level1', body: {}, as: 'user', why: 'no fields' },
  {
    method: 'POST',
    url: '/v1/kyc/level1',
    body: { ...level1, dateOfBirth: '10/12/1990' },
    as: 'user',
    why: 'a date in another format',
  },
  {
    method: 'POST',
    url: '/v1/kyc/level1',
    body: { ...level1, phone: '0123' },
    as: 'user',
    why: 'a phone number not in E.164',
  },
  { method: 'POST', url: '/v1/kyc/level1', body: { ...level1, firstName: '   ' }, as: 'user', why: 'a blank name' },
  {
    method: 'POST',
    url: '/v1/kyc/level1',
    body: { ...level1, address: { ...level1.address, country: 'Britain' } },
    as: 'user',
    why: 'a country name, not a code',
  },
  {
    method: 'POST',
    url: '/v1/kyc/level1',
    body: { ...level1, userId: randomUUID() },
    as: 'user',
    why: 'an extra field naming a user',
  },
  { method: 'POST', url: '/v1/kyc/documents', as: 'user', why: 'an empty upload' },
  {
    method: 'POST',
    url: '/v1/kyc/level2',
    body: { ...level2, documentId: 'not-a-uuid' },
    as: 'user',
    why: 'a document id that is not a UUID',
  },
  {
    method: 'POST',
    url: '/v1/kyc/level2',
    body: { ...level2, documentType: 'library_card' },
    as: 'user',
    why: 'an unknown document type',
  },
  {
    method: 'POST',
    url: '/v1/kyc/level2',
    body: { ...level2, expiryDate: 'soon' },
    as: 'user',
    why: 'an expiry that is not a date',
  },
  { method: 'GET', url: '/v1/accounts/BTC/history', as: 'user', why: 'an unknown asset' },
  { method: 'GET', url: '/v1/accounts/ETH/history?limit=0', as: 'user', why: 'limit 0' },
  { method: 'GET', url: '/v1/accounts/ETH/history?limit=ten', as: 'user', why: 'limit not a number' },
  { method: 'GET', url: '/v1/accounts/ETH/history?limit=100000', as: 'user', why: 'limit too large' },
  { method: 'GET', url: '/v1/accounts/ETH/history?cursor=-5', as: 'user', why: 'a negative cursor' },
  { method: 'GET', url: '/v1/accounts/ETH/history?code=bribe', as: 'user', why: 'an unknown code' },
  { method: 'GET', url: '/v1/accounts/ETH/history?from=yesterday', as: 'user', why: 'a time that is not RFC 3339' },
  { method: 'GET', url: '/v1/accounts/ETH/history?owner=someone', as: 'user', why: 'an unknown parameter' },
  { method: 'GET', url: '/v1/accounts?userId=x', as: 'user', why: 'an unknown parameter' },
  { method: 'GET', url: '/v1/transfers/has%20space', as: 'user', why: 'a transfer id with a space' },
  { method: 'GET', url: '/v1/transfers/a%3Cscript%3E', as: 'user', why: 'a transfer id with markup' },
  { method: 'POST', url: '/v1/sends', body: { ...sendBody, amount: '1.5' }, as: 'user', why: 'a fractional amount' },
  { method: 'POST', url: '/v1/sends', body: { ...sendBody, amount: '-1' }, as: 'user', why: 'a negative amount' },
  { method: 'POST', url: '/v1/sends', body: { ...sendBody, amount: '0' }, as: 'user', why: 'a zero amount' },
  { method: 'POST', url: '/v1/sends', body: { ...sendBody, amount: 1 }, as: 'user', why: 'an amount as a JSON number' },
  {
    method: 'POST',
    url: '/v1/sends',
    body: { ...sendBody, amount: '1e3' },
    as: 'user',
    why: 'an amount in exponent form',
  },
  {
    method: 'POST',
    url: '/v1/sends',
    body: { ...sendBody, amount: '9'.repeat(79) },
    as: 'user',
    why: 'an amount too large',
  },
  { method: 'POST', url: '/v1/sends', body: { ...sendBody, asset: 'BTC' }, as: 'user', why: 'an unknown asset' },
  { method: 'POST', url: '/v1/sends', body: { asset: 'ETH', amount: '1' }, as: 'user', why: 'no recipient' },
  {
    method: 'POST',
    url: '/v1/sends',
    body: { ...sendBody, sendId: 'again' },
    as: 'user',
    why: 'a send id that is not a UUID',
  },
  {
    method: 'POST',
    url: '/v1/sends',
    body: { ...sendBody, fromEmail: 'x@example.com' },
    as: 'user',
    why: 'an extra field',
  },
  { method: 'GET', url: '/v1/operator/kyc/pending?limit=0', as: 'operator', why: 'limit 0' },
  { method: 'GET', url: '/v1/operator/kyc/not-a-uuid', as: 'operator', why: 'a submission id that is not a UUID' },
  {
    method: 'GET',
    url: '/v1/operator/kyc/not-a-uuid/document',
    as: 'operator',
    why: 'a submission id that is not a UUID',
  },
  {
    method: 'POST',
    url: '/v1/operator/kyc/not-a-uuid/approve',
    as: 'operator',
    why: 'a submission id that is not a UUID',
  },
  {
    method: 'POST',
    url: `/v1/operator/kyc/${submission}/reject`,
    body: { reason: '' },
    as: 'operator',
    why: 'an empty reason',
  },
  { method: 'POST', url: `/v1/operator/kyc/${submission}/reject`, body: {}, as: 'operator', why: 'no reason' },
  {
    method: 'POST',
    url: `/v1/operator/kyc/${submission}/reject`,
    body: { reason: 'x'.repeat(501) },
    as: 'operator',
    why: 'a reason too long',
  },
  // Payments: refused by the gateway before anything is asked of the payments service.
  { method: 'POST', url: '/v1/deposits', body: deposit, as: 'user', why: 'no Idempotency-Key' },
  {
    method: 'POST',
    url: '/v1/deposits',
    body: deposit,
    headers: { 'idempotency-key': 'short' },
    as: 'user',
    why: 'a key too short',
  },
  {
    method: 'POST',
    url: '/v1/deposits',
    body: { ...deposit, amount: 2500 },
    headers: keyed,
    as: 'user',
    why: 'an amount as a JSON number',
  },
  {
    method: 'POST',
    url: '/v1/deposits',
    body: { ...deposit, asset: 'ETH' },
    headers: keyed,
    as: 'user',
    why: 'a crypto asset',
  },
  {
    method: 'POST',
    url: '/v1/deposits',
    body: { ...deposit, provider: 'bank' },
    headers: keyed,
    as: 'user',
    why: 'an unknown provider',
  },
  { method: 'GET', url: '/v1/deposits/not%20an%20id', as: 'user', why: 'a deposit id with spaces' },
  { method: 'GET', url: '/v1/deposits/dep_1?refresh=perhaps', as: 'user', why: 'refresh not a boolean' },
  {
    method: 'POST',
    url: '/v1/payouts',
    body: { ...deposit, destination: '' },
    headers: keyed,
    as: 'user',
    why: 'an empty destination',
  },
  { method: 'POST', url: '/v1/payouts', body: deposit, headers: keyed, as: 'user', why: 'no destination' },
  {
    method: 'POST',
    url: '/v1/payouts',
    body: { ...deposit, destination: 'bank' },
    as: 'user',
    why: 'no Idempotency-Key',
  },
  { method: 'GET', url: '/v1/payments?limit=0', as: 'user', why: 'a limit of 0' },
  { method: 'GET', url: '/v1/payments?userId=someone', as: 'user', why: 'an unknown parameter' },
  { method: 'GET', url: '/v1/payments/providers?provider=%00', as: 'user', why: 'an unknown parameter with a NUL' },
];

describe('bad input is a 400 problem document and stores nothing', () => {
  test('every route that takes input has cases here', () => {
    const covered = new Set(
      cases.map(
        (entry) =>
          `${entry.method} ${entry.url
            .split('?')[0]!
            .replace(/\/v1\/accounts\/[A-Z]+\/history/, '/v1/accounts/:asset/history')
            .replace(/\/v1\/transfers\/[^/]+$/, '/v1/transfers/:transferId')
            .replace(/\/v1\/deposits\/[^/]+$/, '/v1/deposits/:depositId')
            .replace(/\/v1\/operator\/kyc\/(?!pending)[^/]+/, '/v1/operator/kyc/:submissionId')}`,
      ),
    );
    // Routes without any input of their own: no body, no parameters, no query.
    const inputless = new Set([
      'POST /v1/auth/refresh',
      'GET /v1/auth/jwks',
      'POST /v1/auth/logout',
      'GET /v1/me',
      'GET /v1/kyc',
    ]);
    const missing = Object.keys(routePolicy).filter((route) => !covered.has(route) && !inputless.has(route));
    assert.deepEqual(missing, []);
  });

  for (const entry of cases) {
    test(`${entry.method} ${entry.url.slice(0, 80)}: ${entry.why}`, async () => {
      const before = await snapshot();
      const token = entry.as === 'user' ? user.token : entry.as === 'operator' ? operator.token : undefined;
      const reply = await h.call(entry.method, entry.url, {
        ...(token === undefined ? {} : { token }),
        ...(entry.body === undefined ? {} : { body: entry.body }),
        ...(entry.headers === undefined ? {} : { headers: entry.headers }),
      });
      assert.equal(reply.status, 400, reply.text);
      assert.equal(reply.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.ok(['invalid_request', 'malformed_json'].includes(String(reply.body?.code)), reply.text);
      assert.equal(typeof reply.body?.title, 'string');
      assert.equal(reply.text.includes('    at '), false, 'no stack trace');
      assert.deepEqual(await snapshot(), before);
    });
  }

  test('the service keeps serving after all that', async () => {
    const sent = await h.call('POST', '/v1/sends', {
      token: user.token,
      body: { toEmail: recipient.email, asset: 'ETH', amount: '1' },
    });
    assert.equal(sent.status, 201, sent.text);
  });
});
