-- The transactional outbox: an event is inserted in the same transaction as
-- the change that caused it, and published (with publisher confirms) after
-- the commit; a row is marked published only once the broker confirmed it.
create table outbox (
  message_id text primary key,
  exchange text not null,
  routing_key text not null,
  body jsonb not null,
  created_at timestamptz not null default now(),
  published_at timestamptz,
  attempts integer not null default 0,
  last_error text
);

create index outbox_unpublished on outbox (created_at) where published_at is null;
