/**
 * Request/reply over the `Transport` (RabbitMQ or in-process), for a caller
 * that needs an answer now (the gateway asking the payments service).
 *
 * Client: one exclusive reply queue per client (`QueueSpec.exclusive`: the
 * broker deletes it when the client's transport closes). `request` publishes
 * the envelope to the server's queue through the default exchange, with
 * `replyTo` = that queue, a fresh correlation id and a deadline header, and
 * resolves with the parsed JSON body of the reply that carries the same
 * correlation id. No reply within `timeoutMs`: `RequestTimeoutError`. A reply
 * that comes later, or answers nothing this client asked, is ignored (logged
 * at debug).
 *
 * Server: `serveRequests` consumes a queue and hands each request to the
 * handler as it came (the handler parses and validates it, and answers bad
 * input with a reply, not a throw); the value it returns is published to the
 * request's `replyTo` with its correlation id, and only then is the request
 * acked. A handler that throws is retried by the transport (so it must be
 * idempotent: the payments service keys its work on the request's ids), and
 * its reply, if any, comes late and is ignored. A request whose caller's
 * deadline has passed is dropped without calling the handler: nobody waits
 * for it, and doing it anyway (a payout after the user saw "unavailable")
 * would surprise. The deadline is the client's clock: fine for services on one
 * network with synchronised clocks.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DeadLetterError, type Delivery, type Headers, type Subscription, type Transport } from './transport';

/** Header of a request: the time (ms since the epoch) after which its client no longer waits. */
export const replyByHeader = 'x-t50-reply-by';

/** Requests one client waits for at once; more are refused at once (back-pressure, bounded memory). */
export const maxPendingRequests = 10_000;
const maxTimeoutMs = 5 * 60_000;

/** What `request` sends: an envelope (its `id` is the message id, its `type` the message type). */
export interface RequestEnvelope {
  readonly id: string;
  readonly type: string;
}

export interface RequestOptions {
  /** How long to wait for the reply: 1 ms .. 5 min. */
  readonly timeoutMs: number;
  /** Extra headers (the trace context travels by itself). */
  readonly headers?: Headers;
}

/** No reply came within the timeout (the server is down, slow, or lost the request). */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
  readonly queue: string;
  readonly timeoutMs: number;

  constructor(queue: string, timeoutMs: number) {
    super(`no reply from ${queue} within ${timeoutMs} ms`);
    this.queue = queue;
    this.timeoutMs = timeoutMs;
  }
}

/** The request could not be sent or its reply could not be read (publish failed, client closed, reply not JSON). */
export class RequestFailedError extends Error {
  override readonly name = 'RequestFailedError';
}

export interface RpcClient {
  /** The client's reply queue. */
  readonly replyQueue: string;
  /** Sends `envelope` to `queue`; resolves with the reply body (parsed JSON, unvalidated: check it against its schema). */
  request(queue: string, envelope: RequestEnvelope, options: RequestOptions): Promise<unknown>;
  /** Rejects what still waits (`RequestFailedError`) and stops consuming replies. */
  close(): Promise<void>;
}

export interface RpcClientOptions {
  readonly transport: Transport;
  readonly logger: Logger;
  /** The reply queue's prefix, e.g. the service name: `<prefix>.replies.<uuid>`. */
  readonly name: string;
}

interface Pending {
  readonly resolve: (body: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export async function createRpcClient(options: RpcClientOptions): Promise<RpcClient> {
  const { transport, logger } = options;
  const replyQueue = `${options.name}.replies.${randomUUID()}`;
  const pending = new Map<string, Pending>();
  let closed = false;

  const onReply = (delivery: Delivery): Promise<void> => {
    const correlationId = delivery.correlationId;
    const waiting = correlationId === undefined ? undefined : pending.get(correlationId);
    if (correlationId === undefined || waiting === undefined) {
      logger.debug({ correlationId, replyQueue }, 'reply ignored: nobody waits for it (late, or not ours)');
      return Promise.resolve();
    }
    pending.delete(correlationId);
    clearTimeout(waiting.timer);
    try {
      waiting.resolve(JSON.parse(delivery.body.toString('utf8')));
    } catch {
      waiting.reject(new RequestFailedError('the reply is not JSON'));
    }
    return Promise.resolve();
  };

  await transport.declareQueue({ name: replyQueue, exclusive: true });
  const subscription: Subscription = await transport.consume(replyQueue, onReply, { prefetch: 100 });

  const request = async (queue: string, envelope: RequestEnvelope, requestOptions: RequestOptions) => {
    const { timeoutMs } = requestOptions;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > maxTimeoutMs)
      throw new RangeError(`timeoutMs must be an integer in 1..${maxTimeoutMs}, got ${timeoutMs}`);
    if (closed) throw new RequestFailedError('the request client is closed');
    if (pending.size >= maxPendingRequests)
      throw new RequestFailedError(`${maxPendingRequests} requests already wait for their replies`);
    const correlationId = randomUUID();
    const replyBy = Date.now() + timeoutMs;
    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(correlationId);
        reject(new RequestTimeoutError(queue, timeoutMs));
      }, timeoutMs);
      pending.set(correlationId, { resolve, reject, timer });
    });
    // Observed at once: a timeout or close() may reject it while the publish below is still being confirmed.
    reply.catch(() => undefined);
    try {
      await transport.publish({
        exchange: '',
        routingKey: queue,
        body: envelope,
        messageId: envelope.id,
        type: envelope.type,
        correlationId,
        replyTo: replyQueue,
        headers: { ...requestOptions.headers, [replyByHeader]: replyBy },
      });
    } catch (error) {
      const waiting = pending.get(correlationId);
      pending.delete(correlationId);
      if (waiting !== undefined) clearTimeout(waiting.timer);
      throw new RequestFailedError(`could not send ${envelope.type} to ${queue}`, { cause: error });
    }
    return reply;
  };

  const close = async () => {
    if (closed) return;
    closed = true;
    for (const [correlationId, waiting] of pending) {
      pending.delete(correlationId);
      clearTimeout(waiting.timer);
      waiting.reject(new RequestFailedError('the request client closed before the reply came'));
    }
    await subscription.close();
  };

  return { replyQueue, request, close };
}

/** Answers one request: the reply body (JSON). Parse and validate the request here; answer bad input, never throw for it. */
export type RequestHandler = (request: Delivery) => Promise<unknown>;

export interface ServeRequestsOptions {
  readonly logger: Logger;
  /** Requests handled at once. Default 10. */
  readonly prefetch?: number;
  /** Attempts of a handler that throws before the request is dead-lettered. Default 3. */
  readonly maxAttempts?: number;
  /** Delays before retries (the last repeats). Default [200, 1000]. */
  readonly retryDelaysMs?: readonly number[];
}

/**
 * Declares `queue` (durable, with its retry and dead-letter queues) and answers
 * each request on it with what `handler` returns. A request without `replyTo`
 * or `correlationId` cannot be answered: it is dead-lettered.
 */
export async function serveRequests(
  transport: Transport,
  queue: string,
  handler: RequestHandler,
  options: ServeRequestsOptions,
): Promise<Subscription> {
  const { logger } = options;
  await transport.declareQueue({
    name: queue,
    maxAttempts: options.maxAttempts ?? 3,
    retryDelaysMs: options.retryDelaysMs ?? [200, 1_000],
  });
  return transport.consume(
    queue,
    async (request) => {
      const { replyTo, correlationId } = request;
      if (replyTo === undefined || replyTo === '' || correlationId === undefined)
        throw new DeadLetterError('no_reply_to: a request needs replyTo and correlationId');
      const replyBy = request.headers[replyByHeader];
      if (typeof replyBy === 'number' && Date.now() >= replyBy) {
        logger.warn(
          { queue, messageId: request.messageId, type: request.type },
          'request expired before it was handled; dropped',
        );
        return;
      }
      const body = await handler(request);
      await transport.publish({
        exchange: '',
        routingKey: replyTo,
        body: body ?? null,
        messageId: randomUUID(),
        correlationId,
        ...(request.type === undefined ? {} : { type: `${request.type}.reply` }),
      });
    },
    options.prefetch === undefined ? undefined : { prefetch: options.prefetch },
  );
}
