-- Service API keys. The plaintext (t50_<prefix>_<secret>) is shown once, at
-- creation; only its SHA-256 is kept. The prefix is public and finds the row.
create table api_keys (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  prefix text not null,
  key_sha256 bytea not null,
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  constraint api_keys_prefix_format check (prefix ~ '^[0-9a-f]{8}$'),
  constraint api_keys_hash_length check (octet_length(key_sha256) = 32),
  constraint api_keys_name_format check (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$')
);

create unique index api_keys_prefix_key on api_keys (prefix);
