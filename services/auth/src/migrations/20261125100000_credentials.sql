-- Credentials: one row per user, an email (normalised: trimmed, lower case) and
-- an argon2id hash in PHC form, which carries its own parameters so they can be
-- raised later. Nothing else about a user lives in this service.
create table credentials (
  user_id uuid primary key default gen_random_uuid(),
  email text not null,
  password_hash text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint credentials_email_normalised check (email = lower(btrim(email)) and length(email) between 3 and 254),
  constraint credentials_hash_is_phc check (password_hash like '$argon2%')
);

create unique index credentials_email_key on credentials (email);
