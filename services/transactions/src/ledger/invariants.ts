/**
 * Checks a batch's writes before they reach the database (TigerBeetle's rule:
 * assert invariants before a write). A failed check is a defect in our code,
 * not bad input, so it is not retried: the writer throws an
 * `InvariantViolation` inside the batch's transaction (nothing of the batch is
 * written), then halts its partition (ledger/writer.ts): the messages stay in
 * the queue, untouched, for the fixed code to apply after a restart.
 */
import type { BatchWrites } from './engine';

/** A broken invariant: a bug in the ledger's code. Its message names transfer ids and assets, never a person. */
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

/** Throws when, for some asset or some transfer, the batch's debit entries do not equal its credit entries. */
export function assertBalancedWrites(writes: Pick<BatchWrites, 'entries'>): void {
  const byAsset = new Map<string, bigint>();
  const byTransfer = new Map<string, bigint>();
  for (const entry of writes.entries) {
    if (entry.amount <= 0n)
      throw new InvariantViolation(`invariant: entry of transfer ${entry.transferId} has amount ${entry.amount}`);
    const signed = entry.side === 'D' ? entry.amount : -entry.amount;
    byAsset.set(entry.asset, (byAsset.get(entry.asset) ?? 0n) + signed);
    const key = `${entry.transferId}\u0000${entry.asset}`;
    byTransfer.set(key, (byTransfer.get(key) ?? 0n) + signed);
  }
  for (const [asset, difference] of byAsset) {
    if (difference !== 0n)
      throw new InvariantViolation(`invariant: the batch's ${asset} debits and credits differ by ${difference}`);
  }
  for (const [key, difference] of byTransfer) {
    if (difference !== 0n) {
      const [transferId, asset] = key.split('\u0000');
      throw new InvariantViolation(
        `invariant: transfer ${transferId}'s ${asset} debits and credits differ by ${difference}`,
      );
    }
  }
}
