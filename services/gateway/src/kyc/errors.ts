/** Expected failures of the KYC use cases (./service.ts), the user's and the operator's. */
import type { ProblemMap } from '../http/problems';

export enum KycError {
  /** What the schema cannot check: a date that does not exist, a document of 0 bytes. */
  InvalidRequest = 'invalid_request',
  TooYoung = 'too_young',
  IdentityLocked = 'identity_locked',
  UnsupportedDocument = 'unsupported_document',
  DocumentExpired = 'document_expired',
  DocumentNotFound = 'document_not_found',
  Level1Required = 'kyc_level1_required',
  AlreadyPending = 'kyc_already_pending',
  AlreadyApproved = 'kyc_already_approved',
  SubmissionNotFound = 'kyc_submission_not_found',
  NotPending = 'kyc_submission_not_pending',
  OwnSubmission = 'own_submission',
}

export const kycProblems: ProblemMap<KycError> = {
  [KycError.InvalidRequest]: { status: 400, code: 'invalid_request', title: 'The request is not valid' },
  [KycError.TooYoung]: { status: 400, code: 'too_young', title: 'You must be 18 or older' },
  [KycError.IdentityLocked]: {
    status: 409,
    code: 'identity_locked',
    title: 'Your name and date of birth are locked by your identity verification',
  },
  [KycError.UnsupportedDocument]: {
    status: 415,
    code: 'unsupported_document',
    title: 'The file is not a JPEG, PNG or PDF',
  },
  [KycError.DocumentExpired]: { status: 400, code: 'document_expired', title: 'The identity document has expired' },
  [KycError.DocumentNotFound]: { status: 404, code: 'document_not_found', title: 'No such uploaded document' },
  [KycError.Level1Required]: { status: 409, code: 'kyc_level1_required', title: 'Complete KYC level 1 first' },
  [KycError.AlreadyPending]: {
    status: 409,
    code: 'kyc_already_pending',
    title: 'A KYC level 2 submission is already waiting for review',
  },
  [KycError.AlreadyApproved]: { status: 409, code: 'kyc_already_approved', title: 'KYC level 2 is already approved' },
  [KycError.SubmissionNotFound]: { status: 404, code: 'kyc_submission_not_found', title: 'No such KYC submission' },
  [KycError.NotPending]: {
    status: 409,
    code: 'kyc_submission_not_pending',
    title: 'The KYC submission was already reviewed',
  },
  [KycError.OwnSubmission]: {
    status: 403,
    code: 'own_submission',
    title: 'You cannot review your own KYC submission',
  },
};
