-- Profiles: one row per user of the app. The user id is the one the auth
-- service assigned to the credential; the email is a copy (normalised: trimmed,
-- lower case) kept so that a user can be found by email (sends) without asking
-- the auth service. Tier: what the user may do (services/gateway/README.md).
-- Role: 'operator' may review KYC submissions.
create table profiles (
  user_id uuid primary key,
  email text not null,
  tier text not null default 'browsing',
  role text not null default 'user',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Set when the account is deleted; the row stays for the audit trail, the email is freed.
  deleted_at timestamptz,
  constraint profiles_tier check (tier in ('browsing', 'basic', 'full')),
  constraint profiles_role check (role in ('user', 'operator')),
  constraint profiles_email_normalised check (email = lower(btrim(email)) and length(email) between 3 and 254)
);

create unique index profiles_email_key on profiles (email) where deleted_at is null;
