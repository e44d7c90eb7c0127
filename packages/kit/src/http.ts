/**
 * The HTTP server every service starts from: Fastify with TypeBox schemas
 * (validation and OpenAPI from one source), request ids, a body size limit,
 * health and metrics routes, trace context from `traceparent`, and one error
 * handler that answers every failure as an RFC 9457 problem document without
 * a stack trace.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { context, SpanKind, trace, type Span } from '@opentelemetry/api';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Registry, Histogram } from 'prom-client';
import { createValidationPolicy, pathOf, securityHeaders } from './http-policy';
import { HttpProblem, problemTypeBase, type ProblemDocument } from './problem';
import { extractContext, markFailed, tracer } from './tracing';
import { processRegistry } from './metrics';

export type HttpServer = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  Logger,
  TypeBoxTypeProvider
>;

export interface HttpServerOptions {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly logger: Logger;
  /** Largest accepted request body. Default 1 MiB. */
  readonly bodyLimitBytes?: number;
  /** Named readiness checks, each true when its dependency answers. */
  readonly readiness: Readonly<Record<string, () => Promise<boolean> | boolean>>;
  /** The service's own metrics; process metrics are added. */
  readonly registry?: Registry;
  /** Extra OpenAPI security schemes, e.g. an API key header. */
  readonly securitySchemes?: Record<string, { type: 'apiKey'; in: 'header'; name: string } | { type: 'http'; scheme: string; bearerFormat?: string }>;
  /** The service is reached over TLS (its cookies are Secure): answers carry Strict-Transport-Security. */
  readonly hsts?: boolean;
  /** What a readiness check talks to, e.g. `{ hot_store: 'memory' }`; shown by /health/ready as `kinds`. */
  readonly readinessKinds?: Readonly<Record<string, string>>;
}

declare module 'fastify' {
  interface FastifyRequest {
    span: Span | undefined;
  }
}

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const headers = securityHeaders({ hsts: options.hsts ?? false });
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
    },
    // A huge header (431) or a broken request line never reaches a route: answer a problem document too.
    clientErrorHandler: (error, socket) => answerClientError(error, socket, headers),
    // A path that is not valid %-encoding (FST_ERR_BAD_URL) and the like.
    frameworkErrors: (error, request, reply) => {
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
      const code = error.code === 'FST_ERR_BAD_URL' ? 'bad_url' : 'bad_request';
      // Answered before the route's hooks: set the headers here.
      for (const [name, value] of headers) void reply.header(name, value);
      void sendProblem(reply, request, {
        type: `${problemTypeBase}${code}`,
        title: code === 'bad_url' ? 'The request path is not valid' : 'Bad request',
        status,
        code,
        detail: code === 'bad_url' ? 'the path is not valid percent-encoding' : error.message,
      });
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as HttpServer;

  const policy = createValidationPolicy();
  app.setValidatorCompiler(({ schema, httpPart }) => policy.compile({ schema, ...(httpPart === undefined ? {} : { httpPart }) }));
  app.addHook('onSend', (_request, reply, _payload, done) => {
    for (const [name, value] of headers) if (!reply.hasHeader(name)) void reply.header(name, value);
    done();
  });
  installTracing(app);
  installErrorHandling(app);
  await app.register(swagger, {
    openapi: {
      info: { title: options.name, version: options.version, description: options.description },
      components: { securitySchemes: options.securitySchemes ?? {} },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  installOperationalRoutes(app, options);
  return app;
}

function installTracing(app: HttpServer): void {
  app.decorateRequest('span', undefined);
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    const parent = extractContext(request.headers);
    request.span = tracer.startSpan(
      `HTTP ${request.method}`,
      { kind: SpanKind.SERVER, attributes: { 'http.method': request.method, 'http.target': pathOf(request.url) } },
      parent,
    );
  });
  // The handler runs synchronously after the last preHandler calls done(), so
  // it (and all it awaits) sees the request span as the active one.
  app.addHook('preHandler', (request, _reply, done) => {
    const span = request.span;
    if (span === undefined) return done();
    context.with(trace.setSpan(context.active(), span), done);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    // Named `METHOD /route` (OpenTelemetry's convention): low cardinality, and says which route ran.
    if (route !== undefined) request.span?.updateName(`${request.method} ${route}`).setAttribute('http.route', route);
    request.span?.setAttribute('http.status_code', reply.statusCode);
    request.span?.end();
  });
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: ProblemDocument): FastifyReply {
  // The path only: a query string may carry a token, and a problem document gets logged and shown.
  return reply.status(problem.status).type('application/problem+json').send({ ...problem, instance: pathOf(request.url) });
}

function installErrorHandling(app: HttpServer): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpProblem) return sendProblem(reply, request, error.toDocument());
    if (error.validation !== undefined) {
      return sendProblem(reply, request, {
        type: `${problemTypeBase}invalid_request`,
        title: 'The request is not valid',
        status: 400,
        code: 'invalid_request',
        detail: error.message,
        errors: error.validation.map((issue) => ({
          path: `${error.validationContext ?? ''}${issue.instancePath}`,
          message: issue.message ?? 'invalid',
        })),
      });
    }
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      const code = clientErrorCode(error, status);
      return sendProblem(reply, request, {
        type: `${problemTypeBase}${code}`,
        title: clientErrorTitle(code),
        status,
        code,
        detail: error.message,
      });
    }
    if (request.span !== undefined) markFailed(request.span, error);
    request.log.error({ err: error }, 'unexpected error');
    return sendProblem(reply, request, {
      type: `${problemTypeBase}internal_error`,
      title: 'Internal error',
      status: 500,
      code: 'internal_error',
      detail: `The request failed; quote request id ${request.id} when reporting it.`,
    });
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, {
      type: `${problemTypeBase}not_found`,
      title: 'Not found',
      status: 404,
      code: 'not_found',
      detail: `No route ${request.method} ${pathOf(request.url)}`,
    }),
  );
}

/**
 * Answers an error Node's HTTP parser raised before Fastify saw a request
 * (a header section over the limit is 431, a malformed request 400) with a
 * problem document and the usual headers, then closes the connection.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex, headers: readonly (readonly [string, string])[]): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const kind =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? { status: 431, code: 'headers_too_large', reason: 'Request Header Fields Too Large', title: 'The request headers are too large', detail: 'the request header section is over the server limit' }
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? { status: 408, code: 'request_timeout', reason: 'Request Timeout', title: 'The request took too long', detail: 'the request did not arrive in time' }
        : { status: 400, code: 'bad_request', reason: 'Bad Request', title: 'Bad request', detail: 'the request could not be parsed' };
  const body = JSON.stringify({
    type: `${problemTypeBase}${kind.code}`,
    title: kind.title,
    status: kind.status,
    code: kind.code,
    detail: kind.detail,
  });
  const lines = [
    `HTTP/1.1 ${kind.status} ${kind.reason}`,
    'Content-Type: application/problem+json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...headers.map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

function clientErrorCode(error: FastifyError, status: number): string {
  if (status === 413) return 'payload_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) return 'malformed_json';
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'malformed_json';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  return 'bad_request';
}

function clientErrorTitle(code: string): string {
  switch (code) {
    case 'payload_too_large':
      return 'The request body is too large';
    case 'unsupported_media_type':
      return 'Unsupported content type';
    case 'malformed_json':
      return 'The request body is not valid JSON';
    case 'not_found':
      return 'Not found';
    case 'rate_limited':
      return 'Too many requests';
    default:
      return 'Bad request';
  }
}

function installOperationalRoutes(app: HttpServer, options: HttpServerOptions): void {
  const registry = options.registry ?? new Registry();
  const durations = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    durations.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unknown', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  const hidden = { schema: { hide: true }, logLevel: 'warn' as const };
  app.get('/health/live', hidden, () => Promise.resolve({ status: 'ok' }));
  app.get('/health/ready', hidden, async (_request, reply) => {
    const checks: Record<string, 'ok' | 'failing'> = {};
    for (const [name, check] of Object.entries(options.readiness)) {
      let ok = false;
      try {
        ok = await check();
      } catch {
        ok = false;
      }
      checks[name] = ok ? 'ok' : 'failing';
    }
    const ready = Object.values(checks).every((state) => state === 'ok');
    const kinds = options.readinessKinds;
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', checks, ...(kinds === undefined ? {} : { kinds }) });
  });
  app.get('/metrics', hidden, async (_request, reply) => {
    const merged = Registry.merge([processRegistry(), registry]);
    return reply.type(merged.contentType).send(await merged.metrics());
  });
}
