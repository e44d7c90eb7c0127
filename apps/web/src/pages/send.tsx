import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { api, type Paths } from '../api/client';
import { newIdempotencyKey } from '../ids';
import { describe, type Shown } from '../api/problem';
import { Card, Field, Loading, Notice, ProblemAlert, Select, Summary } from '../components/ui';
import { canSend, tierName } from '../components/tiers';
import { assets, displayAmount, isAsset, parseAmount, type Asset } from '../money';
import { useBalances, useMe } from './queries';

type Receipt = Paths['/v1/sends']['post']['responses'][201]['content']['application/json'];

interface Draft {
  readonly toEmail: string;
  readonly asset: Asset;
  readonly amountText: string;
  readonly minor: string;
  /** One id per reviewed form: a double click or a retry reuses it, so the money moves once. */
  readonly sendId: string;
}

function whyNot(tier: 'browsing' | 'basic' | 'full', asset: Asset): string {
  if (tier === 'browsing')
    return `Your tier is ${tierName[tier]}: sending money needs identity verification. Level 1 lets you send ETH; level 2 lets you send USD and EUR too.`;
  return `Your tier is ${tierName[tier]}: sending ${asset} needs tier Full. Complete level 2 of the verification to send USD and EUR.`;
}

export function SendPage() {
  const me = useMe();
  const balances = useBalances();
  const queryClient = useQueryClient();
  const [asset, setAsset] = useState<Asset>('USD');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [draft, setDraft] = useState<Draft | undefined>();
  const [problem, setProblem] = useState<Shown | undefined>();
  const [busy, setBusy] = useState(false);
  const [receipt, setReceipt] = useState<Receipt | undefined>();
  const [values, setValues] = useState({ toEmail: '', amount: '' });

  if (me.isPending) return <Loading />;
  const tier = me.data?.tier ?? 'browsing';
  const allowed = canSend(tier, asset);
  const available = balances.data?.balances.find((row) => row.asset === asset)?.available;

  function review(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const found: Record<string, string> = {};
    const toEmail = values.toEmail.trim();
    if (!/^[^\s@]+@[^\s@]+$/.test(toEmail)) found.toEmail = 'Enter the email address of the person you send to.';
    const parsed = parseAmount(values.amount, asset);
    if (!parsed.ok) found.amount = parsed.reason;
    else if (parsed.minor === '0') found.amount = 'The amount must be more than 0.';
    setErrors(found);
    setProblem(undefined);
    if (Object.keys(found).length > 0 || !parsed.ok) return;
    setDraft({ toEmail, asset, amountText: values.amount.trim(), minor: parsed.minor, sendId: newIdempotencyKey() });
  }

  async function confirm() {
    if (draft === undefined || busy) return;
    setBusy(true);
    setProblem(undefined);
    const result = await api
      .POST('/v1/sends', {
        body: { toEmail: draft.toEmail, asset: draft.asset, amount: draft.minor, sendId: draft.sendId },
      })
      .catch((error: unknown) => ({ error, data: undefined, response: undefined }));
    setBusy(false);
    if (result.data === undefined) {
      const shown = describe(result.error, result.response?.status);
      setProblem(shown);
      // A refusal about the form itself: go back to it with the field marked.
      if (shown.status >= 400 && shown.status < 500 && shown.code !== 'rate_limited') {
        setErrors({
          ...(shown.fields.toEmail === undefined ? {} : { toEmail: shown.fields.toEmail }),
          ...(shown.fields.amount === undefined ? {} : { amount: shown.fields.amount }),
        });
        setDraft(undefined);
      }
      return;
    }
    setReceipt(result.data);
    setDraft(undefined);
    await queryClient.invalidateQueries({ queryKey: ['accounts'] });
    await queryClient.invalidateQueries({ queryKey: ['history'] });
  }

  if (receipt !== undefined)
    return (
      <div className="stack narrow">
        <h1>Send money</h1>
        <Notice tone="success">
          <p>
            Sent {displayAmount(receipt.amount, receipt.asset)}.{' '}
            {receipt.duplicate ? 'This send had already gone through; nothing moved twice.' : ''}
          </p>
        </Notice>
        <div className="row">
          <Link className="button button-secondary" to={`/transfers/${encodeURIComponent(receipt.transferId)}`}>
            View the transfer
          </Link>
          <button
            type="button"
            className="button"
            onClick={() => {
              setReceipt(undefined);
              setValues({ toEmail: '', amount: '' });
            }}
          >
            Send another
          </button>
        </div>
      </div>
    );

  return (
    <div className="stack narrow">
      <h1>Send money</h1>
      <p className="lead">Send USD, EUR or ETH to another Transactions50 user by email.</p>
      {!allowed ? (
        <Notice tone="warning">
          <p>{whyNot(tier, asset)}</p>
          <p>
            <Link to="/verify">Go to verification</Link>
          </p>
        </Notice>
      ) : null}
      {draft === undefined ? (
        <Card>
          <form className="stack" onSubmit={review} noValidate aria-label="Send money">
            <ProblemAlert shown={problem} />
            <Field
              label="Recipient email"
              name="toEmail"
              type="email"
              autoComplete="off"
              value={values.toEmail}
              onChange={(event) => setValues({ ...values, toEmail: event.currentTarget.value })}
              error={errors.toEmail}
            />
            <div className="grid-2">
              <Select
                label="Asset"
                name="asset"
                value={asset}
                onChange={(event) => isAsset(event.currentTarget.value) && setAsset(event.currentTarget.value)}
              >
                {assets.map((code) => (
                  <option key={code} value={code}>
                    {code}
                  </option>
                ))}
              </Select>
              <Field
                label="Amount"
                name="amount"
                inputMode="decimal"
                autoComplete="off"
                value={values.amount}
                onChange={(event) => setValues({ ...values, amount: event.currentTarget.value })}
                hint={available === undefined ? undefined : `Available: ${displayAmount(available, asset)}`}
                error={errors.amount}
              />
            </div>
            <button className="button" type="submit" disabled={!allowed}>
              Review
            </button>
          </form>
        </Card>
      ) : (
        <Card title="Confirm the send">
          <ProblemAlert shown={problem} />
          <Summary
            rows={[
              ['To', draft.toEmail],
              ['Amount', displayAmount(draft.minor, draft.asset)],
            ]}
          />
          <p className="muted small">Money sent to another user cannot be taken back.</p>
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
              {busy ? 'Sending…' : `Send ${displayAmount(draft.minor, draft.asset)}`}
            </button>
          </div>
        </Card>
      )}
    </div>
  );
}
