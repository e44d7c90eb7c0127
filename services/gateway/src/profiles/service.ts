/**
 * Account use cases: register, log in, change password or email (both end the
 * user's other sessions), delete (refused while any balance is not zero).
 * The auth service keeps the credential; this service keeps the profile.
 */
import { exchanges, type UserRegistered } from '@t50/contracts';
import type { Static } from '@sinclair/typebox';
import type { Database, Logger } from '@t50/kit';
import { atLeast, minimumTierToMove, userAssets, type Tier, type UserAsset } from '../access/tiers';
import { audit } from '../audit/log';
import type { AuthClient } from '../clients/auth';
import type { TransactionsClient } from '../clients/transactions';
import { fail, succeed, type Result as ResultOf } from '../http/problems';
import { enqueue, type OutboxRelay } from '../outbox/relay';
import type { Session, SessionService } from '../sessions/service';
import { AccountError } from './errors';
import type { UserCache, UserSummary } from './hot';
import { findProfile, insertProfile, markDeleted, setEmail } from './repository';

type Result<T> = ResultOf<T, AccountError>;

const isUserAsset = (asset: string): asset is UserAsset => (userAssets as readonly string[]).includes(asset);

export interface SignedIn {
  readonly user: UserSummary;
  readonly session: Session;
}

export interface AccountService {
  register(email: string, password: string): Promise<Result<SignedIn>>;
  login(email: string, password: string, clientAddress: string): Promise<Result<SignedIn>>;
  changePassword(
    user: UserSummary,
    sessionId: string,
    input: { currentPassword: string; newPassword: string },
    clientAddress: string,
  ): Promise<Result<{ sessionsEnded: number }>>;
  changeEmail(
    user: UserSummary,
    sessionId: string,
    input: { password: string; email: string },
    clientAddress: string,
  ): Promise<Result<{ user: UserSummary; sessionsEnded: number }>>;
  delete(user: UserSummary, password: string, clientAddress: string): Promise<Result<null>>;
  /** The hot summary of a live user. */
  summaryOf(userId: string): Promise<UserSummary | undefined>;
}

/**
 * What a user whose account still holds money can do about it, given what their tier allows: only
 * advice they can follow (a Basic user holding USD cannot send or withdraw it yet).
 */
export function balanceAdvice(tier: Tier, assets: readonly string[]): string {
  const movable = assets.filter((asset) => isUserAsset(asset) && atLeast(tier, minimumTierToMove[asset]));
  const locked = assets.filter((asset) => !movable.includes(asset));
  const advice: string[] = [];
  if (movable.length > 0) advice.push(`Withdraw ${movable.join(', ')} or send it to another user first.`);
  if (locked.length > 0) {
    const needed = locked.some((asset) => !isUserAsset(asset) || minimumTierToMove[asset] === 'full')
      ? 'KYC level 2'
      : 'KYC level 1';
    advice.push(
      `Your tier cannot move ${locked.join(', ')} yet: complete ${needed} to withdraw or send it, or contact support.`,
    );
  }
  return advice.join(' ');
}

export function createAccountService(deps: {
  readonly db: Database;
  readonly auth: AuthClient;
  readonly transactions: TransactionsClient;
  readonly sessions: SessionService;
  readonly users: UserCache;
  readonly outbox: OutboxRelay;
  readonly logger: Logger;
}): AccountService {
  const { db, auth, transactions, sessions, users, outbox, logger } = deps;

  async function signIn(userId: string): Promise<Result<SignedIn>> {
    const user = await users.get(userId);
    // A credential without a live profile (deleted account) cannot sign in.
    if (user === undefined) return fail(AccountError.InvalidCredentials);
    return succeed({ user, session: await sessions.start(userId) });
  }

  return {
    summaryOf: (userId) => users.get(userId),

    async register(email, password) {
      const created = await auth.createCredential(email, password);
      if (!created.ok) return created;
      const { userId } = created.value;
      const event: Static<typeof UserRegistered> = {
        id: `gateway.user.registered:${userId}`,
        type: 'gateway.user.registered',
        version: 1,
        data: { userId },
      };
      try {
        await db.transaction(async (tx) => {
          await insertProfile(tx, userId, created.value.email);
          await audit(tx, { userId, actorId: userId, action: 'profile.created', detail: { tier: 'browsing' } });
          await enqueue(tx, { messageId: event.id, exchange: exchanges.events, routingKey: event.type, body: event });
        });
      } catch (error) {
        // No profile, so no user: give the email back rather than leave a credential nobody can use.
        await auth
          .deleteCredential(userId)
          .catch((cleanupError: unknown) =>
            logger.error({ err: cleanupError, userId }, 'could not delete the credential of a failed registration'),
          );
        throw error;
      }
      outbox.kick();
      logger.info({ userId }, 'user registered');
      return signIn(userId);
    },

    async login(email, password, clientAddress) {
      const authenticated = await auth.authenticate(email, password, clientAddress);
      if (!authenticated.ok) return authenticated;
      return signIn(authenticated.value.userId);
    },

    async changePassword(user, sessionId, input, clientAddress) {
      const changed = await auth.changePassword(user.userId, input.currentPassword, input.newPassword, clientAddress);
      if (!changed.ok) return changed;
      await db.transaction((tx) =>
        audit(tx, { userId: user.userId, actorId: user.userId, action: 'password.changed' }),
      );
      const sessionsEnded = await sessions.endAll(user.userId, 'password changed', sessionId);
      return succeed({ sessionsEnded });
    },

    async changeEmail(user, sessionId, input, clientAddress) {
      const changed = await auth.changeEmail(user.userId, input.password, input.email, clientAddress);
      if (!changed.ok) return changed;
      await db.transaction(async (tx) => {
        await setEmail(tx, user.userId, changed.value.email);
        await audit(tx, {
          userId: user.userId,
          actorId: user.userId,
          action: 'email.changed',
          detail: { from: user.email, to: changed.value.email },
        });
      });
      await users.invalidate(user.userId);
      const sessionsEnded = await sessions.endAll(user.userId, 'email changed', sessionId);
      const updated = await users.get(user.userId);
      if (updated === undefined) return fail(AccountError.UserNotFound);
      return succeed({ user: updated, sessionsEnded });
    },

    async delete(user, password, clientAddress) {
      const authenticated = await auth.authenticate(user.email, password, clientAddress);
      if (!authenticated.ok) return authenticated;
      if (authenticated.value.userId !== user.userId) return fail(AccountError.InvalidCredentials);
      const accounts = await transactions.accountsOf(user.userId);
      const holding = accounts.filter(
        (account) =>
          account.ownerId === user.userId &&
          (BigInt(account.balance) !== 0n ||
            BigInt(account.pendingDebits) !== 0n ||
            BigInt(account.pendingCredits) !== 0n),
      );
      if (holding.length > 0) {
        const assets = holding.map((account) => account.asset);
        return fail(AccountError.BalanceNotZero, balanceAdvice(user.tier, assets), {
          balances: holding.map((account) => ({
            asset: account.asset,
            balance: account.balance,
            pendingDebits: account.pendingDebits,
          })),
        });
      }
      const stillLive = await db.transaction(async (tx) => {
        const profile = await findProfile(tx, user.userId, true);
        if (profile === undefined) return false;
        await markDeleted(tx, user.userId);
        await audit(tx, { userId: user.userId, actorId: user.userId, action: 'profile.deleted' });
        return true;
      });
      if (!stillLive) return fail(AccountError.UserNotFound);
      await users.invalidate(user.userId);
      await sessions.endAll(user.userId, 'account deleted');
      // The profile is gone, so the user cannot sign in even if this fails; it is logged for a retry by hand.
      const deleted = await auth.deleteCredential(user.userId);
      if (!deleted.ok)
        logger.error({ userId: user.userId, failure: deleted.failure }, 'credential of a deleted account not deleted');
      logger.info({ userId: user.userId }, 'account deleted');
      return succeed(null);
    },
  };
}
