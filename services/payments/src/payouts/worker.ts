/**
 * The payout worker: pays out held payouts through their provider. A payout
 * is claimed for a lease (two workers never call the provider for the same
 * one at once), then the provider is asked first whether it already has a
 * payout under our id (a crash after the create call and before our record of
 * it), and only when it has none is the payout created, with our id as the
 * idempotency key. Either guard alone prevents a second payout; together they
 * hold even against a provider that forgets idempotency keys (Stripe keeps
 * them 24 hours).
 */
import { backoffDelayMs } from '@t50/kit';
import type { PaymentsDeps } from '../deps';
import { callProvider } from '../provider-calls';
import { ProviderRefusedError, ProviderUnavailableError, type ProviderPayoutStatus } from '../providers/port';
import { payoutColumns, type PayoutRow } from '../views';
import { applyPayoutStatus, movePayout } from './transitions';

interface ClaimedPayout extends PayoutRow {
  attempts: number;
}

export async function claimHeldPayouts(deps: PaymentsDeps, claimMs: number, limit: number): Promise<ClaimedPayout[]> {
  return deps.db.transaction((tx) =>
    tx.query<ClaimedPayout>(
      `update payouts p set claimed_until = now() + make_interval(secs => $2::double precision / 1000), attempts = p.attempts + 1
       from payout_destinations d
       where d.id = p.destination_id and p.id in (
         select id from payouts
         where state = 'held' and next_attempt_at <= now() and (claimed_until is null or claimed_until < now())
         order by next_attempt_at limit $1 for update skip locked)
       returning ${payoutColumns}, p.attempts`,
      [limit, claimMs],
    ),
  );
}

/** Pays out what is held now; returns how many payouts were handed to their provider. */
export async function submitHeldPayouts(deps: PaymentsDeps, claimMs: number, limit = 20): Promise<number> {
  const claimed = await claimHeldPayouts(deps, claimMs, limit);
  let submitted = 0;
  for (const payout of claimed) {
    if (await submitOne(deps, payout)) submitted += 1;
  }
  return submitted;
}

async function submitOne(deps: PaymentsDeps, payout: ClaimedPayout): Promise<boolean> {
  const adapter = deps.providers.get(payout.provider);
  if (adapter === undefined) {
    deps.logger.error(
      { payoutId: payout.id, provider: payout.provider },
      'held payout of a provider that is not enabled: left held',
    );
    await retryLater(deps, payout, 3_600_000);
    return false;
  }
  try {
    const existing = await callProvider(deps, adapter.name, 'getPayout', () =>
      adapter.getPayout({ id: payout.id, providerRef: payout.provider_ref ?? undefined }),
    );
    let status: ProviderPayoutStatus = existing;
    let providerRef = payout.provider_ref ?? undefined;
    if (existing.status === 'not_found') {
      const created = await callProvider(deps, adapter.name, 'createPayout', () =>
        adapter.createPayout({
          payoutId: payout.id,
          userId: payout.user_id,
          asset: payout.asset,
          amount: BigInt(payout.amount),
          destination: payout.destination,
        }),
      );
      status = created.status;
      providerRef = created.providerRef;
    } else {
      deps.logger.warn(
        { payoutId: payout.id, provider: adapter.name },
        'the provider already had this payout: not created again',
      );
    }
    await deps.db.transaction(async (tx) => {
      await movePayout(deps, tx, payout.id, ['held'], 'submitted', providerRef === undefined ? {} : { providerRef });
      await applyPayoutStatus(deps, tx, payout.id, status, providerRef);
    });
    deps.kickOutbox();
    return true;
  } catch (error) {
    if (error instanceof ProviderRefusedError) {
      deps.logger.warn(
        { payoutId: payout.id, provider: adapter.name, code: error.code },
        'provider refused the payout',
      );
      await deps.db.transaction((tx) =>
        movePayout(deps, tx, payout.id, ['held'], 'failed', {
          reason: `the provider refused the payout (${error.code})`,
          code: 'provider_refused',
        }),
      );
      deps.kickOutbox();
      return false;
    }
    if (!(error instanceof ProviderUnavailableError)) throw error;
    await retryLater(deps, payout, backoffDelayMs(payout.attempts, { baseMs: 1_000, maxMs: 300_000, jitter: 'full' }));
    return false;
  }
}

async function retryLater(deps: PaymentsDeps, payout: ClaimedPayout, delayMs: number): Promise<void> {
  await deps.db.query(
    `update payouts set claimed_until = null, next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
     where id = $1 and state = 'held'`,
    [payout.id, delayMs],
  );
  deps.logger.warn(
    { payoutId: payout.id, provider: payout.provider, retryInMs: delayMs },
    'payout not submitted yet; will retry',
  );
}
