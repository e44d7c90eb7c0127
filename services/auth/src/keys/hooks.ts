/**
 * Every /v1 request must carry a valid service API key in `x-api-key`. The check
 * runs at onRequest, before the body is read, so an unknown caller cannot make
 * the service parse or hash anything.
 */
import { HttpProblem, type HttpServer } from '@t50/kit';
import type { ApiKeyCaller, ApiKeyService } from './service';

export const apiKeyHeader = 'x-api-key';
export const apiKeySecurityScheme = { type: 'apiKey', in: 'header', name: apiKeyHeader } as const;
/** The route-level OpenAPI requirement. */
export const apiKeySecurity = [{ apiKey: [] }];

declare module 'fastify' {
  interface FastifyRequest {
    caller: ApiKeyCaller | undefined;
  }
}

export type KeyRejection = 'missing' | 'invalid';

export function requireApiKey(
  scope: HttpServer,
  keys: ApiKeyService,
  onRejected: (reason: KeyRejection) => void,
): void {
  scope.decorateRequest('caller', undefined);
  scope.addHook('onRequest', async (request) => {
    const presented = request.headers[apiKeyHeader];
    if (typeof presented !== 'string' || presented === '') {
      onRejected('missing');
      throw new HttpProblem(
        401,
        'missing_api_key',
        'An API key is required',
        `Send a service API key in the ${apiKeyHeader} header.`,
      );
    }
    const caller = await keys.authenticate(presented);
    if (caller === undefined) {
      onRejected('invalid');
      throw new HttpProblem(
        401,
        'invalid_api_key',
        'The API key is not valid',
        'The key is unknown, malformed or revoked.',
      );
    }
    request.caller = caller;
    request.log = request.log.child({ caller: caller.name, keyPrefix: caller.prefix });
  });
}
