/**
 * How a command reaches the writer of the partition that owns its accounts:
 * HTTP commands (`submit`) and hold expiries (`expire`). With one instance
 * (route `writer`) they go straight to the in-process writer; with several
 * (route `queue`) they are published to the partition's queue, whose single
 * active consumer writes, and the answer is read back from the inbox.
 */
import type { Database, Transport } from '@t50/kit';
import type { TransactionsConfig } from '../config';
import type { SubmitCommand } from '../http/routes';
import { storedOutcome, waitForOutcome } from '../ledger/reads';
import type { LedgerWriter } from '../ledger/writer';
import { expireCommand, parseValue } from './parse';
import { routeOf, type HoldPartitions } from './partition';

export interface CommandRouting {
  readonly submit: SubmitCommand;
  /** Voids the given expired holds of one partition. */
  readonly expire: (partition: number, holdIds: readonly string[]) => Promise<void>;
}

export function createCommandRouting(deps: {
  readonly config: Pick<
    TransactionsConfig,
    'LEDGER_COMMAND_ROUTE' | 'LEDGER_MAX_MESSAGE_BYTES' | 'LEDGER_COMMAND_TIMEOUT_MS'
  >;
  readonly db: Database;
  readonly transport: Transport;
  readonly writers: readonly LedgerWriter[];
  readonly holds: HoldPartitions;
  /** The queue of a partition. */
  readonly queueOf: (partition: number) => string;
}): CommandRouting {
  return deps.config.LEDGER_COMMAND_ROUTE === 'queue' ? throughQueue(deps) : throughWriter(deps);
}

type RoutingDeps = Parameters<typeof createCommandRouting>[0];

/** The partition a command belongs to (a post or void: its hold's, remembered or looked up; else 0). */
async function partitionOf(value: unknown, deps: RoutingDeps): Promise<number> {
  const route = routeOf(value, deps.writers.length);
  return 'partition' in route ? route.partition : ((await deps.holds.lookup(route.holdId)) ?? 0);
}

function throughWriter(deps: RoutingDeps): CommandRouting {
  return {
    async submit(value, raw) {
      const partition = await partitionOf(value, deps);
      const parsed = parseValue(value, raw, partition);
      if (!parsed.ok) return parsed;
      const [result] = await deps.writers[partition]!.submit([parsed.item]);
      return { ok: true, result: result! };
    },
    async expire(partition, holdIds) {
      await deps.writers[partition]!.submit(
        holdIds.map((holdId) => ({
          messageId: `expire:${holdId}`,
          commandType: 'ledger.hold.expire',
          command: expireCommand(holdId),
        })),
      );
    },
  };
}

function throughQueue(deps: RoutingDeps): CommandRouting {
  const { config, db, transport, queueOf } = deps;
  return {
    async submit(value, raw) {
      const partition = await partitionOf(value, deps);
      const parsed = parseValue(value, raw, partition);
      if (!parsed.ok) return parsed;
      const size = Buffer.byteLength(JSON.stringify(value));
      if (size > config.LEDGER_MAX_MESSAGE_BYTES) {
        // The consumer would dead-letter it: say so now instead of waiting for an outcome that never comes.
        return {
          ok: false,
          reason: `message_too_large: ${size} bytes, the limit is ${config.LEDGER_MAX_MESSAGE_BYTES}`,
        };
      }
      const { messageId } = parsed.item;
      const earlier = await storedOutcome(db, messageId);
      if (earlier !== undefined) return { ok: true, stored: earlier, again: true };
      await transport.publish({
        exchange: '',
        routingKey: queueOf(partition),
        body: value,
        messageId,
        type: parsed.item.commandType,
        correlationId: raw.correlationId,
      });
      const stored = await waitForOutcome(db, messageId, config.LEDGER_COMMAND_TIMEOUT_MS);
      return stored === undefined ? { ok: true, pending: messageId } : { ok: true, stored };
    },
    async expire(partition, holdIds) {
      await transport.publishMany(
        holdIds.map((pendingId) => ({
          exchange: '',
          routingKey: queueOf(partition),
          body: { id: `expire:${pendingId}`, type: 'ledger.hold.expire', version: 1, data: { pendingId } },
          messageId: `expire:${pendingId}`,
          type: 'ledger.hold.expire',
        })),
      );
    },
  };
}
