import { Link } from 'react-router';
import { shownOf } from '../api/problem';
import { Card, Empty, Loading, ProblemAlert } from '../components/ui';
import { nextStep, tierAllows, tierName } from '../components/tiers';
import { assets, displayAmount, isAsset } from '../money';
import { useBalances, useMe } from './queries';

export function HomePage() {
  const me = useMe();
  const balances = useBalances();
  const user = me.data;
  const step = user === undefined ? undefined : nextStep(user);
  const rows = (balances.data?.balances ?? []).slice().sort((a, b) => order(a.asset) - order(b.asset));
  return (
    <div className="stack">
      <h1>Your wallet</h1>
      <div className="grid-2">
        <Card
          title="Balances"
          actions={
            <Link to="/send" className="button button-small">
              Send
            </Link>
          }
        >
          {balances.isPending ? <Loading label="Loading balances…" /> : null}
          {balances.isError ? <ProblemAlert shown={shownOf(balances.error)} /> : null}
          {balances.isSuccess && rows.length === 0 ? (
            <Empty>Your accounts are being opened. They appear here in a moment.</Empty>
          ) : null}
          {rows.length > 0 ? (
            <ul className="balances" aria-label="Balances">
              {rows.map((row) => (
                <li key={row.asset} className="balance">
                  <span className="asset-badge" aria-hidden="true">
                    {row.asset}
                  </span>
                  <div>
                    <p className="balance-amount" aria-label={`${row.asset} balance`}>
                      {displayAmount(row.balance, row.asset)}
                    </p>
                    <p className="muted small">
                      {row.available === row.balance
                        ? 'All available'
                        : `Available ${displayAmount(row.available, row.asset)}`}
                    </p>
                  </div>
                  <Link to={`/history/${row.asset}`} className="small" aria-label={`${row.asset} history`}>
                    History
                  </Link>
                </li>
              ))}
            </ul>
          ) : null}
        </Card>
        <Card title="Your tier">
          {me.isPending ? <Loading label="Loading your profile…" /> : null}
          {me.isError ? <ProblemAlert shown={shownOf(me.error)} /> : null}
          {user === undefined ? null : (
            <div className="stack">
              <p>
                <span className={`tier tier-${user.tier}`}>{tierName[user.tier]}</span>
              </p>
              <p>{tierAllows[user.tier]}</p>
              {step === undefined ? (
                <p className="muted">You have the highest tier.</p>
              ) : (
                <div className="next-step">
                  <h3>Next step</h3>
                  <p>{step.text}</p>
                  {step.action === undefined ? null : (
                    <Link className="button button-small" to="/verify">
                      {step.action}
                    </Link>
                  )}
                </div>
              )}
            </div>
          )}
        </Card>
      </div>
    </div>
  );
}

function order(asset: string): number {
  return isAsset(asset) ? assets.indexOf(asset) : assets.length;
}
