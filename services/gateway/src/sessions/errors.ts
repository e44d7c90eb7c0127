/** Expected failures of the session use cases (./service.ts): a token that is not (or no longer) valid. */
import type { ProblemMap } from '../http/problems';

export enum SessionError {
  /** An access token that is malformed, expired, badly signed or revoked, or whose user is gone. */
  InvalidToken = 'invalid_token',
  /** A refresh token that is missing, unknown, used, expired or of an ended session. */
  InvalidRefreshToken = 'invalid_refresh_token',
}

export const sessionProblems: ProblemMap<SessionError> = {
  [SessionError.InvalidToken]: { status: 401, code: 'invalid_token', title: 'The access token is not valid' },
  [SessionError.InvalidRefreshToken]: {
    status: 401,
    code: 'invalid_refresh_token',
    title: 'The session has ended; sign in again',
  },
};
