/**
 * The broker side of the ledger: one queue per partition (`ledger.inbox`, or
 * `ledger.inbox.p<k>` with several partitions) bound to the ledger's commands
 * and to the domain events it records, consumed in batches by the partition's
 * writer.
 * Each message ends in exactly one of: applied, rejected (a rejection event,
 * and a reply if asked), dead-lettered (malformed; the reason in its headers).
 * If the partition's writer halts (a broken invariant: ledger/writer.ts), its
 * consumer stops and gives what it holds back to the queue unprocessed.
 */
import { domainEvents, exchanges, partitionRoutingKey } from '@t50/contracts';
import type { BatchOutcome, Delivery, QueueBinding, Subscription, Transport } from '@t50/kit';
import { WriterHaltedError, type LedgerWriter } from '../ledger/writer';
import { onePartition, type PartitionScope, type WorkItem } from '../ledger/model';
import { parseMessage } from './parse';

export const ledgerQueue = 'ledger.inbox';

/** Partition k's queue: the base name itself with one partition, `<base>.p<k>` with several. */
export const partitionQueueName = (base: string, partition: number, count: number): string =>
  count <= 1 ? base : `${base}.p${partition}`;

/** With several partitions: the queue of messages published without a partition, which the router forwards. */
export const routerQueueName = (base: string): string => `${base}.router`;

/** What the ledger consumes, by routing key: its commands and the domain events it has posting rules for. */
const unpartitionedBindings = [
  { exchange: exchanges.commands, routingKey: 'ledger.command.#' },
  ...domainEvents.map((schema) => ({ exchange: exchanges.events, routingKey: schema.$id! })),
];

/**
 * Bindings of partition k's queue. With one partition, the routing keys
 * producers have always used; with several, the same keys suffixed `.p<k>`.
 */
export function ledgerBindings(partition = 0, count = 1): QueueBinding[] {
  if (count <= 1) return unpartitionedBindings;
  return [
    { exchange: exchanges.commands, routingKey: `ledger.command.#.p${partition}` },
    ...domainEvents.map((schema) => ({ exchange: exchanges.events, routingKey: partitionRoutingKey(schema.$id!, partition, count) })),
  ];
}

/**
 * With several partitions, the router's queue takes the unsuffixed keys: the
 * ledger's commands (`ledger.command.ledger.*.*`, and any other one-word
 * command so that junk is still dead-lettered, not dropped) and the events.
 */
const routerBindings = [
  { exchange: exchanges.commands, routingKey: 'ledger.command.ledger.*.*' },
  { exchange: exchanges.commands, routingKey: 'ledger.command.*' },
  ...domainEvents.map((schema) => ({ exchange: exchanges.events, routingKey: schema.$id! })),
];

export interface ConsumerOptions {
  readonly maxMessages: number;
  readonly maxWaitMs: number;
  readonly maxMessageBytes: number;
  /** The base queue name (default `ledger.inbox`). */
  readonly queue?: string;
  readonly partition?: PartitionScope;
}

/** Declares the exchanges and every partition's queue (and, with several, the router's). Idempotent. */
export async function declareLedgerTopology(transport: Transport, queue = ledgerQueue, partitions = 1): Promise<void> {
  await transport.declareExchange(exchanges.commands);
  await transport.declareExchange(exchanges.events);
  for (let partition = 0; partition < partitions; partition += 1) {
    await transport.declareQueue({
      name: partitionQueueName(queue, partition, partitions),
      bindings: ledgerBindings(partition, partitions),
      singleActiveConsumer: true,
    });
  }
  if (partitions > 1) {
    await transport.declareQueue({ name: routerQueueName(queue), bindings: routerBindings, singleActiveConsumer: true });
  }
}

export async function startLedgerConsumer(
  transport: Transport,
  writer: LedgerWriter,
  options: ConsumerOptions,
): Promise<Subscription> {
  const scope = options.partition ?? onePartition;
  const queue = partitionQueueName(options.queue ?? ledgerQueue, scope.index, scope.count);
  const subscription = await transport.consumeBatch(
    queue,
    async (batch: readonly Delivery[]): Promise<BatchOutcome[]> => {
      const outcomes: BatchOutcome[] = new Array<BatchOutcome>(batch.length);
      const items: WorkItem[] = [];
      const itemIndex: number[] = [];
      batch.forEach((delivery, index) => {
        const parsed = parseMessage(
          { body: delivery.body, replyTo: delivery.replyTo, correlationId: delivery.correlationId },
          options.maxMessageBytes,
          scope.index,
        );
        if (parsed.ok) {
          items.push(parsed.item);
          itemIndex.push(index);
        }
        outcomes[index] = parsed.ok ? { kind: 'ack' } : { kind: 'dead-letter', reason: parsed.reason };
      });
      // Each delivery is settled by its own result: one message that cannot be
      // written is retried (and finally dead-lettered) alone; its neighbours,
      // committed, are acked. A halted writer's are given back untouched.
      const results = await writer.submitEach(items);
      results.forEach((result, position) => {
        if (result.status === 'rejected') outcomes[itemIndex[position]!] = failureOutcome(result.reason);
      });
      return outcomes;
    },
    { maxMessages: options.maxMessages, maxWaitMs: options.maxWaitMs },
  );
  // Stop taking deliveries at once: closing cancels the consumer (what it
  // prefetched goes back to the queue), then waits for the batch in flight,
  // whose deliveries the handler gives back.
  // A failed close shows where the service closes the same subscription.
  void writer.whenHalted.then(() => subscription.close()).catch(() => undefined);
  return subscription;
}

function failureOutcome(error: unknown): BatchOutcome {
  return error instanceof WriterHaltedError ? { kind: 'give-back' } : { kind: 'retry', reason: failureReason(error) };
}

/** A write failure as a dead-letter reason: the error's message, never a message body. */
function failureReason(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return `write_failed: ${text}`.slice(0, 300);
}
