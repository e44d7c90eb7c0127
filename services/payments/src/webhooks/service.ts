/**
 * A provider's webhook: verified over the raw bytes by the provider's adapter,
 * recorded once in `provider_events` (its raw body and headers, without the
 * ones that carry credentials), and applied to the deposit or payout it names
 * in the same transaction. A repeated delivery finds its event recorded and
 * changes nothing; a forged or stale one is refused and nothing is recorded.
 */
import type { FiatProvider } from '@t50/contracts';
import type { Queryable } from '@t50/kit';
import { applyDepositStatus } from '../deposits/transitions';
import type { PaymentsDeps } from '../deps';
import { applyPayoutStatus } from '../payouts/transitions';
import { WebhookVerificationError, type ProviderEvent } from '../providers/port';

export type WebhookOutcome = 'recorded' | 'duplicate' | 'rejected' | 'unknown_provider';

/** Header names never stored: they carry credentials of whoever called. */
const secretHeaders = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key']);

export function storableHeaders(headers: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !secretHeaders.has(name.toLowerCase())) kept[name.toLowerCase()] = value;
  }
  return kept;
}

const subjectOf = (event: ProviderEvent): string | null =>
  event.kind === 'deposit' ? (event.depositId ?? null) : event.kind === 'payout' ? (event.payoutId ?? null) : null;

export async function receiveWebhook(
  deps: PaymentsDeps,
  providerName: string,
  rawBody: Buffer,
  headers: Readonly<Record<string, string | undefined>>,
): Promise<WebhookOutcome> {
  const adapter = deps.providers.get(providerName as FiatProvider);
  if (adapter === undefined) {
    deps.metrics.webhooks.inc({ provider: 'unknown', outcome: 'unknown_provider' });
    return 'unknown_provider';
  }
  let event: ProviderEvent;
  try {
    event = await adapter.verifyAndParseWebhook({ rawBody, headers });
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    deps.metrics.webhooks.inc({ provider: adapter.name, outcome: 'rejected' });
    deps.logger.warn({ provider: adapter.name, reason: error.message }, 'webhook refused');
    return 'rejected';
  }
  const outcome = await deps.db.transaction(async (tx) => {
    const inserted = await tx.query(
      `insert into provider_events (provider, event_id, kind, subject_id, body, headers)
       values ($1, $2, $3, $4, $5, $6::text::jsonb) on conflict (provider, event_id) do nothing returning event_id`,
      [
        adapter.name,
        event.eventId,
        event.kind,
        subjectOf(event),
        rawBody.toString('utf8'),
        JSON.stringify(storableHeaders(headers)),
      ],
    );
    if (inserted.length === 0) return 'duplicate' as const;
    await applyEvent(deps, tx, event);
    return 'recorded' as const;
  });
  deps.metrics.webhooks.inc({ provider: adapter.name, outcome });
  if (outcome === 'recorded') {
    deps.kickOutbox();
    deps.kickPayouts();
  }
  return outcome;
}

async function applyEvent(deps: PaymentsDeps, tx: Queryable, event: ProviderEvent): Promise<void> {
  if (event.kind === 'ignored') return;
  if (event.kind === 'deposit') {
    const id = event.depositId ?? (await idByRef(tx, 'deposits', event.providerRef));
    const change = id === undefined ? undefined : await applyDepositStatus(deps, tx, id, event.status);
    if (change === undefined)
      deps.logger.info({ eventId: event.eventId }, 'webhook for a deposit that is not ours: recorded only');
    return;
  }
  const id = event.payoutId ?? (await idByRef(tx, 'payouts', event.providerRef));
  const change = id === undefined ? undefined : await applyPayoutStatus(deps, tx, id, event.status);
  if (change === undefined)
    deps.logger.info({ eventId: event.eventId }, 'webhook for a payout that is not ours: recorded only');
}

async function idByRef(tx: Queryable, table: 'deposits' | 'payouts', providerRef: string): Promise<string | undefined> {
  const [row] = await tx.query<{ id: string }>(`select id from ${table} where provider_ref = $1 limit 1`, [
    providerRef,
  ]);
  return row?.id;
}
