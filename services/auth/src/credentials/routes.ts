/**
 * The credential routes, thin: validate (by schema), call the use case, map an
 * expected failure to its problem document.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { HttpProblem, problemResponses, type HttpServer } from '@t50/kit';
import type { FastifyReply } from 'fastify';
import { apiKeySecurity } from '../keys/hooks';
import { addressBucket } from '../ratelimit/address';
import { CredentialError, toProblem, type CredentialFailure } from './errors';
import {
  AuthenticateBody,
  AuthenticatedView,
  ChangeEmailBody,
  ChangePasswordBody,
  ClientAddressHeaders,
  CreateCredentialBody,
  CredentialView,
  NoContent,
  UserIdParams,
} from './schemas';
import type { CredentialService } from './service';

const tags = ['credentials'];

/** The problem to throw for a failure; a rate limit also sets Retry-After. */
function problemFor(reply: FastifyReply, failure: CredentialFailure): HttpProblem {
  if (failure.error === CredentialError.RateLimited)
    void reply.header('retry-after', String(failure.retryAfterSeconds));
  return toProblem(failure);
}

/** The address failures are counted against: the end user's, if the calling service says so. */
function clientAddressOf(request: { readonly headers: IncomingHttpHeaders; readonly ip: string }): string {
  const given = request.headers['x-client-address'];
  if (typeof given === 'string') {
    const bucket = addressBucket(given);
    if (bucket === undefined) {
      throw new HttpProblem(
        400,
        'invalid_request',
        'The request is not valid',
        'x-client-address must be an IPv4 or IPv6 address.',
      );
    }
    return bucket;
  }
  return addressBucket(request.ip) ?? request.ip;
}

export function registerCredentialRoutes(app: HttpServer, credentials: CredentialService): void {
  app.post(
    '/credentials',
    {
      schema: {
        summary: 'Create a credential',
        description: 'Stores an email and a password (argon2id) and returns the new user id.',
        tags,
        security: apiKeySecurity,
        body: CreateCredentialBody,
        response: { 201: CredentialView, ...problemResponses(400, 401, 409) },
      },
    },
    async (request, reply) => {
      const result = await credentials.create(request.body, request.log);
      if (!result.ok) throw problemFor(reply, result.failure);
      return reply.status(201).send(result.value);
    },
  );

  app.post(
    '/authenticate',
    {
      schema: {
        summary: 'Check an email and password',
        description:
          'Returns the user id when both are right. An unknown email and a wrong password get the same 401 ' +
          '`invalid_credentials` after the same work. Failures are limited per email and per client address (429).',
        tags,
        security: apiKeySecurity,
        headers: ClientAddressHeaders,
        body: AuthenticateBody,
        response: { 200: AuthenticatedView, ...problemResponses(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const result = await credentials.authenticate(
        { ...request.body, clientAddress: clientAddressOf(request) },
        request.log,
      );
      if (!result.ok) throw problemFor(reply, result.failure);
      return reply.status(200).send(result.value);
    },
  );

  app.put(
    '/credentials/:userId/password',
    {
      schema: {
        summary: 'Change the password',
        description: 'Needs the current password; failures count towards the same limits as logins.',
        tags,
        security: apiKeySecurity,
        params: UserIdParams,
        headers: ClientAddressHeaders,
        body: ChangePasswordBody,
        response: { 204: NoContent, ...problemResponses(400, 401, 404, 429) },
      },
    },
    async (request, reply) => {
      const result = await credentials.changePassword(
        {
          userId: request.params.userId,
          ...request.body,
          clientAddress: clientAddressOf(request),
        },
        request.log,
      );
      if (!result.ok) throw problemFor(reply, result.failure);
      return reply.status(204).send(null);
    },
  );

  app.put(
    '/credentials/:userId/email',
    {
      schema: {
        summary: 'Change the email',
        description: 'Needs the password; the new email must not belong to another credential.',
        tags,
        security: apiKeySecurity,
        params: UserIdParams,
        headers: ClientAddressHeaders,
        body: ChangeEmailBody,
        response: { 200: CredentialView, ...problemResponses(400, 401, 404, 409, 429) },
      },
    },
    async (request, reply) => {
      const result = await credentials.changeEmail(
        {
          userId: request.params.userId,
          ...request.body,
          clientAddress: clientAddressOf(request),
        },
        request.log,
      );
      if (!result.ok) throw problemFor(reply, result.failure);
      return reply.status(200).send(result.value);
    },
  );

  app.delete(
    '/credentials/:userId',
    {
      schema: {
        summary: 'Delete a credential',
        tags,
        security: apiKeySecurity,
        params: UserIdParams,
        response: { 204: NoContent, ...problemResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const result = await credentials.delete(request.params.userId, request.log);
      if (!result.ok) throw problemFor(reply, result.failure);
      return reply.status(204).send(null);
    },
  );
}
