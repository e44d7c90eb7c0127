-- The sandbox provider's own state, in the payments database so it survives a
-- restart. Nothing outside services/payments/src/providers/sandbox reads these.

-- One checkout per deposit: the page the user pays on.
create table sandbox_checkouts (
  id text primary key,                         -- sbx_cs_...: the provider ref
  deposit_id text not null unique,             -- our deposit id: the idempotency key
  user_id text not null,
  asset text not null,
  amount numeric not null check (amount > 0),
  return_url text not null,
  -- open -> confirming (3-D Secure page) -> succeeded | failed; open -> expired
  status text not null check (status in ('open', 'confirming', 'succeeded', 'failed', 'expired')),
  reason text,
  expires_at timestamptz not null,
  -- A succeeded checkout reads as 'processing' until then (the delayed-webhook amounts).
  settles_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index sandbox_checkouts_open_expiry on sandbox_checkouts (expires_at) where status in ('open', 'confirming');

-- One payout per payout id.
create table sandbox_payouts (
  id text primary key,                         -- sbx_po_...
  payout_id text not null unique,              -- our payout id: the idempotency key
  user_id text not null,
  asset text not null,
  amount numeric not null check (amount > 0),
  destination text not null,
  status text not null check (status in ('succeeded', 'failed')),  -- the final outcome, decided at creation
  reason text,
  -- Reads as 'pending' until then.
  settles_at timestamptz not null,
  created_at timestamptz not null default now()
);

-- Webhooks to send: written in the transaction of the change, sent by the
-- sender job when due, retried with backoff until delivered or given up.
create table sandbox_webhook_events (
  id text primary key,                         -- evt_...: the event id the receiver dedups on
  body text not null,                          -- the exact JSON that is signed and sent
  due_at timestamptz not null,
  attempts integer not null default 0,
  delivered_at timestamptz,
  given_up_at timestamptz,
  last_error text,
  created_at timestamptz not null default now()
);
create index sandbox_webhook_events_due on sandbox_webhook_events (due_at) where delivered_at is null and given_up_at is null;
