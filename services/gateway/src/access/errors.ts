/**
 * What the access control (./policy.ts) refuses before a route runs: no
 * token, not an operator, a tier below the route's. An invalid or revoked
 * token is the sessions domain's answer (sessions/errors.ts); a rate limit,
 * the rate limiter's (ratelimit/errors.ts).
 */
import type { ProblemMap } from '../http/problems';

export enum AccessError {
  Unauthenticated = 'unauthenticated',
  Forbidden = 'forbidden',
  TierTooLow = 'tier_too_low',
}

export const accessProblems: ProblemMap<AccessError> = {
  [AccessError.Unauthenticated]: { status: 401, code: 'unauthenticated', title: 'Sign in first' },
  [AccessError.Forbidden]: { status: 403, code: 'forbidden', title: 'Not allowed' },
  [AccessError.TierTooLow]: {
    status: 403,
    code: 'tier_too_low',
    title: 'Your account tier does not allow this yet',
  },
};
