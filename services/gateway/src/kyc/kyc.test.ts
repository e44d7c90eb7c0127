/**
 * The tier journey: register (Browsing) -> KYC level 1 (Basic at once) -> KYC
 * level 2 (pending, still Basic) -> operator approval (Full), with the tier
 * and the ledger accounts checked at each step; rejection with a reason;
 * uploads checked by content and size; a user sees only their own KYC; every
 * change in the audit log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startGatewayHarness, type GatewayHarness, type SignedInUser } from '../testing/harness';
import { ageOn } from './service';

let h: GatewayHarness;
let operatorToken: string;
before(async () => {
  h = await startGatewayHarness('kyc');
  const operator = await h.register(undefined, { waitForAccounts: false });
  await h.makeOperator(operator.userId);
  operatorToken = operator.token;
});
after(async () => {
  await h?.close();
});

const level1 = {
  firstName: 'Ada',
  lastName: 'Lovelace',
  dateOfBirth: '1990-12-10',
  address: { line1: '12 St James Square', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
  phone: '+442071234567',
};
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2048, 7)]);
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 1)]);
const pdf = Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n');

async function tierOf(user: SignedInUser): Promise<string> {
  const reply = await h.call('GET', '/v1/me', { token: user.token });
  assert.equal(reply.status, 200);
  return String(reply.body?.tier);
}

async function ledgerAssets(user: SignedInUser): Promise<string[]> {
  const reply = await h.call('GET', '/v1/accounts', { token: user.token });
  assert.equal(reply.status, 200);
  return (reply.body?.balances as { asset: string; balance: string }[])
    .map((balance) => `${balance.asset}=${balance.balance}`)
    .sort();
}

async function upload(user: SignedInUser, content: Buffer, contentType = 'application/octet-stream') {
  return h.call('POST', '/v1/kyc/documents', {
    token: user.token,
    body: content,
    headers: { 'content-type': contentType },
  });
}

async function submitLevel2(user: SignedInUser) {
  const uploaded = await upload(user, jpeg);
  assert.equal(uploaded.status, 201, uploaded.text);
  return h.call('POST', '/v1/kyc/level2', {
    token: user.token,
    body: {
      documentType: 'passport',
      documentNumber: 'P1234567',
      issuingCountry: 'GB',
      expiryDate: '2031-01-31',
      documentId: uploaded.body?.documentId,
    },
  });
}

describe('register -> KYC 1 -> KYC 2 -> approval', () => {
  test('the tier rises at each step and the ledger accounts are there throughout', async () => {
    const user = await h.register();
    const opened = ['ETH=0', 'EUR=0', 'USD=0'];
    assert.equal(await tierOf(user), 'browsing');
    assert.deepEqual(await ledgerAssets(user), opened);
    // Browsing may not upload or send yet.
    assert.equal((await upload(user, jpeg)).status, 403);

    const first = await h.call('POST', '/v1/kyc/level1', { token: user.token, body: level1 });
    assert.equal(first.status, 200, first.text);
    assert.equal((first.body?.level1 as { lastName: string }).lastName, 'Lovelace');
    assert.equal(await tierOf(user), 'basic', 'Basic at once, the cached summary invalidated');
    assert.deepEqual(await ledgerAssets(user), opened);

    const second = await submitLevel2(user);
    assert.equal(second.status, 201, second.text);
    assert.equal(second.body?.status, 'pending');
    assert.equal(await tierOf(user), 'basic', 'still Basic while pending');
    const mine = await h.call('GET', '/v1/me', { token: user.token });
    assert.deepEqual(mine.body?.kyc, { level1: true, level2: 'pending' });
    // One pending submission at a time.
    assert.equal((await submitLevel2(user)).body?.code, 'kyc_already_pending');

    const pending = await h.call('GET', '/v1/operator/kyc/pending', { token: operatorToken });
    const submissions = pending.body?.submissions as { submissionId: string; userId: string }[];
    const submission = submissions.find((candidate) => candidate.userId === user.userId);
    assert.ok(submission, 'the operator sees the pending submission of the user');
    const review = await h.call('GET', `/v1/operator/kyc/${submission.submissionId}`, { token: operatorToken });
    assert.equal(review.status, 200);
    assert.equal((review.body?.level1 as { firstName: string }).firstName, 'Ada');
    assert.deepEqual(review.body?.document, {
      documentId: second.body?.documentId,
      mediaType: 'image/jpeg',
      sizeBytes: jpeg.length,
    });
    const file = await h.call('GET', `/v1/operator/kyc/${submission.submissionId}/document`, { token: operatorToken });
    assert.equal(file.status, 200);
    assert.equal(file.headers['content-type'], 'image/jpeg');
    assert.deepEqual(file.rawPayload, jpeg);

    const approved = await h.call('POST', `/v1/operator/kyc/${submission.submissionId}/approve`, {
      token: operatorToken,
    });
    assert.equal(approved.status, 200, approved.text);
    assert.equal(approved.body?.status, 'approved');
    assert.equal(await tierOf(user), 'full');
    assert.deepEqual(await ledgerAssets(user), opened);
    // Reviewed once only.
    const again = await h.call('POST', `/v1/operator/kyc/${submission.submissionId}/approve`, { token: operatorToken });
    assert.equal(again.status, 409);
    assert.equal(again.body?.code, 'kyc_submission_not_pending');

    const actions = (
      await h.db.query<{ action: string }>('select action from audit_log where user_id = $1 order by seq', [
        user.userId,
      ])
    ).map((row) => row.action);
    assert.deepEqual(actions, [
      'profile.created',
      'kyc.level1.submitted',
      'tier.changed',
      'kyc.document.uploaded',
      'kyc.level2.submitted',
      // The refused second submission uploaded a file, but submitted nothing.
      'kyc.document.uploaded',
      'kyc.level2.approved',
      'tier.changed',
    ]);
  });

  test('a rejection keeps the tier and shows the reason to the user, who may submit again', async () => {
    const user = await h.register(undefined, { waitForAccounts: false });
    assert.equal((await h.call('POST', '/v1/kyc/level1', { token: user.token, body: level1 })).status, 200);
    const submitted = await submitLevel2(user);
    const id = String(submitted.body?.submissionId);
    const rejected = await h.call('POST', `/v1/operator/kyc/${id}/reject`, {
      token: operatorToken,
      body: { reason: 'The photo is blurred' },
    });
    assert.equal(rejected.status, 200, rejected.text);
    assert.equal(await tierOf(user), 'basic');
    const own = await h.call('GET', '/v1/kyc', { token: user.token });
    const [latest] = own.body?.level2 as { status: string; rejectionReason: string }[];
    assert.equal(latest?.status, 'rejected');
    assert.equal(latest?.rejectionReason, 'The photo is blurred');
    assert.equal((await submitLevel2(user)).status, 201);
  });
});

describe('KYC rules', () => {
  test('under 18 is refused and stores nothing; a date that does not exist is 400', async () => {
    const user = await h.register(undefined, { waitForAccounts: false });
    const today = new Date();
    const seventeen = `${today.getUTCFullYear() - 17}-01-01`;
    const young = await h.call('POST', '/v1/kyc/level1', {
      token: user.token,
      body: { ...level1, dateOfBirth: seventeen },
    });
    assert.equal(young.status, 400);
    assert.equal(young.body?.code, 'too_young');
    const unreal = await h.call('POST', '/v1/kyc/level1', {
      token: user.token,
      body: { ...level1, dateOfBirth: '2001-02-30' },
    });
    assert.equal(unreal.status, 400);
    const [row] = await h.db.query('select 1 from kyc_level1 where user_id = $1', [user.userId]);
    assert.equal(row, undefined);
    assert.equal(await tierOf(user), 'browsing');
  });

  test('age counts whole years to the day', () => {
    const on = new Date('2026-11-25T12:00:00Z');
    assert.equal(ageOn('2008-11-25', on), 18);
    assert.equal(ageOn('2008-11-26', on), 17);
    assert.equal(ageOn('2008-13-01', on), undefined);
  });

  test('uploads: JPEG, PNG and PDF by content; anything else 415 whatever it claims; over 5 MiB 413', async () => {
    const user = await h.register(undefined, { waitForAccounts: false });
    await h.setTier(user.userId, 'basic');
    for (const [content, mediaType] of [
      [jpeg, 'image/jpeg'],
      [png, 'image/png'],
      [pdf, 'application/pdf'],
    ] as const) {
      const reply = await upload(user, content);
      assert.equal(reply.status, 201, reply.text);
      assert.equal(reply.body?.mediaType, mediaType);
    }
    const before = await h.countRows('kyc_documents');
    const html = await upload(user, Buffer.from('<html><script>alert(1)</script></html>'), 'image/jpeg');
    assert.equal(html.status, 415);
    assert.equal(html.body?.code, 'unsupported_document');
    const exe = await upload(user, Buffer.concat([Buffer.from('MZ'), Buffer.alloc(64)]), 'application/pdf');
    assert.equal(exe.status, 415);
    const exactly = Buffer.concat([jpeg.subarray(0, 4), Buffer.alloc(5 * 1024 * 1024 - 4)]);
    assert.equal((await upload(user, exactly)).status, 201);
    const tooBig = await upload(user, Buffer.concat([exactly, Buffer.from([0])]));
    assert.equal(tooBig.status, 413);
    assert.equal(tooBig.body?.code, 'payload_too_large');
    assert.equal((await upload(user, Buffer.alloc(0))).status, 400);
    assert.equal(await h.countRows('kyc_documents'), before + 1);
  });

  test('KYC 2 needs KYC 1, an unexpired document, and the user’s own upload', async () => {
    const user = await h.register(undefined, { waitForAccounts: false });
    const stranger = await h.register(undefined, { waitForAccounts: false });
    await h.setTier(user.userId, 'basic');
    const uploaded = await upload(user, png);
    const body = {
      documentType: 'id_card',
      documentNumber: 'ID-998877',
      issuingCountry: 'DE',
      expiryDate: '2030-05-01',
      documentId: uploaded.body?.documentId,
    };
    assert.equal(
      (await h.call('POST', '/v1/kyc/level2', { token: user.token, body })).body?.code,
      'kyc_level1_required',
    );
    assert.equal((await h.call('POST', '/v1/kyc/level1', { token: user.token, body: level1 })).status, 200);
    assert.equal(
      (await h.call('POST', '/v1/kyc/level2', { token: user.token, body: { ...body, expiryDate: '2020-01-01' } })).body
        ?.code,
      'document_expired',
    );
    // Another user cannot cite this user's document.
    assert.equal((await h.call('POST', '/v1/kyc/level1', { token: stranger.token, body: level1 })).status, 200);
    const theft = await h.call('POST', '/v1/kyc/level2', { token: stranger.token, body });
    assert.equal(theft.status, 404);
    assert.equal(theft.body?.code, 'document_not_found');
    assert.equal((await h.call('POST', '/v1/kyc/level2', { token: user.token, body })).status, 201);
  });

  test('a user reads only their own KYC data; users cannot reach the operator routes', async () => {
    const alice = await h.register(undefined, { waitForAccounts: false });
    const bob = await h.register(undefined, { waitForAccounts: false });
    await h.call('POST', '/v1/kyc/level1', { token: alice.token, body: level1 });
    const submitted = await submitLevel2(alice);
    const bobs = await h.call('GET', '/v1/kyc', { token: bob.token });
    assert.deepEqual(bobs.body, { level1: null, level2: [] });
    const id = String(submitted.body?.submissionId);
    for (const path of [`/v1/operator/kyc/${id}`, `/v1/operator/kyc/${id}/document`, '/v1/operator/kyc/pending']) {
      assert.equal((await h.call('GET', path, { token: bob.token })).status, 403);
    }
    assert.equal((await h.call('POST', `/v1/operator/kyc/${id}/approve`, { token: alice.token })).status, 403);
  });
});

describe('reviews and identity', () => {
  test('an operator cannot approve or reject their own submission: 403 own_submission, audited', async () => {
    const operator = await h.register();
    await h.makeOperator(operator.userId);
    assert.equal((await h.call('POST', '/v1/kyc/level1', { token: operator.token, body: level1 })).status, 200);
    const submitted = await submitLevel2(operator);
    assert.equal(submitted.status, 201, submitted.text);
    const id = String(submitted.body?.submissionId);

    const approve = await h.call('POST', `/v1/operator/kyc/${id}/approve`, { token: operator.token });
    assert.equal(approve.status, 403, approve.text);
    assert.equal(approve.body?.code, 'own_submission');
    const reject = await h.call('POST', `/v1/operator/kyc/${id}/reject`, {
      token: operator.token,
      body: { reason: 'no' },
    });
    assert.equal(reject.status, 403, reject.text);
    assert.equal(reject.body?.code, 'own_submission');
    assert.equal(await tierOf(operator), 'basic');
    const [row] = await h.db.query<{ status: string }>('select status from kyc_level2 where submission_id = $1', [id]);
    assert.equal(row?.status, 'pending');
    const refusals = await h.db.query<{ actor_id: string; detail: { attempted: string } }>(
      `select actor_id, detail from audit_log where user_id = $1 and action = 'kyc.level2.review_refused' order by seq`,
      [operator.userId],
    );
    assert.deepEqual(
      refusals.map((entry) => [entry.actor_id, entry.detail.attempted]),
      [
        [operator.userId, 'approve'],
        [operator.userId, 'reject'],
      ],
    );

    // Another operator may.
    const approved = await h.call('POST', `/v1/operator/kyc/${id}/approve`, { token: operatorToken });
    assert.equal(approved.status, 200, approved.text);
    assert.equal(await tierOf(operator), 'full');
  });

  test('names and date of birth are locked while level 2 is pending or approved; address and phone are not', async () => {
    const user = await h.register();
    assert.equal((await h.call('POST', '/v1/kyc/level1', { token: user.token, body: level1 })).status, 200);
    // Before any level 2 submission the details may still be corrected.
    const corrected = { ...level1, firstName: 'Augusta Ada' };
    assert.equal((await h.call('POST', '/v1/kyc/level1', { token: user.token, body: corrected })).status, 200);
    const submitted = await submitLevel2(user);
    assert.equal(submitted.status, 201, submitted.text);

    const renamedWhilePending = await h.call('POST', '/v1/kyc/level1', {
      token: user.token,
      body: { ...corrected, lastName: 'Byron' },
    });
    assert.equal(renamedWhilePending.status, 409, renamedWhilePending.text);
    assert.equal(renamedWhilePending.body?.code, 'identity_locked');

    const approved = await h.call('POST', `/v1/operator/kyc/${String(submitted.body?.submissionId)}/approve`, {
      token: operatorToken,
    });
    assert.equal(approved.status, 200, approved.text);
    for (const change of [{ firstName: 'Mallory' }, { lastName: 'Other' }, { dateOfBirth: '1980-01-01' }]) {
      const refused = await h.call('POST', '/v1/kyc/level1', { token: user.token, body: { ...corrected, ...change } });
      assert.equal(refused.status, 409, `${JSON.stringify(change)}: ${refused.text}`);
      assert.equal(refused.body?.code, 'identity_locked');
    }
    const stored = await h.call('GET', '/v1/kyc', { token: user.token });
    const kept = stored.body?.level1 as { firstName: string; lastName: string; dateOfBirth: string };
    assert.deepEqual([kept.firstName, kept.lastName, kept.dateOfBirth], ['Augusta Ada', 'Lovelace', '1990-12-10']);
    assert.equal(await tierOf(user), 'full');

    const moved = {
      ...corrected,
      address: { line1: '1 Other Street', city: 'Bath', postalCode: 'BA1 1AA', country: 'GB' },
      phone: '+441225000000',
    };
    const allowed = await h.call('POST', '/v1/kyc/level1', { token: user.token, body: moved });
    assert.equal(allowed.status, 200, allowed.text);
    assert.equal((allowed.body?.level1 as { phone: string }).phone, '+441225000000');
    assert.equal(await tierOf(user), 'full');
  });
});
