-- One PostgreSQL server, a database per service (no service reads another's). The
-- services also create their database when it is missing; this makes the
-- layout explicit and lets `docker compose up` start them in any order.
create database t50_transactions;
create database t50_auth;
create database t50_gateway;
