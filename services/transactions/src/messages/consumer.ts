/**
 * The broker side of the ledger: one queue (`ledger.inbox`) bound to the
 * ledger's commands and to the domain events it records, consumed in batches.
 * Each message ends in exactly one of: applied, rejected (a rejection event,
 * and a reply if asked), dead-lettered (malformed; the reason in its headers).
 */
import { domainEvents, exchanges } from '@t50/contracts';
import type { BatchOutcome, Delivery, Subscription, Transport } from '@t50/kit';
import type { LedgerWriter } from '../ledger/writer';
import type { WorkItem } from '../ledger/model';
import { parseMessage } from './parse';

export const ledgerQueue = 'ledger.inbox';

export const ledgerBindings = [
  { exchange: exchanges.commands, routingKey: 'ledger.command.#' },
  ...domainEvents.map((schema) => ({ exchange: exchanges.events, routingKey: schema.$id! })),
];

export interface ConsumerOptions {
  readonly maxMessages: number;
  readonly maxWaitMs: number;
  readonly maxMessageBytes: number;
  readonly queue?: string;
}

export async function declareLedgerTopology(transport: Transport, queue = ledgerQueue): Promise<void> {
  await transport.declareExchange(exchanges.commands);
  await transport.declareExchange(exchanges.events);
  await transport.declareQueue({ name: queue, bindings: ledgerBindings, singleActiveConsumer: true });
}

export async function startLedgerConsumer(
  transport: Transport,
  writer: LedgerWriter,
  options: ConsumerOptions,
): Promise<Subscription> {
  const queue = options.queue ?? ledgerQueue;
  return transport.consumeBatch(
    queue,
    async (batch: readonly Delivery[]): Promise<BatchOutcome[]> => {
      const outcomes: BatchOutcome[] = new Array<BatchOutcome>(batch.length);
      const items: WorkItem[] = [];
      batch.forEach((delivery, index) => {
        const parsed = parseMessage(
          { body: delivery.body, replyTo: delivery.replyTo, correlationId: delivery.correlationId },
          options.maxMessageBytes,
        );
        if (parsed.ok) items.push(parsed.item);
        outcomes[index] = parsed.ok ? { kind: 'ack' } : { kind: 'dead-letter', reason: parsed.reason };
      });
      // Resolves after the commit; throws (and the batch is retried) if it failed.
      await writer.submit(items);
      return outcomes;
    },
    { maxMessages: options.maxMessages, maxWaitMs: options.maxWaitMs },
  );
}
