/**
 * The auth service's HTTP API, as the gateway uses it (services/auth/README.md).
 * Its expected failures come back as the gateway's own failure values; anything
 * else (5xx, an unknown code, a refused API key) throws a DependencyError.
 */
import { fail, GatewayError, succeed, type Result } from '../errors';
import { createJsonCaller, DependencyError, problemCode, type JsonReply } from './http-json';

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

export function createAuthClient(options: {
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}): AuthClient {
  const caller = createJsonCaller(options);
  const addressHeader = (clientAddress: string) => ({ 'x-client-address': clientAddress });

  /** Maps the auth service's expected failures; throws for everything else. */
  function failureOf<T>(reply: JsonReply): Result<T> {
    const code = problemCode(reply.body);
    const body = reply.body as { reason?: unknown; detail?: unknown };
    switch (code) {
      case 'invalid_email':
        return fail(GatewayError.InvalidEmail);
      case 'weak_password':
        return fail(GatewayError.WeakPassword, typeof body.detail === 'string' ? body.detail : undefined, {
          reason: body.reason,
        });
      case 'email_taken':
        return fail(GatewayError.EmailTaken);
      case 'invalid_credentials':
        return fail(GatewayError.InvalidCredentials);
      case 'credential_not_found':
        return fail(GatewayError.UserNotFound);
      case 'rate_limited': {
        const seconds = Number(reply.headers.get('retry-after') ?? '60');
        return {
          ok: false,
          failure: { error: GatewayError.RateLimited, retryAfterSeconds: Number.isFinite(seconds) ? seconds : 60 },
        };
      }
      case undefined:
      default:
        throw new DependencyError('auth', reply.status, code ?? 'unexpected answer');
    }
  }

  return {
    async createCredential(email, password) {
      const reply = await caller.call('POST', '/v1/credentials', { body: { email, password } });
      if (reply.status === 201) return succeed(reply.body as { userId: string; email: string });
      return failureOf(reply);
    },
    async authenticate(email, password, clientAddress) {
      const reply = await caller.call('POST', '/v1/authenticate', {
        body: { email, password },
        headers: addressHeader(clientAddress),
      });
      if (reply.status === 200) return succeed(reply.body as { userId: string });
      return failureOf(reply);
    },
    async changePassword(userId, currentPassword, newPassword, clientAddress) {
      const reply = await caller.call('PUT', `/v1/credentials/${encodeURIComponent(userId)}/password`, {
        body: { currentPassword, newPassword },
        headers: addressHeader(clientAddress),
      });
      if (reply.status === 204) return succeed(null);
      return failureOf(reply);
    },
    async changeEmail(userId, password, email, clientAddress) {
      const reply = await caller.call('PUT', `/v1/credentials/${encodeURIComponent(userId)}/email`, {
        body: { password, email },
        headers: addressHeader(clientAddress),
      });
      if (reply.status === 200) return succeed(reply.body as { email: string });
      return failureOf(reply);
    },
    async deleteCredential(userId) {
      const reply = await caller.call('DELETE', `/v1/credentials/${encodeURIComponent(userId)}`);
      if (reply.status === 204) return succeed(null);
      return failureOf(reply);
    },
    async ping() {
      try {
        const reply = await caller.call('GET', '/health/ready');
        return reply.status === 200;
      } catch {
        return false;
      }
    },
  };
}
