/**
 * The reconciler, run every PAYMENTS_RECONCILE_INTERVAL_MS: asks the provider
 * again about every deposit and payout that is not final (a lost webhook
 * costs at most one interval), expires checkouts left unpaid past their
 * expiry, and reports what disagrees between a provider and our records
 * (a metric and a log line with ids only, never personal data).
 */
import type { PaymentsDeps } from '../deps';
import { refreshDeposit } from '../deposits/service';
import { expireDeposit } from '../deposits/transitions';
import { callProvider } from '../provider-calls';
import { ProviderRefusedError, ProviderUnavailableError } from '../providers/port';
import { applyPayoutStatus } from '../payouts/transitions';
import { depositColumns, payoutColumns, payoutFrom, type DepositRow, type PayoutRow } from '../views';

/** Most rows of each kind looked at in one run; the next run takes the rest. */
const batchSize = 200;

export interface ReconcileReport {
  readonly depositsChecked: number;
  readonly depositsChanged: number;
  readonly depositsExpired: number;
  readonly payoutsChecked: number;
  readonly payoutsChanged: number;
  readonly differences: number;
}

function reportDifference(deps: PaymentsDeps, provider: string, kind: string, ids: Record<string, string>): void {
  deps.metrics.reconcileDifferences.inc({ provider, kind });
  deps.logger.warn({ provider, kind, ...ids }, 'reconciliation: the provider and our records differ');
}

export async function reconcileOnce(deps: PaymentsDeps): Promise<ReconcileReport> {
  const deposits = await reconcileDeposits(deps);
  const payouts = await reconcilePayouts(deps);
  const report = { ...deposits, ...payouts, differences: deposits.differences + payouts.differences };
  deps.logger.info(report, 'reconciliation run');
  return report;
}

async function reconcileDeposits(deps: PaymentsDeps) {
  const rows = await deps.db.query<DepositRow>(
    `select ${depositColumns} from deposits where state in ('created', 'processing') order by created_at limit $1`,
    [batchSize],
  );
  let changed = 0;
  let expired = 0;
  let differences = 0;
  const now = deps.now();
  for (const row of rows) {
    const adapter = deps.providers.get(row.provider);
    let state = row.state;
    if (adapter !== undefined && row.provider_ref !== null) {
      const change = await refreshDeposit(deps, adapter, row);
      // The provider could not be asked: expire only on its word, on a later run.
      if (change === undefined) continue;
      if (change.changed) changed += 1;
      if (!change.changed && change.why === 'amount_mismatch') {
        differences += 1;
        reportDifference(deps, row.provider, 'deposit_amount_mismatch', { depositId: row.id });
      }
      state = change.row.state;
    }
    if (state === 'created' && row.expires_at.getTime() <= now.getTime()) {
      const reason =
        row.provider_ref === null ? 'the checkout could not be created in time' : 'the checkout was abandoned';
      if (await deps.db.transaction((tx) => expireDeposit(deps, tx, row.id, reason))) expired += 1;
    }
  }
  return { depositsChecked: rows.length, depositsChanged: changed, depositsExpired: expired, differences };
}

async function reconcilePayouts(deps: PaymentsDeps) {
  const rows = await deps.db.query<PayoutRow>(
    `select ${payoutColumns} from ${payoutFrom} where p.state = 'submitted' order by p.created_at limit $1`,
    [batchSize],
  );
  let changed = 0;
  let differences = 0;
  for (const row of rows) {
    const adapter = deps.providers.get(row.provider);
    if (adapter === undefined) continue;
    let status;
    try {
      status = await callProvider(deps, adapter.name, 'getPayout', () =>
        adapter.getPayout({ id: row.id, providerRef: row.provider_ref ?? undefined }),
      );
    } catch (error) {
      if (error instanceof ProviderUnavailableError || error instanceof ProviderRefusedError) continue;
      throw error;
    }
    if (status.status === 'not_found') {
      differences += 1;
      reportDifference(deps, row.provider, 'payout_missing_at_provider', { payoutId: row.id });
      continue;
    }
    const change = await deps.db.transaction((tx) => applyPayoutStatus(deps, tx, row.id, status));
    if (change?.changed === true) changed += 1;
  }
  if (changed > 0) deps.kickOutbox();
  return { payoutsChecked: rows.length, payoutsChanged: changed, differences };
}
