/**
 * Register, log in, refresh, log out, and the public key set. Thin: validate
 * (schemas), call the use case, set or clear the refresh cookie.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { problemResponses, type HttpServer } from '@t50/kit';
import { bearerSecurity, userOf } from '../access/policy';
import { fail, valueOr } from '../http/problems';
import { Email, NewPassword, NoContent, Password, UserSummaryView } from '../http/schemas';
import { accountProblems } from '../profiles/errors';
import type { AccountService } from '../profiles/service';
import { clearedRefreshCookie, refreshCookie, refreshTokenFrom } from './cookie';
import { SessionError, sessionProblems } from './errors';
import type { Session, SessionService } from './service';
import type { TokenIssuer } from './tokens';

const tags = ['sessions'];

const SessionView = Type.Object({
  accessToken: Type.String({ description: 'A JWT (EdDSA); send it as Authorization: Bearer <token>' }),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
  user: UserSummaryView,
});

const RegisterBody = Type.Object({ email: Email, password: NewPassword }, { additionalProperties: false });
const LoginBody = Type.Object({ email: Email, password: Password }, { additionalProperties: false });

export function registerSessionRoutes(
  app: HttpServer,
  deps: {
    accounts: AccountService;
    sessions: SessionService;
    tokens: TokenIssuer;
    cookieSecure: boolean;
    now?: () => number;
  },
): void {
  const { accounts, sessions, tokens, cookieSecure } = deps;
  const now = deps.now ?? Date.now;

  function sendSession(reply: FastifyReply, status: number, session: Session, user: unknown) {
    void reply.header(
      'set-cookie',
      refreshCookie(session.refreshToken, (session.refreshExpiresAt.getTime() - now()) / 1000, cookieSecure),
    );
    void reply.header('cache-control', 'no-store');
    return reply.status(status).send({
      accessToken: session.accessToken,
      tokenType: 'Bearer',
      expiresIn: session.accessClaims.expiresAt - Math.floor(now() / 1000),
      user,
    });
  }

  app.post(
    '/auth/register',
    {
      schema: {
        summary: 'Register',
        description:
          'Creates the credential (auth service) and a profile at tier Browsing, announces `gateway.user.registered` ' +
          "(the ledger opens the user's USD, EUR and ETH accounts), and signs the user in: an access token in the body, " +
          'a refresh token in an httpOnly cookie. Limited per client address (429).',
        tags,
        body: RegisterBody,
        response: { 201: SessionView, ...problemResponses(400, 409, 429) },
      },
    },
    async (request, reply) => {
      const { email, password } = request.body;
      const signedIn = valueOr(await accounts.register(email, password), accountProblems, reply);
      return sendSession(reply, 201, signedIn.session, signedIn.user);
    },
  );

  app.post(
    '/auth/login',
    {
      schema: {
        summary: 'Log in',
        description: 'Limited per client address and per email (429 with Retry-After).',
        tags,
        body: LoginBody,
        response: { 200: SessionView, ...problemResponses(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const signedIn = valueOr(
        await accounts.login(request.body.email, request.body.password, request.clientAddress),
        accountProblems,
        reply,
      );
      return sendSession(reply, 200, signedIn.session, signedIn.user);
    },
  );

  app.post(
    '/auth/refresh',
    {
      schema: {
        summary: 'Get a new access token',
        description:
          'Uses the refresh-token cookie once and sets the next one. Presenting an already used refresh token ends the ' +
          'whole session (every token descended from the same login).',
        tags,
        response: { 200: SessionView, ...problemResponses(401) },
      },
    },
    async (request, reply) => {
      const presented = refreshTokenFrom(request.headers.cookie);
      if (presented === undefined) {
        return valueOr(fail(SessionError.InvalidRefreshToken, 'No refresh-token cookie.'), sessionProblems);
      }
      const refreshed = await sessions.refresh(presented);
      if (!refreshed.ok) void reply.header('set-cookie', clearedRefreshCookie(cookieSecure));
      const session = valueOr(refreshed, sessionProblems, reply);
      const user = await accounts.summaryOf(session.accessClaims.userId);
      if (user === undefined) return valueOr(fail(SessionError.InvalidRefreshToken), sessionProblems);
      return sendSession(reply, 200, session, user);
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        summary: 'Log out',
        description: 'Ends this session: the access token and the refresh-token family are revoked at once.',
        tags,
        security: bearerSecurity,
        response: { 204: NoContent, ...problemResponses(401) },
      },
    },
    async (request, reply) => {
      await sessions.end(userOf(request).claims);
      void reply.header('set-cookie', clearedRefreshCookie(cookieSecure));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/auth/jwks',
    {
      schema: {
        summary: 'The public keys access tokens are signed with',
        tags,
        response: { 200: Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) }) },
      },
    },
    async () => Promise.resolve(tokens.jwks()),
  );
}
