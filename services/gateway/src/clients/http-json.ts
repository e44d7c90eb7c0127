/**
 * A small JSON-over-HTTP caller for the services the gateway depends on: a
 * timeout on every call, the W3C trace context passed on, and the answer as
 * status + parsed body (problem documents included), never an exception for a
 * 4xx. A network failure or a timeout throws.
 */
import { context, propagation } from '@opentelemetry/api';

export interface JsonReply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

export interface JsonCaller {
  call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    options?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<JsonReply>;
}

export function createJsonCaller(options: {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly timeoutMs?: number;
  /** Default the global fetch; embedded mode may route calls to an in-process app instead of a socket. */
  readonly fetch?: typeof fetch;
}): JsonCaller {
  const fetchImpl = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    async call(method, path, callOptions = {}) {
      const headers: Record<string, string> = {
        'x-api-key': options.apiKey,
        accept: 'application/json',
        ...callOptions.headers,
      };
      propagation.inject(context.active(), headers);
      let payload: string | undefined;
      if (callOptions.body !== undefined) {
        payload = JSON.stringify(callOptions.body);
        headers['content-type'] = 'application/json';
      }
      let response: Response;
      try {
        response = await fetchImpl(`${base}${path}`, {
          method,
          headers,
          ...(payload === undefined ? {} : { body: payload }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        // fetch quotes an invalid header value in its message (an API key with a line break in it):
        // that message would carry the key into the logs.
        if (error instanceof TypeError && /header/i.test(error.message)) {
          throw new Error(`${method} ${base}: a request header value is not valid (not shown)`);
        }
        throw error;
      }
      const text = await response.text();
      let body: unknown;
      if (text !== '') {
        try {
          body = JSON.parse(text) as unknown;
        } catch {
          body = text;
        }
      }
      return { status: response.status, headers: response.headers, body };
    },
  };
}

/** The `code` of a problem document, if the body is one. */
export function problemCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const code = (body as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

export class DependencyError extends Error {
  override readonly name = 'DependencyError';
  constructor(
    readonly dependency: string,
    readonly status: number,
    detail: string,
  ) {
    super(`${dependency} answered ${status}: ${detail}`);
  }
}
