import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { must, shownOf } from '../api/problem';
import { Empty, Loading, ProblemAlert } from '../components/ui';
import { displayAmount } from '../money';
import {
  depositStateName,
  payoutStateName,
  providerName,
  toneOf,
  type DepositView,
  type PayoutView,
} from '../payments';
import { FullTierOnly, statusClass } from './deposit';
import { when } from './history';

type Row =
  { readonly kind: 'deposit'; readonly item: DepositView } | { readonly kind: 'payout'; readonly item: PayoutView };

export function PaymentsPage() {
  return (
    <div className="stack">
      <h1>Payments</h1>
      <p className="lead">Money you added and paid out through a payment provider.</p>
      <FullTierOnly what="adding and withdrawing money">
        <PaymentsList />
      </FullTierOnly>
    </div>
  );
}

function PaymentsList() {
  const payments = useQuery({
    queryKey: ['payments'],
    queryFn: async () => must(await api.GET('/v1/payments', { params: { query: { limit: 50 } } })),
  });
  const rows: Row[] = [
    ...(payments.data?.deposits ?? []).map((item): Row => ({ kind: 'deposit', item })),
    ...(payments.data?.payouts ?? []).map((item): Row => ({ kind: 'payout', item })),
  ].sort((a, b) => b.item.createdAt.localeCompare(a.item.createdAt));
  return (
    <div className="stack">
      <div className="row">
        <Link className="button" to="/deposit">
          Add money
        </Link>
        <Link className="button button-secondary" to="/withdraw">
          Withdraw
        </Link>
      </div>
      {payments.isPending ? <Loading label="Loading payments…" /> : null}
      {payments.isError ? <ProblemAlert shown={shownOf(payments.error)} /> : null}
      {payments.isSuccess && rows.length === 0 ? <Empty>No deposits or withdrawals yet.</Empty> : null}
      {rows.length > 0 ? (
        <div className="table-wrap">
          <table className="payments-table">
            <caption className="visually-hidden">Deposits and withdrawals, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Payment</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col">State</th>
                <th scope="col" className="hide-sm">
                  With
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <PaymentRow key={`${row.kind}:${row.item.id}`} row={row} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}

function PaymentRow({ row }: { readonly row: Row }) {
  const { item } = row;
  const tone = toneOf(item.state);
  const state = row.kind === 'deposit' ? depositStateName[row.item.state] : payoutStateName[row.item.state];
  return (
    <tr>
      <td>
        {row.kind === 'deposit' ? (
          <Link to={`/deposits/${encodeURIComponent(item.id)}`} aria-label={`Deposit ${item.id}`}>
            Deposit
          </Link>
        ) : (
          'Withdrawal'
        )}
        <span className="muted small cell-line">{when(item.createdAt)}</span>
      </td>
      {tone === 'bad' ? (
        // Refused, failed or expired: nothing moved, so the amount is not shown as money in or out.
        <td className="num muted">
          <s>{displayAmount(item.amount, item.asset)}</s>
          <span className="visually-hidden"> (not moved)</span>
        </td>
      ) : (
        <td className={`num ${row.kind === 'deposit' ? 'credit' : 'debit'}`}>
          {row.kind === 'deposit' ? '+' : '−'}
          {displayAmount(item.amount, item.asset)}
        </td>
      )}
      <td>
        <span className={`status ${statusClass[tone]}`}>{state}</span>
        {item.reason === undefined ? null : <span className="muted small cell-line">{item.reason}</span>}
      </td>
      <td className="hide-sm">{providerName[item.provider]}</td>
    </tr>
  );
}
