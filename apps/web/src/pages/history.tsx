import { text } from '../components/form-data';
import { useState, type FormEvent } from 'react';
import { Link, NavLink, useParams, useSearchParams } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, type HistoryEntry, type HistoryQuery, type TransferKind } from '../api/client';
import { must, shownOf, type Shown } from '../api/problem';
import { Card, Empty, Field, Loading, ProblemAlert, Select, Summary } from '../components/ui';
import { assets, displayAmount, formatMinor, isAsset, type Asset } from '../money';

const kinds: readonly TransferKind[] = ['deposit', 'withdrawal', 'trade', 'send', 'fee', 'reversal', 'adjustment'];
const kindName: { readonly [K in TransferKind]: string } = {
  deposit: 'Deposit',
  withdrawal: 'Withdrawal',
  trade: 'Trade',
  send: 'Send',
  fee: 'Fee',
  reversal: 'Reversal',
  adjustment: 'Adjustment',
};
const pageSize = 20;

function isKind(value: string): value is TransferKind {
  return (kinds as readonly string[]).includes(value);
}

/** A calendar day in the person's time zone -> the instant it starts, as RFC 3339. */
function startOfDay(day: string, plusDays = 0): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const [year = 0, month = 1, date = 1] = day.split('-').map(Number);
  return new Date(year, month - 1, date + plusDays).toISOString();
}

function queryOf(search: URLSearchParams): Omit<HistoryQuery, 'cursor' | 'limit'> {
  const kind = search.get('kind') ?? '';
  const from = startOfDay(search.get('from') ?? '');
  const to = startOfDay(search.get('to') ?? '', 1);
  return {
    ...(isKind(kind) ? { code: kind } : {}),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
  };
}

export function HistoryPage() {
  const params = useParams();
  const asset: Asset = isAsset(params.asset ?? '') ? (params.asset as Asset) : 'USD';
  const [search, setSearch] = useSearchParams();
  const [cursors, setCursors] = useState<string[]>([]);
  const filters = queryOf(search);
  const cursor = cursors.at(-1);
  const history = useQuery({
    queryKey: ['history', asset, filters, cursor],
    queryFn: async () =>
      must(
        await api.GET('/v1/accounts/{asset}/history', {
          params: {
            path: { asset },
            query: { ...filters, limit: pageSize, ...(cursor === undefined ? {} : { cursor }) },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const [exportProblem, setExportProblem] = useState<Shown | undefined>();
  const [exporting, setExporting] = useState(false);

  function applyFilters(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const next = new URLSearchParams();
    for (const key of ['kind', 'from', 'to']) {
      const value = text(data, key);
      if (value !== '') next.set(key, value);
    }
    setCursors([]);
    setSearch(next);
  }

  async function exportCsv() {
    setExporting(true);
    setExportProblem(undefined);
    try {
      const rows: HistoryEntry[] = [];
      let next: string | undefined;
      // Bounded: at most 50 pages of 200 lines.
      for (let page = 0; page < 50; page += 1) {
        const body = must(
          await api.GET('/v1/accounts/{asset}/history', {
            params: {
              path: { asset },
              query: { ...filters, limit: 200, ...(next === undefined ? {} : { cursor: next }) },
            },
          }),
        );
        rows.push(...body.entries);
        if (body.nextCursor === null) break;
        next = body.nextCursor;
      }
      download(`history-${asset}.csv`, toCsv(rows, asset));
    } catch (error) {
      setExportProblem(shownOf(error));
    } finally {
      setExporting(false);
    }
  }

  const entries = history.data?.entries ?? [];
  return (
    <div className="stack">
      <h1>History</h1>
      <nav aria-label="Assets" className="tabs">
        {assets.map((code) => (
          <NavLink
            key={code}
            to={{ pathname: `/history/${code}`, search: search.toString() }}
            onClick={() => setCursors([])}
          >
            {code}
          </NavLink>
        ))}
      </nav>
      <Card>
        <form className="filters" onSubmit={applyFilters} aria-label="Filters" key={search.toString()}>
          <Select label="Kind" name="kind" defaultValue={search.get('kind') ?? ''}>
            <option value="">All kinds</option>
            {kinds.map((kind) => (
              <option key={kind} value={kind}>
                {kindName[kind]}
              </option>
            ))}
          </Select>
          <Field label="From" name="from" type="date" defaultValue={search.get('from') ?? ''} />
          <Field label="To" name="to" type="date" defaultValue={search.get('to') ?? ''} />
          <div className="filters-actions">
            <button type="submit" className="button button-secondary">
              Apply filters
            </button>
            <button type="button" className="button button-ghost" onClick={() => void exportCsv()} disabled={exporting}>
              {exporting ? 'Exporting…' : 'Export CSV'}
            </button>
          </div>
        </form>
      </Card>
      <ProblemAlert shown={exportProblem} />
      {history.isPending ? <Loading label="Loading history…" /> : null}
      {history.isError ? <ProblemAlert shown={shownOf(history.error)} /> : null}
      {history.isSuccess && entries.length === 0 ? (
        <Empty>
          {Object.keys(filters).length > 0 ? 'Nothing matches these filters.' : `No ${asset} movements yet.`}
        </Empty>
      ) : null}
      {entries.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">{asset} history</caption>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Kind</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col" className="num hide-sm">
                  Balance after
                </th>
                <th scope="col">
                  <span className="visually-hidden">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.seq}>
                  <td>{when(entry.effectiveAt)}</td>
                  <td>{isKind(entry.code) ? kindName[entry.code] : entry.code}</td>
                  <td className={`num ${entry.direction === 'in' ? 'credit' : 'debit'}`}>
                    {entry.direction === 'in' ? '+' : '−'}
                    {displayAmount(entry.amount, entry.asset)}
                  </td>
                  <td className="num hide-sm">{displayAmount(entry.balanceAfter, entry.asset)}</td>
                  <td>
                    <Link
                      to={`/transfers/${encodeURIComponent(entry.transferId)}`}
                      aria-label={`Details of transfer ${entry.transferId}`}
                    >
                      Details
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <div className="row pager">
        <button
          type="button"
          className="button button-secondary"
          disabled={cursors.length === 0}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          Newer
        </button>
        <span className="muted small">Page {cursors.length + 1}</span>
        <button
          type="button"
          className="button button-secondary"
          disabled={history.data?.nextCursor == null}
          onClick={() => {
            const next = history.data?.nextCursor;
            if (next != null) setCursors([...cursors, next]);
          }}
        >
          Older
        </button>
      </div>
    </div>
  );
}

/** A short local date and time, e.g. "Dec 2, 2026, 1:30 AM". */
export function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function csvCell(value: string): string {
  // Quote every cell and neutralise spreadsheet formulas.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replaceAll('"', '""')}"`;
}

export function toCsv(rows: readonly HistoryEntry[], asset: Asset): string {
  const header = ['effective_at', 'kind', 'direction', 'amount', 'balance_after', 'asset', 'transfer_id'];
  const lines = rows.map((row) =>
    [
      row.effectiveAt,
      row.code,
      row.direction,
      formatMinor(row.amount, asset),
      formatMinor(row.balanceAfter, asset),
      row.asset,
      row.transferId,
    ]
      .map(csvCell)
      .join(','),
  );
  return `${[header.join(','), ...lines].join('\r\n')}\r\n`;
}

function download(name: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function TransferPage() {
  const { transferId = '' } = useParams();
  const transfer = useQuery({
    queryKey: ['transfer', transferId],
    queryFn: async () => must(await api.GET('/v1/transfers/{transferId}', { params: { path: { transferId } } })),
  });
  return (
    <div className="stack narrow">
      <p>
        <Link to="/history">← History</Link>
      </p>
      <h1>Transfer</h1>
      {transfer.isPending ? <Loading label="Loading the transfer…" /> : null}
      {transfer.isError ? <ProblemAlert shown={shownOf(transfer.error)} /> : null}
      {transfer.data === undefined ? null : (
        <Card>
          <Summary
            rows={[
              ['Id', <span className="mono">{transfer.data.transferId}</span>],
              ['Kind', isKind(transfer.data.code) ? kindName[transfer.data.code] : transfer.data.code],
              ['State', transfer.data.state],
              ['Effective', new Date(transfer.data.effectiveAt).toLocaleString()],
              ['Recorded', new Date(transfer.data.recordedAt).toLocaleString()],
              ...transfer.data.legs.map(
                (leg) => [leg.direction === 'in' ? 'Received' : 'Sent', displayAmount(leg.amount, leg.asset)] as const,
              ),
            ]}
          />
        </Card>
      )}
    </div>
  );
}
