/**
 * Deposits: a checkout at the provider, then the provider's word (webhook,
 * the user's return, the reconciler) moves the deposit forward; a success
 * credits the user once through the outbox.
 */
import { randomUUID } from 'node:crypto';
import type { PaymentsReply, CreateDepositRequest, GetDepositRequest } from '@t50/contracts';
import type { Static } from '@sinclair/typebox';
import type { PaymentsDeps } from '../deps';
import { claimIdempotencyKey, requestHash } from '../idempotency';
import { problemReply } from '../problems';
import { callProvider } from '../provider-calls';
import { ProviderRefusedError, ProviderUnavailableError, type PaymentProvider } from '../providers/port';
import { depositColumns, depositView, type DepositRow } from '../views';
import { applyDepositStatus, type DepositChange } from './transitions';

type CreateDeposit = Static<typeof CreateDepositRequest>;
type GetDeposit = Static<typeof GetDepositRequest>;

export const newDepositId = (): string => `dep-${randomUUID()}`;

export async function loadDeposit(
  db: PaymentsDeps['db'],
  id: string,
  userId?: string,
): Promise<DepositRow | undefined> {
  const [row] =
    userId === undefined
      ? await db.query<DepositRow>(`select ${depositColumns} from deposits where id = $1`, [id])
      : await db.query<DepositRow>(`select ${depositColumns} from deposits where id = $1 and user_id = $2`, [
          id,
          userId,
        ]);
  return row;
}

export async function createDeposit(deps: PaymentsDeps, request: CreateDeposit): Promise<PaymentsReply> {
  const { userId, idempotencyKey, provider, asset, amount, returnUrl } = request.data;
  const adapter = deps.providers.get(provider);
  if (adapter === undefined) return problemReply('provider_not_enabled', `${provider} is not enabled here`);
  const limit = deps.limits.deposit[asset];
  const value = BigInt(amount);
  if (value < limit.min || value > limit.max) {
    return problemReply('amount_out_of_range', `a ${asset} deposit is from ${limit.min} to ${limit.max} minor units`);
  }
  const hash = requestHash('deposit', [provider, asset, amount, returnUrl]);
  const id = newDepositId();
  const expiresAt = new Date(deps.now().getTime() + deps.checkoutExpirySeconds * 1000);
  const claimed = await deps.db.transaction(async (tx) => {
    const outcome = await claimIdempotencyKey(tx, {
      userId,
      key: idempotencyKey,
      hash,
      kind: 'deposit',
      resourceId: id,
    });
    if (outcome.status !== 'new') return outcome;
    await tx.query(
      `insert into deposits (id, user_id, provider, asset, amount, return_url, expires_at)
       values ($1, $2, $3, $4, $5::numeric, $6, $7)`,
      [id, userId, provider, asset, amount, returnUrl.replaceAll('{id}', id), expiresAt],
    );
    return outcome;
  });
  if (claimed.status === 'reused') return problemReply('idempotency_key_reused');
  const row = await loadDeposit(deps.db, claimed.status === 'replay' ? claimed.resourceId : id);
  if (row === undefined) throw new Error('deposit vanished after it was recorded');
  // A replay of a request whose provider call never succeeded calls the provider again (same id: no second checkout).
  if (row.provider_ref !== null || row.state !== 'created') return { type: 'deposit', deposit: depositView(row) };
  return startCheckout(deps, adapter, row);
}

/** The provider's create call for a recorded deposit; its answer is stored once. */
async function startCheckout(deps: PaymentsDeps, adapter: PaymentProvider, row: DepositRow): Promise<PaymentsReply> {
  try {
    const created = await callProvider(deps, adapter.name, 'createDeposit', () =>
      adapter.createDeposit({
        depositId: row.id,
        userId: row.user_id,
        asset: row.asset,
        amount: BigInt(row.amount),
        returnUrl: row.return_url,
        expiresAt: row.expires_at,
      }),
    );
    const [updated] = await deps.db.query<DepositRow>(
      `update deposits set provider_ref = $2, redirect_url = $3, expires_at = $4, updated_at = now()
       where id = $1 and provider_ref is null returning ${depositColumns}`,
      [row.id, created.providerRef, created.redirectUrl, created.expiresAt],
    );
    const current = updated ?? (await loadDeposit(deps.db, row.id));
    deps.logger.info({ depositId: row.id, provider: row.provider }, 'deposit checkout created');
    return { type: 'deposit', deposit: depositView(current!) };
  } catch (error) {
    if (error instanceof ProviderUnavailableError) return problemReply('provider_unavailable');
    if (!(error instanceof ProviderRefusedError)) throw error;
    deps.logger.warn({ depositId: row.id, provider: row.provider, code: error.code }, 'provider refused the deposit');
    const change = await deps.db.transaction((tx) =>
      applyDepositStatus(deps, tx, row.id, {
        status: 'failed',
        reason: `the provider refused the payment (${error.code})`,
      }),
    );
    return { type: 'deposit', deposit: depositView(change!.row) };
  }
}

/**
 * One of the user's deposits. With `refresh` (the user is back from the
 * checkout), the provider is asked now instead of waiting for its webhook; a
 * provider that cannot be reached leaves the answer as recorded.
 */
export async function getDeposit(deps: PaymentsDeps, request: GetDeposit): Promise<PaymentsReply> {
  const { userId, depositId, refresh } = request.data;
  const row = await loadDeposit(deps.db, depositId, userId);
  if (row === undefined) return problemReply('deposit_not_found');
  const adapter = deps.providers.get(row.provider);
  if (
    !refresh ||
    adapter === undefined ||
    row.provider_ref === null ||
    !['created', 'processing'].includes(row.state)
  ) {
    return { type: 'deposit', deposit: depositView(row) };
  }
  const refreshed = await refreshDeposit(deps, adapter, row);
  return { type: 'deposit', deposit: depositView(refreshed?.row ?? row) };
}

/** Asks the provider about one deposit and applies the answer; undefined when the provider could not be asked. */
export async function refreshDeposit(
  deps: PaymentsDeps,
  adapter: PaymentProvider,
  row: DepositRow,
): Promise<DepositChange | undefined> {
  let status;
  try {
    status = await callProvider(deps, adapter.name, 'getDeposit', () =>
      adapter.getDeposit({ id: row.id, providerRef: row.provider_ref ?? undefined }),
    );
  } catch (error) {
    if (error instanceof ProviderUnavailableError || error instanceof ProviderRefusedError) {
      deps.logger.warn(
        { depositId: row.id, provider: row.provider, err: error },
        'could not ask the provider about a deposit',
      );
      return undefined;
    }
    throw error;
  }
  const change = await deps.db.transaction((tx) => applyDepositStatus(deps, tx, row.id, status));
  if (change?.changed === true && change.row.state === 'succeeded') deps.kickOutbox();
  return change;
}
