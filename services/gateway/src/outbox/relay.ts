/**
 * The gateway's events leave through the kit's transactional outbox: enqueued
 * in the transaction of the change that caused them, published after the
 * commit with publisher confirms (see packages/kit/src/outbox.ts).
 */
export {
  createOutboxPublisher as createOutboxRelay,
  enqueueOutboxEvent as enqueue,
  type OutboxEvent,
  type OutboxPublisher as OutboxRelay,
} from '@t50/kit';
