/**
 * OpenTelemetry tracing. The W3C trace context always propagates (HTTP headers
 * in, AMQP headers out and in), so a trace id set at the edge survives every
 * hop; spans are recorded and exported over OTLP/HTTP only when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set (or a test passes its own exporter).
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export const tracer = trace.getTracer('t50');

// Propagation works even when nothing is recorded: the context manager carries
// the active trace context across awaits, the propagator reads and writes it.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

let provider: NodeTracerProvider | undefined;

export interface TracingOptions {
  readonly serviceName: string;
  /** OTLP/HTTP endpoint, e.g. http://127.0.0.1:4318. */
  readonly endpoint?: string;
  /** Tests: an in-memory exporter, flushed synchronously. */
  readonly exporter?: SpanExporter;
}

/** Starts recording spans if an endpoint or exporter is given. Returns a flush-and-stop function. */
export function initTracing(options: TracingOptions): () => Promise<void> {
  const processors: SpanProcessor[] = [];
  if (options.exporter !== undefined) processors.push(new SimpleSpanProcessor(options.exporter));
  if (options.endpoint !== undefined && options.endpoint !== '') {
    const url = new URL('/v1/traces', options.endpoint).toString();
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  }
  if (processors.length === 0 || provider !== undefined) return () => Promise.resolve();
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: processors,
  });
  // Context manager and propagator are registered above, once per process.
  trace.setGlobalTracerProvider(provider);
  const current = provider;
  return async () => {
    await current.shutdown();
    if (provider === current) {
      provider = undefined;
      trace.disable();
    }
  };
}

export const tracingEnabled = (): boolean => provider !== undefined;

/** Runs `work` in a child span of the active one when tracing records; costs nothing otherwise. */
export async function traced<T>(name: string, statement: string, work: () => Promise<T>): Promise<T> {
  if (provider === undefined) return work();
  return tracer.startActiveSpan(
    name,
    { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql', 'db.statement': statement.slice(0, 200) } },
    async (span) => {
      try {
        return await work();
      } catch (error) {
        markFailed(span, error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

export function markFailed(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** The trace context carried by a set of headers (HTTP or AMQP). */
export function extractContext(headers: Record<string, unknown>) {
  const carrier: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') carrier[name.toLowerCase()] = value;
  }
  return propagation.extract(context.active(), carrier);
}

/** Writes the active trace context (traceparent, tracestate) into `headers`. */
export function injectContext(headers: Record<string, unknown>): void {
  propagation.inject(context.active(), headers);
}
