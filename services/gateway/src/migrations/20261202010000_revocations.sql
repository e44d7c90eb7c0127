-- Access-token revocations (logout, password or email change, refresh-token
-- reuse, account deletion) for deployments without Redis (embedded mode): kept
-- until the revoked tokens would have expired anyway, so a restart does not
-- bring a revoked token back. Expired rows are pruned as new ones are written.
create table revocations (
  key text primary key,
  expires_at timestamptz not null
);

create index revocations_expires_at on revocations (expires_at);
