/**
 * The signed-in user's own profile: the hot summary (from Redis), password and
 * email changes (ending the user's other sessions), and account deletion.
 */
import { Type } from '@sinclair/typebox';
import { problemResponses, type HttpServer } from '@t50/kit';
import { bearerSecurity, userOf } from '../access/policy';
import { valueOr } from '../http/problems';
import { Email, NewPassword, NoContent, Password, UserSummaryView } from '../http/schemas';
import { accountProblems } from './errors';
import type { AccountService } from './service';

const tags = ['profile'];

const ChangePasswordBody = Type.Object(
  { currentPassword: Password, newPassword: NewPassword },
  { additionalProperties: false },
);
const ChangeEmailBody = Type.Object({ password: Password, email: Email }, { additionalProperties: false });
const DeleteBody = Type.Object({ password: Password }, { additionalProperties: false });

export function registerProfileRoutes(app: HttpServer, deps: { accounts: AccountService }): void {
  const { accounts } = deps;

  app.get(
    '/me',
    {
      schema: {
        summary: 'Hot user data',
        description: 'The profile summary and tier, served from Redis and refreshed whenever they change.',
        tags,
        security: bearerSecurity,
        response: { 200: UserSummaryView, ...problemResponses(401) },
      },
    },
    async (request) => Promise.resolve(userOf(request).summary),
  );

  app.put(
    '/me/password',
    {
      schema: {
        summary: 'Change the password',
        description: 'Needs the current password. Every other session of the user ends; this one stays.',
        tags,
        security: bearerSecurity,
        body: ChangePasswordBody,
        response: { 200: Type.Object({ sessionsEnded: Type.Integer() }), ...problemResponses(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const { summary, claims } = userOf(request);
      return valueOr(
        await accounts.changePassword(summary, claims.sessionId, request.body, request.clientAddress),
        accountProblems,
        reply,
      );
    },
  );

  app.put(
    '/me/email',
    {
      schema: {
        summary: 'Change the email address',
        description: 'Needs the password. Every other session of the user ends; this one stays.',
        tags,
        security: bearerSecurity,
        body: ChangeEmailBody,
        response: {
          200: Type.Object({ user: UserSummaryView, sessionsEnded: Type.Integer() }),
          ...problemResponses(400, 401, 409, 429),
        },
      },
    },
    async (request, reply) => {
      const { summary, claims } = userOf(request);
      return valueOr(
        await accounts.changeEmail(summary, claims.sessionId, request.body, request.clientAddress),
        accountProblems,
        reply,
      );
    },
  );

  app.delete(
    '/me',
    {
      schema: {
        summary: 'Delete the account',
        description:
          'Needs the password. Refused (409 balance_not_zero, with the balances) while any account holds money or a hold. ' +
          'Ends every session.',
        tags,
        security: bearerSecurity,
        body: DeleteBody,
        response: { 204: NoContent, ...problemResponses(400, 401, 409, 429) },
      },
    },
    async (request, reply) => {
      valueOr(
        await accounts.delete(userOf(request).summary, request.body.password, request.clientAddress),
        accountProblems,
        reply,
      );
      return reply.status(204).send(null);
    },
  );
}
