/**
 * The auth service's HTTP API, as the gateway uses it (services/auth/README.md),
 * through a client generated from auth's OpenAPI (docs/openapi/auth.json).
 * Its expected failures come back as the account domain's failure values
 * (profiles/errors.ts); anything
 * else (5xx, an unknown code, a refused API key) throws a DependencyError.
 */
import type { paths } from '@t50/contracts/openapi/auth';
import { createServiceClient, problemCode, serviceIsReady } from '@t50/kit';
import { fail, succeed, type Result as ResultOf } from '../http/problems';
import { AccountError } from '../profiles/errors';
import { DependencyError } from './dependency-error';

type Result<T> = ResultOf<T, AccountError>;

export interface AuthClient {
  createCredential(email: string, password: string): Promise<Result<{ userId: string; email: string }>>;
  authenticate(email: string, password: string, clientAddress: string): Promise<Result<{ userId: string }>>;
  changePassword(
    userId: string,
    currentPassword: string,
    newPassword: string,
    clientAddress: string,
  ): Promise<Result<null>>;
  changeEmail(
    userId: string,
    password: string,
    email: string,
    clientAddress: string,
  ): Promise<Result<{ email: string }>>;
  deleteCredential(userId: string): Promise<Result<null>>;
  ping(): Promise<boolean>;
}

/** Maps the auth service's expected failures; throws for everything else. */
function failureOf<T>(response: Response, body: unknown): Result<T> {
  const code = problemCode(body);
  const problem = (body ?? {}) as { reason?: unknown; detail?: unknown };
  switch (code) {
    case 'invalid_email':
      return fail(AccountError.InvalidEmail);
    case 'weak_password':
      return fail(AccountError.WeakPassword, typeof problem.detail === 'string' ? problem.detail : undefined, {
        reason: problem.reason,
      });
    case 'email_taken':
      return fail(AccountError.EmailTaken);
    case 'invalid_credentials':
      return fail(AccountError.InvalidCredentials);
    case 'credential_not_found':
      return fail(AccountError.UserNotFound);
    case 'rate_limited': {
      const seconds = Number(response.headers.get('retry-after') ?? '60');
      return {
        ok: false,
        failure: { error: AccountError.RateLimited, retryAfterSeconds: Number.isFinite(seconds) ? seconds : 60 },
      };
    }
    case undefined:
    default:
      throw new DependencyError('auth', response.status, code ?? 'unexpected answer');
  }
}

export function createAuthClient(options: {
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}): AuthClient {
  const client = createServiceClient<paths>(options);
  const addressHeader = (clientAddress: string) => ({ 'x-client-address': clientAddress });
  const userPath = (userId: string) => ({ path: { userId } });

  return {
    async createCredential(email, password) {
      const { data, error, response } = await client.POST('/v1/credentials', { body: { email, password } });
      if (response.status === 201 && data !== undefined) return succeed({ userId: data.userId, email: data.email });
      return failureOf(response, error);
    },
    async authenticate(email, password, clientAddress) {
      const { data, error, response } = await client.POST('/v1/authenticate', {
        body: { email, password },
        headers: addressHeader(clientAddress),
      });
      if (response.status === 200 && data !== undefined) return succeed({ userId: data.userId });
      return failureOf(response, error);
    },
    async changePassword(userId, currentPassword, newPassword, clientAddress) {
      const { error, response } = await client.PUT('/v1/credentials/{userId}/password', {
        params: userPath(userId),
        body: { currentPassword, newPassword },
        headers: addressHeader(clientAddress),
      });
      if (response.status === 204) return succeed(null);
      return failureOf(response, error);
    },
    async changeEmail(userId, password, email, clientAddress) {
      const { data, error, response } = await client.PUT('/v1/credentials/{userId}/email', {
        params: userPath(userId),
        body: { password, email },
        headers: addressHeader(clientAddress),
      });
      if (response.status === 200 && data !== undefined) return succeed({ email: data.email });
      return failureOf(response, error);
    },
    async deleteCredential(userId) {
      const { error, response } = await client.DELETE('/v1/credentials/{userId}', { params: userPath(userId) });
      if (response.status === 204) return succeed(null);
      return failureOf(response, error);
    },
    ping: () => serviceIsReady(options.baseUrl, options.fetch === undefined ? {} : { fetch: options.fetch }),
  };
}
