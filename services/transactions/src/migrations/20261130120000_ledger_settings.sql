-- Settings the ledger's data depends on. `partitions`: the LEDGER_PARTITIONS
-- the ledger was set up with; accounts belong to partitions by it, so the
-- service refuses to start with another value (resharding is not supported).
create table ledger_settings (
  name text primary key,
  value text not null
);
