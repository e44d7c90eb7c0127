/**
 * Profiles in PostgreSQL, behind one small module (the original application
 * kept them in MongoDB; here every service has one kind of database, so the
 * gateway's data lives in its own PostgreSQL database).
 */
import type { Queryable } from '@t50/kit';
import type { Role, Tier } from '../access/tiers';

export interface Profile {
  readonly userId: string;
  readonly email: string;
  readonly tier: Tier;
  readonly role: Role;
  readonly createdAt: Date;
}

interface ProfileRow {
  user_id: string;
  email: string;
  tier: Tier;
  role: Role;
  created_at: Date;
  [column: string]: unknown;
}

const toProfile = (row: ProfileRow): Profile => ({
  userId: row.user_id,
  email: row.email,
  tier: row.tier,
  role: row.role,
  createdAt: row.created_at,
});

export async function insertProfile(tx: Queryable, userId: string, email: string): Promise<void> {
  await tx.query('insert into profiles (user_id, email) values ($1, $2)', [userId, email]);
}

/** A live (not deleted) profile. */
export async function findProfile(db: Queryable, userId: string, lock = false): Promise<Profile | undefined> {
  const [row] = await db.query<ProfileRow>(
    `select user_id, email, tier, role, created_at from profiles where user_id = $1 and deleted_at is null${lock ? ' for update' : ''}`,
    [userId],
  );
  return row === undefined ? undefined : toProfile(row);
}

export async function findProfileByEmail(db: Queryable, email: string): Promise<Profile | undefined> {
  const [row] = await db.query<ProfileRow>(
    'select user_id, email, tier, role, created_at from profiles where email = $1 and deleted_at is null',
    [email.trim().toLowerCase()],
  );
  return row === undefined ? undefined : toProfile(row);
}

export async function setTier(tx: Queryable, userId: string, tier: Tier): Promise<void> {
  await tx.query('update profiles set tier = $2, updated_at = now() where user_id = $1', [userId, tier]);
}

export async function setEmail(tx: Queryable, userId: string, email: string): Promise<void> {
  await tx.query('update profiles set email = $2, updated_at = now() where user_id = $1', [userId, email]);
}

export async function setRole(tx: Queryable, userId: string, role: Role): Promise<void> {
  await tx.query('update profiles set role = $2, updated_at = now() where user_id = $1', [userId, role]);
}

export async function markDeleted(tx: Queryable, userId: string): Promise<void> {
  await tx.query('update profiles set deleted_at = now(), updated_at = now() where user_id = $1', [userId]);
}
