/**
 * A HotStore whose revocations survive a restart, for deployments without
 * Redis (embedded mode): every `revoked:*` key written is also stored in the
 * gateway's own database (table `revocations`) until it expires, and loaded
 * back on first use after a start. Other keys (hot user data, rate-limit
 * counters) go to the inner store only: losing them is harmless. Revocations
 * are kept in a map of their own, never in the inner store's bounded space, so
 * no amount of other traffic can push one out. Expired rows are pruned at load
 * and whenever a revocation is written.
 */
import type { Queryable } from '@t50/kit';
import type { HotStore } from './hot-store';

const revocationPrefix = 'revoked:';

export function createDurableRevocationStore(
  db: Queryable,
  inner: HotStore,
  options: { now?: () => number } = {},
): HotStore {
  const now = options.now ?? Date.now;
  /** Key -> expiry (ms since the epoch). */
  const revoked = new Map<string, number>();
  let loaded: Promise<void> | undefined;

  const load = () => {
    loaded ??= (async () => {
      await db.query('delete from revocations where expires_at <= now()');
      const rows = await db.query<{ key: string; expires_ms: string }>(
        'select key, (extract(epoch from expires_at) * 1000)::bigint::text as expires_ms from revocations',
      );
      for (const row of rows) revoked.set(row.key, Number(row.expires_ms));
    })().catch((error: unknown) => {
      // Not loaded: the next call tries again rather than answer from an empty map.
      loaded = undefined;
      throw error;
    });
    return loaded;
  };

  const isRevoked = (key: string): boolean => {
    const expiresAt = revoked.get(key);
    if (expiresAt === undefined) return false;
    if (expiresAt > now()) return true;
    revoked.delete(key);
    return false;
  };

  return {
    kind: `${inner.kind}, revocations in the database`,
    async get(key) {
      if (!key.startsWith(revocationPrefix)) return inner.get(key);
      await load();
      return isRevoked(key) ? '1' : undefined;
    },
    async set(key, value, ttlSeconds) {
      if (!key.startsWith(revocationPrefix)) return inner.set(key, value, ttlSeconds);
      await load();
      const expiresAt = now() + Math.max(1, Math.ceil(ttlSeconds)) * 1000;
      // Stored first: a revocation the caller was told about is never only in memory.
      await db.query(
        `insert into revocations (key, expires_at) values ($1, $2::timestamptz)
         on conflict (key) do update set expires_at = greatest(revocations.expires_at, excluded.expires_at)`,
        [key, new Date(expiresAt).toISOString()],
      );
      await db.query('delete from revocations where expires_at <= now()');
      revoked.set(key, Math.max(expiresAt, revoked.get(key) ?? 0));
      const at = now();
      for (const [name, expiry] of revoked) if (expiry <= at) revoked.delete(name);
    },
    async delete(keys) {
      const own = keys.filter((key) => key.startsWith(revocationPrefix));
      if (own.length > 0) {
        await load();
        await db.query('delete from revocations where key = any($1::text[])', [own]);
        for (const key of own) revoked.delete(key);
      }
      await inner.delete(keys.filter((key) => !key.startsWith(revocationPrefix)));
    },
    async existsAny(keys) {
      const own = keys.filter((key) => key.startsWith(revocationPrefix));
      if (own.length > 0) {
        await load();
        if (own.some(isRevoked)) return true;
      }
      const others = keys.filter((key) => !key.startsWith(revocationPrefix));
      return others.length > 0 && inner.existsAny(others);
    },
    hit: (key, windowSeconds) => inner.hit(key, windowSeconds),
    async ping() {
      try {
        await db.query('select 1');
        return await inner.ping();
      } catch {
        return false;
      }
    },
  };
}
