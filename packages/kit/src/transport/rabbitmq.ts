/**
 * The transport on RabbitMQ, through rabbitmq-client: it reconnects by itself,
 * and its Consumers redeclare their queue and bindings and resubscribe after a
 * reconnect. Layout per declared queue `q`:
 *
 * - `q`: durable quorum queue with the spec's bindings. Its broker-side
 *   dead-letter target is `q.dead` with a delivery limit, so a message whose
 *   consumer crashes on it again and again cannot loop for ever;
 * - `q.dead`: durable quorum queue, the dead letters with their reason headers;
 * - `q.retry.<ms>ms`: one classic durable queue per retry delay, whose
 *   messages expire after the delay back into `q` through the default exchange.
 *
 * An exclusive queue (`QueueSpec.exclusive`, for replies) is one classic,
 * non-durable, exclusive queue: no retry queues, no dead-letter queue; the
 * broker deletes it when the connection closes.
 *
 * Retries and dead letters are published by this process with confirms, then
 * the original is acked: never lost, at worst present twice (consumers
 * deduplicate on messageId).
 */
import { once } from 'node:events';
import type { Socket, TcpSocketConnectOpts } from 'node:net';
import {
  Connection,
  ConsumerStatus,
  type AsyncMessage,
  type Consumer,
  type Envelope,
  type Publisher,
} from 'rabbitmq-client';
import type { Logger } from 'pino';
import {
  Batcher,
  checkBatchOptions,
  runBatch,
  sleep,
  deadLetterRequeuePauseMs,
  type BatchSettler,
  describeErrorForLog,
  distinctRetryDelays,
  encodeBody,
  isHeaderValue,
  outgoingHeaders,
  planDeadLetter,
  planFailure,
  readDeliveryRoute,
  resolvePrefetch,
  resolveQueueSpec,
  retryQueueName,
  runInConsumerSpan,
  transportHeader,
  defaultPrefetch,
  type FailurePlan,
  type ResolvedQueueSpec,
} from './common';
import { stringifyParsedJson } from './json';
import {
  deadLetterQueueName,
  type BatchConsumeOptions,
  type BatchHandler,
  type ConsumeOptions,
  type Delivery,
  type Headers,
  type MessageHandler,
  type OutgoingMessage,
  type QueueSpec,
  type Subscription,
  type Transport,
} from './types';

export interface RabbitTransportOptions {
  /** amqp://user:password@host:port/vhost */
  readonly url: string;
  readonly logger: Logger;
  /** Shown in the management UI, e.g. the service name. */
  readonly connectionName?: string;
}

/** A message redelivered this many times (its consumer died on it each time) goes to the dead-letter queue. */
const deliveryLimit = 20;
/** Publishes in flight at once in publishMany: bounds the unconfirmed map. */
const publishWindow = 5_000;
const connectTimeoutMs = 10_000;
const consumerReadyTimeoutMs = 15_000;
/** Socket buffer of a corked burst: ~1,500 publishes of a ledger event. */
const socketHighWaterMarkBytes = 1024 * 1024;
const corked = new WeakSet<Socket>();

/**
 * rabbitmq-client writes every publish and every ack as its own socket write
 * (one syscall each, and one TCP segment the broker must read): under the
 * ledger benchmark (bench/ledger.ts, hot) a fifth of the service's CPU.
 * Coalescing them took the CPU per 1,000 transfers from ~100 to ~80 ms in the
 * service and from ~130 to ~85 ms in the broker. Corking the socket until
 * the next turn of the event loop sends everything a batch publishes or acks
 * in one write. The socket is rabbitmq-client's private field, so this is a
 * guarded best effort: without it, writes simply go out one by one.
 */
function coalesceWrites(connection: Connection): void {
  const socket = (connection as unknown as { _socket?: Socket })._socket;
  if (socket === undefined || socket.destroyed || corked.has(socket)) return;
  corked.add(socket);
  socket.cork();
  setImmediate(() => {
    corked.delete(socket);
    socket.uncork();
  });
}

/** How a consumer knows a queue: a declared queue, or the dead-letter queue of one. */
type KnownQueue =
  { readonly kind: 'main'; readonly spec: ResolvedQueueSpec } | { readonly kind: 'dead'; readonly name: string };

/** One delivery, and the AMQP properties a retry or dead letter must keep. */
interface Received {
  readonly delivery: Delivery;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
}

export async function createRabbitTransport(options: RabbitTransportOptions): Promise<Transport> {
  const connection = new Connection({
    url: options.url,
    ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
    // The default backoff tops out at 30 s; after a broker restart we want
    // consumers back within seconds.
    retryLow: 250,
    retryHigh: 5_000,
    // Publishes wait for their confirm anyway: Nagle's delay only adds latency.
    noDelay: true,
    // Room for a whole corked burst of frames (see coalesceWrites) before
    // back-pressure splits it into one write per message again.
    // (Only this key: rabbitmq-client spreads these options after its own host and port.)
    socket: { writableHighWaterMark: socketHighWaterMarkBytes } as unknown as TcpSocketConnectOpts,
  });
  const transport = new RabbitTransport(connection, options.logger);
  let refused: ((error: Error) => void) | undefined;
  const onError = (error: unknown) => {
    // A wrong password or an unknown vhost will not fix itself by retrying.
    const code = (error as { code?: unknown }).code;
    if (refused !== undefined && (code === 'ACCESS_REFUSED' || code === 'NOT_ALLOWED')) refused(error as Error);
  };
  connection.on('error', onError);
  try {
    await Promise.race([
      // disableAutoClose: this function ends a failed connection itself.
      connection.onConnect(connectTimeoutMs, true).catch((error: unknown) => {
        const cause = (error as { cause?: unknown }).cause;
        throw new Error(`could not connect within ${connectTimeoutMs / 1000} s: ${connectionErrorText(cause)}`, {
          cause: error,
        });
      }),
      new Promise<never>((_, reject) => {
        refused = (error) => reject(new Error(`connection refused: ${connectionErrorText(error)}`, { cause: error }));
      }),
    ]);
  } catch (error) {
    // Never opened: nothing to flush. A graceful close would wait for a socket
    // that is already gone (and keep nothing alive: the process would just end).
    connection.unsafeDestroy();
    throw error;
  } finally {
    refused = undefined;
    connection.off('error', onError);
  }
  return transport;
}

/** A connection error in a few words (rabbitmq-client prefixes some with 'undefined: '). */
function connectionErrorText(error: unknown): string {
  if (!(error instanceof Error)) return 'no answer';
  return error.message.replace(/^undefined: /, '');
}

class RabbitTransport implements Transport {
  readonly #connection: Connection;
  readonly #logger: Logger;
  readonly #publisher: Publisher;
  readonly #exchanges = new Set<string>();
  readonly #queues = new Map<string, KnownQueue>();
  readonly #subscriptions = new Set<RabbitSubscription>();
  /** Redeclaration after a reconnect; retries and dead letters wait for it so their queues exist. */
  #redeclared: Promise<void> = Promise.resolve();
  #connectedBefore = false;
  #closing: Promise<void> | undefined;

  constructor(connection: Connection, logger: Logger) {
    this.#connection = connection;
    this.#logger = logger;
    this.#publisher = connection.createPublisher({ confirm: true, maxAttempts: 2 });
    this.#publisher.on('retry', (error: unknown) =>
      logger.warn({ err: error }, 'RabbitMQ publish failed; retrying once'),
    );
    this.#watchConnection();
  }

  #watchConnection(): void {
    // An 'error' listener is mandatory: an EventEmitter without one crashes the process.
    this.#connection.on('error', (error: unknown) => {
      this.#logger.warn({ err: error }, 'RabbitMQ connection lost or failed; reconnecting');
    });
    this.#connection.on('connection', () => {
      if (!this.#connectedBefore) {
        this.#connectedBefore = true;
        this.#logger.info('RabbitMQ connected');
        return;
      }
      this.#logger.info('RabbitMQ reconnected; declaring exchanges and queues again');
      this.#redeclared = this.#declareAll().catch((error: unknown) => {
        this.#logger.warn({ err: error }, 'RabbitMQ redeclaration failed; it runs again on the next reconnect');
      });
    });
    this.#connection.on('connection.blocked', (reason: string) =>
      this.#logger.warn({ reason }, 'RabbitMQ blocked publishing'),
    );
    this.#connection.on('connection.unblocked', () => this.#logger.info('RabbitMQ unblocked publishing'));
  }

  async declareExchange(name: string): Promise<void> {
    if (name === '') throw new RangeError('the default exchange cannot be declared');
    await this.#connection.exchangeDeclare({ exchange: name, type: 'topic', durable: true });
    this.#exchanges.add(name);
  }

  async declareQueue(spec: QueueSpec): Promise<void> {
    const resolved = resolveQueueSpec(spec);
    for (const binding of resolved.bindings) await this.declareExchange(binding.exchange);
    await this.#declareQueueLayout(resolved);
    this.#queues.set(resolved.name, { kind: 'main', spec: resolved });
    if (!resolved.exclusive)
      this.#queues.set(deadLetterQueueName(resolved.name), { kind: 'dead', name: deadLetterQueueName(resolved.name) });
  }

  async #declareQueueLayout(spec: ResolvedQueueSpec): Promise<void> {
    if (!spec.exclusive) {
      await this.#connection.queueDeclare(deadQueueDeclaration(deadLetterQueueName(spec.name)));
      for (const delayMs of distinctRetryDelays(spec))
        await this.#connection.queueDeclare(retryQueueDeclaration(spec.name, delayMs));
    }
    await this.#connection.queueDeclare(mainQueueDeclaration(spec));
    for (const params of bindingDeclarations(spec)) await this.#connection.queueBind(params);
  }

  async #declareAll(): Promise<void> {
    for (const exchange of this.#exchanges)
      await this.#connection.exchangeDeclare({ exchange, type: 'topic', durable: true });
    for (const known of this.#queues.values()) if (known.kind === 'main') await this.#declareQueueLayout(known.spec);
  }

  async publish(message: OutgoingMessage): Promise<void> {
    const { bytes, json } = encodeBody(message.body);
    coalesceWrites(this.#connection);
    await this.#publisher.send(
      {
        exchange: message.exchange,
        routingKey: message.routingKey,
        messageId: message.messageId,
        correlationId: message.correlationId,
        replyTo: message.replyTo,
        type: message.type,
        headers: outgoingHeaders(message.headers),
        ...contentProperties(json ? 'application/json' : 'application/octet-stream', undefined),
      },
      bytes,
    );
  }

  async publishMany(messages: readonly OutgoingMessage[]): Promise<void> {
    // Pipelined within a window: all of a window are written before the first confirm is awaited.
    for (let start = 0; start < messages.length; start += publishWindow) {
      await Promise.all(messages.slice(start, start + publishWindow).map((message) => this.publish(message)));
    }
  }

  /** Publishes a retry or dead letter of `received` (same body and properties) and resolves once confirmed. */
  async republish(queue: string, received: Received, plan: FailurePlan): Promise<void> {
    await this.#redeclared;
    const { delivery } = received;
    const routingKey = plan.kind === 'retry' ? retryQueueName(queue, plan.delayMs) : deadLetterQueueName(queue);
    await this.#publisher.send(
      {
        exchange: '',
        routingKey,
        messageId: delivery.messageId,
        correlationId: delivery.correlationId,
        replyTo: delivery.replyTo,
        type: delivery.type,
        headers: plan.headers,
        ...contentProperties(received.contentType, received.contentEncoding),
      },
      delivery.body,
    );
  }

  async consume(queue: string, handler: MessageHandler, options?: ConsumeOptions): Promise<Subscription> {
    const known = this.#known(queue);
    const prefetch = resolvePrefetch(options?.prefetch, defaultPrefetch);
    const settle = new Settler(this, known, this.#logger);
    return this.#subscribe(known, prefetch, (received) =>
      runInConsumerSpan(queue, received.delivery, () => handler(received.delivery)).then(
        () => ConsumerStatus.ACK,
        (error: unknown) => settle.failure(received, error, true),
      ),
    );
  }

  async consumeBatch(queue: string, handler: BatchHandler, options: BatchConsumeOptions): Promise<Subscription> {
    checkBatchOptions(options);
    const known = this.#known(queue);
    const prefetch = resolvePrefetch(options.prefetch, 2 * options.maxMessages);
    const settler = batchSettler(new Settler(this, known, this.#logger), () => coalesceWrites(this.#connection));
    const batcher = new Batcher<BatchItem>({
      maxMessages: options.maxMessages,
      maxWaitMs: options.maxWaitMs,
      run: (batch) => runBatch(queue, batch, handler, settler, this.#logger),
    });
    return this.#subscribe(
      known,
      prefetch,
      (received) =>
        new Promise<ConsumerStatus>((resolve) => {
          // After close: give the message back at once, the broker redelivers it.
          if (!batcher.push({ received, resolve })) resolve(ConsumerStatus.REQUEUE);
        }),
      () => {
        const { unstarted, idle } = batcher.close();
        for (const item of unstarted) item.resolve(ConsumerStatus.REQUEUE);
        return idle;
      },
    );
  }

  #known(queue: string): KnownQueue {
    const known = this.#queues.get(queue);
    if (known === undefined)
      throw new Error(`queue ${queue}: call declareQueue first (retries and dead letters need its spec)`);
    return known;
  }

  async #subscribe(
    known: KnownQueue,
    prefetch: number,
    handle: (received: Received) => Promise<ConsumerStatus>,
    beforeClose: () => Promise<void> = () => Promise.resolve(),
  ): Promise<Subscription> {
    if (this.#closing !== undefined) throw new Error('transport is closed');
    const queue = known.kind === 'main' ? known.spec.name : known.name;
    const settler = new Settler(this, known, this.#logger);
    const consumer = this.#connection.createConsumer(consumerProps(known, prefetch), (message) => {
      const received = toReceived(message);
      // Returned unsettled (a consumer died or was stopped on it) almost as
      // often as the broker allows: dead-letter it now, with a reason, instead
      // of letting the broker drop it into the dead-letter queue without one.
      const returned = deliveryCount(message.headers);
      if (known.kind === 'main' && returned >= deliveryLimit - 1) {
        return settler.apply(
          received,
          planDeadLetter(
            known.spec.name,
            received.delivery,
            `delivery_limit: returned to the queue unsettled ${returned} times (a consumer crashed or stopped on it each time)`,
          ),
        );
      }
      return handle(received);
    });
    const subscription = new RabbitSubscription(consumer, beforeClose, () => this.#subscriptions.delete(subscription));
    this.#subscriptions.add(subscription);
    consumer.on('error', (error: unknown) => this.#logger.warn({ err: error, queue }, 'RabbitMQ consumer error'));
    try {
      await waitReady(consumer, queue);
    } catch (error) {
      await subscription.close();
      throw error;
    }
    return subscription;
  }

  isReady(): boolean {
    return this.#connection.ready;
  }

  close(): Promise<void> {
    this.#closing ??= this.#closeInOrder();
    return this.#closing;
  }

  // Consumers first (their handlers finish and ack), then the publisher's
  // channel, then the connection: closing the connection first loses the last acks.
  async #closeInOrder(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.close()));
    await this.#publisher.close();
    await this.#connection.close();
  }
}

interface BatchItem {
  readonly received: Received;
  readonly resolve: (status: ConsumerStatus) => void;
}

/** A batch item is settled by resolving its Consumer handler's promise (a second resolve does nothing). */
function batchSettler(settle: Settler, beforeAck: () => void): BatchSettler<BatchItem> {
  return {
    delivery: (item) => item.received.delivery,
    ack: (item) => {
      // A batch's acks leave together, in one socket write.
      beforeAck();
      item.resolve(ConsumerStatus.ACK);
    },
    deadLetter: async (item, reason) => item.resolve(await settle.deadLetter(item.received, reason)),
    retry: async (item, error) => item.resolve(await settle.failure(item.received, error, false)),
    giveBack: (item) => item.resolve(ConsumerStatus.REQUEUE),
  };
}

class RabbitSubscription implements Subscription {
  readonly #consumer: Consumer;
  readonly #beforeClose: () => Promise<void>;
  readonly #onClosed: () => void;
  #closing: Promise<void> | undefined;

  constructor(consumer: Consumer, beforeClose: () => Promise<void>, onClosed: () => void) {
    this.#consumer = consumer;
    this.#beforeClose = beforeClose;
    this.#onClosed = onClosed;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // Consumer.close cancels, waits for every handler, then closes the channel.
    // A batch subscription first gives back what no batch took, or those
    // handlers would wait for a batch that never comes.
    const closed = this.#consumer.close();
    await this.#beforeClose();
    await closed;
    this.#onClosed();
  }
}

/** Applies failure plans and batch outcomes: publish the retry or dead letter, then ack. */
class Settler {
  readonly #transport: RabbitTransport;
  readonly #known: KnownQueue;
  readonly #logger: Logger;

  constructor(transport: RabbitTransport, known: KnownQueue, logger: Logger) {
    this.#transport = transport;
    this.#known = known;
    this.#logger = logger;
  }

  get queue(): string {
    return this.#known.kind === 'main' ? this.#known.spec.name : this.#known.name;
  }

  async failure(received: Received, error: unknown, honourDeadLetterError: boolean): Promise<ConsumerStatus> {
    const { delivery } = received;
    const logFields = {
      queue: this.queue,
      messageId: delivery.messageId,
      attempt: delivery.attempt,
      ...describeErrorForLog(error),
    };
    // A dead-letter queue has no retry queues and no dead-letter queue of its
    // own: a failing handler there leaves the message in place.
    if (this.#known.kind === 'dead') {
      this.#logger.error(logFields, 'handler failed on a dead letter; it stays in the dead-letter queue');
      await sleep(deadLetterRequeuePauseMs);
      return ConsumerStatus.REQUEUE;
    }
    if (this.#known.spec.exclusive) {
      this.#logger.warn(logFields, 'handler failed on an exclusive queue; the message is dropped');
      return ConsumerStatus.ACK;
    }
    const plan = planFailure(this.#known.spec, delivery, error, honourDeadLetterError);
    this.#logger.warn(
      { ...logFields, outcome: plan.kind },
      plan.kind === 'retry' ? 'handler failed; retrying later' : 'handler failed; dead-lettering',
    );
    return this.apply(received, plan);
  }

  async deadLetter(received: Received, reason: string): Promise<ConsumerStatus> {
    const logFields = { queue: this.queue, messageId: received.delivery.messageId };
    if (this.#known.kind === 'dead') {
      this.#logger.error(logFields, 'batch handler dead-lettered a dead letter; it stays in the dead-letter queue');
      await sleep(deadLetterRequeuePauseMs);
      return ConsumerStatus.REQUEUE;
    }
    if (this.#known.spec.exclusive) {
      this.#logger.warn(logFields, 'batch handler dead-lettered a message of an exclusive queue; it is dropped');
      return ConsumerStatus.ACK;
    }
    this.#logger.warn(logFields, 'batch handler dead-lettered a message');
    return this.apply(received, planDeadLetter(this.queue, received.delivery, reason));
  }

  async apply(received: Received, plan: FailurePlan): Promise<ConsumerStatus> {
    try {
      await this.#transport.republish(this.queue, received, plan);
      return ConsumerStatus.ACK;
    } catch (error) {
      // Not confirmed: keep the original. The broker redelivers it (its
      // delivery limit bounds how often).
      this.#logger.error(
        { err: error, queue: this.queue, messageId: received.delivery.messageId },
        `could not publish the ${plan.kind}; requeueing`,
      );
      return ConsumerStatus.REQUEUE;
    }
  }
}

async function waitReady(consumer: Consumer, queue: string): Promise<void> {
  const timeout = AbortSignal.timeout(consumerReadyTimeoutMs);
  try {
    await once(consumer, 'ready', { signal: timeout });
  } catch (error) {
    // Either the timeout, or the consumer's setup failed (e.g. the queue exists with other arguments).
    throw new Error(`consumer of ${queue} did not start`, { cause: error });
  }
}

function consumerProps(known: KnownQueue, prefetch: number) {
  const queueOptions = known.kind === 'main' ? mainQueueDeclaration(known.spec) : deadQueueDeclaration(known.name);
  return {
    queue: queueOptions.queue,
    // Redeclared by the Consumer on every reconnect, before it resubscribes.
    queueOptions,
    exchanges:
      known.kind === 'main'
        ? known.spec.bindings.map((binding) => ({ exchange: binding.exchange, type: 'topic', durable: true }))
        : [],
    queueBindings: known.kind === 'main' ? bindingDeclarations(known.spec) : [],
    qos: { prefetchCount: prefetch },
    // One handler per prefetched message: a batch consumer needs all of its
    // prefetch in hand at once to fill a batch while the previous one runs.
    concurrency: prefetch,
    requeue: true,
  };
}

function mainQueueDeclaration(spec: ResolvedQueueSpec) {
  // Classic: a quorum queue cannot be exclusive. Deleted when its connection closes.
  if (spec.exclusive) return { queue: spec.name, durable: false, exclusive: true, autoDelete: false };
  return {
    queue: spec.name,
    durable: true,
    arguments: {
      'x-queue-type': 'quorum' as const,
      'x-delivery-limit': deliveryLimit,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': deadLetterQueueName(spec.name),
      ...(spec.singleActiveConsumer ? { 'x-single-active-consumer': true } : {}),
    },
  };
}

const deadQueueDeclaration = (name: string) => ({
  queue: name,
  durable: true,
  arguments: { 'x-queue-type': 'quorum' as const },
});

const retryQueueDeclaration = (queue: string, delayMs: number) => ({
  queue: retryQueueName(queue, delayMs),
  durable: true,
  arguments: {
    'x-queue-type': 'classic' as const,
    'x-message-ttl': delayMs,
    // Expired messages go back to the main queue through the default exchange.
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': queue,
  },
});

const bindingDeclarations = (spec: ResolvedQueueSpec) =>
  spec.bindings.map((binding) => ({ queue: spec.name, exchange: binding.exchange, routingKey: binding.routingKey }));

/**
 * Persistent, and the body is never decoded by rabbitmq-client: it parses
 * `application/json` bodies unless a content encoding is set, which would
 * cost a parse per message and round numbers above 2^53. 'identity' is the
 * registered name for "no encoding".
 */
function contentProperties(
  contentType: string | undefined,
  contentEncoding: string | undefined,
): Pick<Envelope, 'durable' | 'contentType' | 'contentEncoding'> {
  return {
    durable: true,
    contentType,
    contentEncoding: contentEncoding ?? (contentType === undefined ? undefined : 'identity'),
  };
}

function toReceived(message: AsyncMessage): Received {
  const headers = deliveryHeaders(message.headers);
  const route = readDeliveryRoute(headers, message.exchange, message.routingKey);
  return {
    contentType: message.contentType,
    contentEncoding: message.contentEncoding,
    delivery: {
      body: bodyBytes(message.body),
      messageId: message.messageId,
      correlationId: message.correlationId,
      replyTo: message.replyTo,
      type: message.type,
      exchange: route.exchange,
      routingKey: route.routingKey,
      headers,
      attempt: route.attempt,
      redelivered: message.redelivered,
    },
  };
}

/**
 * Our own messages arrive as a Buffer (see contentProperties). A foreign
 * publisher's text/plain or application/json body was decoded by the client:
 * encode it back (JSON loses only formatting, and precision beyond 2^53).
 */
function bodyBytes(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch {
    // Nested too deep for the recursive JSON.stringify: the consumer must
    // still see (and refuse) the body, not crash on it again and again.
    text = stringifyParsedJson(body);
  }
  return Buffer.from(text ?? '', 'utf8');
}

/** How often the broker got this message back unsettled (quorum queues count it in `x-delivery-count`). */
function deliveryCount(headers: Record<string, unknown> | undefined): number {
  const count = headers?.['x-delivery-count'];
  return typeof count === 'number' && Number.isInteger(count) && count > 0 ? count : 0;
}

const brokerDeathHeader = /^x-(death|first-death-|last-death-|delivery-count$)/;

/**
 * Scalar headers only, without the broker's dead-lettering bookkeeping (the
 * retry queues add x-death each pass): the in-process transport has none.
 * A message the broker dead-lettered for its delivery limit gains our reason.
 */
function deliveryHeaders(raw: Record<string, unknown> | undefined): Headers {
  const headers: Record<string, Headers[string]> = {};
  if (raw === undefined) return headers;
  for (const [name, value] of Object.entries(raw)) {
    if (isHeaderValue(value) && !brokerDeathHeader.test(name)) headers[name] = value;
  }
  const death = latestDeath(raw['x-death']);
  if (death?.reason === 'delivery_limit' && headers[transportHeader.deathReason] === undefined) {
    headers[transportHeader.deathReason] =
      `delivery limit exceeded: a consumer died ${deliveryLimit} times on this message`;
    if (typeof death.queue === 'string') headers[transportHeader.originalQueue] = death.queue;
  }
  return headers;
}

function latestDeath(xDeath: unknown): { reason?: unknown; queue?: unknown } | undefined {
  if (!Array.isArray(xDeath)) return undefined;
  const latest: unknown = xDeath[0];
  return typeof latest === 'object' && latest !== null ? latest : undefined;
}
