#!/usr/bin/env bash
# Makes sure a Chromium browser is installed for the web app's browser tests
# (apps/web/e2e/*.e2e.test.ts drive it through playwright-core). Installs
# Debian's `chromium` package with apt-get when it is missing and we are root;
# otherwise stops with a clear message of what to install. Idempotent.
# CHROMIUM_PATH names another browser binary (default /usr/bin/chromium).
set -euo pipefail

say() { printf '[ensure-chromium] %s\n' "$*"; }
fail() { printf '[ensure-chromium] ERROR: %s\n' "$*" >&2; exit 1; }

browser=${CHROMIUM_PATH:-/usr/bin/chromium}

if [ ! -x "$browser" ]; then
  [ "$browser" = /usr/bin/chromium ] || fail "CHROMIUM_PATH=$browser is not an executable file"
  [ "$(id -u)" = 0 ] || fail "chromium is not installed; install it (e.g. sudo apt-get install -y chromium) and run again"
  command -v apt-get >/dev/null || fail "chromium is not installed and apt-get is not available; install Chromium and run again (or set CHROMIUM_PATH)"
  say "apt-get update"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  say "installing chromium"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  [ -x "$browser" ] || fail "chromium was installed but $browser is missing"
fi
say "$("$browser" --version 2>/dev/null || echo "$browser") is installed"
