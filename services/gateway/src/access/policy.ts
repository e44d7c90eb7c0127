/**
 * Who may call which route, in one place: every /v1 route has exactly one
 * entry here (the service refuses to start otherwise), and one hook enforces
 * it before the body is even read. The tier is read from the hot user data on
 * every request, so a tier change takes effect at once.
 */
import type { FastifyRequest } from 'fastify';
import type { HttpServer, Logger } from '@t50/kit';
import { toProblem } from '../http/problems';
import type { GatewayMetrics } from '../metrics';
import type { UserCache, UserSummary } from '../profiles/hot';
import { RateLimitError, rateLimitProblems } from '../ratelimit/errors';
import type { Limit, RateLimiter } from '../ratelimit/limiter';
import { SessionError, sessionProblems } from '../sessions/errors';
import type { SessionService } from '../sessions/service';
import type { AccessClaims } from '../sessions/tokens';
import { clientAddressOf } from './client-address';
import { AccessError, accessProblems } from './errors';
import { atLeast, type Tier } from './tiers';

export type Access =
  { readonly kind: 'public' } | { readonly kind: 'user'; readonly minimumTier: Tier } | { readonly kind: 'operator' };

/** Which rate limits a route counts against (config: RATE_LIMIT_*). */
export type LimitClass = 'register' | 'login' | 'money';

export interface RouteRule {
  readonly access: Access;
  readonly limit?: LimitClass;
}

const publicRoute: Access = { kind: 'public' };
const browsing: Access = { kind: 'user', minimumTier: 'browsing' };
const basic: Access = { kind: 'user', minimumTier: 'basic' };
const full: Access = { kind: 'user', minimumTier: 'full' };
const operator: Access = { kind: 'operator' };

/** THE table: `METHOD /path` -> who may call it. */
export const routePolicy: Readonly<Record<string, RouteRule>> = {
  'POST /v1/auth/register': { access: publicRoute, limit: 'register' },
  'POST /v1/auth/login': { access: publicRoute, limit: 'login' },
  'POST /v1/auth/refresh': { access: publicRoute },
  'GET /v1/auth/jwks': { access: publicRoute },
  'POST /v1/auth/logout': { access: browsing },
  'GET /v1/me': { access: browsing },
  'PUT /v1/me/password': { access: browsing },
  'PUT /v1/me/email': { access: browsing },
  'DELETE /v1/me': { access: browsing, limit: 'money' },
  'GET /v1/kyc': { access: browsing },
  'POST /v1/kyc/level1': { access: browsing },
  'POST /v1/kyc/documents': { access: basic },
  'POST /v1/kyc/level2': { access: basic },
  // Reading one's own (zero) balances moves no money, so Browsing may.
  'GET /v1/accounts': { access: browsing, limit: 'money' },
  'GET /v1/accounts/:asset/history': { access: browsing, limit: 'money' },
  'GET /v1/transfers/:transferId': { access: browsing, limit: 'money' },
  // Basic may send ETH; fiat needs Full (./tiers.ts minimumTierToMove, applied by the send use case).
  'POST /v1/sends': { access: basic, limit: 'money' },
  // Fiat in and out through the payments service: Full only (payments/routes.ts).
  'POST /v1/deposits': { access: full, limit: 'money' },
  'GET /v1/deposits/:depositId': { access: full, limit: 'money' },
  'POST /v1/payouts': { access: full, limit: 'money' },
  'GET /v1/payments': { access: full, limit: 'money' },
  'GET /v1/payments/providers': { access: full, limit: 'money' },
  'GET /v1/operator/kyc/pending': { access: operator },
  'GET /v1/operator/kyc/:submissionId': { access: operator },
  'GET /v1/operator/kyc/:submissionId/document': { access: operator },
  'POST /v1/operator/kyc/:submissionId/approve': { access: operator },
  'POST /v1/operator/kyc/:submissionId/reject': { access: operator },
};

/** HEAD is answered by the GET route (Fastify's exposeHeadRoutes), so it has the GET route's rule. */
function ruleFor(method: string, path: string): RouteRule | undefined {
  return routePolicy[`${method === 'HEAD' ? 'GET' : method} ${path}`];
}

export interface AuthenticatedUser {
  readonly claims: AccessClaims;
  readonly summary: UserSummary;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: AuthenticatedUser | undefined;
    /** The end user's IP address (see ./client-address.ts). */
    clientAddress: string;
  }
}

/** The signed-in user of a route whose rule requires one. */
export function userOf(request: FastifyRequest): AuthenticatedUser {
  if (request.user === undefined) throw new Error('route reached without an authenticated user: its rule is public');
  return request.user;
}

export interface LimitSettings {
  readonly windowSeconds: number;
  readonly loginPerAddress: number;
  readonly loginPerEmail: number;
  readonly registerPerAddress: number;
  readonly moneyPerUser: number;
  readonly moneyPerAddress: number;
}

export const bearerSecurity = [{ bearer: [] }];

export function installAccessControl(
  scope: HttpServer,
  deps: {
    sessions: SessionService;
    users: UserCache;
    limiter: RateLimiter;
    limits: LimitSettings;
    trustedProxyHops: number;
    metrics: GatewayMetrics;
    logger: Logger;
  },
): void {
  const { sessions, users, limiter, limits } = deps;
  scope.decorateRequest('user', undefined);
  scope.decorateRequest('clientAddress', '');

  scope.addHook('onRequest', async (request, reply) => {
    request.clientAddress = clientAddressOf(request, deps.trustedProxyHops);
    const path = request.routeOptions.url;
    if (path === undefined) return; // no route: the not-found handler answers
    const rule = ruleFor(request.method, path);
    // Fail closed: the start-up check makes this unreachable, but a route without a rule is never served.
    if (rule === undefined) throw new Error(`no access rule for ${request.method} ${path}`);
    if (rule.access.kind === 'public') return;

    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      void reply.header('www-authenticate', 'Bearer');
      throw toProblem(accessProblems, {
        error: AccessError.Unauthenticated,
        detail: 'Send an access token: Authorization: Bearer <token>.',
      });
    }
    // The scheme name is case-insensitive (RFC 9110, section 11.1).
    const match = /^Bearer ([A-Za-z0-9_.-]{1,4096})$/i.exec(header);
    const authenticated = match?.[1] === undefined ? undefined : await sessions.authenticate(match[1]);
    if (authenticated === undefined || !authenticated.ok) {
      void reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw toProblem(
        sessionProblems,
        authenticated?.ok === false ? authenticated.failure : { error: SessionError.InvalidToken },
      );
    }
    const summary = await users.get(authenticated.value.userId);
    if (summary === undefined) {
      void reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw toProblem(sessionProblems, { error: SessionError.InvalidToken, detail: 'The account no longer exists.' });
    }
    request.user = { claims: authenticated.value, summary };
    request.log = request.log.child({ userId: summary.userId });

    if (rule.access.kind === 'operator') {
      if (summary.role !== 'operator')
        throw toProblem(accessProblems, { error: AccessError.Forbidden, detail: 'Operators only.' });
      return;
    }
    if (!atLeast(summary.tier, rule.access.minimumTier)) {
      throw toProblem(accessProblems, {
        error: AccessError.TierTooLow,
        detail: `This needs tier ${rule.access.minimumTier}; yours is ${summary.tier}.`,
        extensions: { requiredTier: rule.access.minimumTier, currentTier: summary.tier },
      });
    }
  });

  // After validation, so the login limit can count the email of a well-formed body.
  scope.addHook('preHandler', async (request, reply) => {
    const path = request.routeOptions.url;
    const rule = path === undefined ? undefined : ruleFor(request.method, path);
    if (rule?.limit === undefined) return;
    const address = request.clientAddress;
    const window = limits.windowSeconds;
    let checks: Limit[];
    switch (rule.limit) {
      case 'register':
        checks = [
          { scope: 'register-address', subject: address, max: limits.registerPerAddress, windowSeconds: window },
        ];
        break;
      case 'login': {
        const email = (request.body as { email?: unknown } | undefined)?.email;
        checks = [{ scope: 'login-address', subject: address, max: limits.loginPerAddress, windowSeconds: window }];
        if (typeof email === 'string') {
          checks.push({
            scope: 'login-email',
            subject: email.trim().toLowerCase(),
            max: limits.loginPerEmail,
            windowSeconds: window,
          });
        }
        break;
      }
      case 'money':
        checks = [
          {
            scope: 'money-user',
            subject: userOf(request).summary.userId,
            max: limits.moneyPerUser,
            windowSeconds: window,
          },
          { scope: 'money-address', subject: address, max: limits.moneyPerAddress, windowSeconds: window },
        ];
        break;
    }
    const outcome = await limiter.check(checks);
    if (!outcome.allowed) {
      deps.metrics.rateLimited.inc({ limit: outcome.scope });
      void reply.header('retry-after', String(outcome.retryAfterSeconds));
      throw toProblem(rateLimitProblems, {
        error: RateLimitError.RateLimited,
        detail: `Retry after ${outcome.retryAfterSeconds} seconds.`,
        retryAfterSeconds: outcome.retryAfterSeconds,
        extensions: { limit: outcome.scope },
      });
    }
  });
}

/** Throws unless the routes served under /v1 and the table name exactly the same routes. */
export function assertEveryRouteHasARule(servedRoutes: readonly string[]): void {
  const served = new Set(servedRoutes);
  const missing = [...served].filter((route) => routePolicy[route] === undefined);
  const stale = Object.keys(routePolicy).filter((route) => !served.has(route));
  if (missing.length > 0 || stale.length > 0) {
    throw new Error(
      `access policy out of date: no rule for [${missing.join(', ')}]; no route for [${stale.join(', ')}]`,
    );
  }
}
