/**
 * With several partitions, messages published without a partition suffix
 * (producers that do not know the partition function, e.g. the gateway's
 * `gateway.user.registered`) land in the router's queue. The router reads each
 * envelope, finds its partition (partition.ts) and publishes it again, with
 * publisher confirms, straight to that partition's queue (default exchange,
 * so no other consumer of `t50.events` sees the event twice); only then does
 * it ack. A crash between the two publishes a message twice: the partition's
 * inbox (message id) makes the copy a no-op.
 *
 * Its queue has a single active consumer, so one router forwards in the order
 * messages were published. A completion (payout completed, post, void) whose
 * hold is neither remembered (placed through this router) nor committed yet
 * waits in place for up to `holdWaitMs` (the hold is usually in flight in its
 * partition), keeping the order. If the hold is still unknown the batch fails
 * and the transport retries it after a delay (later messages may then pass
 * it); after `holdWaitAttempts` attempts it goes to partition 0, which
 * refuses it (`hold_not_found`) like an unpartitioned ledger would.
 */
import { randomUUID } from 'node:crypto';
import {
  jsonDepth,
  maxJsonDepth,
  transportHeader,
  type BatchOutcome,
  type Delivery,
  type Headers,
  type OutgoingMessage,
  type Subscription,
  type Transport,
} from '@t50/kit';
import { sleep } from '@t50/kit';
import { holdPlacedBy, routeOf, type HoldPartitions } from './partition';

const holdWaitAttempts = 3;
const holdWaitMs = 1000;
const holdPollMs = 25;

export class HoldNotYetKnownError extends Error {
  override readonly name = 'HoldNotYetKnownError';
}

const transportHeaders = new Set<string>(Object.values(transportHeader));

function forwardedHeaders(headers: Headers): Headers {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !transportHeaders.has(name)));
}

function envelopeOf(body: Buffer, maxBytes: number): unknown {
  if (body.length > maxBytes || jsonDepth(body) > maxJsonDepth) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export async function startPartitionRouter(deps: {
  transport: Transport;
  holds: HoldPartitions;
  /** The router's queue. */
  queue: string;
  /** Partition k's queue name. */
  partitionQueue: (partition: number) => string;
  partitions: number;
  maxMessages: number;
  maxWaitMs: number;
  maxMessageBytes: number;
}): Promise<Subscription> {
  const { transport, holds } = deps;

  /** The hold's partition, waiting up to `holdWaitMs` for it to be committed. */
  async function holdPartition(holdId: string): Promise<number | undefined> {
    const deadline = performance.now() + holdWaitMs;
    for (;;) {
      const known = await holds.lookup(holdId);
      if (known !== undefined || performance.now() >= deadline) return known;
      await sleep(holdPollMs);
    }
  }

  return transport.consumeBatch(
    deps.queue,
    async (batch: readonly Delivery[]): Promise<BatchOutcome[]> => {
      const messages: OutgoingMessage[] = [];
      for (const delivery of batch) {
        // Unparseable or oversized: partition 0 dead-letters it with the reason.
        const envelope = envelopeOf(delivery.body, deps.maxMessageBytes);
        const route = routeOf(envelope, deps.partitions);
        let partition: number;
        if ('partition' in route) {
          partition = route.partition;
        } else {
          const known = await holdPartition(route.holdId);
          if (known === undefined && delivery.attempt < holdWaitAttempts) {
            throw new HoldNotYetKnownError(`hold ${route.holdId} is not known yet; routing again later`);
          }
          partition = known ?? 0;
        }
        const placed = holdPlacedBy(envelope);
        if (placed !== undefined) holds.remember(placed, partition);
        messages.push({
          exchange: '',
          routingKey: deps.partitionQueue(partition),
          body: delivery.body,
          messageId: delivery.messageId ?? randomUUID(),
          ...(delivery.correlationId === undefined ? {} : { correlationId: delivery.correlationId }),
          ...(delivery.replyTo === undefined ? {} : { replyTo: delivery.replyTo }),
          ...(delivery.type === undefined ? {} : { type: delivery.type }),
          headers: forwardedHeaders(delivery.headers),
        });
      }
      await transport.publishMany(messages);
      return batch.map(() => ({ kind: 'ack' as const }));
    },
    { maxMessages: deps.maxMessages, maxWaitMs: deps.maxWaitMs },
  );
}
