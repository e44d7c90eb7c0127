/**
 * Structured logs (pino): one root logger per service, a child per request or
 * message. Every line carries the active trace id, and known secret fields are
 * redacted wherever they appear, so a careless `log.info({ body })` cannot leak
 * a password or a key.
 */
import { trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger } from 'pino';
import { pathOf } from './http-policy';
import { serializeError } from './log-errors';

export type { Logger } from 'pino';

const secretFields = [
  'password',
  'newPassword',
  'currentPassword',
  'passwordHash',
  'hash',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'apiKey',
  'key',
  'authorization',
  'cookie',
];

export const redactPaths = [
  ...secretFields,
  ...secretFields.map((field) => `*.${field}`),
  ...secretFields.map((field) => `*.*.${field}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

export interface LoggerOptions {
  readonly service: string;
  readonly level: string;
  /** Tests pass a stream to read what was logged. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.service,
      level: options.level,
      redact: { paths: redactPaths, censor: '[redacted]' },
      base: { service: options.service },
      // A request is logged by its path: a query string may carry a token or a key (`?access_token=`).
      // Errors without the data of a failed statement (query parameters, row values): log-errors.ts.
      serializers: { req: serializeRequest, err: serializeError },
      mixin() {
        const span = trace.getActiveSpan();
        if (span === undefined) return {};
        const spanContext = span.spanContext();
        return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
      },
    },
    options.destination,
  );
}

interface LoggedRequest {
  readonly method?: string;
  readonly url?: string;
  readonly host?: string;
  readonly ip?: string;
  readonly socket?: { readonly remotePort?: number } | null;
}

/** What a log line says about a request: never its query string or headers. */
export function serializeRequest(request: LoggedRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: pathOf(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
