-- Failed-authentication counters in fixed windows, kept in PostgreSQL so they
-- survive restarts and are shared by every instance. The subject is the SHA-256
-- of "<scope>:<value>" (an email or a client address), so attacker-chosen
-- strings are never stored as they were sent.
create table auth_failure_windows (
  subject bytea not null,
  window_start timestamptz not null,
  failures integer not null,
  primary key (subject, window_start),
  constraint auth_failure_windows_subject_length check (octet_length(subject) = 32),
  constraint auth_failure_windows_failures_not_negative check (failures >= 0)
);

create index auth_failure_windows_window_start on auth_failure_windows (window_start);
