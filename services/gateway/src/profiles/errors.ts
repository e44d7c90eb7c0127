/**
 * Expected failures of the account use cases (./service.ts): register, log
 * in, change password or email, delete. Most come from the auth service, which
 * keeps the credential; its client (clients/auth.ts) answers with these values.
 */
import type { ProblemMap } from '../http/problems';

export enum AccountError {
  InvalidEmail = 'invalid_email',
  WeakPassword = 'weak_password',
  EmailTaken = 'email_taken',
  /** One answer for an unknown email, a wrong password and a deleted account, on purpose. */
  InvalidCredentials = 'invalid_credentials',
  UserNotFound = 'user_not_found',
  /** The auth service's failure windows: too many wrong passwords. */
  RateLimited = 'rate_limited',
  BalanceNotZero = 'balance_not_zero',
}

export const accountProblems: ProblemMap<AccountError> = {
  [AccountError.InvalidEmail]: { status: 400, code: 'invalid_email', title: 'The email address is not valid' },
  [AccountError.WeakPassword]: {
    status: 400,
    code: 'weak_password',
    title: 'The password does not meet the password policy',
  },
  [AccountError.EmailTaken]: { status: 409, code: 'email_taken', title: 'The email address is already registered' },
  [AccountError.InvalidCredentials]: {
    status: 401,
    code: 'invalid_credentials',
    title: 'The email or password is wrong',
  },
  [AccountError.UserNotFound]: { status: 404, code: 'user_not_found', title: 'No such user' },
  [AccountError.RateLimited]: { status: 429, code: 'rate_limited', title: 'Too many requests; try again later' },
  [AccountError.BalanceNotZero]: { status: 409, code: 'balance_not_zero', title: 'The account still holds money' },
};
