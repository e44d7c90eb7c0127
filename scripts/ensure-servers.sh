#!/usr/bin/env bash
# Makes sure PostgreSQL, RabbitMQ and Redis run on 127.0.0.1 (the tests and the
# benchmarks talk to the real servers). Starts each when installed and stopped;
# installs it with apt-get when missing and we are root; otherwise stops with a
# clear message of what to install. Idempotent: does nothing when all three run.
set -euo pipefail

say() { printf '[ensure-servers] %s\n' "$*"; }
fail() { printf '[ensure-servers] ERROR: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # name port seconds
  local deadline=$((SECONDS + $3))
  until port_open "$2"; do
    [ $SECONDS -lt $deadline ] || fail "$1 did not open port $2 within $3 s"
    sleep 0.5
  done
}

apt_updated=0
install_packages() {
  [ "$(id -u)" = 0 ] || fail "$* not installed; install them (e.g. sudo apt-get install -y $*) and run again"
  command -v apt-get >/dev/null || fail "$* not installed and apt-get is not available; install them and run again"
  if [ $apt_updated = 0 ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  say "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  if port_open 5432; then return; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then install_packages postgresql; fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  say "starting PostgreSQL $version"
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  wait_port PostgreSQL 5432 60
  # The tests connect as postgres over TCP without a password (trust on localhost).
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  if [ -w "$hba" ] && ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
    say "allowing trust auth on 127.0.0.1 for local tests"
    sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload || true
  fi
}

ensure_rabbitmq() {
  if port_open 5672; then return; fi
  command -v rabbitmq-server >/dev/null || install_packages rabbitmq-server
  say "starting RabbitMQ"
  rabbitmq-server -detached || true
  wait_port RabbitMQ 5672 120
  rabbitmqctl await_startup >/dev/null 2>&1 || true
}

ensure_redis() {
  if port_open 6379; then return; fi
  command -v redis-server >/dev/null || install_packages redis-server
  say "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  wait_port Redis 6379 30
}

ensure_postgres
ensure_rabbitmq
ensure_redis
# Quorum queues need the feature flag on brokers upgraded from old versions.
rabbitmqctl enable_feature_flag all >/dev/null 2>&1 || true
say "PostgreSQL, RabbitMQ and Redis are running on 127.0.0.1"
