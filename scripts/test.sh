#!/usr/bin/env bash
# Every test Paydesk has, in the order that fails fastest. Called by `make test` (and so by CI).
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/paydesk/target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"

passed=0; failed=0; failures=()
step() {
  local name=$1; shift
  local t0=$SECONDS
  echo "==> $name"
  if "$@"; then
    passed=$((passed + 1)); echo "<== $name: ok ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "<== $name: FAILED ($((SECONDS - t0)) s)"
  fi
}

cleanup() { [ -n "${started_mariadb:-}" ] && scripts/mariadb.sh stop >/dev/null 2>&1; }
trap cleanup EXIT

# The UI first: the app crate embeds ui/dist at compile time.
ui_checks() {
  (cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run lint && npm run build && npm test)
}
step "ui: lint, type-check, build, vitest" ui_checks

step "rustfmt" cargo fmt --all -- --check
step "clippy" cargo clippy --workspace --all-targets --locked -- -D warnings

# A throwaway MariaDB for the store tests, unless the caller gives one.
if [ -z "${PAYDESK_TEST_MYSQL_URL:-}" ] && [ -x scripts/mariadb.sh ]; then
  # Stop it afterwards only if this run started it: another run may be using the same server.
  scripts/mariadb.sh status >/dev/null 2>&1 && was_running=1
  if url=$(scripts/mariadb.sh start); then
    export PAYDESK_TEST_MYSQL_URL=$url; [ -n "${was_running:-}" ] || started_mariadb=1
  else
    echo "could not start the throwaway MariaDB" >&2; failed=$((failed + 1)); failures+=("mariadb")
  fi
fi
export PAYDESK_REQUIRE_MYSQL=1

step "cargo test" cargo test --workspace --locked --no-fail-fast

if [ -x tests/platform/run.sh ]; then
  # The platform as Django makes it: our own small Django site's schema on the throwaway MariaDB and
  # on SQLite, every Paydesk operation against it, every row it wrote loaded through the ORM.
  step "Paydesk on the schema Django makes (MariaDB, SQLite, USE_TZ both ways)" \
    env PAYDESK_BIN="$CARGO_TARGET_DIR/debug/paydesk" tests/platform/run.sh
fi
if [ -x scripts/xlsx/check.sh ]; then
  # The .xlsx exports as openpyxl reads them: numeric money, real dates, a formula-named course as text.
  step "xlsx exports open in openpyxl" env PAYDESK_BIN="$CARGO_TARGET_DIR/debug/paydesk" scripts/xlsx/check.sh
fi
if [ -x scripts/peers/check_ours.sh ]; then
  step "peers verify Paydesk's links" scripts/peers/check_ours.sh
fi
if [ -x scripts/sim/run_python_flow.sh ]; then
  step "python-alipay-sdk against the simulator" scripts/sim/run_python_flow.sh
fi
if [ -x tests/e2e/run.sh ]; then
  step "desktop app end to end (WebDriver, Xvfb)" tests/e2e/run.sh
fi

echo
if [ "$failed" -gt 0 ]; then
  echo "failed suites: ${failures[*]}"
fi
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
