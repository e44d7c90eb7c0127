/**
 * The message transport contract. Two implementations honour it: RabbitMQ
 * (rabbitmq.ts, for real deployments and every test) and an in-process one
 * (memory.ts, for embedded mode). One contract suite (contract.test.ts) runs
 * against both, so a service cannot tell them apart.
 *
 * Guarantees:
 * - at-least-once delivery; a delivery is acked only after its handler resolves;
 * - a handler that throws `DeadLetterError` sends the message to the dead-letter
 *   queue at once (malformed input: not JSON, wrong schema);
 * - a handler that throws anything else is retried through a delay queue with
 *   backoff (`retryDelaysMs`), and dead-lettered after `maxAttempts` attempts;
 * - a dead-lettered message keeps its body and its headers and gains
 *   `x-t50-death-reason`, `x-t50-original-exchange`, `x-t50-original-routing-key`,
 *   `x-t50-original-queue` and `x-t50-attempt`;
 * - `publish` resolves only once the broker confirmed the message (durable);
 * - the W3C `traceparent` of the active span travels in the message headers.
 */

export type HeaderValue = string | number | boolean;
export type Headers = Record<string, HeaderValue>;

export interface OutgoingMessage {
  /** A topic exchange, or '' for the default exchange (then routingKey is a queue name). */
  readonly exchange: string;
  readonly routingKey: string;
  /** A Buffer is sent as is; anything else is sent as JSON. */
  readonly body: unknown;
  /** Every message carries an id: consumers deduplicate on it. */
  readonly messageId: string;
  readonly correlationId?: string;
  readonly replyTo?: string;
  /** The message kind, e.g. 'ledger.transfer.posted'. */
  readonly type?: string;
  readonly headers?: Headers;
}

export interface Delivery {
  readonly body: Buffer;
  readonly messageId: string | undefined;
  readonly correlationId: string | undefined;
  readonly replyTo: string | undefined;
  readonly type: string | undefined;
  readonly exchange: string;
  readonly routingKey: string;
  readonly headers: Headers;
  /** 1 on the first attempt; counts retries through the delay queue. */
  readonly attempt: number;
  /** True when the broker delivered this message before (the consumer died or nacked). */
  readonly redelivered: boolean;
}

export interface QueueBinding {
  readonly exchange: string;
  /** Topic pattern: words separated by dots, `*` one word, `#` zero or more. */
  readonly routingKey: string;
}

export interface QueueSpec {
  readonly name: string;
  readonly bindings?: readonly QueueBinding[];
  /** Attempts before a failing message is dead-lettered. Default 5. */
  readonly maxAttempts?: number;
  /** Delay before retry n (index n-1); the last value repeats. Default [200, 1000, 5000]. */
  readonly retryDelaysMs?: readonly number[];
  /**
   * Only one consumer receives messages at a time (RabbitMQ single active
   * consumer): a partition's single writer. Default false.
   */
  readonly singleActiveConsumer?: boolean;
  /**
   * A private queue of the transport that declares it (RabbitMQ: an exclusive,
   * non-durable classic queue), for replies: another transport can neither
   * declare nor consume it, and it is deleted with what it holds when its
   * transport closes (or its connection is lost for good). It has no retry
   * queues and no dead-letter queue: a delivery whose handler throws (or that
   * a batch handler retries or dead-letters) is dropped and logged. Publishing
   * to it by name through the default exchange works from any transport; once
   * it is gone, such a publish is dropped silently. Default false; not with
   * `singleActiveConsumer`.
   */
  readonly exclusive?: boolean;
}

/** Thrown by a handler: the message can never be processed; dead-letter it now. */
export class DeadLetterError extends Error {
  override readonly name = 'DeadLetterError';
}

export type MessageHandler = (delivery: Delivery) => Promise<void>;

/**
 * What a batch handler decides for one delivery of its batch: done (ack),
 * never processable (dead-letter now, with the reason), failed this time
 * (retry: the retry path of that delivery alone, dead-lettered with the
 * reason once its attempts are used up), or not processed at all (give-back:
 * back to its queue as it was, neither retried nor dead-lettered, for a
 * consumer that stops: close the subscription first, or the delivery may
 * come straight back; RabbitMQ counts the return in its delivery count).
 */
export type BatchOutcome =
  | { readonly kind: 'ack' }
  | { readonly kind: 'dead-letter'; readonly reason: string }
  | { readonly kind: 'retry'; readonly reason: string }
  | { readonly kind: 'give-back' };

/**
 * Receives up to `maxMessages` deliveries (or what arrived within `maxWaitMs`)
 * and returns one outcome per delivery, in the same order. It is never called
 * again before the previous call settled (one writer). If it throws, every
 * delivery of the batch goes through the retry path; a handler that knows
 * which deliveries failed returns `retry` for those alone.
 */
export type BatchHandler = (batch: readonly Delivery[]) => Promise<readonly BatchOutcome[]>;

export interface ConsumeOptions {
  /** Unacked deliveries in flight at once. Default 10. */
  readonly prefetch?: number;
}

export interface BatchConsumeOptions {
  readonly maxMessages: number;
  readonly maxWaitMs: number;
  /** Default 2 * maxMessages, so the next batch fills while one is written. */
  readonly prefetch?: number;
}

export interface Subscription {
  /** Stops taking new deliveries, waits for handlers in flight, then settles. */
  close(): Promise<void>;
}

export interface Transport {
  /** A durable topic exchange. Idempotent. */
  declareExchange(name: string): Promise<void>;
  /** A durable (quorum, on RabbitMQ) queue with its bindings, retry queues and dead-letter queue. Idempotent. */
  declareQueue(spec: QueueSpec): Promise<void>;
  /** Resolves when the broker confirmed the message. */
  publish(message: OutgoingMessage): Promise<void>;
  /** Publishes all, pipelined; resolves when every one is confirmed. */
  publishMany(messages: readonly OutgoingMessage[]): Promise<void>;
  consume(queue: string, handler: MessageHandler, options?: ConsumeOptions): Promise<Subscription>;
  consumeBatch(queue: string, handler: BatchHandler, options: BatchConsumeOptions): Promise<Subscription>;
  /** True while connected (readiness). */
  isReady(): boolean;
  /** Closes consumers, then channels, then the connection. */
  close(): Promise<void>;
}

/** Name of the dead-letter queue of a queue. */
export const deadLetterQueueName = (queue: string): string => `${queue}.dead`;
