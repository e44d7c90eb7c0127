/**
 * KYC: level 1 (personal details, 18 or older) moves a Browsing user to Basic
 * at once; level 2 (an identity document) waits for an operator, whose approval
 * moves the user to Full and whose rejection carries a reason the user sees.
 * Every change lands in the audit log in the same transaction; the hot user
 * data is invalidated after each commit.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Database, Logger, Queryable } from '@t50/kit';
import { audit } from '../audit/log';
import { atLeast } from '../access/tiers';
import { fail, succeed, type Result as ResultOf } from '../http/problems';
import type { UserCache } from '../profiles/hot';
import { findProfile, setTier } from '../profiles/repository';
import { detectDocumentType, maxDocumentBytes, type DocumentMediaType } from './document-type';
import { KycError } from './errors';

type Result<T> = ResultOf<T, KycError>;

export interface Address {
  readonly line1: string;
  readonly line2?: string;
  readonly city: string;
  readonly postalCode: string;
  /** ISO 3166-1 alpha-2. */
  readonly country: string;
}

export interface Level1Input {
  readonly firstName: string;
  readonly lastName: string;
  /** YYYY-MM-DD */
  readonly dateOfBirth: string;
  readonly address: Address;
  readonly phone: string;
}

export type DocumentType = 'passport' | 'id_card' | 'driving_licence';

export interface Level2Input {
  readonly documentType: DocumentType;
  readonly documentNumber: string;
  readonly issuingCountry: string;
  /** YYYY-MM-DD */
  readonly expiryDate: string;
  readonly documentId: string;
}

export interface Level2View {
  readonly submissionId: string;
  readonly userId: string;
  readonly documentType: DocumentType;
  readonly documentNumber: string;
  readonly issuingCountry: string;
  readonly expiryDate: string;
  readonly documentId: string;
  readonly status: 'pending' | 'approved' | 'rejected';
  readonly submittedAt: string;
  readonly reviewedAt: string | null;
  readonly rejectionReason: string | null;
}

export interface KycView {
  readonly level1: (Level1Input & { readonly submittedAt: string }) | null;
  readonly level2: Level2View[];
}

export interface UploadedDocument {
  readonly documentId: string;
  readonly mediaType: DocumentMediaType;
  readonly sizeBytes: number;
}

export interface KycService {
  ownKyc(userId: string): Promise<KycView>;
  submitLevel1(userId: string, input: Level1Input): Promise<Result<KycView>>;
  uploadDocument(userId: string, content: Buffer): Promise<Result<UploadedDocument>>;
  submitLevel2(userId: string, input: Level2Input): Promise<Result<Level2View>>;
  listPending(limit: number): Promise<Level2View[]>;
  review(
    submissionId: string,
  ): Promise<Result<{ submission: Level2View; level1: KycView['level1']; document: UploadedDocument }>>;
  document(submissionId: string): Promise<Result<{ mediaType: DocumentMediaType; content: Buffer }>>;
  /** `operatorId` undefined: the embedded sandbox reviewer. */
  approve(operatorId: string | undefined, submissionId: string): Promise<Result<Level2View>>;
  reject(operatorId: string, submissionId: string, reason: string): Promise<Result<Level2View>>;
}

/** Whole years between a birth date and today, both as UTC calendar dates. */
export function ageOn(dateOfBirth: string, today: Date): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dateOfBirth);
  if (match === null) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  // Rejects 2001-02-30 and the like, which Date would roll over.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  let age = today.getUTCFullYear() - year;
  if (today.getUTCMonth() + 1 < month || (today.getUTCMonth() + 1 === month && today.getUTCDate() < day)) age -= 1;
  return age;
}

const isoDate = (value: Date | string): string =>
  typeof value === 'string' ? value : value.toISOString().slice(0, 10);

interface Level2Row {
  submission_id: string;
  user_id: string;
  document_type: DocumentType;
  document_number: string;
  issuing_country: string;
  expiry_date: string;
  document_id: string;
  status: 'pending' | 'approved' | 'rejected';
  submitted_at: Date;
  reviewed_at: Date | null;
  rejection_reason: string | null;
  [column: string]: unknown;
}

const level2Columns = `submission_id, user_id, document_type, document_number, issuing_country, expiry_date::text as expiry_date,
  document_id, status, submitted_at, reviewed_at, rejection_reason`;

const toLevel2 = (row: Level2Row): Level2View => ({
  submissionId: row.submission_id,
  userId: row.user_id,
  documentType: row.document_type,
  documentNumber: row.document_number,
  issuingCountry: row.issuing_country,
  expiryDate: row.expiry_date,
  documentId: row.document_id,
  status: row.status,
  submittedAt: row.submitted_at.toISOString(),
  reviewedAt: row.reviewed_at === null ? null : row.reviewed_at.toISOString(),
  rejectionReason: row.rejection_reason,
});

async function level1Of(db: Queryable, userId: string): Promise<KycView['level1']> {
  const [row] = await db.query<{
    first_name: string;
    last_name: string;
    date_of_birth: string;
    address: Address;
    phone: string;
    submitted_at: Date;
  }>(
    'select first_name, last_name, date_of_birth::text as date_of_birth, address, phone, submitted_at from kyc_level1 where user_id = $1',
    [userId],
  );
  if (row === undefined) return null;
  return {
    firstName: row.first_name,
    lastName: row.last_name,
    dateOfBirth: row.date_of_birth,
    address: row.address,
    phone: row.phone,
    submittedAt: row.submitted_at.toISOString(),
  };
}

/** Names and date of birth: what an identity document proves. */
const sameIdentity = (stored: Level1Input, next: Level1Input): boolean =>
  stored.firstName === next.firstName && stored.lastName === next.lastName && stored.dateOfBirth === next.dateOfBirth;

/** The sandbox reviewer leaves these for an operator, so the review can be tried (and tested) in embedded mode. */
export const sandboxLeavesPending = (documentNumber: string): boolean => /^PENDING/i.test(documentNumber.trim());

export interface KycDeps {
  readonly db: Database;
  readonly users: UserCache;
  readonly logger: Logger;
  /**
   * Embedded mode only: approve every level 2 submission at once, as a sandbox
   * reviewer (embedded mode is for trying the app on a laptop), except those
   * whose document number starts with `PENDING`, left for an operator.
   */
  readonly sandboxReviewer?: boolean;
  readonly now: () => number;
}

async function ownKyc(deps: KycDeps, userId: string): Promise<KycView> {
  const level1 = await level1Of(deps.db, userId);
  const rows = await deps.db.query<Level2Row>(
    `select ${level2Columns} from kyc_level2 where user_id = $1 order by submitted_at desc limit 50`,
    [userId],
  );
  return { level1, level2: rows.map(toLevel2) };
}

async function lockedSubmission(tx: Queryable, submissionId: string): Promise<Level2Row | undefined> {
  const [row] = await tx.query<Level2Row>(
    `select ${level2Columns} from kyc_level2 where submission_id = $1 for update`,
    [submissionId],
  );
  return row;
}

/** An operator reviewing their own submission: refused, and the attempt is audited (the refusal commits). */
async function refuseOwn(
  deps: KycDeps,
  tx: Queryable,
  operatorId: string,
  submissionId: string,
  attempted: 'approve' | 'reject',
): Promise<Result<Level2View>> {
  await audit(tx, {
    userId: operatorId,
    actorId: operatorId,
    action: 'kyc.level2.review_refused',
    detail: { submissionId, attempted, because: 'own submission' },
  });
  deps.logger.warn({ submissionId, operatorId, attempted }, 'operator tried to review their own kyc submission');
  return fail(KycError.OwnSubmission, 'A KYC submission is reviewed by another operator, never its owner.');
}

async function submitLevel1(deps: KycDeps, userId: string, input: Level1Input): Promise<Result<KycView>> {
  const { db, users, now } = deps;
  const age = ageOn(input.dateOfBirth, new Date(now()));
  if (age === undefined || age > 150)
    return fail(KycError.InvalidRequest, 'dateOfBirth is not a real date (YYYY-MM-DD).');
  if (age < 18) return fail(KycError.TooYoung);
  const outcome = await db.transaction(async (tx): Promise<Result<null>> => {
    const profile = await findProfile(tx, userId, true);
    if (profile === undefined) throw new Error('KYC for a user without a live profile');
    const previous = await level1Of(tx, userId);
    if (previous !== null && !sameIdentity(previous, input)) {
      const [verified] = await tx.query<{ status: string }>(
        `select status from kyc_level2 where user_id = $1 and status in ('pending', 'approved') limit 1`,
        [userId],
      );
      if (verified !== undefined || profile.tier === 'full') {
        return fail(
          KycError.IdentityLocked,
          'Your name and date of birth must match the identity document under review or approved; ' +
            'address and phone can still change. Contact support to correct them.',
        );
      }
    }
    await tx.query(
      `insert into kyc_level1 (user_id, first_name, last_name, date_of_birth, address, phone)
       values ($1, $2, $3, $4, $5::text::jsonb, $6)
       on conflict (user_id) do update set first_name = excluded.first_name, last_name = excluded.last_name,
         date_of_birth = excluded.date_of_birth, address = excluded.address, phone = excluded.phone, submitted_at = now()`,
      [userId, input.firstName, input.lastName, input.dateOfBirth, JSON.stringify(input.address), input.phone],
    );
    await audit(tx, {
      userId,
      actorId: userId,
      action: 'kyc.level1.submitted',
      detail: { fields: ['firstName', 'lastName', 'dateOfBirth', 'address', 'phone'] },
    });
    if (profile.tier === 'browsing') {
      await setTier(tx, userId, 'basic');
      await audit(tx, {
        userId,
        actorId: undefined,
        action: 'tier.changed',
        detail: { from: 'browsing', to: 'basic', because: 'kyc level 1' },
      });
    }
    return succeed(null);
  });
  if (!outcome.ok) return outcome;
  await users.invalidate(userId);
  return succeed(await ownKyc(deps, userId));
}

async function uploadDocument(deps: KycDeps, userId: string, content: Buffer): Promise<Result<UploadedDocument>> {
  const { db } = deps;
  if (content.length === 0 || content.length > maxDocumentBytes) {
    return fail(KycError.InvalidRequest, `The document must be 1 byte to ${maxDocumentBytes} bytes.`);
  }
  const mediaType = detectDocumentType(content);
  if (mediaType === undefined) return fail(KycError.UnsupportedDocument);
  const documentId = randomUUID();
  await db.transaction(async (tx) => {
    await tx.query(
      'insert into kyc_documents (document_id, user_id, media_type, size_bytes, sha256, content) values ($1, $2, $3, $4, $5, $6)',
      [documentId, userId, mediaType, content.length, createHash('sha256').update(content).digest(), content],
    );
    await audit(tx, {
      userId,
      actorId: userId,
      action: 'kyc.document.uploaded',
      detail: { documentId, mediaType, sizeBytes: content.length },
    });
  });
  return succeed({ documentId, mediaType, sizeBytes: content.length });
}

async function submitLevel2(deps: KycDeps, userId: string, input: Level2Input): Promise<Result<Level2View>> {
  const { db, users, now } = deps;
  if (input.expiryDate <= isoDate(new Date(now()))) return fail(KycError.DocumentExpired);
  const outcome = await db.transaction(async (tx): Promise<Result<Level2View>> => {
    const profile = await findProfile(tx, userId, true);
    if (profile === undefined) throw new Error('KYC for a user without a live profile');
    if (profile.tier === 'full') return fail(KycError.AlreadyApproved);
    if ((await level1Of(tx, userId)) === null) return fail(KycError.Level1Required);
    const [pending] = await tx.query('select 1 from kyc_level2 where user_id = $1 and status = $2', [
      userId,
      'pending',
    ]);
    if (pending !== undefined) return fail(KycError.AlreadyPending);
    const [document] = await tx.query('select 1 from kyc_documents where document_id = $1 and user_id = $2', [
      input.documentId,
      userId,
    ]);
    if (document === undefined) return fail(KycError.DocumentNotFound);
    const submissionId = randomUUID();
    const [row] = await tx.query<Level2Row>(
      `insert into kyc_level2 (submission_id, user_id, document_type, document_number, issuing_country, expiry_date, document_id)
       values ($1, $2, $3, $4, $5, $6, $7) returning ${level2Columns}`,
      [
        submissionId,
        userId,
        input.documentType,
        input.documentNumber,
        input.issuingCountry,
        input.expiryDate,
        input.documentId,
      ],
    );
    await audit(tx, {
      userId,
      actorId: userId,
      action: 'kyc.level2.submitted',
      detail: { submissionId, documentId: input.documentId },
    });
    return succeed(toLevel2(row!));
  });
  if (!outcome.ok) return outcome;
  await users.invalidate(userId);
  if (deps.sandboxReviewer === true && !sandboxLeavesPending(input.documentNumber))
    return approve(deps, undefined, outcome.value.submissionId);
  return outcome;
}

async function listPending(deps: KycDeps, limit: number): Promise<Level2View[]> {
  const { db } = deps;
  const rows = await db.query<Level2Row>(
    `select ${level2Columns} from kyc_level2 where status = 'pending' order by submitted_at limit $1`,
    [limit],
  );
  return rows.map(toLevel2);
}

async function review(deps: KycDeps, submissionId: string): ReturnType<KycService['review']> {
  const { db } = deps;
  const [row] = await db.query<Level2Row>(`select ${level2Columns} from kyc_level2 where submission_id = $1`, [
    submissionId,
  ]);
  if (row === undefined) return fail(KycError.SubmissionNotFound);
  const [document] = await db.query<{ media_type: DocumentMediaType; size_bytes: number }>(
    'select media_type, size_bytes from kyc_documents where document_id = $1',
    [row.document_id],
  );
  if (document === undefined) return fail(KycError.DocumentNotFound);
  return succeed({
    submission: toLevel2(row),
    level1: await level1Of(db, row.user_id),
    document: { documentId: row.document_id, mediaType: document.media_type, sizeBytes: document.size_bytes },
  });
}

async function document(deps: KycDeps, submissionId: string): ReturnType<KycService['document']> {
  const { db } = deps;
  const [row] = await db.query<{ media_type: DocumentMediaType; content: Buffer }>(
    `select d.media_type, d.content from kyc_level2 s join kyc_documents d on d.document_id = s.document_id
     where s.submission_id = $1`,
    [submissionId],
  );
  if (row === undefined) return fail(KycError.SubmissionNotFound);
  return succeed({ mediaType: row.media_type, content: row.content });
}

async function approve(
  deps: KycDeps,
  operatorId: string | undefined,
  submissionId: string,
): Promise<Result<Level2View>> {
  const { db, users, logger } = deps;
  const outcome = await db.transaction(async (tx): Promise<Result<Level2View>> => {
    const row = await lockedSubmission(tx, submissionId);
    if (row === undefined) return fail(KycError.SubmissionNotFound);
    if (operatorId === row.user_id) return refuseOwn(deps, tx, operatorId, submissionId, 'approve');
    if (row.status !== 'pending') return fail(KycError.NotPending);
    const [updated] = await tx.query<Level2Row>(
      `update kyc_level2 set status = 'approved', reviewed_at = now(), reviewed_by = $2 where submission_id = $1
       returning ${level2Columns}`,
      [submissionId, operatorId ?? null],
    );
    await audit(tx, {
      userId: row.user_id,
      actorId: operatorId,
      action: 'kyc.level2.approved',
      detail: { submissionId, reviewer: operatorId === undefined ? 'sandbox' : 'operator' },
    });
    const profile = await findProfile(tx, row.user_id, true);
    if (profile !== undefined && !atLeast(profile.tier, 'full')) {
      await setTier(tx, row.user_id, 'full');
      await audit(tx, {
        userId: row.user_id,
        actorId: operatorId,
        action: 'tier.changed',
        detail: { from: profile.tier, to: 'full', because: 'kyc level 2 approved' },
      });
    }
    return succeed(toLevel2(updated!));
  });
  if (outcome.ok) {
    await users.invalidate(outcome.value.userId);
    logger.info({ submissionId, operatorId }, 'kyc level 2 approved');
  }
  return outcome;
}

async function reject(
  deps: KycDeps,
  operatorId: string,
  submissionId: string,
  reason: string,
): Promise<Result<Level2View>> {
  const { db, users } = deps;
  const outcome = await db.transaction(async (tx): Promise<Result<Level2View>> => {
    const row = await lockedSubmission(tx, submissionId);
    if (row === undefined) return fail(KycError.SubmissionNotFound);
    if (operatorId === row.user_id) return refuseOwn(deps, tx, operatorId, submissionId, 'reject');
    if (row.status !== 'pending') return fail(KycError.NotPending);
    const [updated] = await tx.query<Level2Row>(
      `update kyc_level2 set status = 'rejected', reviewed_at = now(), reviewed_by = $2, rejection_reason = $3
       where submission_id = $1 returning ${level2Columns}`,
      [submissionId, operatorId, reason],
    );
    await audit(tx, {
      userId: row.user_id,
      actorId: operatorId,
      action: 'kyc.level2.rejected',
      detail: { submissionId, reason },
    });
    return succeed(toLevel2(updated!));
  });
  if (outcome.ok) await users.invalidate(outcome.value.userId);
  return outcome;
}

/** The use cases bound to their dependencies. */
export function createKycService(options: Omit<KycDeps, 'now'> & { readonly now?: () => number }): KycService {
  const deps: KycDeps = { ...options, now: options.now ?? Date.now };
  return {
    ownKyc: (userId) => ownKyc(deps, userId),
    submitLevel1: (userId, input) => submitLevel1(deps, userId, input),
    uploadDocument: (userId, content) => uploadDocument(deps, userId, content),
    submitLevel2: (userId, input) => submitLevel2(deps, userId, input),
    listPending: (limit) => listPending(deps, limit),
    review: (submissionId) => review(deps, submissionId),
    document: (submissionId) => document(deps, submissionId),
    approve: (operatorId, submissionId) => approve(deps, operatorId, submissionId),
    reject: (operatorId, submissionId, reason) => reject(deps, operatorId, submissionId, reason),
  };
}
