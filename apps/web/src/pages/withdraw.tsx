import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { FiatAmountFields } from '../components/fiat-amount';
import { ProviderSelect } from '../components/provider-select';
import { newIdempotencyKey } from '../ids';
import { api } from '../api/client';
import { describe, must, type Shown } from '../api/problem';
import { Card, Field, Loading, Notice, ProblemAlert, Summary } from '../components/ui';
import { displayAmount, parseAmount } from '../money';
import {
  destinationHint,
  isFinalPayout,
  payoutStateName,
  providerName,
  reasonText,
  toneOf,
  type FiatAsset,
  type PayoutView,
  type Provider,
} from '../payments';
import { FullTierOnly, statusClass } from './deposit';
import { useBalances } from './queries';

interface Draft {
  readonly provider: Provider;
  readonly asset: FiatAsset;
  readonly minor: string;
  readonly destination: string;
  /** One key per reviewed form: a double click or a retry reuses it, so the money leaves once. */
  readonly idempotencyKey: string;
}

const pollEveryMs = 2_000;
const pollForMs = 10 * 60_000;

export function WithdrawPage() {
  const balances = useBalances();
  const queryClient = useQueryClient();
  const [values, setValues] = useState({ provider: 'sandbox' as Provider, asset: 'USD' as FiatAsset, amount: '' });
  const [destination, setDestination] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [draft, setDraft] = useState<Draft | undefined>();
  const [problem, setProblem] = useState<Shown | undefined>();
  const [busy, setBusy] = useState(false);
  const [payout, setPayout] = useState<PayoutView | undefined>();
  const available = balances.data?.balances.find((row) => row.asset === values.asset)?.available;

  function review(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const found: Record<string, string> = {};
    const parsed = parseAmount(values.amount, values.asset);
    if (!parsed.ok) found.amount = parsed.reason;
    else if (parsed.minor === '0') found.amount = 'The amount must be more than 0.';
    else if (available !== undefined && BigInt(parsed.minor) > BigInt(available))
      found.amount = `You have ${displayAmount(available, values.asset)} available.`;
    if (destination.trim() === '') found.destination = 'Enter where the money should go.';
    setErrors(found);
    setProblem(undefined);
    if (Object.keys(found).length > 0 || !parsed.ok) return;
    setDraft({ ...values, minor: parsed.minor, destination: destination.trim(), idempotencyKey: newIdempotencyKey() });
  }

  async function confirm() {
    if (draft === undefined || busy) return;
    setBusy(true);
    setProblem(undefined);
    const result = await api
      .POST('/v1/payouts', {
        params: { header: { 'idempotency-key': draft.idempotencyKey } },
        body: { provider: draft.provider, asset: draft.asset, amount: draft.minor, destination: draft.destination },
      })
      .catch((caught: unknown) => ({ error: caught, data: undefined, response: undefined }));
    setBusy(false);
    if (result.data === undefined) {
      const shown = describe(result.error, result.response?.status);
      setProblem(shown);
      // Refused for the form itself: back to it. Unavailable or a lost answer: stay, "Withdraw" again retries with the same key.
      if (shown.status >= 400 && shown.status < 500 && shown.code !== 'rate_limited') setDraft(undefined);
      return;
    }
    setPayout(result.data);
    setDraft(undefined);
    await queryClient.invalidateQueries({ queryKey: ['accounts'] });
    await queryClient.invalidateQueries({ queryKey: ['payments'] });
  }

  if (payout !== undefined)
    return (
      <div className="stack narrow">
        <h1>Withdraw</h1>
        <PayoutProgress first={payout} />
        <div className="row">
          <button
            type="button"
            className="button button-secondary"
            onClick={() => {
              setPayout(undefined);
              setValues({ ...values, amount: '' });
            }}
          >
            Withdraw again
          </button>
          <Link className="button button-secondary" to="/payments">
            All payments
          </Link>
        </div>
      </div>
    );

  return (
    <div className="stack narrow">
      <h1>Withdraw</h1>
      <p className="lead">Pay USD or EUR out to your card account or PayPal.</p>
      <FullTierOnly what="withdrawing money">
        {draft === undefined ? (
          <Card>
            <form className="stack" onSubmit={review} noValidate aria-label="Withdraw">
              <ProblemAlert shown={problem} />
              <ProviderSelect
                label="Pay out with"
                value={values.provider}
                onChange={(provider) => setValues({ ...values, provider })}
              />
              <Field
                label="Destination"
                name="destination"
                autoComplete="off"
                value={destination}
                onChange={(event) => setDestination(event.currentTarget.value)}
                hint={destinationHint[values.provider]}
                error={errors.destination}
              />
              <FiatAmountFields
                asset={values.asset}
                amount={values.amount}
                onAsset={(asset) => setValues({ ...values, asset })}
                onAmount={(amount) => setValues({ ...values, amount })}
                hint={available === undefined ? undefined : `Available: ${displayAmount(available, values.asset)}`}
                error={errors.amount}
              />
              <button className="button" type="submit">
                Review
              </button>
            </form>
          </Card>
        ) : (
          <Card title="Confirm the withdrawal">
            <ProblemAlert shown={problem} />
            <Summary
              rows={[
                ['Amount', displayAmount(draft.minor, draft.asset)],
                ['With', providerName[draft.provider]],
                ['To', draft.destination],
              ]}
            />
            <div className="row">
              <button
                type="button"
                className="button button-secondary"
                onClick={() => setDraft(undefined)}
                disabled={busy}
              >
                Back
              </button>
              <button type="button" className="button" onClick={() => void confirm()} disabled={busy} aria-busy={busy}>
                {busy ? 'Withdrawing…' : `Withdraw ${displayAmount(draft.minor, draft.asset)}`}
              </button>
            </div>
          </Card>
        )}
      </FullTierOnly>
    </div>
  );
}

/** The payout as recorded, then as the list shows it, every 2 s until it is final. */
function PayoutProgress({ first }: { readonly first: PayoutView }) {
  const queryClient = useQueryClient();
  const [startedAt] = useState(() => Date.now());
  const latest = useQuery({
    queryKey: ['payments', 'payout', first.id],
    queryFn: async () => {
      const list = must(await api.GET('/v1/payments', { params: { query: { limit: 50 } } }));
      const found = list.payouts.find((payout) => payout.id === first.id);
      if (found !== undefined && isFinalPayout(found.state))
        await queryClient.invalidateQueries({ queryKey: ['accounts'] });
      return found ?? first;
    },
    initialData: first,
    refetchInterval: (query) => {
      const state = query.state.data?.state;
      if (state !== undefined && isFinalPayout(state)) return false;
      return Date.now() - startedAt > pollForMs ? false : pollEveryMs;
    },
  });
  const payout = latest.data;
  const amount = displayAmount(payout.amount, payout.asset);
  const tone = toneOf(payout.state);
  return (
    <Card title={`${amount} to ${payout.destination}`}>
      <div className="stack" aria-live="polite">
        {tone === 'good' ? (
          <Notice tone="success">
            <p>Withdrawal completed: {amount} was paid out.</p>
          </Notice>
        ) : null}
        {tone === 'bad' ? (
          <div className="alert alert-error" role="alert">
            <p>
              Withdrawal {payout.state}
              {reasonText(payout.reason)}{' '}
              {payout.state === 'failed' ? 'The amount is back in your balance.' : 'No money left your balance.'}
            </p>
          </div>
        ) : null}
        {tone === 'pending' ? <Loading label="Waiting for the provider…" /> : null}
        <Summary
          rows={[
            ['State', <span className={`status ${statusClass[tone]}`}>{payoutStateName[payout.state]}</span>],
            ['Amount', amount],
            ['With', providerName[payout.provider]],
          ]}
        />
      </div>
    </Card>
  );
}
