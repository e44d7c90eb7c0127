/**
 * The answers clients see for expected failures. Each domain owns its map;
 * together they must keep giving every code the same status and title the
 * web app and API users already know (docs/openapi/gateway.json names the
 * statuses per route), and one code must never mean two answers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AccessError, accessProblems } from '../access/errors';
import { kycProblems } from '../kyc/errors';
import { moneyProblems } from '../money/errors';
import { accountProblems } from '../profiles/errors';
import { RateLimitError, rateLimitProblems } from '../ratelimit/errors';
import { sessionProblems } from '../sessions/errors';
import { fail, toProblem, valueOr, type ProblemMap, type ProblemSpec } from './problems';

const domains: Record<string, ProblemMap<string>> = {
  access: accessProblems,
  ratelimit: rateLimitProblems,
  sessions: sessionProblems,
  profiles: accountProblems,
  kyc: kycProblems,
  money: moneyProblems,
};

/** Code -> [status, title], as the gateway answered before the failures moved into their domains. */
const published: Record<string, readonly [number, string]> = {
  invalid_request: [400, 'The request is not valid'],
  invalid_email: [400, 'The email address is not valid'],
  weak_password: [400, 'The password does not meet the password policy'],
  email_taken: [409, 'The email address is already registered'],
  invalid_credentials: [401, 'The email or password is wrong'],
  unauthenticated: [401, 'Sign in first'],
  invalid_token: [401, 'The access token is not valid'],
  invalid_refresh_token: [401, 'The session has ended; sign in again'],
  tier_too_low: [403, 'Your account tier does not allow this yet'],
  forbidden: [403, 'Not allowed'],
  rate_limited: [429, 'Too many requests; try again later'],
  user_not_found: [404, 'No such user'],
  recipient_not_found: [404, 'No user has this email address'],
  too_young: [400, 'You must be 18 or older'],
  kyc_level1_required: [409, 'Complete KYC level 1 first'],
  kyc_already_pending: [409, 'A KYC level 2 submission is already waiting for review'],
  kyc_already_approved: [409, 'KYC level 2 is already approved'],
  kyc_submission_not_found: [404, 'No such KYC submission'],
  kyc_submission_not_pending: [409, 'The KYC submission was already reviewed'],
  document_not_found: [404, 'No such uploaded document'],
  document_expired: [400, 'The identity document has expired'],
  unsupported_document: [415, 'The file is not a JPEG, PNG or PDF'],
  transfer_not_found: [404, 'Transfer not found'],
  insufficient_funds: [422, 'Insufficient funds'],
  send_to_self: [400, 'You cannot send money to yourself'],
  conflict: [409, 'This send id was already used for another send'],
  recipient_tier_too_low: [422, 'The recipient cannot receive this asset yet'],
  own_submission: [403, 'You cannot review your own KYC submission'],
  identity_locked: [409, 'Your name and date of birth are locked by your identity verification'],
  balance_not_zero: [409, 'The account still holds money'],
  ledger_refused: [422, 'The ledger refused the transfer'],
};

const everyAnswer = (): [string, string, ProblemSpec][] =>
  Object.entries(domains).flatMap(([domain, problems]) =>
    Object.entries(problems).map(([error, spec]): [string, string, ProblemSpec] => [domain, error, spec]),
  );

describe('the problem documents of expected failures', () => {
  test('every answer of every domain is a published code with its published status and title', () => {
    for (const [domain, error, spec] of everyAnswer()) {
      const known = published[spec.code];
      assert.ok(known, `${domain} ${error}: unknown code ${spec.code}`);
      assert.deepEqual([spec.status, spec.title], known, `${domain} ${error} (${spec.code})`);
      assert.ok(spec.status >= 400 && spec.status < 500, `${domain} ${error}: an expected failure is a 4xx`);
    }
  });

  test('every published code is still answered by some domain', () => {
    const answered = new Set(everyAnswer().map(([, , spec]) => spec.code));
    assert.deepEqual(
      Object.keys(published).filter((code) => !answered.has(code)),
      [],
    );
  });

  test('a failure becomes its problem document, with detail, extensions and Retry-After', () => {
    const problem = toProblem(accessProblems, {
      error: AccessError.TierTooLow,
      detail: 'This needs tier basic; yours is browsing.',
      extensions: { requiredTier: 'basic' },
    }).toDocument('/v1/kyc/documents');
    assert.deepEqual(problem, {
      type: 'https://transactions50.dev/problems/tier_too_low',
      title: 'Your account tier does not allow this yet',
      status: 403,
      code: 'tier_too_low',
      detail: 'This needs tier basic; yours is browsing.',
      instance: '/v1/kyc/documents',
      requiredTier: 'basic',
    });

    const headers: Record<string, string> = {};
    const reply = { header: (name: string, value: string) => (headers[name] = value) };
    assert.equal(
      valueOr({ ok: true, value: 7 }, rateLimitProblems, reply),
      7,
      'a success is its value, and sets no header',
    );
    assert.deepEqual(headers, {});
    assert.throws(
      () =>
        valueOr(
          { ok: false, failure: { ...fail(RateLimitError.RateLimited).failure, retryAfterSeconds: 30 } },
          rateLimitProblems,
          reply,
        ),
      (thrown: { toDocument(): Record<string, unknown> }) =>
        thrown.toDocument().status === 429 && thrown.toDocument().retryAfterSeconds === 30,
    );
    assert.deepEqual(headers, { 'retry-after': '30' });
  });
});
