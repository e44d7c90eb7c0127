-- The audit log: every change to a profile, its tier, its KYC data or its
-- sessions' security (password, email) lands here, in the same transaction as
-- the change. Append-only: the service never updates or deletes a row.
create table audit_log (
  seq bigserial primary key,
  user_id uuid not null,
  -- Who did it: the user themself, an operator, or the system.
  actor_id uuid,
  action text not null,
  detail jsonb not null default '{}',
  at timestamptz not null default now()
);

create index audit_log_user on audit_log (user_id, seq);
