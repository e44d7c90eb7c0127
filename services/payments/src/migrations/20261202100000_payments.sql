-- Deposits and payouts, each a state machine that only moves forward: every
-- change is `update ... where state = any(<the states it may leave>)`, so a
-- late or repeated provider event can never move one back.

-- One Idempotency-Key per user, over deposits and payouts alike: the same key
-- with the same request returns the first answer; with another request, 409.
create table idempotency_keys (
  user_id text not null,
  idempotency_key text not null,
  -- sha256 of the request's fields (not the key itself)
  request_hash text not null,
  kind text not null check (kind in ('deposit', 'payout')),
  resource_id text not null,
  created_at timestamptz not null default now(),
  primary key (user_id, idempotency_key)
);

create table deposits (
  id text primary key,
  user_id text not null,
  provider text not null check (provider in ('stripe', 'paypal', 'sandbox')),
  asset text not null check (asset in ('USD', 'EUR')),
  amount numeric(78, 0) not null check (amount > 0),
  state text not null default 'created'
    check (state in ('created', 'processing', 'succeeded', 'failed', 'expired')),
  -- The provider's id (checkout session, order); null until its create call answered.
  provider_ref text,
  redirect_url text,
  return_url text not null,
  expires_at timestamptz not null,
  reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index deposits_provider_ref on deposits (provider, provider_ref) where provider_ref is not null;
create index deposits_by_user on deposits (user_id, created_at desc);
create index deposits_open on deposits (created_at) where state in ('created', 'processing');

-- Where a user's payouts went: shown back to that user, never logged.
create table payout_destinations (
  id text primary key,
  user_id text not null,
  provider text not null check (provider in ('stripe', 'paypal', 'sandbox')),
  destination text not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz not null default now(),
  unique (user_id, provider, destination)
);

create table payouts (
  id text primary key,
  user_id text not null,
  provider text not null check (provider in ('stripe', 'paypal', 'sandbox')),
  asset text not null check (asset in ('USD', 'EUR')),
  amount numeric(78, 0) not null check (amount > 0),
  destination_id text not null references payout_destinations (id),
  state text not null default 'requested'
    check (state in ('requested', 'held', 'submitted', 'completed', 'failed', 'rejected')),
  provider_ref text,
  reason text,
  -- For programs: e.g. insufficient_funds (rejected), provider_refused (failed).
  code text,
  -- The payout worker's claim on a held payout while it calls the provider, and its retry time.
  claimed_until timestamptz,
  next_attempt_at timestamptz not null default now(),
  attempts integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index payouts_by_user on payouts (user_id, created_at desc);
create index payouts_held on payouts (next_attempt_at) where state = 'held';
create index payouts_open on payouts (created_at) where state in ('requested', 'held', 'submitted');

-- Every verified provider webhook, as received: append-only, one row per
-- provider event (a repeated delivery changes nothing). Headers that carry
-- credentials (authorization, cookies, API keys) are dropped before storing.
create table provider_events (
  provider text not null,
  event_id text not null,
  kind text not null,
  -- Our deposit or payout id when the event names one.
  subject_id text,
  body text not null,
  headers jsonb not null,
  received_at timestamptz not null default now(),
  primary key (provider, event_id)
);
create function provider_events_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'provider_events is append-only';
end;
$$;
create trigger provider_events_append_only before update or delete on provider_events
  for each row execute function provider_events_append_only();

-- The transactional outbox (packages/kit/src/outbox.ts).
create table outbox (
  message_id text primary key,
  exchange text not null,
  routing_key text not null,
  body jsonb not null,
  created_at timestamptz not null default now(),
  published_at timestamptz,
  claimed_until timestamptz,
  attempts integer not null default 0,
  last_error text
);
create index outbox_unpublished on outbox (created_at) where published_at is null;

-- The inbox of ledger events applied (packages/kit/src/inbox.ts).
create table inbox (
  message_id text primary key,
  received_at timestamptz not null default now()
);
