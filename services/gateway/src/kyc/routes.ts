/**
 * KYC routes: the user's own KYC data (only ever their own: the user id comes
 * from the token, never from the request), level 1, the document upload and
 * level 2; and the operator's review queue.
 */
import { Type } from '@sinclair/typebox';
import { Text as ContractText } from '@t50/contracts';
import { problemResponses, type HttpServer } from '@t50/kit';
import { bearerSecurity, userOf } from '../access/policy';
import { valueOr } from '../http/problems';
import { Uuid } from '../http/schemas';
import { maxDocumentBytes } from './document-type';
import { kycProblems } from './errors';
import type { KycService } from './service';

const tags = ['kyc'];
const operatorTags = ['operator'];

/** Text with at least one visible character and never U+0000 (PostgreSQL cannot store it). */
const Text = (maxLength: number, description?: string) =>
  ContractText({ minLength: 1, maxLength, nonBlank: true, ...(description === undefined ? {} : { description }) });
const IsoDate = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'A calendar date, YYYY-MM-DD' });
const Country = Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 country code, e.g. DE' });

const AddressSchema = Type.Object(
  {
    line1: Text(200),
    line2: Type.Optional(ContractText({ maxLength: 200 })),
    city: Text(100),
    postalCode: Type.String({ pattern: '^[A-Za-z0-9 -]{2,12}$' }),
    country: Country,
  },
  { additionalProperties: false },
);

const Level1Body = Type.Object(
  {
    firstName: Text(100),
    lastName: Text(100),
    dateOfBirth: Type.String({
      pattern: '^\\d{4}-\\d{2}-\\d{2}$',
      description: 'YYYY-MM-DD; the user must be 18 or older',
    }),
    address: AddressSchema,
    phone: Type.String({ pattern: '^\\+[1-9][0-9]{6,14}$', description: 'E.164, e.g. +4930123456' }),
  },
  { additionalProperties: false },
);

const DocumentTypeSchema = Type.Union([
  Type.Literal('passport'),
  Type.Literal('id_card'),
  Type.Literal('driving_licence'),
]);

const Level2Body = Type.Object(
  {
    documentType: DocumentTypeSchema,
    documentNumber: Type.String({ pattern: '^[A-Za-z0-9-]{4,30}$' }),
    issuingCountry: Country,
    expiryDate: IsoDate,
    documentId: Type.String({ format: 'uuid', description: 'The id POST /v1/kyc/documents returned' }),
  },
  { additionalProperties: false },
);

const Level1View = Type.Object({
  firstName: Type.String(),
  lastName: Type.String(),
  dateOfBirth: Type.String(),
  address: AddressSchema,
  phone: Type.String(),
  submittedAt: Type.String(),
});

const Level2View = Type.Object({
  submissionId: Uuid,
  userId: Uuid,
  documentType: DocumentTypeSchema,
  documentNumber: Type.String(),
  issuingCountry: Type.String(),
  expiryDate: Type.String(),
  documentId: Uuid,
  status: Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected')]),
  submittedAt: Type.String(),
  reviewedAt: Type.Union([Type.String(), Type.Null()]),
  rejectionReason: Type.Union([Type.String(), Type.Null()], { description: 'Why an operator rejected it' }),
});

const KycView = Type.Object({ level1: Type.Union([Level1View, Type.Null()]), level2: Type.Array(Level2View) });
const DocumentView = Type.Object({
  documentId: Uuid,
  mediaType: Type.String(),
  sizeBytes: Type.Integer(),
});
const SubmissionParams = Type.Object(
  { submissionId: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);

const documentContentTypes = ['application/octet-stream', 'image/jpeg', 'image/png', 'application/pdf'];

export function registerKycRoutes(app: HttpServer, deps: { kyc: KycService }): void {
  registerOwnKycRoutes(app, deps.kyc);
  registerReviewRoutes(app, deps.kyc);
}

/** The signed-in user's own KYC: read it, level 1, the document upload, level 2. */
function registerOwnKycRoutes(app: HttpServer, kyc: KycService): void {
  app.get(
    '/kyc',
    {
      schema: {
        summary: 'My KYC data',
        description: "The signed-in user's own KYC data and level 2 submissions (with the reason of a rejection).",
        tags,
        security: bearerSecurity,
        response: { 200: KycView, ...problemResponses(401) },
      },
    },
    async (request) => kyc.ownKyc(userOf(request).summary.userId),
  );

  app.post(
    '/kyc/level1',
    {
      schema: {
        summary: 'KYC level 1',
        description:
          'Personal details; the user must be 18 or older. A Browsing user becomes Basic at once. While a level 2 ' +
          'submission is pending or approved, names and date of birth cannot change (409 identity_locked); address ' +
          'and phone can.',
        tags,
        security: bearerSecurity,
        body: Level1Body,
        response: { 200: KycView, ...problemResponses(400, 401, 409) },
      },
    },
    async (request, reply) =>
      valueOr(await kyc.submitLevel1(userOf(request).summary.userId, request.body), kycProblems, reply),
  );

  // The upload takes the raw file as the body (no multipart), at most 5 MiB; its type is decided by its content.
  app.register((scope: HttpServer, _options, done) => {
    scope.addContentTypeParser(
      documentContentTypes,
      { parseAs: 'buffer', bodyLimit: maxDocumentBytes },
      (_request, body, parsed) => parsed(null, body),
    );
    scope.post(
      '/kyc/documents',
      {
        bodyLimit: maxDocumentBytes,
        schema: {
          summary: 'Upload an identity document',
          description:
            'The file itself as the body (Content-Type application/octet-stream, image/jpeg, image/png or application/pdf), ' +
            'at most 5 MiB (413 above). Only JPEG, PNG and PDF are accepted, recognised by their content (415 otherwise). ' +
            'Returns the document id to cite in POST /v1/kyc/level2.',
          tags,
          security: bearerSecurity,
          response: { 201: DocumentView, ...problemResponses(400, 401, 403, 413, 415) },
        },
      },
      async (request, reply) => {
        const content = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const uploaded = valueOr(await kyc.uploadDocument(userOf(request).summary.userId, content), kycProblems, reply);
        return reply.status(201).send(uploaded);
      },
    );
    done();
  });

  app.post(
    '/kyc/level2',
    {
      schema: {
        summary: 'KYC level 2',
        description: 'An identity document for review. While pending the tier stays Basic; approval makes it Full.',
        tags,
        security: bearerSecurity,
        body: Level2Body,
        response: { 201: Level2View, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const submission = valueOr(
        await kyc.submitLevel2(userOf(request).summary.userId, request.body),
        kycProblems,
        reply,
      );
      return reply.status(201).send(submission);
    },
  );
}

/** The operator's review: the queue, a submission and its document, approve, reject. */
function registerReviewRoutes(app: HttpServer, kyc: KycService): void {
  app.get(
    '/operator/kyc/pending',
    {
      schema: {
        summary: 'KYC level 2 submissions waiting for review, oldest first',
        tags: operatorTags,
        security: bearerSecurity,
        querystring: Type.Object(
          { limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ submissions: Type.Array(Level2View) }), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => ({ submissions: await kyc.listPending(request.query.limit) }),
  );

  app.get(
    '/operator/kyc/:submissionId',
    {
      schema: {
        summary: 'One submission with the user’s level 1 data and the document’s metadata',
        tags: operatorTags,
        security: bearerSecurity,
        params: SubmissionParams,
        response: {
          200: Type.Object({
            submission: Level2View,
            level1: Type.Union([Level1View, Type.Null()]),
            document: DocumentView,
          }),
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => valueOr(await kyc.review(request.params.submissionId), kycProblems, reply),
  );

  app.get(
    '/operator/kyc/:submissionId/document',
    {
      schema: {
        summary: 'The uploaded document of a submission',
        tags: operatorTags,
        security: bearerSecurity,
        params: SubmissionParams,
        response: {
          200: Type.Unsafe<Buffer>({
            type: 'string',
            format: 'binary',
            description: 'The JPEG, PNG or PDF as uploaded',
          }),
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const document = valueOr(await kyc.document(request.params.submissionId), kycProblems, reply);
      void reply.header('content-disposition', 'attachment').header('x-content-type-options', 'nosniff');
      return reply.type(document.mediaType).send(document.content);
    },
  );

  app.post(
    '/operator/kyc/:submissionId/approve',
    {
      schema: {
        summary: 'Approve: the user becomes Full',
        description: 'Never one’s own submission (403 own_submission, audited).',
        tags: operatorTags,
        security: bearerSecurity,
        params: SubmissionParams,
        response: { 200: Level2View, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) =>
      valueOr(await kyc.approve(userOf(request).summary.userId, request.params.submissionId), kycProblems, reply),
  );

  app.post(
    '/operator/kyc/:submissionId/reject',
    {
      schema: {
        summary: 'Reject, with a reason the user sees',
        description: 'Never one’s own submission (403 own_submission, audited).',
        tags: operatorTags,
        security: bearerSecurity,
        params: SubmissionParams,
        body: Type.Object({ reason: Text(500) }, { additionalProperties: false }),
        response: { 200: Level2View, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) =>
      valueOr(
        await kyc.reject(userOf(request).summary.userId, request.params.submissionId, request.body.reason),
        kycProblems,
        reply,
      ),
  );
}
