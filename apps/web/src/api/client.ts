/**
 * The one API client: generated types (schema.d.ts, from docs/openapi/gateway.json)
 * used through openapi-fetch. The access token lives in this module's memory
 * only; the refresh token is the gateway's HttpOnly cookie, which script never sees.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

export type Paths = paths;
export type SessionBody = paths['/v1/auth/login']['post']['responses'][200]['content']['application/json'];
export type User = SessionBody['user'];
export type Tier = User['tier'];
export type KycView = paths['/v1/kyc']['get']['responses'][200]['content']['application/json'];
export type Submission = KycView['level2'][number];
export type UploadedDocument = paths['/v1/kyc/documents']['post']['responses'][201]['content']['application/json'];
export type HistoryEntry =
  paths['/v1/accounts/{asset}/history']['get']['responses'][200]['content']['application/json']['entries'][number];
export type HistoryQuery = NonNullable<paths['/v1/accounts/{asset}/history']['get']['parameters']['query']>;
export type TransferKind = NonNullable<HistoryQuery['code']>;
export type DocumentType = Submission['documentType'];
/** An RFC 9457 problem document as the gateway sends it. */
export type Problem = paths['/v1/auth/register']['post']['responses'][400]['content']['application/json'];

let accessToken: string | undefined;
let onUnauthorized: (() => void) | undefined;

export function setAccessToken(token: string | undefined): void {
  accessToken = token;
}

export function getAccessToken(): string | undefined {
  return accessToken;
}

/** Called when the gateway answers 401 to a signed-in request (session revoked or expired). */
export function setUnauthorizedHandler(handler: (() => void) | undefined): void {
  onUnauthorized = handler;
}

const auth: Middleware = {
  onRequest({ request }) {
    if (accessToken !== undefined && !request.headers.has('authorization'))
      request.headers.set('authorization', `Bearer ${accessToken}`);
    return request;
  },
  async onResponse({ request, response }) {
    const path = new URL(request.url).pathname;
    if (response.status !== 401 || accessToken === undefined || path.startsWith('/v1/auth/')) return response;
    // A wrong password is also 401 (invalid_credentials); only a refused token ends the session.
    const body = (await response
      .clone()
      .json()
      .catch(() => undefined)) as { code?: unknown } | undefined;
    if (body?.code === 'unauthenticated' || body?.code === 'invalid_token') onUnauthorized?.();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? '', credentials: 'same-origin' });
api.use(auth);
