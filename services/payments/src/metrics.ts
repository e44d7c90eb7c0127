/** The payments service's own metrics (process and HTTP metrics come from the kit). No label carries personal data. */
import { Counter, type Registry } from 'prom-client';

export interface PaymentsMetrics {
  /** Deposits and payouts reaching a state, by provider. */
  readonly transitions: Counter<'kind' | 'provider' | 'state'>;
  /** Webhooks by provider and outcome: recorded, duplicate, rejected (bad signature), unknown_provider. */
  readonly webhooks: Counter<'provider' | 'outcome'>;
  /** A provider reported a success with another amount or asset than ours: not credited. */
  readonly amountMismatches: Counter<'provider'>;
  /** Calls to a provider that failed, by operation and kind (unavailable, refused). */
  readonly providerErrors: Counter<'provider' | 'operation' | 'error'>;
  /** Differences the reconciler found between a provider and our records. */
  readonly reconcileDifferences: Counter<'provider' | 'kind'>;
}

export function createPaymentsMetrics(registry: Registry): PaymentsMetrics {
  return {
    transitions: new Counter({
      name: 'payments_transitions_total',
      help: 'Deposits and payouts that reached a state',
      labelNames: ['kind', 'provider', 'state'],
      registers: [registry],
    }),
    webhooks: new Counter({
      name: 'payments_webhooks_total',
      help: 'Provider webhooks received, by outcome',
      labelNames: ['provider', 'outcome'],
      registers: [registry],
    }),
    amountMismatches: new Counter({
      name: 'payments_amount_mismatches_total',
      help: 'Deposits a provider reported paid with another amount or asset than requested (not credited)',
      labelNames: ['provider'],
      registers: [registry],
    }),
    providerErrors: new Counter({
      name: 'payments_provider_errors_total',
      help: 'Provider calls that failed',
      labelNames: ['provider', 'operation', 'error'],
      registers: [registry],
    }),
    reconcileDifferences: new Counter({
      name: 'payments_reconcile_differences_total',
      help: 'Differences between a provider and our records found by the reconciler',
      labelNames: ['provider', 'kind'],
      registers: [registry],
    }),
  };
}
