/**
 * The credential use cases: create, authenticate, change password, change
 * email, delete. Every password check goes through the failure limiter, and an
 * unknown email costs a full argon2id verification like a wrong password, so
 * neither the answer nor its timing tells which part was wrong.
 */
import type { Database, Logger } from '@t50/kit';
import type { AuthMetrics } from '../metrics';
import type { FailureLimiter, LimitRule } from '../ratelimit/service';
import { normaliseEmail } from './email';
import { CredentialError, fail, succeed, type Result } from './errors';
import { normalisePassword, type PasswordHasher } from './passwords';
import type { PasswordPolicy } from './policy';

export interface CredentialView {
  readonly userId: string;
  readonly email: string;
}

/**
 * Each use case takes an optional logger: the routes pass the request's, so a
 * use case's lines carry the request id and the calling service.
 */
export interface CredentialService {
  create(input: { email: string; password: string }, log?: Logger): Promise<Result<CredentialView>>;
  authenticate(
    input: { email: string; password: string; clientAddress: string },
    log?: Logger,
  ): Promise<Result<{ userId: string }>>;
  changePassword(
    input: { userId: string; currentPassword: string; newPassword: string; clientAddress: string },
    log?: Logger,
  ): Promise<Result<void>>;
  changeEmail(
    input: { userId: string; password: string; email: string; clientAddress: string },
    log?: Logger,
  ): Promise<Result<CredentialView>>;
  delete(userId: string, log?: Logger): Promise<Result<void>>;
}

export interface CredentialServiceDeps {
  readonly db: Database;
  readonly logger: Logger;
  readonly hasher: PasswordHasher;
  readonly policy: PasswordPolicy;
  readonly limiter: FailureLimiter;
  readonly limits: { readonly email: LimitRule; readonly address: LimitRule };
  readonly metrics: AuthMetrics;
}

type CredentialRow = {
  readonly user_id: string;
  readonly email: string;
  readonly password_hash: string;
};

/** SQLSTATE unique_violation: a concurrent request took the email first. */
function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === '23505';
}

const findByEmail = async (db: Database, email: string) =>
  (await db.query<CredentialRow>('select user_id, email, password_hash from credentials where email = $1', [email]))[0];

const findById = async (db: Database, userId: string) =>
  (
    await db.query<CredentialRow>('select user_id, email, password_hash from credentials where user_id = $1', [userId])
  )[0];

/**
 * Checks `password` against `row` (or, when there is no row, against the
 * dummy hash), counting the attempt against the email and the client address.
 */
async function checkPassword(
  deps: CredentialServiceDeps,
  attempt: { email: string; row: CredentialRow | undefined; password: string; clientAddress: string },
  log: Logger,
): Promise<Result<CredentialRow>> {
  const { hasher, limiter, limits, metrics } = deps;
  const { email, row, password, clientAddress } = attempt;
  const admission = await limiter.admit([
    { rule: limits.email, value: email },
    { rule: limits.address, value: clientAddress },
  ]);
  if (!admission.admitted) {
    metrics.authentications.inc({ outcome: 'rate_limited' });
    log.warn({ userId: row?.user_id, limit: admission.scope }, 'password check refused: too many failures');
    return fail({ error: CredentialError.RateLimited, retryAfterSeconds: admission.retryAfterSeconds });
  }
  const matches =
    row === undefined ? await hasher.verifyDummy(password) : await hasher.verify(row.password_hash, password);
  if (row === undefined || !matches) {
    metrics.authentications.inc({ outcome: 'invalid_credentials' });
    log.info({ userId: row?.user_id, knownEmail: row !== undefined }, 'password check failed');
    return fail({ error: CredentialError.InvalidCredentials });
  }
  await limiter.succeeded(admission.ticket);
  metrics.authentications.inc({ outcome: 'success' });
  return succeed(row);
}

/** Replaces a hash made with other parameters; a concurrent change of the hash wins. */
async function upgradeHash(
  deps: CredentialServiceDeps,
  row: CredentialRow,
  password: string,
  log: Logger,
): Promise<void> {
  if (!deps.hasher.needsRehash(row.password_hash)) return;
  const upgraded = await deps.hasher.hash(password);
  const updated = await deps.db.query(
    `update credentials set password_hash = $3, updated_at = now()
     where user_id = $1 and password_hash = $2 returning user_id`,
    [row.user_id, row.password_hash, upgraded],
  );
  if (updated.length === 1) {
    deps.metrics.passwordRehashes.inc();
    log.info({ userId: row.user_id, parameters: deps.hasher.parameters }, 'password hash upgraded');
  }
}

async function createCredential(
  deps: CredentialServiceDeps,
  input: { email: string; password: string },
  log: Logger,
): Promise<Result<CredentialView>> {
  const email = normaliseEmail(input.email);
  if (email === undefined) return fail({ error: CredentialError.InvalidEmail });
  const password = normalisePassword(input.password);
  const weakness = deps.policy.check(password);
  if (weakness !== undefined) return fail({ error: CredentialError.WeakPassword, reason: weakness });
  // Checked before hashing to answer a taken email quickly; the insert below settles races.
  if ((await findByEmail(deps.db, email)) !== undefined) return fail({ error: CredentialError.EmailTaken });
  const passwordHash = await deps.hasher.hash(password);
  const [row] = await deps.db.query<{ user_id: string }>(
    `insert into credentials (email, password_hash) values ($1, $2)
     on conflict (email) do nothing returning user_id`,
    [email, passwordHash],
  );
  if (row === undefined) return fail({ error: CredentialError.EmailTaken });
  log.info({ userId: row.user_id }, 'credential created');
  return succeed({ userId: row.user_id, email });
}

async function authenticate(
  deps: CredentialServiceDeps,
  input: { email: string; password: string; clientAddress: string },
  log: Logger,
): Promise<Result<{ userId: string }>> {
  const email = normaliseEmail(input.email);
  if (email === undefined) return fail({ error: CredentialError.InvalidEmail });
  const password = normalisePassword(input.password);
  const row = await findByEmail(deps.db, email);
  const checked = await checkPassword(deps, { email, row, password, clientAddress: input.clientAddress }, log);
  if (!checked.ok) return fail(checked.failure);
  try {
    await upgradeHash(deps, checked.value, password, log);
  } catch (error) {
    // The login itself succeeded; the upgrade is retried at the next one.
    log.error({ err: error, userId: checked.value.user_id }, 'password hash upgrade failed');
  }
  log.info({ userId: checked.value.user_id }, 'authenticated');
  return succeed({ userId: checked.value.user_id });
}

async function changePassword(
  deps: CredentialServiceDeps,
  input: { userId: string; currentPassword: string; newPassword: string; clientAddress: string },
  log: Logger,
): Promise<Result<void>> {
  const newPassword = normalisePassword(input.newPassword);
  const weakness = deps.policy.check(newPassword);
  if (weakness !== undefined) return fail({ error: CredentialError.WeakPassword, reason: weakness });
  const row = await findById(deps.db, input.userId);
  if (row === undefined) return fail({ error: CredentialError.NotFound });
  const password = normalisePassword(input.currentPassword);
  const checked = await checkPassword(
    deps,
    { email: row.email, row, password, clientAddress: input.clientAddress },
    log,
  );
  if (!checked.ok) return fail(checked.failure);
  const passwordHash = await deps.hasher.hash(newPassword);
  // Conditional on the hash just verified: if another request changed the
  // password meanwhile, the current password given here is no longer current.
  const updated = await deps.db.query(
    `update credentials set password_hash = $3, updated_at = now()
     where user_id = $1 and password_hash = $2 returning user_id`,
    [row.user_id, row.password_hash, passwordHash],
  );
  if (updated.length !== 1) return fail({ error: CredentialError.InvalidCredentials });
  log.info({ userId: row.user_id }, 'password changed');
  return succeed(undefined);
}

async function changeEmail(
  deps: CredentialServiceDeps,
  input: { userId: string; password: string; email: string; clientAddress: string },
  log: Logger,
): Promise<Result<CredentialView>> {
  const email = normaliseEmail(input.email);
  if (email === undefined) return fail({ error: CredentialError.InvalidEmail });
  const row = await findById(deps.db, input.userId);
  if (row === undefined) return fail({ error: CredentialError.NotFound });
  const password = normalisePassword(input.password);
  const checked = await checkPassword(
    deps,
    { email: row.email, row, password, clientAddress: input.clientAddress },
    log,
  );
  if (!checked.ok) return fail(checked.failure);
  if (email === row.email) return succeed({ userId: row.user_id, email });
  try {
    const updated = await deps.db.query(
      `update credentials set email = $2, updated_at = now() where user_id = $1 returning user_id`,
      [row.user_id, email],
    );
    if (updated.length !== 1) return fail({ error: CredentialError.NotFound });
  } catch (error) {
    if (isUniqueViolation(error)) return fail({ error: CredentialError.EmailTaken });
    throw error;
  }
  log.info({ userId: row.user_id }, 'email changed');
  return succeed({ userId: row.user_id, email });
}

async function deleteCredential(deps: CredentialServiceDeps, userId: string, log: Logger): Promise<Result<void>> {
  const deleted = await deps.db.query('delete from credentials where user_id = $1 returning user_id', [userId]);
  if (deleted.length !== 1) return fail({ error: CredentialError.NotFound });
  log.info({ userId }, 'credential deleted');
  return succeed(undefined);
}

/** The use cases bound to their dependencies; each defaults to the service's logger. */
export function createCredentialService(deps: CredentialServiceDeps): CredentialService {
  return {
    create: (input, log = deps.logger) => createCredential(deps, input, log),
    authenticate: (input, log = deps.logger) => authenticate(deps, input, log),
    changePassword: (input, log = deps.logger) => changePassword(deps, input, log),
    changeEmail: (input, log = deps.logger) => changeEmail(deps, input, log),
    delete: (userId, log = deps.logger) => deleteCredential(deps, userId, log),
  };
}
