/**
 * With several partitions, messages published without a partition suffix
 * (producers that do not know the partition function, e.g. the gateway's
 * `gateway.user.registered`) land in the router's queue. The router reads each
 * envelope, finds its partition (partition.ts) and publishes it again, with
 * publisher confirms, to the same exchange with the routing key suffixed
 * `.p<k>`; only then does it ack. A crash between the two publishes a message
 * twice: the partition's inbox (message id) makes the copy a no-op.
 *
 * Its queue has a single active consumer, so one router forwards in the order
 * messages were published. A completion (payout completed, post, void) whose
 * hold is neither remembered (placed through this router) nor committed yet
 * fails the batch, which the transport retries after a delay; after
 * `holdWaitAttempts` attempts it goes to partition 0, which refuses it
 * (`hold_not_found`) like an unpartitioned ledger would.
 */
import { randomUUID } from 'node:crypto';
import { partitionRoutingKey } from '@t50/contracts';
import {
  transportHeader,
  type BatchOutcome,
  type Delivery,
  type Headers,
  type OutgoingMessage,
  type Subscription,
  type Transport,
} from '@t50/kit';
import { holdPlacedBy, routeOf, type HoldPartitions } from './partition';

const holdWaitAttempts = 3;

export class HoldNotYetKnownError extends Error {
  override readonly name = 'HoldNotYetKnownError';
}

const transportHeaders = new Set<string>(Object.values(transportHeader));

function forwardedHeaders(headers: Headers): Headers {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !transportHeaders.has(name)));
}

function envelopeOf(body: Buffer, maxBytes: number): unknown {
  if (body.length > maxBytes) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export async function startPartitionRouter(deps: {
  transport: Transport;
  holds: HoldPartitions;
  queue: string;
  partitions: number;
  maxMessages: number;
  maxWaitMs: number;
  maxMessageBytes: number;
}): Promise<Subscription> {
  const { transport, holds, partitions } = deps;
  return transport.consumeBatch(
    deps.queue,
    async (batch: readonly Delivery[]): Promise<BatchOutcome[]> => {
      const messages: OutgoingMessage[] = [];
      for (const delivery of batch) {
        // Unparseable or oversized: partition 0 dead-letters it with the reason.
        const envelope = envelopeOf(delivery.body, deps.maxMessageBytes);
        const route = routeOf(envelope, partitions);
        let partition: number;
        if ('partition' in route) {
          partition = route.partition;
        } else {
          const known = await holds.lookup(route.holdId);
          if (known === undefined && delivery.attempt < holdWaitAttempts) {
            throw new HoldNotYetKnownError(`hold ${route.holdId} is not known yet; routing again later`);
          }
          partition = known ?? 0;
        }
        const placed = holdPlacedBy(envelope);
        if (placed !== undefined) holds.remember(placed, partition);
        messages.push({
          exchange: delivery.exchange,
          routingKey: partitionRoutingKey(delivery.routingKey, partition, partitions),
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
