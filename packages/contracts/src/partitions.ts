/**
 * Ledger partitions. With `LEDGER_PARTITIONS` = N > 1 the ledger runs N
 * writers, each owning a disjoint set of accounts, each consuming its own
 * queue. This module is the one place that says which partition owns what;
 * producers that know N may route to a partition themselves (routing key
 * suffix `.p<k>`), the others publish as before and the ledger's router
 * forwards their messages. ../../../docs/scaling.md has the design.
 *
 * - A user's accounts belong to `partitionOf(userId, N)`.
 * - Platform accounts exist once per partition: `system:<kind>:<asset>` is
 *   partition 0's, `system:<kind>:<asset>:p<k>` partition k's.
 * - A transfer between two partitions goes through their transit accounts
 *   (`system:partition_transit:<asset>[:p<k>]`), as two linked transfers.
 *
 * Changing `fnv1a32` or the account id formats moves accounts between
 * writers: its values are pinned by a test.
 */

/** 32-bit FNV-1a of the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The partition that owns a user's accounts (and their flows). */
export function partitionOf(key: string, count: number): number {
  return count <= 1 ? 0 : fnv1a32(key) % count;
}

/** The account id of a platform account in a partition, e.g. `system:stripe_clearing:USD:p3`. */
export const partitionedSystemAccountId = (kind: string, asset: string, partition: number): string =>
  partition === 0 ? `system:${kind}:${asset}` : `system:${kind}:${asset}:p${partition}`;

/** Transit accounts carry a transfer between partitions: credited in the sender's, debited in the recipient's. */
export const transitAccountKind = 'partition_transit';

/** The transit account that carries `asset` out of or into `partition`. */
export const transitAccountId = (asset: string, partition: number): string =>
  partitionedSystemAccountId(transitAccountKind, asset, partition);

const partitionSuffix = /:p(\d{1,4})$/;

/**
 * The partition that owns an account, from its id alone. Ids that are neither
 * a user's nor a platform account (callers may open other owners' accounts by
 * command) belong to the partition of their owner id, the part after the
 * first colon and before the last.
 */
export function accountPartition(accountId: string, count: number): number {
  if (count <= 1) return 0;
  const first = accountId.indexOf(':');
  const last = accountId.lastIndexOf(':');
  if (accountId.startsWith('system:')) {
    const suffix = partitionSuffix.exec(accountId);
    return suffix === null ? 0 : Number(suffix[1]);
  }
  if (first < 0 || last <= first) return partitionOf(accountId, count);
  return partitionOf(accountId.slice(first + 1, last), count);
}

/** The routing key of a message for partition `partition` (unchanged with one partition). */
export const partitionRoutingKey = (routingKey: string, partition: number, count: number): string =>
  count <= 1 ? routingKey : `${routingKey}.p${partition}`;
