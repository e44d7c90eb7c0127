/**
 * Voids expired holds. Every `intervalMs` it finds pending holds whose expiry
 * has passed (at most 1,000 a round) and submits a void for each through the
 * writer, so an expiry is ordered with every other command. The void's id
 * derives from the hold (`expire:<hold id>`): sweeping twice changes nothing.
 */
import type { Database, Logger } from '@t50/kit';
import type { LedgerWriter } from '../ledger/writer';

export function startHoldExpiry(deps: { db: Database; writer: LedgerWriter; logger: Logger; intervalMs: number }): {
  sweep(): Promise<number>;
  close(): Promise<void>;
} {
  let stopped = false;
  let current: Promise<number> | undefined;
  async function sweep(): Promise<number> {
    const rows = await deps.db.query<{ transfer_id: string }>(
      `select transfer_id from holds where state = 'pending' and expires_at <= now() order by expires_at limit 1000`,
    );
    if (rows.length === 0) return 0;
    await deps.writer.submit(
      rows.map((row) => ({
        messageId: `expire:${row.transfer_id}`,
        commandType: 'ledger.hold.expire',
        command: { kind: 'void', transferId: `expire:${row.transfer_id}`, pendingId: row.transfer_id, metadata: { reason: 'expired' }, expiry: true },
      })),
    );
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
