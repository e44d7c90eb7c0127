/**
 * Proves the books: every asset's entries sum to zero, every account's totals
 * equal the sum of its entries (posted) and of its open holds (pending), each
 * entry's balance_after follows from the one before, entries match the legs of
 * their transfer, every reference resolves, and the append-only triggers are
 * in place. A break in any of these means history was changed or a bug wrote
 * something wrong.
 */
import type { Queryable } from '@t50/kit';

export interface VerifyCheck {
  readonly name: string;
  readonly ok: boolean;
  /** Up to 10 examples of what broke. */
  readonly problems: readonly string[];
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly checkedAt: string;
  readonly counts: { readonly accounts: number; readonly transfers: number; readonly entries: number };
  readonly checks: readonly VerifyCheck[];
}

const checks: readonly { name: string; sql: string; describe: (row: Record<string, unknown>) => string }[] = [
  {
    name: 'each asset balances (debits = credits)',
    sql: `select asset, sum(amount) filter (where side = 'D')::text as debits, sum(amount) filter (where side = 'C')::text as credits
          from entries group by asset
          having coalesce(sum(amount) filter (where side = 'D'), 0) <> coalesce(sum(amount) filter (where side = 'C'), 0)
          limit 10`,
    describe: (r) => `${String(r.asset)}: debits ${String(r.debits)} <> credits ${String(r.credits)}`,
  },
  {
    name: "posted totals equal the sum of each account's entries",
    sql: `select a.id, a.posted_debits::text as pd, a.posted_credits::text as pc, coalesce(e.d, 0)::text as ed, coalesce(e.c, 0)::text as ec
          from accounts a left join (
            select account_id, sum(amount) filter (where side = 'D') as d, sum(amount) filter (where side = 'C') as c
            from entries group by account_id) e on e.account_id = a.id
          where a.posted_debits <> coalesce(e.d, 0) or a.posted_credits <> coalesce(e.c, 0)
          limit 10`,
    describe: (r) => `${String(r.id)}: totals D ${String(r.pd)} C ${String(r.pc)}, entries D ${String(r.ed)} C ${String(r.ec)}`,
  },
  {
    name: 'pending totals equal the open holds',
    sql: `with open_legs as (
            select leg ->> 'debitAccountId' as debit, leg ->> 'creditAccountId' as credit, (leg ->> 'amount')::numeric as amount
            from holds h join transfers t on t.id = h.transfer_id, jsonb_array_elements(t.legs) as leg
            where h.state = 'pending'),
          d as (select debit as id, sum(amount) as total from open_legs group by debit),
          c as (select credit as id, sum(amount) as total from open_legs group by credit)
          select a.id, a.pending_debits::text as nd, a.pending_credits::text as nc, coalesce(d.total, 0)::text as hd, coalesce(c.total, 0)::text as hc
          from accounts a left join d on d.id = a.id left join c on c.id = a.id
          where a.pending_debits <> coalesce(d.total, 0) or a.pending_credits <> coalesce(c.total, 0)
          limit 10`,
    describe: (r) => `${String(r.id)}: pending D ${String(r.nd)} C ${String(r.nc)}, open holds D ${String(r.hd)} C ${String(r.hc)}`,
  },
  {
    name: 'each entry balance follows from the one before',
    sql: `select account_id, seq::text from (
            select account_id, seq, balance_after,
                   lag(balance_after, 1, 0::numeric) over (partition by account_id order by seq) as previous,
                   case side when 'C' then amount else -amount end as effect
            from entries) x
          where balance_after <> previous + effect
          limit 10`,
    describe: (r) => `${String(r.account_id)}: entry ${String(r.seq)} does not follow from the previous balance`,
  },
  {
    name: 'entries match the legs of their transfer',
    // Grouped once and joined (no per-transfer subquery): linear in the size of the ledger.
    sql: `select t.id from transfers t
            left join (select transfer_id, count(*) as n from entries group by transfer_id) c on c.transfer_id = t.id
          where t.kind in ('transfer', 'post') and coalesce(c.n, 0) <> 2 * jsonb_array_length(t.legs)
          union all
          select e.transfer_id from entries e left join transfers t on t.id = e.transfer_id
          where t.id is null
             or e.amount <> (t.legs -> e.leg_index ->> 'amount')::numeric
             or e.asset <> (t.legs -> e.leg_index ->> 'asset')
             or e.account_id <> (t.legs -> e.leg_index ->> case e.side when 'D' then 'debitAccountId' else 'creditAccountId' end)
          limit 10`,
    describe: (r) => `transfer ${String(r.id ?? r.transfer_id)}: entries differ from its legs`,
  },
  {
    name: 'every entry and hold refers to a known account and transfer',
    sql: `select 'entry ' || e.seq::text as what from entries e left join accounts a on a.id = e.account_id where a.id is null
          union all
          select 'hold ' || h.transfer_id from holds h left join transfers t on t.id = h.transfer_id where t.id is null or t.kind <> 'hold'
          limit 10`,
    describe: (r) => `${String(r.what)} refers to a missing row`,
  },
  {
    name: 'history is protected (append-only triggers enabled)',
    sql: `select expected.name from (values ('entries_append_only'), ('entries_no_truncate'), ('transfers_append_only'), ('transfers_no_truncate')) as expected (name)
          left join pg_trigger t on t.tgname = expected.name and t.tgenabled <> 'D'
          where t.oid is null`,
    describe: (r) => `trigger ${String(r.name)} is missing or disabled`,
  },
];

export async function verifyLedger(db: Queryable): Promise<VerifyReport> {
  const results: VerifyCheck[] = [];
  for (const check of checks) {
    const rows = await db.query(check.sql);
    results.push({ name: check.name, ok: rows.length === 0, problems: rows.map(check.describe) });
  }
  const [counts] = await db.query<{ accounts: string; transfers: string; entries: string }>(
    `select (select count(*) from accounts)::text as accounts, (select count(*) from transfers)::text as transfers,
            (select count(*) from entries)::text as entries`,
  );
  return {
    ok: results.every((check) => check.ok),
    checkedAt: new Date().toISOString(),
    counts: { accounts: Number(counts?.accounts ?? 0), transfers: Number(counts?.transfers ?? 0), entries: Number(counts?.entries ?? 0) },
    checks: results,
  };
}

export function formatReport(report: VerifyReport): string {
  const lines = [
    `ledger verify ${report.ok ? 'OK' : 'FAILED'} at ${report.checkedAt}: ${report.counts.accounts} accounts, ${report.counts.transfers} transfers, ${report.counts.entries} entries`,
  ];
  for (const check of report.checks) {
    lines.push(`  [${check.ok ? 'ok' : 'BROKEN'}] ${check.name}`);
    for (const problem of check.problems) lines.push(`      - ${problem}`);
  }
  return lines.join('\n');
}
