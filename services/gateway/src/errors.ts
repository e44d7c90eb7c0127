/**
 * Expected failures of the gateway's use cases: values, not exceptions, each
 * mapped exhaustively to an HTTP status and a problem document.
 */
import { HttpProblem } from '@t50/kit';

export enum GatewayError {
  InvalidRequest = 'invalid_request',
  InvalidEmail = 'invalid_email',
  WeakPassword = 'weak_password',
  EmailTaken = 'email_taken',
  InvalidCredentials = 'invalid_credentials',
  Unauthenticated = 'unauthenticated',
  InvalidToken = 'invalid_token',
  InvalidRefreshToken = 'invalid_refresh_token',
  TierTooLow = 'tier_too_low',
  Forbidden = 'forbidden',
  RateLimited = 'rate_limited',
  UserNotFound = 'user_not_found',
  RecipientNotFound = 'recipient_not_found',
  TooYoung = 'too_young',
  KycLevel1Required = 'kyc_level1_required',
  KycAlreadyPending = 'kyc_already_pending',
  KycAlreadyApproved = 'kyc_already_approved',
  KycNotFound = 'kyc_submission_not_found',
  KycNotPending = 'kyc_submission_not_pending',
  DocumentNotFound = 'document_not_found',
  DocumentExpired = 'document_expired',
  UnsupportedDocument = 'unsupported_document',
  TransferNotFound = 'transfer_not_found',
  InsufficientFunds = 'insufficient_funds',
  SendToSelf = 'send_to_self',
  SendConflict = 'conflict',
  RecipientTierTooLow = 'recipient_tier_too_low',
  OwnSubmission = 'own_submission',
  IdentityLocked = 'identity_locked',
  BalanceNotZero = 'balance_not_zero',
  LedgerRefused = 'ledger_refused',
  DependencyFailed = 'dependency_failed',
}

export interface Failure {
  readonly error: GatewayError;
  readonly detail?: string;
  /** Extra members of the problem document, e.g. `reason`, `requiredTier`. */
  readonly extensions?: Record<string, unknown>;
  /** Only for RateLimited: seconds until the window ends (also sent as Retry-After). */
  readonly retryAfterSeconds?: number;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: Failure };

export const succeed = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T>(error: GatewayError, detail?: string, extensions?: Record<string, unknown>): Result<T> => ({
  ok: false,
  failure: {
    error,
    ...(detail === undefined ? {} : { detail }),
    ...(extensions === undefined ? {} : { extensions }),
  },
});

export const errorToStatus: { readonly [E in GatewayError]: number } = {
  [GatewayError.InvalidRequest]: 400,
  [GatewayError.InvalidEmail]: 400,
  [GatewayError.WeakPassword]: 400,
  [GatewayError.EmailTaken]: 409,
  [GatewayError.InvalidCredentials]: 401,
  [GatewayError.Unauthenticated]: 401,
  [GatewayError.InvalidToken]: 401,
  [GatewayError.InvalidRefreshToken]: 401,
  [GatewayError.TierTooLow]: 403,
  [GatewayError.Forbidden]: 403,
  [GatewayError.RateLimited]: 429,
  [GatewayError.UserNotFound]: 404,
  [GatewayError.RecipientNotFound]: 404,
  [GatewayError.TooYoung]: 400,
  [GatewayError.KycLevel1Required]: 409,
  [GatewayError.KycAlreadyPending]: 409,
  [GatewayError.KycAlreadyApproved]: 409,
  [GatewayError.KycNotFound]: 404,
  [GatewayError.KycNotPending]: 409,
  [GatewayError.DocumentNotFound]: 404,
  [GatewayError.DocumentExpired]: 400,
  [GatewayError.UnsupportedDocument]: 415,
  [GatewayError.TransferNotFound]: 404,
  [GatewayError.InsufficientFunds]: 422,
  [GatewayError.SendToSelf]: 400,
  [GatewayError.SendConflict]: 409,
  [GatewayError.RecipientTierTooLow]: 422,
  [GatewayError.OwnSubmission]: 403,
  [GatewayError.IdentityLocked]: 409,
  [GatewayError.BalanceNotZero]: 409,
  [GatewayError.LedgerRefused]: 422,
  [GatewayError.DependencyFailed]: 502,
};

export const errorToTitle: { readonly [E in GatewayError]: string } = {
  [GatewayError.InvalidRequest]: 'The request is not valid',
  [GatewayError.InvalidEmail]: 'The email address is not valid',
  [GatewayError.WeakPassword]: 'The password does not meet the password policy',
  [GatewayError.EmailTaken]: 'The email address is already registered',
  [GatewayError.InvalidCredentials]: 'The email or password is wrong',
  [GatewayError.Unauthenticated]: 'Sign in first',
  [GatewayError.InvalidToken]: 'The access token is not valid',
  [GatewayError.InvalidRefreshToken]: 'The session has ended; sign in again',
  [GatewayError.TierTooLow]: 'Your account tier does not allow this yet',
  [GatewayError.Forbidden]: 'Not allowed',
  [GatewayError.RateLimited]: 'Too many requests; try again later',
  [GatewayError.UserNotFound]: 'No such user',
  [GatewayError.RecipientNotFound]: 'No user has this email address',
  [GatewayError.TooYoung]: 'You must be 18 or older',
  [GatewayError.KycLevel1Required]: 'Complete KYC level 1 first',
  [GatewayError.KycAlreadyPending]: 'A KYC level 2 submission is already waiting for review',
  [GatewayError.KycAlreadyApproved]: 'KYC level 2 is already approved',
  [GatewayError.KycNotFound]: 'No such KYC submission',
  [GatewayError.KycNotPending]: 'The KYC submission was already reviewed',
  [GatewayError.DocumentNotFound]: 'No such uploaded document',
  [GatewayError.DocumentExpired]: 'The identity document has expired',
  [GatewayError.UnsupportedDocument]: 'The file is not a JPEG, PNG or PDF',
  [GatewayError.TransferNotFound]: 'Transfer not found',
  [GatewayError.InsufficientFunds]: 'Insufficient funds',
  [GatewayError.SendToSelf]: 'You cannot send money to yourself',
  [GatewayError.SendConflict]: 'This send id was already used for another send',
  [GatewayError.RecipientTierTooLow]: 'The recipient cannot receive this asset yet',
  [GatewayError.OwnSubmission]: 'You cannot review your own KYC submission',
  [GatewayError.IdentityLocked]: 'Your name and date of birth are locked by your identity verification',
  [GatewayError.BalanceNotZero]: 'The account still holds money',
  [GatewayError.LedgerRefused]: 'The ledger refused the transfer',
  [GatewayError.DependencyFailed]: 'A service the gateway depends on failed',
};

export function toProblem(failure: Failure): HttpProblem {
  const extensions = {
    ...failure.extensions,
    ...(failure.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: failure.retryAfterSeconds }),
  };
  return new HttpProblem(
    errorToStatus[failure.error],
    failure.error,
    errorToTitle[failure.error],
    failure.detail,
    extensions,
  );
}

/** Unwraps a result in a route: the value, or the failure thrown as its problem document. */
export function valueOr<T>(result: Result<T>, reply?: { header(name: string, value: string): unknown }): T {
  if (result.ok) return result.value;
  if (result.failure.retryAfterSeconds !== undefined)
    reply?.header('retry-after', String(result.failure.retryAfterSeconds));
  throw toProblem(result.failure);
}
