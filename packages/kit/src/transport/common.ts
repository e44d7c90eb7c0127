/**
 * What both transports share, so that RabbitMQ and the in-process transport
 * cannot drift apart: queue spec defaults and bounds, the retry and
 * dead-letter policy (which headers a retried or dead-lettered message
 * carries), body encoding, trace propagation and consumer spans, and the
 * batcher behind `consumeBatch`.
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
  type TextMapGetter,
} from '@opentelemetry/api';
import type { Logger } from 'pino';
import {
  DeadLetterError,
  type BatchConsumeOptions,
  type BatchHandler,
  type BatchOutcome,
  type Delivery,
  type Headers,
  type HeaderValue,
  type QueueBinding,
  type QueueSpec,
} from './types';

/** Headers the transport writes; consumers of a dead-letter queue read them. */
export const transportHeader = {
  deathReason: 'x-t50-death-reason',
  originalExchange: 'x-t50-original-exchange',
  originalRoutingKey: 'x-t50-original-routing-key',
  originalQueue: 'x-t50-original-queue',
  attempt: 'x-t50-attempt',
} as const;

export const defaultMaxAttempts = 5;
export const defaultRetryDelaysMs: readonly number[] = [200, 1000, 5000];
export const defaultPrefetch = 10;

// Limits: every queue, batch and wait in the transports is bounded by these.
export const maxPrefetch = 10_000;
export const maxBatchMessages = 10_000;
export const maxBatchWaitMs = 60_000;
const maxAttemptsLimit = 100;
const maxRetryDelayMs = 24 * 60 * 60 * 1000;
const maxRetryDelayCount = 20;
const maxBindingCount = 100;
/** AMQP names are at most 255 bytes; leave room for the `.retry.<ms>ms` and `.dead` suffixes. */
const maxQueueNameLength = 200;
/** A death reason is a header: keep it small (and never a whole message body). */
const maxReasonLength = 500;
/**
 * A handler that fails on a dead letter puts it back after this pause: the
 * dead-letter queue has no retry queues of its own, and an immediate requeue
 * would spin.
 */
export const deadLetterRequeuePauseMs = 1_000;
/** Links from a batch span to the other messages' traces; more adds cost, not insight. */
const maxBatchSpanLinks = 64;

/** A queue spec with its defaults applied and its limits checked. */
export interface ResolvedQueueSpec {
  readonly name: string;
  readonly bindings: readonly QueueBinding[];
  readonly maxAttempts: number;
  readonly retryDelaysMs: readonly number[];
  readonly singleActiveConsumer: boolean;
  readonly exclusive: boolean;
}

export function resolveQueueSpec(spec: QueueSpec): ResolvedQueueSpec {
  const name = spec.name;
  if (name === '' || name.length > maxQueueNameLength)
    throw new RangeError(`queue name must have 1..${maxQueueNameLength} characters: '${name}'`);
  const bindings = spec.bindings ?? [];
  if (bindings.length > maxBindingCount) throw new RangeError(`queue ${name}: at most ${maxBindingCount} bindings`);
  const maxAttempts = spec.maxAttempts ?? defaultMaxAttempts;
  assertInteger(`queue ${name}: maxAttempts`, maxAttempts, 1, maxAttemptsLimit);
  const retryDelaysMs = spec.retryDelaysMs ?? defaultRetryDelaysMs;
  if (retryDelaysMs.length === 0 || retryDelaysMs.length > maxRetryDelayCount) {
    throw new RangeError(`queue ${name}: retryDelaysMs needs 1..${maxRetryDelayCount} values`);
  }
  for (const delayMs of retryDelaysMs) assertInteger(`queue ${name}: retry delay`, delayMs, 1, maxRetryDelayMs);
  const singleActiveConsumer = spec.singleActiveConsumer ?? false;
  const exclusive = spec.exclusive ?? false;
  if (exclusive && singleActiveConsumer)
    throw new RangeError(`queue ${name}: an exclusive queue has one owner; singleActiveConsumer makes no sense`);
  return { name, bindings, maxAttempts, retryDelaysMs, singleActiveConsumer, exclusive };
}

export function resolvePrefetch(prefetch: number | undefined, fallback: number): number {
  const value = prefetch ?? fallback;
  assertInteger('prefetch', value, 1, maxPrefetch);
  return value;
}

export function checkBatchOptions(options: BatchConsumeOptions): void {
  assertInteger('maxMessages', options.maxMessages, 1, maxBatchMessages);
  assertInteger('maxWaitMs', options.maxWaitMs, 0, maxBatchWaitMs);
}

function assertInteger(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`${what} must be an integer in ${min}..${max}, got ${value}`);
}

/** The distinct retry delays: one delay queue each. */
export const distinctRetryDelays = (spec: ResolvedQueueSpec): number[] =>
  [...new Set(spec.retryDelaysMs)].sort((a, b) => a - b);

export const retryQueueName = (queue: string, delayMs: number): string => `${queue}.retry.${delayMs}ms`;

/** Delay before the retry that follows failed attempt `attempt` (1-based); the last delay repeats. */
export function retryDelayAfter(spec: ResolvedQueueSpec, attempt: number): number {
  const index = Math.min(Math.max(attempt, 1), spec.retryDelaysMs.length) - 1;
  const delayMs = spec.retryDelaysMs[index];
  if (delayMs === undefined) throw new Error(`queue ${spec.name}: no retry delay (resolveQueueSpec guarantees one)`);
  return delayMs;
}

/** What to do with a delivery whose handler failed. */
export type FailurePlan =
  | { readonly kind: 'retry'; readonly delayMs: number; readonly headers: Headers }
  | { readonly kind: 'dead-letter'; readonly reason: string; readonly headers: Headers };

/**
 * A `DeadLetterError` (when `honourDeadLetterError`) dead-letters at once; any
 * other failure retries through the delay for this attempt until `maxAttempts`.
 * A batch handler that throws passes false: one bad message must not
 * dead-letter its whole batch, so a throwing batch is always retried.
 */
export function planFailure(
  spec: ResolvedQueueSpec,
  delivery: Delivery,
  error: unknown,
  honourDeadLetterError: boolean,
): FailurePlan {
  const reason = reasonOf(error);
  if (honourDeadLetterError && error instanceof DeadLetterError) return planDeadLetter(spec.name, delivery, reason);
  if (delivery.attempt >= spec.maxAttempts) return planDeadLetter(spec.name, delivery, reason);
  return {
    kind: 'retry',
    delayMs: retryDelayAfter(spec, delivery.attempt),
    // The retried message comes back through the default exchange: the
    // original exchange and routing key travel in headers so the next
    // Delivery still reports them.
    headers: {
      ...delivery.headers,
      [transportHeader.attempt]: delivery.attempt + 1,
      [transportHeader.originalExchange]: delivery.exchange,
      [transportHeader.originalRoutingKey]: delivery.routingKey,
    },
  };
}

export function planDeadLetter(queue: string, delivery: Delivery, reason: string): FailurePlan {
  const boundedReason = reason.slice(0, maxReasonLength);
  return {
    kind: 'dead-letter',
    reason: boundedReason,
    headers: {
      ...delivery.headers,
      [transportHeader.deathReason]: boundedReason,
      [transportHeader.originalExchange]: delivery.exchange,
      [transportHeader.originalRoutingKey]: delivery.routingKey,
      [transportHeader.originalQueue]: queue,
      [transportHeader.attempt]: delivery.attempt,
    },
  };
}

function reasonOf(error: unknown): string {
  if (error instanceof Error) return error.message === '' ? error.name : error.message;
  return String(error);
}

/**
 * What a log line may say about a handler's error. Malformed input is the
 * usual cause of a DeadLetterError or a SyntaxError, and their messages often
 * quote the input (JSON.parse does): log only their name, never a body.
 */
export function describeErrorForLog(error: unknown): { error: string; message?: string } {
  if (!(error instanceof Error)) return { error: typeof error };
  if (error instanceof DeadLetterError || error instanceof SyntaxError) return { error: error.name };
  return { error: error.name, message: error.message.slice(0, maxReasonLength) };
}

/** The attempt, exchange and routing key a delivery reports (a retried message carries the originals in headers). */
export function readDeliveryRoute(
  headers: Headers,
  exchange: string,
  routingKey: string,
): { attempt: number; exchange: string; routingKey: string } {
  const attempt = headers[transportHeader.attempt];
  const originalExchange = headers[transportHeader.originalExchange];
  const originalRoutingKey = headers[transportHeader.originalRoutingKey];
  return {
    attempt: typeof attempt === 'number' && Number.isInteger(attempt) && attempt >= 1 ? attempt : 1,
    exchange: typeof originalExchange === 'string' ? originalExchange : exchange,
    routingKey: typeof originalRoutingKey === 'string' ? originalRoutingKey : routingKey,
  };
}

/** A Buffer is sent as is; anything else as JSON. */
export function encodeBody(body: unknown): { bytes: Buffer; json: boolean } {
  if (Buffer.isBuffer(body)) return { bytes: body, json: false };
  const text = JSON.stringify(body) as string | undefined;
  if (text === undefined) throw new TypeError('message body cannot be encoded as JSON');
  return { bytes: Buffer.from(text, 'utf8'), json: true };
}

/** The caller's headers plus the W3C trace context of the active span. */
export function outgoingHeaders(headers: Headers | undefined): Headers {
  const carrier: Record<string, HeaderValue> = { ...headers };
  propagation.inject(context.active(), carrier);
  return carrier;
}

export const isHeaderValue = (value: unknown): value is HeaderValue =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

// Only string headers can carry a trace context; ignore anything else.
const headerGetter: TextMapGetter<Headers> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    return typeof value === 'string' ? value : undefined;
  },
};

/**
 * The trace context a delivery carries. A batch handler that wants a span per
 * message uses it as that span's parent.
 */
export const deliveryContext = (delivery: Pick<Delivery, 'headers'>): Context =>
  propagation.extract(ROOT_CONTEXT, delivery.headers, headerGetter);

const tracer = trace.getTracer('t50-transport');

/** Runs `work` in a consumer span that continues the publisher's trace, so the handler's queries join it. */
export async function runInConsumerSpan<T>(queue: string, delivery: Delivery, work: () => Promise<T>): Promise<T> {
  const parent = deliveryContext(delivery);
  const span = tracer.startSpan(
    `${queue} process`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'rabbitmq',
        'messaging.operation.type': 'process',
        'messaging.destination.name': queue,
        'messaging.message.id': delivery.messageId ?? '',
        'messaging.rabbitmq.destination.routing_key': delivery.routingKey,
        't50.attempt': delivery.attempt,
      },
    },
    parent,
  );
  return endSpanAfter(span, () => context.with(trace.setSpan(parent, span), work));
}

/**
 * One span per batch. Its parent is the first message's trace (a batch of one,
 * the common case at low load, keeps one unbroken trace); the others are links.
 */
export async function runInBatchSpan<T>(
  queue: string,
  deliveries: readonly Delivery[],
  work: () => Promise<T>,
): Promise<T> {
  const first = deliveries[0];
  const parent = first === undefined ? ROOT_CONTEXT : deliveryContext(first);
  const span = tracer.startSpan(
    `${queue} process`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'rabbitmq',
        'messaging.operation.type': 'process',
        'messaging.destination.name': queue,
        'messaging.batch.message_count': deliveries.length,
      },
    },
    parent,
  );
  // Extracting contexts costs; only a recording span keeps links.
  if (span.isRecording()) span.addLinks(batchLinks(deliveries));
  return endSpanAfter(span, () => context.with(trace.setSpan(parent, span), work));
}

function batchLinks(deliveries: readonly Delivery[]): Link[] {
  const links: Link[] = [];
  for (const delivery of deliveries.slice(1, 1 + maxBatchSpanLinks)) {
    const spanContext = trace.getSpanContext(deliveryContext(delivery));
    if (spanContext !== undefined) links.push({ context: spanContext });
  }
  return links;
}

async function endSpanAfter<T>(span: ReturnType<typeof tracer.startSpan>, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: describeErrorForLog(error).error });
    throw error;
  } finally {
    span.end();
  }
}

export interface BatcherOptions<T> {
  readonly maxMessages: number;
  readonly maxWaitMs: number;
  /** Handles one batch; must not reject (the batcher cannot settle anything itself). */
  readonly run: (batch: T[]) => Promise<void>;
}

/**
 * Collects items into batches of up to `maxMessages`, or fewer once
 * `maxWaitMs` passed since the first item of the batch arrived, and runs them
 * strictly one after another: never two batches in flight. Items that arrive
 * while a batch runs wait for the next one; the consumer's prefetch bounds
 * how many can wait.
 */
export class Batcher<T> {
  readonly #options: BatcherOptions<T>;
  #pending: T[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** The pending items' wait is over (or a full batch is ready). */
  #due = false;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(options: BatcherOptions<T>) {
    this.#options = options;
  }

  /** False once closed: the caller gives the item back to its queue. */
  push(item: T): boolean {
    if (this.#closed) return false;
    this.#pending.push(item);
    if (this.#pending.length >= this.#options.maxMessages) this.#due = true;
    else if (this.#timer === undefined && !this.#due) this.#startTimer();
    this.#kick();
    return true;
  }

  /** Stops batching. Returns the items no batch took (to give back) and the end of the running batch. */
  close(): { unstarted: T[]; idle: Promise<void> } {
    this.#closed = true;
    this.#clearTimer();
    const unstarted = this.#pending;
    this.#pending = [];
    return { unstarted, idle: this.#running ?? Promise.resolve() };
  }

  #startTimer(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#due = true;
      this.#kick();
    }, this.#options.maxWaitMs);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #kick(): void {
    if (this.#running !== undefined || this.#closed || !this.#due || this.#pending.length === 0) return;
    const batch = this.#pending.splice(0, this.#options.maxMessages);
    this.#clearTimer();
    this.#due = this.#pending.length >= this.#options.maxMessages;
    // Items left over arrived while the previous batch ran: their wait starts now.
    if (this.#pending.length > 0 && !this.#due) this.#startTimer();
    this.#running = this.#options.run(batch).finally(() => {
      this.#running = undefined;
      this.#kick();
    });
  }
}

/**
 * The handler must answer once per delivery with a known outcome: anything
 * else is a bug, treated as a failed batch (retried), never as an ack.
 */
export function checkOutcomes(outcomes: unknown, batchSize: number): asserts outcomes is readonly BatchOutcome[] {
  if (!Array.isArray(outcomes)) throw new TypeError('batch handler must return an array of outcomes');
  if (outcomes.length !== batchSize)
    throw new Error(`batch handler returned ${outcomes.length} outcomes for ${batchSize} deliveries`);
  for (const outcome of outcomes as unknown[]) {
    if (!isOutcome(outcome)) throw new TypeError('batch handler returned an invalid outcome');
  }
}

function isOutcome(value: unknown): value is BatchOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const outcome = value as { kind?: unknown; reason?: unknown };
  return (
    outcome.kind === 'ack' ||
    outcome.kind === 'give-back' ||
    ((outcome.kind === 'dead-letter' || outcome.kind === 'retry') && typeof outcome.reason === 'string')
  );
}

/** How a transport settles the items of a batch (each item is one delivery). */
export interface BatchSettler<T> {
  delivery(item: T): Delivery;
  ack(item: T): void;
  deadLetter(item: T, reason: string): Promise<void>;
  /** The retry path: every item of a batch whose handler failed, or an item whose outcome is `retry`. */
  retry(item: T, error: Error): Promise<void>;
  /** Back to the queue unprocessed (redelivered later). */
  giveBack(item: T): void;
}

/** Runs one batch and settles each item; never rejects (the batcher cannot settle anything). */
export async function runBatch<T>(
  queue: string,
  batch: readonly T[],
  handler: BatchHandler,
  settler: BatchSettler<T>,
  logger: Logger,
): Promise<void> {
  try {
    const outcomes = await handleBatch(
      queue,
      batch.map((item) => settler.delivery(item)),
      handler,
    );
    if (outcomes instanceof Error) {
      await Promise.all(batch.map((item) => settler.retry(item, outcomes)));
      return;
    }
    await Promise.all(batch.map((item, index) => settleOutcome(item, outcomes[index], settler)));
  } catch (error) {
    // A bug in settling: give every unsettled item back (settlers ignore a second settle).
    logger.error({ err: error, queue }, 'settling a batch failed; giving it back to the queue');
    for (const item of batch) settler.giveBack(item);
  }
}

/** The handler's outcomes, or its error (a throw or invalid outcomes). */
async function handleBatch(
  queue: string,
  deliveries: readonly Delivery[],
  handler: BatchHandler,
): Promise<readonly BatchOutcome[] | Error> {
  try {
    const outcomes = await runInBatchSpan(queue, deliveries, () => handler(deliveries));
    checkOutcomes(outcomes, deliveries.length);
    return outcomes;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

async function settleOutcome<T>(item: T, outcome: BatchOutcome | undefined, settler: BatchSettler<T>): Promise<void> {
  if (outcome === undefined) throw new Error('missing outcome (checkOutcomes guarantees one)');
  switch (outcome.kind) {
    case 'ack':
      settler.ack(item);
      return;
    case 'dead-letter':
      await settler.deadLetter(item, outcome.reason);
      return;
    case 'retry':
      await settler.retry(item, new Error(outcome.reason));
      return;
    case 'give-back':
      settler.giveBack(item);
      return;
  }
}

export { sleep } from '../timing';
