-- The ledger: assets, accounts with their running totals, transfers and their
-- entries (append-only history), holds (two-phase transfers), the inbox of
-- consumed message ids and the transactional outbox.
--
-- Hot tables carry no foreign keys: the single writer validates every
-- reference in memory before it writes, and `verify` checks referential
-- integrity; measured here, foreign-key checks took ~45% of a batch's time.

create table assets (
  code text primary key check (code ~ '^[A-Z][A-Z0-9]{1,9}$'),
  scale integer not null check (scale between 0 and 36)
);
insert into assets (code, scale) values ('USD', 2), ('EUR', 2), ('ETH', 18);

create table accounts (
  id text primary key,
  asset text not null references assets (code),
  owner_type text not null check (owner_type in ('user', 'system')),
  owner_id text not null,
  code text not null,
  -- User accounts: debits (posted and pending) may never exceed posted credits.
  no_overdraft boolean not null,
  posted_debits numeric(78, 0) not null default 0 check (posted_debits >= 0),
  posted_credits numeric(78, 0) not null default 0 check (posted_credits >= 0),
  pending_debits numeric(78, 0) not null default 0 check (pending_debits >= 0),
  pending_credits numeric(78, 0) not null default 0 check (pending_credits >= 0),
  created_at timestamptz not null default now(),
  check (not no_overdraft or posted_debits + pending_debits <= posted_credits)
);
create index accounts_owner on accounts (owner_id, asset);

-- One row per recorded fact: a transfer, a hold, a post of a hold, a void.
create table transfers (
  id text primary key,
  kind text not null check (kind in ('transfer', 'hold', 'post', 'void')),
  code text not null,
  pending_id text,
  legs jsonb not null,
  metadata jsonb not null default '{}',
  -- sha256 of the canonical command: the same id with other content is a conflict.
  content_hash text not null,
  effective_at timestamptz not null,
  recorded_at timestamptz not null,
  expires_at timestamptz,
  message_id text not null
);

-- Posted movements: two entries per posted leg. balance_after is the account's
-- posted balance (credits - debits) after this entry, so a balance at any past
-- time is one lookup.
create table entries (
  seq bigserial primary key,
  transfer_id text not null,
  leg_index smallint not null,
  account_id text not null,
  side char(1) not null check (side in ('D', 'C')),
  asset text not null,
  amount numeric(78, 0) not null check (amount > 0),
  balance_after numeric(79, 0) not null,
  code text not null,
  effective_at timestamptz not null,
  recorded_at timestamptz not null
);
create index entries_account_seq on entries (account_id, seq);
create index entries_account_recorded on entries (account_id, recorded_at);

-- Mutable state of each hold (the history is in transfers and entries).
create table holds (
  transfer_id text primary key,
  state text not null check (state in ('pending', 'posted', 'voided', 'expired')),
  expires_at timestamptz not null,
  resolved_by text
);
create index holds_expiring on holds (expires_at) where state = 'pending';

-- Every consumed message id with its outcome, written in the transaction that
-- records its effect: a redelivery is recognised and changes nothing.
create table inbox (
  message_id text primary key,
  outcome jsonb not null,
  recorded_at timestamptz not null
);

-- Events committed with the change that caused them; the relay publishes them
-- with confirms and then deletes them.
create table outbox (
  seq bigserial primary key,
  event_id text not null,
  exchange text not null,
  routing_key text not null,
  type text not null,
  correlation_id text,
  payload jsonb not null,
  created_at timestamptz not null default now()
);

-- History is append-only, enforced by the database itself.
create function ledger_refuse_change() returns trigger language plpgsql as $$
begin
  raise exception 'ledger history is append-only: % on % refused', tg_op, tg_table_name
    using errcode = 'P0001';
end
$$;
create trigger entries_append_only before update or delete on entries
  for each row execute function ledger_refuse_change();
create trigger entries_no_truncate before truncate on entries
  for each statement execute function ledger_refuse_change();
create trigger transfers_append_only before update or delete on transfers
  for each row execute function ledger_refuse_change();
create trigger transfers_no_truncate before truncate on transfers
  for each statement execute function ledger_refuse_change();
