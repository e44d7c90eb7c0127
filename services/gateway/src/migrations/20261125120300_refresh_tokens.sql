-- Refresh tokens, in families: a login starts a family; each refresh uses the
-- family's newest token and issues the next one. A used token presented again
-- means it was stolen (or the client is broken): the whole family is revoked.
-- Tokens are stored as SHA-256 hashes only.
create table refresh_token_families (
  family_id uuid primary key,
  user_id uuid not null references profiles (user_id),
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  revoked_reason text
);

create index refresh_token_families_user on refresh_token_families (user_id) where revoked_at is null;

create table refresh_tokens (
  token_hash bytea primary key,
  family_id uuid not null references refresh_token_families (family_id),
  issued_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz
);

create index refresh_tokens_family on refresh_tokens (family_id);
