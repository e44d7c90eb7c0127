/**
 * Voids expired holds. Every `intervalMs` it finds pending holds whose expiry
 * has passed (at most 1,000 a round) and submits a void for each through the
 * writer, so an expiry is ordered with every other command. The void's id
 * derives from the hold (`expire:<hold id>`): sweeping twice changes nothing.
 * With several partitions each void goes to the writer of the hold's
 * partition (the partition of its accounts).
 */
import { accountPartition } from '@t50/contracts';
import type { Database, Logger } from '@t50/kit';
import type { WorkItem } from '../ledger/model';
import type { LedgerWriter } from '../ledger/writer';

export function startHoldExpiry(deps: { db: Database; writers: readonly LedgerWriter[]; logger: Logger; intervalMs: number }): {
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
    const count = deps.writers.length;
    const byPartition = deps.writers.map((): WorkItem[] => []);
    for (const row of rows) {
      const items = byPartition[accountPartition(row.account, count)];
      if (items === undefined) {
        // Only if the recorded partition count was edited by hand (the service refuses another LEDGER_PARTITIONS).
        deps.logger.error({ hold: row.transfer_id, account: row.account }, 'expired hold belongs to no partition; not voided');
        continue;
      }
      items.push({
        messageId: `expire:${row.transfer_id}`,
        commandType: 'ledger.hold.expire',
        command: { kind: 'void', transferId: `expire:${row.transfer_id}`, pendingId: row.transfer_id, metadata: { reason: 'expired' }, expiry: true },
      });
    }
    await Promise.all(byPartition.flatMap((items, partition) => (items.length === 0 ? [] : [deps.writers[partition]!.submit(items)])));
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
