/** The rate limiter's one refusal (./limiter.ts), answered with Retry-After. */
import type { ProblemMap } from '../http/problems';

export enum RateLimitError {
  RateLimited = 'rate_limited',
}

export const rateLimitProblems: ProblemMap<RateLimitError> = {
  [RateLimitError.RateLimited]: { status: 429, code: 'rate_limited', title: 'Too many requests; try again later' },
};
