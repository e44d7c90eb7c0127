/**
 * Sessions: a login starts a session (a refresh-token family) and returns an
 * access token plus a refresh token. Each refresh uses the family's current
 * refresh token once and issues the next one; presenting a used token again
 * revokes the whole family (it was stolen, or replayed). Ending a session marks
 * its family revoked in PostgreSQL and its id revoked in Redis, so its access
 * tokens are refused at once instead of when they expire.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Database, Logger, Queryable } from '@t50/kit';
import { audit } from '../audit/log';
import { fail, succeed, type Result as ResultOf } from '../http/problems';
import type { GatewayMetrics } from '../metrics';
import type { HotStore } from '../store/hot-store';
import { SessionError } from './errors';
import type { AccessClaims, TokenIssuer, TokenRejection } from './tokens';

type Result<T> = ResultOf<T, SessionError>;

export interface Session {
  readonly accessToken: string;
  readonly accessClaims: AccessClaims;
  /** Goes only into the httpOnly cookie. */
  readonly refreshToken: string;
  readonly refreshExpiresAt: Date;
}

export interface SessionService {
  /** Starts a session for a user who just proved who they are. */
  start(userId: string): Promise<Session>;
  /** Rotates a refresh token: the next one and a new access token. */
  refresh(presented: string): Promise<Result<Session>>;
  /** Verifies an access token and that neither it nor its session is revoked. */
  authenticate(token: string): Promise<Result<AccessClaims>>;
  /** Ends one session (logout): its refresh family and the presented access token. */
  end(claims: AccessClaims): Promise<void>;
  /** Ends every session of a user except `keepSessionId`; returns how many ended. */
  endAll(userId: string, reason: string, keepSessionId?: string): Promise<number>;
}

const hashToken = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();
const refreshTokenPattern = /^[A-Za-z0-9_-]{43}$/;

export const revokedTokenKey = (tokenId: string) => `revoked:token:${tokenId}`;
export const revokedSessionKey = (sessionId: string) => `revoked:session:${sessionId}`;

export interface SessionDeps {
  readonly db: Database;
  readonly store: HotStore;
  readonly tokens: TokenIssuer;
  readonly logger: Logger;
  readonly accessTtlSeconds: number;
  readonly refreshTtlSeconds: number;
  readonly metrics: GatewayMetrics;
  readonly now: () => number;
}

async function issueRefreshToken(
  deps: SessionDeps,
  tx: Queryable,
  familyId: string,
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(deps.now() + deps.refreshTtlSeconds * 1000);
  await tx.query('insert into refresh_tokens (token_hash, family_id, expires_at) values ($1, $2, $3)', [
    hashToken(token),
    familyId,
    expiresAt,
  ]);
  return { token, expiresAt };
}

/** Marks sessions revoked in the hot store for as long as any of their access tokens can live. */
async function revokeInStore(deps: SessionDeps, sessionIds: readonly string[]): Promise<void> {
  for (const sessionId of sessionIds) await deps.store.set(revokedSessionKey(sessionId), '1', deps.accessTtlSeconds);
}

async function revokeFamilies(
  tx: Queryable,
  userId: string,
  reason: string,
  familyIds: readonly string[],
): Promise<void> {
  if (familyIds.length === 0) return;
  await tx.query(
    `update refresh_token_families set revoked_at = now(), revoked_reason = $2
     where family_id = any($1::uuid[]) and revoked_at is null`,
    [familyIds, reason],
  );
  await audit(tx, {
    userId,
    actorId: undefined,
    action: 'sessions.revoked',
    detail: { reason, sessions: familyIds.length },
  });
}

function refused(deps: SessionDeps, reason: TokenRejection | 'revoked'): Result<AccessClaims> {
  deps.metrics.tokenRejections.inc({ reason });
  deps.logger.debug({ reason }, 'access token refused');
  return fail(SessionError.InvalidToken, undefined, { reason: reason === 'expired' ? 'expired' : 'invalid' });
}

async function startSession(deps: SessionDeps, userId: string): Promise<Session> {
  const { db, tokens } = deps;
  const familyId = randomUUID();
  const refresh = await db.transaction(async (tx) => {
    await tx.query('insert into refresh_token_families (family_id, user_id) values ($1, $2)', [familyId, userId]);
    return issueRefreshToken(deps, tx, familyId);
  });
  const access = await tokens.issue(userId, familyId);
  return {
    accessToken: access.token,
    accessClaims: access.claims,
    refreshToken: refresh.token,
    refreshExpiresAt: refresh.expiresAt,
  };
}

/** In one transaction: the presented refresh token is used once; a second use revokes its whole family. */
async function rotateRefreshToken(deps: SessionDeps, tx: Queryable, presented: string) {
  const { now } = deps;
  const [row] = await tx.query<{
    family_id: string;
    user_id: string;
    used_at: Date | null;
    expires_at: Date;
    revoked_at: Date | null;
    deleted_at: Date | null;
  }>(
    `select t.family_id, f.user_id, t.used_at, t.expires_at, f.revoked_at, p.deleted_at
     from refresh_tokens t
     join refresh_token_families f on f.family_id = t.family_id
     join profiles p on p.user_id = f.user_id
     where t.token_hash = $1
     for update of t, f`,
    [hashToken(presented)],
  );
  if (row === undefined) return { kind: 'unknown' as const };
  if (row.revoked_at !== null || row.deleted_at !== null) return { kind: 'revoked' as const };
  if (row.used_at !== null) {
    // Reuse: someone holds a token that was already exchanged. End the whole family.
    await revokeFamilies(tx, row.user_id, 'refresh token reused', [row.family_id]);
    await audit(tx, {
      userId: row.user_id,
      actorId: undefined,
      action: 'refresh_token.reused',
      detail: { session: row.family_id },
    });
    return { kind: 'reused' as const, familyId: row.family_id, userId: row.user_id };
  }
  if (row.expires_at.getTime() <= now()) return { kind: 'expired' as const };
  await tx.query('update refresh_tokens set used_at = now() where token_hash = $1', [hashToken(presented)]);
  const next = await issueRefreshToken(deps, tx, row.family_id);
  return { kind: 'rotated' as const, familyId: row.family_id, userId: row.user_id, next };
}

async function refreshSession(deps: SessionDeps, presented: string): Promise<Result<Session>> {
  const { db, tokens, logger } = deps;
  if (!refreshTokenPattern.test(presented)) return fail(SessionError.InvalidRefreshToken);
  const outcome = await db.transaction((tx) => rotateRefreshToken(deps, tx, presented));
  switch (outcome.kind) {
    case 'unknown':
    case 'revoked':
    case 'expired':
      return fail(SessionError.InvalidRefreshToken);
    case 'reused':
      await revokeInStore(deps, [outcome.familyId]);
      deps.metrics.refreshTokenReuse.inc();
      logger.warn({ userId: outcome.userId, session: outcome.familyId }, 'refresh token reused: session revoked');
      return fail(SessionError.InvalidRefreshToken);
    case 'rotated': {
      const access = await tokens.issue(outcome.userId, outcome.familyId);
      return succeed({
        accessToken: access.token,
        accessClaims: access.claims,
        refreshToken: outcome.next.token,
        refreshExpiresAt: outcome.next.expiresAt,
      });
    }
  }
}

async function authenticateToken(deps: SessionDeps, token: string): Promise<Result<AccessClaims>> {
  const { tokens, store } = deps;
  const verified = await tokens.verify(token);
  if (!verified.ok) return refused(deps, verified.reason);
  const { claims } = verified;
  if (await store.existsAny([revokedTokenKey(claims.tokenId), revokedSessionKey(claims.sessionId)])) {
    return refused(deps, 'revoked');
  }
  return succeed(claims);
}

async function endSession(deps: SessionDeps, claims: AccessClaims): Promise<void> {
  const { db, store, now } = deps;
  const remainingSeconds = claims.expiresAt - Math.floor(now() / 1000);
  if (remainingSeconds > 0) await store.set(revokedTokenKey(claims.tokenId), '1', remainingSeconds);
  await revokeInStore(deps, [claims.sessionId]);
  await db.transaction((tx) => revokeFamilies(tx, claims.userId, 'logout', [claims.sessionId]));
}

async function endAllSessions(
  deps: SessionDeps,
  userId: string,
  reason: string,
  keepSessionId?: string,
): Promise<number> {
  const { db } = deps;
  const families = await db.transaction(async (tx) => {
    const rows = await tx.query<{ family_id: string }>(
      `select family_id from refresh_token_families
       where user_id = $1 and revoked_at is null and family_id <> coalesce($2::uuid, '00000000-0000-0000-0000-000000000000'::uuid)
       for update`,
      [userId, keepSessionId ?? null],
    );
    const ids = rows.map((row) => row.family_id);
    await revokeFamilies(tx, userId, reason, ids);
    return ids;
  });
  await revokeInStore(deps, families);
  return families.length;
}

/** The session use cases bound to their dependencies. */
export function createSessionService(
  options: Omit<SessionDeps, 'now'> & { readonly now?: () => number },
): SessionService {
  const deps: SessionDeps = { ...options, now: options.now ?? Date.now };
  return {
    start: (userId) => startSession(deps, userId),
    refresh: (presented) => refreshSession(deps, presented),
    authenticate: (token) => authenticateToken(deps, token),
    end: (claims) => endSession(deps, claims),
    endAll: (userId, reason, keepSessionId) => endAllSessions(deps, userId, reason, keepSessionId),
  };
}
