/**
 * Granting and revoking the operator role (KYC review). Only from the command
 * line (src/cli/operators.ts), never over HTTP: an operator cannot make another.
 */
import type { Database } from '@t50/kit';
import type { Role } from '../access/tiers';
import { audit } from '../audit/log';
import type { UserCache } from './hot';
import { findProfileByEmail, setRole } from './repository';

/** Sets the role of the live user with this email; false when there is none. */
export async function setRoleByEmail(
  deps: { db: Database; users: UserCache },
  email: string,
  role: Role,
): Promise<boolean> {
  const changed = await deps.db.transaction(async (tx) => {
    const profile = await findProfileByEmail(tx, email);
    if (profile === undefined) return undefined;
    if (profile.role !== role) {
      await setRole(tx, profile.userId, role);
      await audit(tx, {
        userId: profile.userId,
        actorId: undefined,
        action: 'role.changed',
        detail: { from: profile.role, to: role, by: 'cli' },
      });
    }
    return profile.userId;
  });
  if (changed === undefined) return false;
  await deps.users.invalidate(changed);
  return true;
}

export async function listOperators(db: Database): Promise<{ userId: string; email: string }[]> {
  const rows = await db.query<{ user_id: string; email: string }>(
    `select user_id, email from profiles where role = 'operator' and deleted_at is null order by email limit 1000`,
  );
  return rows.map((row) => ({ userId: row.user_id, email: row.email }));
}
