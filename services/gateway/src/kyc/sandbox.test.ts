/** Embedded mode's sandbox reviewer: KYC level 2 is approved at once, and the audit log says by whom. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGatewayHarness, type GatewayHarness } from '../testing/harness';

let h: GatewayHarness;
before(async () => {
  h = await startGatewayHarness('sandbox', {}, { sandboxKycReviewer: true });
});
after(async () => {
  await h?.close();
});

test('level 2 goes straight to approved and the user to Full', async () => {
  const user = await h.register(undefined, { waitForAccounts: false });
  const level1 = await h.call('POST', '/v1/kyc/level1', {
    token: user.token,
    body: {
      firstName: 'Alan',
      lastName: 'Turing',
      dateOfBirth: '1970-06-23',
      address: { line1: 'Hollymeade', city: 'Wilmslow', postalCode: 'SK9 1AA', country: 'GB' },
      phone: '+441625123456',
    },
  });
  assert.equal(level1.status, 200);
  const uploaded = await h.call('POST', '/v1/kyc/documents', {
    token: user.token,
    body: Buffer.from('%PDF-1.4\n%%EOF\n'),
    headers: { 'content-type': 'application/pdf' },
  });
  assert.equal(uploaded.status, 201);
  const submitted = await h.call('POST', '/v1/kyc/level2', {
    token: user.token,
    body: {
      documentType: 'id_card',
      documentNumber: 'T-4242',
      issuingCountry: 'GB',
      expiryDate: '2035-01-01',
      documentId: uploaded.body?.documentId,
    },
  });
  assert.equal(submitted.status, 201, submitted.text);
  assert.equal(submitted.body?.status, 'approved');
  assert.equal((await h.call('GET', '/v1/me', { token: user.token })).body?.tier, 'full');
  const [approval] = await h.db.query<{ actor_id: string | null; reviewer: string }>(
    `select actor_id, detail->>'reviewer' as reviewer from audit_log where user_id = $1 and action = 'kyc.level2.approved'`,
    [user.userId],
  );
  assert.deepEqual(approval, { actor_id: null, reviewer: 'sandbox' });
});

test('a document number starting with PENDING is left for an operator, who approves it', async () => {
  const user = await h.register(undefined, { waitForAccounts: false });
  const level1 = await h.call('POST', '/v1/kyc/level1', {
    token: user.token,
    body: {
      firstName: 'Grace',
      lastName: 'Hopper',
      dateOfBirth: '1976-12-09',
      address: { line1: '1 Navy Way', city: 'Arlington', postalCode: '22202', country: 'US' },
      phone: '+17035550100',
    },
  });
  assert.equal(level1.status, 200);
  const uploaded = await h.call('POST', '/v1/kyc/documents', {
    token: user.token,
    body: Buffer.from('%PDF-1.4\n%%EOF\n'),
    headers: { 'content-type': 'application/pdf' },
  });
  const submitted = await h.call('POST', '/v1/kyc/level2', {
    token: user.token,
    body: {
      documentType: 'passport',
      documentNumber: 'PENDING-0042',
      issuingCountry: 'US',
      expiryDate: '2035-01-01',
      documentId: uploaded.body?.documentId,
    },
  });
  assert.equal(submitted.status, 201, submitted.text);
  assert.equal(submitted.body?.status, 'pending');
  assert.equal((await h.call('GET', '/v1/me', { token: user.token })).body?.tier, 'basic');

  const operator = await h.register(undefined, { waitForAccounts: false });
  await h.makeOperator(operator.userId);
  const queue = await h.call('GET', '/v1/operator/kyc/pending', { token: operator.token });
  assert.equal(queue.status, 200, queue.text);
  assert.ok(JSON.stringify(queue.body).includes(String(submitted.body?.submissionId)), 'in the review queue');
  const approved = await h.call('POST', `/v1/operator/kyc/${String(submitted.body?.submissionId)}/approve`, {
    token: operator.token,
  });
  assert.equal(approved.status, 200, approved.text);
  assert.equal((await h.call('GET', '/v1/me', { token: user.token })).body?.tier, 'full');
});
