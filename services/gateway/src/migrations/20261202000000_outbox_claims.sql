-- The outbox publisher claims rows for a short lease in its own transaction
-- and publishes outside it, instead of holding a transaction (and row locks)
-- open while it talks to the broker.
alter table outbox add column claimed_until timestamptz;
