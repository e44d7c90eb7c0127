/**
 * The transport in process, for embedded mode: the same contract as RabbitMQ
 * (topic routing, at-least-once, ack after the handler, retries with delays,
 * dead letters with the same headers, batches), without durability: what it
 * holds is lost with the process.
 *
 * Several transports on one `MemoryBroker` see the same exchanges and queues,
 * as services on one RabbitMQ do. Bodies are copied on publish and on
 * delivery, so publisher, broker and consumers never share a Buffer.
 */
import type { Logger } from 'pino';
import {
  Batcher,
  checkBatchOptions,
  deadLetterRequeuePauseMs,
  defaultPrefetch,
  describeErrorForLog,
  encodeBody,
  outgoingHeaders,
  planDeadLetter,
  planFailure,
  readDeliveryRoute,
  resolvePrefetch,
  resolveQueueSpec,
  runBatch,
  runInConsumerSpan,
  sleep,
  type BatchSettler,
  type FailurePlan,
  type ResolvedQueueSpec,
} from './common';
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
import { Fifo, topicMatches } from './memory-structures';

export { topicMatches } from './memory-structures';

/** Messages one queue holds (ready, unacked and waiting for a retry); publish rejects beyond. */
export const memoryQueueCapacity = 100_000;

export interface MemoryTransportOptions {
  readonly logger: Logger;
  /** Transports on one broker share exchanges and queues. Default: a broker of its own. */
  readonly broker?: MemoryBroker;
  /** Multiplies every retry delay (tests: 0.01 for fast retries). Default 1. */
  readonly retryDelayScale?: number;
}

export interface MemoryTransport extends Transport {
  /**
   * Simulates a crash of this transport's connection (tests): every unacked
   * delivery goes back to its queue, marked redelivered; handlers still
   * running can no longer ack. The transport is unusable afterwards.
   */
  disconnect(): void;
}

export const createMemoryBroker = (): MemoryBroker => new MemoryBroker();

export function createMemoryTransport(options: MemoryTransportOptions): MemoryTransport {
  const scale = options.retryDelayScale ?? 1;
  if (!(scale > 0 && scale <= 1_000)) throw new RangeError(`retryDelayScale must be in (0, 1000], got ${scale}`);
  return new MemoryTransportImpl(options.broker ?? new MemoryBroker(), options.logger, scale);
}

/** A message as the broker holds it: its own copy of the body. */
interface StoredMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  readonly messageId: string | undefined;
  readonly correlationId: string | undefined;
  readonly replyTo: string | undefined;
  readonly type: string | undefined;
  readonly headers: Headers;
  readonly redelivered: boolean;
}

/** Something that takes deliveries from a queue, up to its prefetch. */
interface QueueConsumer {
  readonly prefetch: number;
  inFlight: number;
  deliver(message: StoredMessage): void;
}

class MemoryQueue {
  readonly name: string;
  /** Undefined for a dead-letter queue: it has no retries and no dead letters of its own. */
  spec: ResolvedQueueSpec | undefined;
  readonly ready = new Fifo<StoredMessage>();
  unacked = 0;
  delayed = 0;
  readonly consumers: QueueConsumer[] = [];
  #nextConsumer = 0;
  dispatchScheduled = false;
  /** The transport an exclusive queue belongs to. */
  readonly owner: object | undefined;

  constructor(name: string, spec: ResolvedQueueSpec | undefined, owner?: object) {
    this.name = name;
    this.spec = spec;
    this.owner = owner;
  }

  get size(): number {
    return this.ready.length + this.unacked + this.delayed;
  }

  /** Round robin over consumers with room; only the first one under single active consumer. */
  pickConsumer(): QueueConsumer | undefined {
    const count = this.spec?.singleActiveConsumer === true ? Math.min(1, this.consumers.length) : this.consumers.length;
    for (let tried = 0; tried < count; tried++) {
      const consumer = this.consumers[(this.#nextConsumer + tried) % count];
      if (consumer !== undefined && consumer.inFlight < consumer.prefetch) {
        this.#nextConsumer = (this.#nextConsumer + tried + 1) % count;
        return consumer;
      }
    }
    return undefined;
  }
}

interface Binding {
  readonly pattern: readonly string[];
  readonly queue: string;
}

/** Exchanges, queues and pending retries, shared by the transports created on it. */
export class MemoryBroker {
  readonly #exchanges = new Map<string, Binding[]>();
  readonly #queues = new Map<string, MemoryQueue>();
  readonly #retryTimers = new Map<NodeJS.Timeout, { queue: MemoryQueue; message: StoredMessage }>();
  #openTransports = 0;

  declareExchange(name: string): void {
    if (name === '') throw new RangeError('the default exchange cannot be declared');
    if (!this.#exchanges.has(name)) this.#exchanges.set(name, []);
  }

  declareQueue(spec: ResolvedQueueSpec, owner: object): void {
    const existing = this.#queues.get(spec.name);
    if (spec.exclusive || existing?.owner !== undefined) {
      this.#declareExclusive(spec, owner, existing);
      return;
    }
    if (existing?.spec !== undefined && existing.spec.singleActiveConsumer !== spec.singleActiveConsumer) {
      // RabbitMQ refuses a redeclaration with other arguments (PRECONDITION_FAILED): so do we.
      throw new Error(`queue ${spec.name} exists with singleActiveConsumer=${existing.spec.singleActiveConsumer}`);
    }
    if (existing === undefined) this.#queues.set(spec.name, new MemoryQueue(spec.name, spec));
    else existing.spec = spec;
    const deadName = deadLetterQueueName(spec.name);
    if (!this.#queues.has(deadName)) this.#queues.set(deadName, new MemoryQueue(deadName, undefined));
    for (const binding of spec.bindings) this.#bind(binding.exchange, binding.routingKey, spec.name);
  }

  #declareExclusive(spec: ResolvedQueueSpec, owner: object, existing: MemoryQueue | undefined): void {
    // RabbitMQ: RESOURCE_LOCKED for another connection's exclusive queue, PRECONDITION_FAILED for other arguments.
    if (existing !== undefined && (existing.owner !== owner || !spec.exclusive)) {
      const why =
        existing.owner === undefined
          ? 'is not exclusive'
          : existing.owner === owner
            ? 'is exclusive'
            : 'is exclusive to another connection';
      throw new Error(`queue ${spec.name} exists and ${why}`);
    }
    if (existing === undefined) this.#queues.set(spec.name, new MemoryQueue(spec.name, spec, owner));
    for (const binding of spec.bindings) this.#bind(binding.exchange, binding.routingKey, spec.name);
  }

  /** Deletes the exclusive queues of `owner` and what they hold, as RabbitMQ does when their connection closes. */
  deleteExclusiveQueues(owner: object): void {
    for (const [name, queue] of this.#queues) {
      if (queue.owner !== owner) continue;
      this.#queues.delete(name);
      queue.ready.drain();
      const others = (bindings: Binding[]) => bindings.filter((binding) => binding.queue !== name);
      for (const [exchange, bindings] of this.#exchanges) this.#exchanges.set(exchange, others(bindings));
    }
  }

  #bind(exchange: string, routingKey: string, queue: string): void {
    this.declareExchange(exchange);
    const bindings = this.#exchanges.get(exchange) ?? [];
    if (!bindings.some((binding) => binding.queue === queue && binding.pattern.join('.') === routingKey)) {
      bindings.push({ pattern: routingKey.split('.'), queue });
    }
    this.#exchanges.set(exchange, bindings);
  }

  queue(name: string): MemoryQueue | undefined {
    return this.#queues.get(name);
  }

  /** Routes and enqueues, all or nothing: rejects when a target queue is full. */
  publish(message: StoredMessage): void {
    const targets = this.#route(message.exchange, message.routingKey);
    const full = targets.find((queue) => queue.size >= memoryQueueCapacity);
    if (full !== undefined) throw new Error(`queue ${full.name} is full (${memoryQueueCapacity} messages)`);
    for (const queue of targets) this.enqueue(queue, message);
  }

  #route(exchange: string, routingKey: string): MemoryQueue[] {
    if (exchange === '') {
      const queue = this.#queues.get(routingKey);
      return queue === undefined ? [] : [queue];
    }
    const bindings = this.#exchanges.get(exchange);
    // RabbitMQ closes the channel with NOT_FOUND; an unbound key is dropped silently in both.
    if (bindings === undefined) throw new Error(`exchange '${exchange}' not found`);
    const words = routingKey.split('.');
    const names = new Set(
      bindings.filter((binding) => topicMatches(binding.pattern, words)).map((binding) => binding.queue),
    );
    return [...names].flatMap((name) => this.#queues.get(name) ?? []);
  }

  enqueue(queue: MemoryQueue, message: StoredMessage, atHead = false): void {
    if (atHead) queue.ready.unshift(message);
    else queue.ready.push(message);
    this.#scheduleDispatch(queue);
  }

  addConsumer(queue: MemoryQueue, consumer: QueueConsumer): void {
    queue.consumers.push(consumer);
    this.#scheduleDispatch(queue);
  }

  removeConsumer(queue: MemoryQueue, consumer: QueueConsumer): void {
    const index = queue.consumers.indexOf(consumer);
    if (index >= 0) queue.consumers.splice(index, 1);
    // Under single active consumer the next one takes over.
    this.#scheduleDispatch(queue);
  }

  /** The consumer is done with a delivery (acked, or moved to a retry or dead letter). */
  release(queue: MemoryQueue, consumer: QueueConsumer): void {
    queue.unacked -= 1;
    consumer.inFlight -= 1;
    this.#scheduleDispatch(queue);
  }

  /** Back to the head of its queue, marked redelivered. */
  requeue(queue: MemoryQueue, consumer: QueueConsumer, message: StoredMessage): void {
    queue.unacked -= 1;
    consumer.inFlight -= 1;
    this.enqueue(queue, { ...message, redelivered: true }, true);
  }

  /** Moves an unacked delivery to a timer; it counts against its queue until it is back. */
  retryLater(queue: MemoryQueue, consumer: QueueConsumer, message: StoredMessage, delayMs: number): void {
    queue.delayed += 1;
    this.release(queue, consumer);
    const timer = setTimeout(() => {
      this.#retryTimers.delete(timer);
      queue.delayed -= 1;
      this.enqueue(queue, message);
    }, delayMs);
    this.#retryTimers.set(timer, { queue, message });
  }

  /** Enqueues a dead letter; false when the dead-letter queue is full. */
  deadLetter(queue: MemoryQueue, consumer: QueueConsumer, message: StoredMessage): boolean {
    const dead = this.#queues.get(deadLetterQueueName(queue.name));
    if (dead === undefined || dead.size >= memoryQueueCapacity) return false;
    this.release(queue, consumer);
    this.enqueue(dead, message);
    return true;
  }

  transportOpened(): void {
    this.#openTransports += 1;
  }

  /**
   * With no transport left, pending retries go back to their queues at once:
   * nothing is lost while the broker lives, and no timer keeps the process up.
   */
  transportClosed(): void {
    this.#openTransports -= 1;
    if (this.#openTransports > 0) return;
    for (const [timer, { queue, message }] of this.#retryTimers) {
      clearTimeout(timer);
      queue.delayed -= 1;
      queue.ready.push(message);
    }
    this.#retryTimers.clear();
  }

  #scheduleDispatch(queue: MemoryQueue): void {
    if (queue.dispatchScheduled) return;
    queue.dispatchScheduled = true;
    // Deliver on a later turn, never inside the publish or ack that caused it.
    setImmediate(() => {
      queue.dispatchScheduled = false;
      this.#dispatch(queue);
    });
  }

  #dispatch(queue: MemoryQueue): void {
    // Bounded by the ready messages (and by the consumers' prefetch).
    for (let budget = queue.ready.length; budget > 0; budget--) {
      const consumer = queue.pickConsumer();
      if (consumer === undefined) return;
      const message = queue.ready.shift();
      if (message === undefined) return;
      queue.unacked += 1;
      consumer.inFlight += 1;
      consumer.deliver(message);
    }
  }
}

class MemoryTransportImpl implements MemoryTransport {
  readonly #broker: MemoryBroker;
  readonly #logger: Logger;
  readonly #retryDelayScale: number;
  readonly #subscriptions = new Set<MemorySubscription>();
  #state: 'open' | 'closing' | 'disconnected' = 'open';
  #closing: Promise<void> | undefined;

  constructor(broker: MemoryBroker, logger: Logger, retryDelayScale: number) {
    this.#broker = broker;
    this.#logger = logger;
    this.#retryDelayScale = retryDelayScale;
    broker.transportOpened();
  }

  #assertOpen(): void {
    if (this.#state !== 'open')
      throw new Error(`transport is ${this.#state === 'closing' ? 'closed' : 'disconnected'}`);
  }

  declareExchange(name: string): Promise<void> {
    return attempt(() => {
      this.#assertOpen();
      this.#broker.declareExchange(name);
    });
  }

  declareQueue(spec: QueueSpec): Promise<void> {
    return attempt(() => {
      this.#assertOpen();
      this.#broker.declareQueue(resolveQueueSpec(spec), this);
    });
  }

  publish(message: OutgoingMessage): Promise<void> {
    return attempt(() => this.#publishNow(message));
  }

  #publishNow(message: OutgoingMessage): void {
    this.#assertOpen();
    const { bytes } = encodeBody(message.body);
    this.#broker.publish({
      exchange: message.exchange,
      routingKey: message.routingKey,
      body: Buffer.from(bytes),
      messageId: message.messageId,
      correlationId: message.correlationId,
      replyTo: message.replyTo,
      type: message.type,
      headers: outgoingHeaders(message.headers),
      redelivered: false,
    });
  }

  publishMany(messages: readonly OutgoingMessage[]): Promise<void> {
    // In order; the first failure (a full queue) stops the rest, as a broken channel would.
    return attempt(() => {
      for (const message of messages) this.#publishNow(message);
    });
  }

  consume(queue: string, handler: MessageHandler, options?: ConsumeOptions): Promise<Subscription> {
    return attempt(() => resolvePrefetch(options?.prefetch, defaultPrefetch)).then((prefetch) =>
      this.#subscribe(queue, prefetch, (subscription) => ({
        onDelivery: (handle) => {
          void subscription.track(handleOne(subscription, handle, handler));
        },
        onClose: () => undefined,
      })),
    );
  }

  consumeBatch(queue: string, handler: BatchHandler, options: BatchConsumeOptions): Promise<Subscription> {
    return attempt(() => {
      checkBatchOptions(options);
      return resolvePrefetch(options.prefetch, 2 * options.maxMessages);
    }).then((prefetch) =>
      this.#subscribe(queue, prefetch, (subscription) => {
        const batcher = new Batcher<Handle>({
          maxMessages: options.maxMessages,
          maxWaitMs: options.maxWaitMs,
          run: (batch) =>
            subscription.track(runBatch(queue, batch, handler, handleSettler(subscription), this.#logger)),
        });
        return {
          onDelivery: (handle) => {
            if (!batcher.push(handle)) subscription.giveBack(handle);
          },
          // What no batch took goes back to the queue; the running batch finishes.
          // Each goes back to the head of the queue: in reverse, to keep their order.
          onClose: () =>
            batcher
              .close()
              .unstarted.reverse()
              .forEach((handle) => subscription.giveBack(handle)),
        };
      }),
    );
  }

  #subscribe(
    queueName: string,
    prefetch: number,
    mode: (subscription: MemorySubscription) => DeliveryMode,
  ): Promise<Subscription> {
    return attempt(() => this.#subscribeNow(queueName, prefetch, mode));
  }

  #subscribeNow(
    queueName: string,
    prefetch: number,
    mode: (subscription: MemorySubscription) => DeliveryMode,
  ): Subscription {
    this.#assertOpen();
    const queue = this.#broker.queue(queueName);
    if (queue === undefined)
      throw new Error(`queue ${queueName}: call declareQueue first (retries and dead letters need its spec)`);
    if (queue.owner !== undefined && queue.owner !== this)
      throw new Error(`queue ${queueName} is exclusive to another connection`);
    const subscription = new MemorySubscription(
      this.#broker,
      queue,
      prefetch,
      this.#logger,
      this.#retryDelayScale,
      mode,
      () => this.#subscriptions.delete(subscription),
    );
    this.#subscriptions.add(subscription);
    return subscription;
  }

  isReady(): boolean {
    return this.#state === 'open';
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const wasOpen = this.#state === 'open';
    if (wasOpen) this.#state = 'closing';
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.close()));
    if (wasOpen) {
      this.#broker.deleteExclusiveQueues(this);
      this.#broker.transportClosed();
    }
  }

  disconnect(): void {
    if (this.#state !== 'open') return;
    this.#state = 'disconnected';
    for (const subscription of this.#subscriptions) subscription.abandon();
    this.#subscriptions.clear();
    this.#broker.deleteExclusiveQueues(this);
    this.#broker.transportClosed();
    this.#logger.warn('in-memory transport disconnected');
  }
}

/** Runs `work` now; a throw becomes a rejected promise, as with a real broker's calls. */
const attempt = <T>(work: () => T): Promise<T> => new Promise<T>((resolve) => resolve(work()));

/** One delivery to one subscription; settled at most once. */
interface Handle {
  readonly message: StoredMessage;
  readonly delivery: Delivery;
  settled: boolean;
}

interface DeliveryMode {
  onDelivery(handle: Handle): void;
  onClose(): void;
}

class MemorySubscription implements Subscription, QueueConsumer {
  readonly prefetch: number;
  inFlight = 0;
  readonly queue: MemoryQueue;
  readonly logger: Logger;
  readonly #broker: MemoryBroker;
  readonly #retryDelayScale: number;
  readonly #mode: DeliveryMode;
  readonly #onClosed: () => void;
  /** Unsettled deliveries, in delivery order. */
  readonly #handles = new Set<Handle>();
  readonly #running = new Set<Promise<void>>();
  #closing: Promise<void> | undefined;

  constructor(
    broker: MemoryBroker,
    queue: MemoryQueue,
    prefetch: number,
    logger: Logger,
    retryDelayScale: number,
    mode: (subscription: MemorySubscription) => DeliveryMode,
    onClosed: () => void,
  ) {
    this.#broker = broker;
    this.queue = queue;
    this.prefetch = prefetch;
    this.logger = logger;
    this.#retryDelayScale = retryDelayScale;
    this.#onClosed = onClosed;
    this.#mode = mode(this);
    broker.addConsumer(queue, this);
  }

  deliver(message: StoredMessage): void {
    const handle: Handle = { message, delivery: toDelivery(message), settled: false };
    this.#handles.add(handle);
    this.#mode.onDelivery(handle);
  }

  /** Keeps `work` until it settles, so close() can wait for it. The result never rejects. */
  track(work: Promise<void>): Promise<void> {
    const settled = work.catch((error: unknown) => {
      this.logger.error({ err: error, queue: this.queue.name }, 'handling a delivery failed unexpectedly');
    });
    this.#running.add(settled);
    void settled.finally(() => this.#running.delete(settled));
    return settled;
  }

  #settle(handle: Handle): boolean {
    if (handle.settled) return false;
    handle.settled = true;
    this.#handles.delete(handle);
    return true;
  }

  ack(handle: Handle): void {
    if (this.#settle(handle)) this.#broker.release(this.queue, this);
  }

  giveBack(handle: Handle): void {
    if (this.#settle(handle)) this.#broker.requeue(this.queue, this, handle.message);
  }

  async fail(handle: Handle, error: unknown, honourDeadLetterError: boolean): Promise<void> {
    const logFields = {
      queue: this.queue.name,
      messageId: handle.delivery.messageId,
      attempt: handle.delivery.attempt,
      ...describeErrorForLog(error),
    };
    const spec = this.queue.spec;
    if (spec === undefined) {
      this.logger.error(logFields, 'handler failed on a dead letter; it stays in the dead-letter queue');
      await this.#pauseThenGiveBack(handle);
      return;
    }
    if (spec.exclusive) {
      this.logger.warn(logFields, 'handler failed on an exclusive queue; the message is dropped');
      this.ack(handle);
      return;
    }
    const plan = planFailure(spec, handle.delivery, error, honourDeadLetterError);
    this.logger.warn(
      { ...logFields, outcome: plan.kind },
      plan.kind === 'retry' ? 'handler failed; retrying later' : 'handler failed; dead-lettering',
    );
    this.#apply(handle, plan, spec);
  }

  async deadLetter(handle: Handle, reason: string): Promise<void> {
    if (this.queue.spec === undefined) {
      this.logger.error(
        { queue: this.queue.name, messageId: handle.delivery.messageId },
        'batch handler dead-lettered a dead letter; it stays',
      );
      await this.#pauseThenGiveBack(handle);
      return;
    }
    if (this.queue.spec.exclusive) {
      this.logger.warn(
        { queue: this.queue.name, messageId: handle.delivery.messageId },
        'batch handler dead-lettered a message of an exclusive queue; it is dropped',
      );
      this.ack(handle);
      return;
    }
    this.logger.warn(
      { queue: this.queue.name, messageId: handle.delivery.messageId },
      'batch handler dead-lettered a message',
    );
    this.#apply(handle, planDeadLetter(this.queue.name, handle.delivery, reason), this.queue.spec);
  }

  async #pauseThenGiveBack(handle: Handle): Promise<void> {
    await sleep(deadLetterRequeuePauseMs);
    this.giveBack(handle);
  }

  #apply(handle: Handle, plan: FailurePlan, spec: ResolvedQueueSpec): void {
    if (!this.#settle(handle)) return;
    const routingKey = plan.kind === 'retry' ? this.queue.name : deadLetterQueueName(this.queue.name);
    const message: StoredMessage = {
      ...handle.message,
      exchange: '',
      routingKey,
      headers: plan.headers,
      redelivered: false,
    };
    if (plan.kind === 'retry') {
      this.#broker.retryLater(this.queue, this, message, Math.ceil(plan.delayMs * this.#retryDelayScale));
      return;
    }
    if (this.#broker.deadLetter(this.queue, this, message)) return;
    // The dead-letter queue is full: keep the message, try again after the longest delay.
    this.logger.error(
      { queue: this.queue.name, messageId: handle.delivery.messageId },
      'dead-letter queue full; retrying the dead letter later',
    );
    const lastDelay = spec.retryDelaysMs[spec.retryDelaysMs.length - 1] ?? 1_000;
    this.#broker.retryLater(this.queue, this, handle.message, Math.ceil(lastDelay * this.#retryDelayScale));
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#broker.removeConsumer(this.queue, this);
    this.#mode.onClose();
    // Bounded: no new work starts once removed; each round waits for what runs.
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
    this.#onClosed();
  }

  /** The connection "died": everything unsettled goes back, redelivered; late settles are ignored. */
  abandon(): void {
    this.#closing ??= Promise.resolve();
    this.#broker.removeConsumer(this.queue, this);
    this.#mode.onClose();
    // Back to the head in reverse, so the queue keeps their original order.
    for (const handle of [...this.#handles].reverse()) this.giveBack(handle);
  }
}

async function handleOne(subscription: MemorySubscription, handle: Handle, handler: MessageHandler): Promise<void> {
  // A microtask later: the handler never runs inside the broker's dispatch loop.
  await Promise.resolve();
  try {
    await runInConsumerSpan(subscription.queue.name, handle.delivery, () => handler(handle.delivery));
  } catch (error) {
    try {
      await subscription.fail(handle, error, true);
    } catch (bug) {
      // Settling failed (a bug): keep the message rather than lose it.
      subscription.giveBack(handle);
      throw bug;
    }
    return;
  }
  subscription.ack(handle);
}

function handleSettler(subscription: MemorySubscription): BatchSettler<Handle> {
  return {
    delivery: (handle) => handle.delivery,
    ack: (handle) => subscription.ack(handle),
    deadLetter: (handle, reason) => subscription.deadLetter(handle, reason),
    retry: (handle, error) => subscription.fail(handle, error, false),
    giveBack: (handle) => subscription.giveBack(handle),
  };
}

function toDelivery(message: StoredMessage): Delivery {
  const headers = { ...message.headers };
  const route = readDeliveryRoute(headers, message.exchange, message.routingKey);
  return {
    // The consumer's own copy: a handler that writes into it cannot change a redelivery.
    body: Buffer.from(message.body),
    messageId: message.messageId,
    correlationId: message.correlationId,
    replyTo: message.replyTo,
    type: message.type,
    exchange: route.exchange,
    routingKey: route.routingKey,
    headers,
    attempt: route.attempt,
    redelivered: message.redelivered,
  };
}
