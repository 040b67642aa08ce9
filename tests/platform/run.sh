#!/usr/bin/env bash
# The platform suite: Paydesk against the project's own Django site (tests/platform/luffycity) on
# MariaDB and SQLite, USE_TZ off and on, three copies of the site. Exit 0 only if every test passes.
#
#   tests/platform/run.sh [PYTEST ARGS…]     e.g. -k sqlite, -x, test_variants.py
#
# Environment: PAYDESK_BIN (the paydesk binary; unset: built here with cargo), PAYDESK_TEST_MYSQL_URL
# (a MariaDB whose user may CREATE DATABASE; unset: scripts/mariadb.sh starts one, and stops it
# afterwards if it was not running), CARGO_TARGET_DIR (default ~/.cache/paydesk/target).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/paydesk/target}
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
t0=$SECONDS
say() { echo "platform: $*" >&2; }

# Django 5.2, PyMySQL, pytest, redis, Pillow: a venv outside the repository, installed once.
# shellcheck source=../../scripts/platform/env.sh
source scripts/platform/env.sh || { say "could not set up the Python venv"; exit 2; }

# The site's coupon Redis: the tests start their own redis-server on a free port; it must exist.
if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then
  say "redis-server not found: installing it (Debian package)"
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_=sudo
  { $sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends redis-server >/dev/null; } \
    || { say "could not install redis-server"; exit 2; }
fi

started_mariadb=
cleanup() { [ -n "$started_mariadb" ] && scripts/mariadb.sh stop >/dev/null 2>&1; }
trap cleanup EXIT
if [ -z "${PAYDESK_TEST_MYSQL_URL:-}" ]; then
  scripts/mariadb.sh status >/dev/null 2>&1 && was_running=1
  url=$(scripts/mariadb.sh start) || { say "could not start the throwaway MariaDB"; exit 2; }
  export PAYDESK_TEST_MYSQL_URL=$url
  [ -n "${was_running:-}" ] || started_mariadb=1
fi

if [ -z "${PAYDESK_BIN:-}" ]; then
  pkg=$(sed -n 's/^name *= *"\(.*\)"/\1/p' crates/cli/Cargo.toml | head -1)
  say "building $pkg"
  cargo build -q -p "$pkg" --locked || { say "cargo build -p $pkg failed"; exit 2; }
  export PAYDESK_BIN=$CARGO_TARGET_DIR/debug/paydesk
fi
say "paydesk: $PAYDESK_BIN; MariaDB: ${PAYDESK_TEST_MYSQL_URL%%@*}@…; Python: $("$PAYDESK_PLATFORM_PY" -c 'import django, sys; print(sys.version.split()[0], "Django", django.get_version())')"

cd "$here"
"$PAYDESK_PLATFORM_PY" -m pytest -p no:cacheprovider -v --tb=short -ra --durations=5 "$@"
rc=$?
say "done in $((SECONDS - t0)) s (pytest exit $rc)"
exit $rc
