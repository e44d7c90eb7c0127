import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { FiatAmountFields } from '../components/fiat-amount';
import { ProviderSelect } from '../components/provider-select';
import { newIdempotencyKey } from '../ids';
import { api } from '../api/client';
import { describe, must, shownOf, type Shown } from '../api/problem';
import { Card, Loading, Notice, ProblemAlert, Summary } from '../components/ui';
import { tierName } from '../components/tiers';
import { displayAmount, parseAmount } from '../money';
import {
  depositStateName,
  isCheckoutUrl,
  isFinalDeposit,
  providerName,
  reasonText,
  toneOf,
  type DepositView,
  type FiatAsset,
  type Provider,
} from '../payments';
import { useMe } from './queries';

/** The existing status colours: done, refused or failed, waiting. */
export const statusClass = { good: 'status-approved', bad: 'status-rejected', pending: 'status-pending' } as const;

/** Polls while the provider has not decided: every 2 s, for at most 10 minutes. */
const pollEveryMs = 2_000;
const pollForMs = 10 * 60_000;

/** Deposits and payouts need tier Full; anyone else is told why and where to go. */
export function FullTierOnly({ what, children }: { readonly what: string; readonly children: ReactNode }) {
  const me = useMe();
  if (me.isPending) return <Loading />;
  if (me.isError) return <ProblemAlert shown={shownOf(me.error)} />;
  const tier = me.data.tier;
  if (tier === 'full') return children;
  return (
    <Notice tone="warning">
      <p>
        Your tier is {tierName[tier]}: {what} needs tier Full, which you reach by completing both levels of the identity
        verification.
      </p>
      <p>
        <Link to="/verify">Go to verification</Link>
      </p>
    </Notice>
  );
}

/** One submission of the form: its key stays the same however often it is retried. */
interface Attempt {
  readonly provider: Provider;
  readonly asset: FiatAsset;
  readonly minor: string;
  readonly idempotencyKey: string;
}

export function DepositPage() {
  const [values, setValues] = useState<{ provider: Provider; asset: FiatAsset; amount: string }>({
    provider: 'sandbox',
    asset: 'USD',
    amount: '',
  });
  const [error, setError] = useState<string | undefined>();
  const [problem, setProblem] = useState<Shown | undefined>();
  const [attempt, setAttempt] = useState<Attempt | undefined>();
  const [busy, setBusy] = useState(false);

  async function send(current: Attempt) {
    setBusy(true);
    setProblem(undefined);
    const result = await api
      .POST('/v1/deposits', {
        params: { header: { 'idempotency-key': current.idempotencyKey } },
        body: { provider: current.provider, asset: current.asset, amount: current.minor },
      })
      .catch((caught: unknown) => ({ error: caught, data: undefined, response: undefined }));
    if (result.data !== undefined && isCheckoutUrl(result.data.redirectUrl)) {
      // Off to the provider's checkout; it sends the person back to /deposits/<id>.
      window.location.assign(result.data.redirectUrl);
      return;
    }
    setBusy(false);
    setProblem(
      result.data === undefined
        ? describe(result.error, result.response?.status)
        : describe({ title: 'The provider gave no checkout page to go to', code: 'no_checkout', status: 502 }),
    );
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    const parsed = parseAmount(values.amount, values.asset);
    const why = !parsed.ok ? parsed.reason : parsed.minor === '0' ? 'The amount must be more than 0.' : undefined;
    setError(why);
    if (why !== undefined || !parsed.ok) return;
    // The same form sent again (a retry after an error) keeps its key; a changed form is a new deposit.
    const same =
      attempt !== undefined &&
      attempt.provider === values.provider &&
      attempt.asset === values.asset &&
      attempt.minor === parsed.minor;
    const current = same
      ? attempt
      : { provider: values.provider, asset: values.asset, minor: parsed.minor, idempotencyKey: newIdempotencyKey() };
    setAttempt(current);
    void send(current);
  }

  return (
    <div className="stack narrow">
      <h1>Add money</h1>
      <p className="lead">
        Deposit USD or EUR through a payment provider. You pay on the provider’s page, then come back here.
      </p>
      <FullTierOnly what="adding money">
        <Card>
          <form className="stack" onSubmit={submit} noValidate aria-label="Add money">
            <ProblemAlert shown={problem} />
            <ProviderSelect
              label="Pay with"
              value={values.provider}
              onChange={(provider) => setValues({ ...values, provider })}
            />
            <FiatAmountFields
              asset={values.asset}
              amount={values.amount}
              onAsset={(asset) => setValues({ ...values, asset })}
              onAmount={(amount) => {
                setValues({ ...values, amount });
                setError(undefined);
              }}
              hint="For example 25.00"
              error={error}
            />
            <button className="button" type="submit" disabled={busy} aria-busy={busy}>
              {busy ? 'Opening the checkout…' : 'Continue to payment'}
            </button>
          </form>
        </Card>
      </FullTierOnly>
    </div>
  );
}

/** The page a provider sends the person back to: asks the provider now, then every 2 s until it decided. */
export function DepositStatusPage() {
  const { depositId = '' } = useParams();
  const queryClient = useQueryClient();
  const [startedAt] = useState(() => Date.now());
  const deposit = useQuery({
    queryKey: ['deposit', depositId],
    queryFn: async () =>
      must(await api.GET('/v1/deposits/{depositId}', { params: { path: { depositId }, query: { refresh: true } } })),
    refetchInterval: (query) => {
      const state = query.state.data?.state;
      if (state !== undefined && isFinalDeposit(state)) return false;
      return Date.now() - startedAt < pollForMs ? pollEveryMs : false;
    },
    refetchIntervalInBackground: false,
  });
  const state = deposit.data?.state;
  const final = state !== undefined && isFinalDeposit(state);
  useEffect(() => {
    // The balance changed (or the person looks at it next): read it again.
    if (final) void queryClient.invalidateQueries({ queryKey: ['accounts'] });
  }, [final, queryClient]);

  return (
    <div className="stack narrow">
      <h1>Deposit</h1>
      <FullTierOnly what="adding money">
        {deposit.isPending ? <Loading label="Asking the provider…" /> : null}
        {deposit.isError ? <ProblemAlert shown={shownOf(deposit.error)} /> : null}
        {deposit.data === undefined ? null : <DepositOutcome deposit={deposit.data} />}
        {deposit.data !== undefined && !final ? (
          Date.now() - startedAt < pollForMs ? (
            <Loading label="Waiting for the provider to confirm…" />
          ) : (
            <p className="muted">The provider has not decided yet. Look again later under Payments.</p>
          )
        ) : null}
      </FullTierOnly>
    </div>
  );
}

function DepositOutcome({ deposit }: { readonly deposit: DepositView }) {
  const amount = displayAmount(deposit.amount, deposit.asset);
  const tone = toneOf(deposit.state);
  return (
    <Card title={`${amount} by ${providerName[deposit.provider]}`}>
      <div className="stack">
        <div aria-live="polite">
          {tone === 'good' ? (
            <Notice tone="success">
              <p>Deposit succeeded: {amount} was added to your balance.</p>
            </Notice>
          ) : null}
          {tone === 'bad' ? (
            <div className="alert alert-error" role="alert">
              <p>
                Deposit {deposit.state === 'expired' ? 'expired' : 'failed'}
                {reasonText(deposit.reason)} No money was taken.
              </p>
            </div>
          ) : null}
        </div>
        <Summary
          rows={[
            ['State', <span className={`status ${statusClass[tone]}`}>{depositStateName[deposit.state]}</span>],
            ['Amount', amount],
            ['Started', new Date(deposit.createdAt).toLocaleString()],
          ]}
        />
        <div className="row">
          {deposit.state === 'created' && isCheckoutUrl(deposit.redirectUrl) ? (
            <a className="button" href={deposit.redirectUrl}>
              Continue to payment
            </a>
          ) : null}
          {tone === 'bad' ? (
            <Link className="button" to="/deposit">
              Try again
            </Link>
          ) : null}
          <Link className="button button-secondary" to="/payments">
            All payments
          </Link>
        </div>
      </div>
    </Card>
  );
}
