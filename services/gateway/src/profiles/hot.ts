/**
 * Hot user data: the profile summary and tier every authenticated request
 * needs, cached in Redis for USER_CACHE_TTL_SECONDS and invalidated on every
 * change, after the change commits.
 *
 * A plain delete would leave a race: a reader that loaded the old row just
 * before the commit writes it back just after the delete, and the old tier or
 * role would be served until the TTL. So each user has a generation counter:
 * invalidating bumps it, a cached summary records the generation it was
 * loaded under, and a summary from an older generation is never served.
 */
import type { Queryable } from '@t50/kit';
import type { Role, Tier } from '../access/tiers';
import type { HotStore } from '../store/hot-store';

export type KycLevel2Status = 'none' | 'pending' | 'approved' | 'rejected';

export interface UserSummary {
  readonly userId: string;
  readonly email: string;
  readonly tier: Tier;
  readonly role: Role;
  readonly kyc: { readonly level1: boolean; readonly level2: KycLevel2Status };
  readonly createdAt: string;
}

export const userSummaryKey = (userId: string) => `user:${userId}:summary`;
export const userGenerationKey = (userId: string) => `user:${userId}:generation`;

/** Longer than any cached summary lives; when it lapses the generation restarts, and older summaries are long gone. */
const generationLifetimeSeconds = 7 * 86_400;

interface CachedSummary {
  readonly generation: string;
  readonly summary: UserSummary;
}

export interface UserCache {
  /** The summary of a live user; undefined when the user does not exist or was deleted. */
  get(userId: string): Promise<UserSummary | undefined>;
  invalidate(userId: string): Promise<void>;
}

export function createUserCache(deps: { db: Queryable; store: HotStore; ttlSeconds: number }): UserCache {
  const { db, store, ttlSeconds } = deps;
  return {
    async get(userId) {
      const [cached, current] = await Promise.all([
        store.get(userSummaryKey(userId)),
        store.get(userGenerationKey(userId)),
      ]);
      const generation = current ?? '0';
      if (cached !== undefined) {
        const parsed = JSON.parse(cached) as CachedSummary;
        if (parsed.generation === generation) return parsed.summary;
      }
      const summary = await loadSummary(db, userId);
      if (summary !== undefined) {
        const entry: CachedSummary = { generation, summary };
        await store.set(userSummaryKey(userId), JSON.stringify(entry), ttlSeconds);
      }
      return summary;
    },
    async invalidate(userId) {
      await store.hit(userGenerationKey(userId), generationLifetimeSeconds);
      await store.delete([userSummaryKey(userId)]);
    },
  };
}

export async function loadSummary(db: Queryable, userId: string): Promise<UserSummary | undefined> {
  const [row] = await db.query<{
    user_id: string;
    email: string;
    tier: Tier;
    role: Role;
    created_at: Date;
    level1: boolean;
    level2: KycLevel2Status | null;
  }>(
    `select p.user_id, p.email, p.tier, p.role, p.created_at,
       exists (select 1 from kyc_level1 k where k.user_id = p.user_id) as level1,
       (select status from kyc_level2 k where k.user_id = p.user_id order by submitted_at desc limit 1) as level2
     from profiles p where p.user_id = $1 and p.deleted_at is null`,
    [userId],
  );
  if (row === undefined) return undefined;
  return {
    userId: row.user_id,
    email: row.email,
    tier: row.tier,
    role: row.role,
    kyc: { level1: row.level1, level2: row.level2 ?? 'none' },
    createdAt: row.created_at.toISOString(),
  };
}
