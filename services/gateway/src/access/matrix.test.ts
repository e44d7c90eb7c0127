/**
 * The whole authorization matrix: every route of the policy table, called with
 * no token and as a user of every tier and as an operator. A refused call gets
 * 401 (no token) or 403 (tier too low, not an operator); an allowed one gets
 * past the check (whatever the route then answers to an empty request).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { goodPassword, startGatewayHarness, type GatewayHarness } from '../testing/harness';
import { assertEveryRouteHasARule, routePolicy, type Access } from './policy';
import { atLeast, type Tier } from './tiers';

let h: GatewayHarness;
type Caller = 'anonymous' | Tier | 'operator';
const callers: readonly Caller[] = ['anonymous', 'browsing', 'basic', 'full', 'operator'];
const emails = new Map<Caller, string>();

before(async () => {
  // Nothing serves payments here: a payment route a caller may use answers 503 soon.
  h = await startGatewayHarness('matrix', { PAYMENTS_TIMEOUT_MS: 300 });
  for (const caller of callers) {
    if (caller === 'anonymous') continue;
    const user = await h.register(`${caller}-${randomUUID()}@example.com`, { waitForAccounts: false });
    if (caller === 'operator') await h.makeOperator(user.userId);
    else await h.setTier(user.userId, caller);
    emails.set(caller, user.email);
  }
});
after(async () => {
  await h?.close();
});

/** A fresh session per call, so a logout in the matrix cannot affect another call. */
async function tokenOf(caller: Caller): Promise<string | undefined> {
  if (caller === 'anonymous') return undefined;
  const reply = await h.call('POST', '/v1/auth/login', { body: { email: emails.get(caller), password: goodPassword } });
  assert.equal(reply.status, 200);
  return String(reply.body?.accessToken);
}

function expected(access: Access, caller: Caller): 'allowed' | 401 | 403 {
  switch (access.kind) {
    case 'public':
      return 'allowed';
    case 'user':
      if (caller === 'anonymous') return 401;
      // An operator account is a user too, at its own tier (browsing here).
      return atLeast(caller === 'operator' ? 'browsing' : caller, access.minimumTier) ? 'allowed' : 403;
    case 'operator':
      if (caller === 'anonymous') return 401;
      return caller === 'operator' ? 'allowed' : 403;
  }
}

const concrete = (path: string) =>
  path.replace(':asset', 'ETH').replace(':transferId', 'no-such-transfer').replace(':submissionId', randomUUID());

describe('every route with every tier, an operator, and no token', () => {
  for (const [route, rule] of Object.entries(routePolicy)) {
    const [method, path] = route.split(' ') as ['GET' | 'POST' | 'PUT' | 'DELETE', string];
    test(route, async () => {
      for (const caller of callers) {
        const token = await tokenOf(caller);
        const reply = await h.call(method, concrete(path), token === undefined ? {} : { token });
        const want = expected(rule.access, caller);
        const label = `${route} as ${caller}: ${reply.status} ${reply.text.slice(0, 200)}`;
        if (want === 401) {
          assert.equal(reply.status, 401, label);
          assert.equal(reply.body?.code, 'unauthenticated', label);
        } else if (want === 403) {
          assert.equal(reply.status, 403, label);
          assert.ok(['tier_too_low', 'forbidden'].includes(String(reply.body?.code)), label);
          if (reply.body?.code === 'tier_too_low')
            assert.equal(reply.body.requiredTier, (rule.access as { minimumTier: Tier }).minimumTier);
        } else {
          assert.notEqual(reply.status, 403, label);
          assert.ok(!['unauthenticated', 'invalid_token'].includes(String(reply.body?.code)), label);
          assert.ok(reply.status < 500 || reply.body?.code === 'payments_unavailable', label);
        }
      }
    });
  }
});

describe('the table is complete', () => {
  test('a served route without a rule, or a rule without a route, stops the service from starting', () => {
    const served = Object.keys(routePolicy);
    assert.doesNotThrow(() => assertEveryRouteHasARule(served));
    assert.throws(() => assertEveryRouteHasARule([...served, 'GET /v1/secret']), /no rule for \[GET \/v1\/secret\]/);
    assert.throws(() => assertEveryRouteHasARule(served.slice(1)), /no route for/);
  });

  test('an unknown path is a 404 problem, not a 500', async () => {
    const reply = await h.call('GET', '/v1/nothing-here');
    assert.equal(reply.status, 404);
    assert.equal(reply.body?.code, 'not_found');
  });

  test('HEAD follows the GET rule', async () => {
    assert.equal((await h.call('HEAD', '/v1/me')).status, 401);
  });
});
