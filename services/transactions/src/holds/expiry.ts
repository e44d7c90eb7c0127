/**
 * Voids expired holds. Every `intervalMs` it finds pending holds whose expiry
 * has passed (at most 1,000 a round) and hands each, by the partition of its
 * accounts, to `dispatch`: the writer of that partition in this process, or
 * (several instances) the partition's queue as a `ledger.hold.expire` command,
 * so that only the partition's active consumer writes. Either way the void
 * is ordered with every other command of the partition, and its ids derive
 * from the hold (`expire:<hold id>`): sweeping twice, or from two instances,
 * changes nothing.
 */
import { accountPartition } from '@t50/contracts';
import type { Database, Logger } from '@t50/kit';

/** Voids these expired holds through partition `partition`'s writer; resolves when done (or queued). */
export type ExpiryDispatch = (partition: number, holdIds: readonly string[]) => Promise<void>;

export function startHoldExpiry(deps: {
  db: Database;
  logger: Logger;
  intervalMs: number;
  partitions: number;
  dispatch: ExpiryDispatch;
}): {
  sweep(): Promise<number>;
  close(): Promise<void>;
} {
  let stopped = false;
  let current: Promise<number> | undefined;
  async function sweep(): Promise<number> {
    const rows = await deps.db.query<{ transfer_id: string; account: string }>(
      `select holds.transfer_id, transfers.legs -> 0 ->> 'debitAccountId' as account
       from holds join transfers on transfers.id = holds.transfer_id
       where holds.state = 'pending' and holds.expires_at <= now() order by holds.expires_at limit 1000`,
    );
    if (rows.length === 0) return 0;
    const byPartition = new Map<number, string[]>();
    for (const row of rows) {
      const partition = accountPartition(row.account, deps.partitions);
      if (partition >= deps.partitions) {
        // Only if the recorded partition count was edited by hand (the service refuses another LEDGER_PARTITIONS).
        deps.logger.error({ hold: row.transfer_id, account: row.account }, 'expired hold belongs to no partition; not voided');
        continue;
      }
      const holdIds = byPartition.get(partition) ?? [];
      holdIds.push(row.transfer_id);
      byPartition.set(partition, holdIds);
    }
    await Promise.all([...byPartition].map(([partition, holdIds]) => deps.dispatch(partition, holdIds)));
    deps.logger.info({ holds: rows.length }, 'voided expired holds');
    return rows.length;
  }
  const timer = setInterval(() => {
    if (stopped || current !== undefined) return;
    current = sweep()
      .catch((error: unknown) => {
        deps.logger.warn({ err: error }, 'hold expiry sweep failed; will try again');
        return 0;
      })
      .finally(() => {
        current = undefined;
      });
  }, deps.intervalMs);
  timer.unref();
  return {
    sweep,
    async close() {
      stopped = true;
      clearInterval(timer);
      await current;
    },
  };
}
