/**
 * Expected failures of the credential use cases: values, not exceptions, each
 * mapped exhaustively to an HTTP status and a problem document.
 */
import { HttpProblem } from '@t50/kit';
import { weaknessDetail, type PasswordWeakness } from './policy';

export enum CredentialError {
  InvalidEmail = 'invalid_email',
  WeakPassword = 'weak_password',
  EmailTaken = 'email_taken',
  InvalidCredentials = 'invalid_credentials',
  NotFound = 'credential_not_found',
  RateLimited = 'rate_limited',
}

export type CredentialFailure =
  | { readonly error: CredentialError.InvalidEmail }
  | { readonly error: CredentialError.WeakPassword; readonly reason: PasswordWeakness }
  | { readonly error: CredentialError.EmailTaken }
  | { readonly error: CredentialError.InvalidCredentials }
  | { readonly error: CredentialError.NotFound }
  | { readonly error: CredentialError.RateLimited; readonly retryAfterSeconds: number };

export type Result<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: CredentialFailure };

export const succeed = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T>(failure: CredentialFailure): Result<T> => ({ ok: false, failure });

export const errorToStatus: { readonly [E in CredentialError]: number } = {
  [CredentialError.InvalidEmail]: 400,
  [CredentialError.WeakPassword]: 400,
  [CredentialError.EmailTaken]: 409,
  [CredentialError.InvalidCredentials]: 401,
  [CredentialError.NotFound]: 404,
  [CredentialError.RateLimited]: 429,
};

export const errorToTitle: { readonly [E in CredentialError]: string } = {
  [CredentialError.InvalidEmail]: 'The email address is not valid',
  [CredentialError.WeakPassword]: 'The password does not meet the password policy',
  [CredentialError.EmailTaken]: 'The email address is already registered',
  // One answer for an unknown email and a wrong password, on purpose.
  [CredentialError.InvalidCredentials]: 'The email or password is wrong',
  [CredentialError.NotFound]: 'No credential has this user id',
  [CredentialError.RateLimited]: 'Too many failed attempts; try again later',
};

export function toProblem(failure: CredentialFailure): HttpProblem {
  const status = errorToStatus[failure.error];
  const title = errorToTitle[failure.error];
  switch (failure.error) {
    case CredentialError.WeakPassword:
      return new HttpProblem(status, failure.error, title, weaknessDetail[failure.reason], { reason: failure.reason });
    case CredentialError.RateLimited:
      return new HttpProblem(status, failure.error, title, `Retry after ${failure.retryAfterSeconds} seconds.`, {
        retryAfterSeconds: failure.retryAfterSeconds,
      });
    case CredentialError.InvalidEmail:
    case CredentialError.EmailTaken:
    case CredentialError.InvalidCredentials:
    case CredentialError.NotFound:
      return new HttpProblem(status, failure.error, title);
  }
}
