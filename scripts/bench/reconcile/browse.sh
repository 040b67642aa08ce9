#!/usr/bin/env bash
# The desktop app's Reconcile view on a huge stored run: `browse::header` and every kind of page it
# asks for (first, deep, open-only, category, searches), timed by
# crates/core/examples/recon_browse_bench.rs after its --check of the pages against plain SQL.
#
# The run is the pathological one of `MISSING=1 scripts/bench/reconcile/run.sh`: 979,705
# missing_from_bill rows. When the database holds no run of at least MIN_ROWS rows, this stores one
# the same way (the generator's database and bill if they are missing, then `paydesk reconcile`),
# without run.sh's pandas comparison. The bench first marks ~ACT rows as acted upon (half accepted,
# half only queried), as finance will have; the same rows every time.
#
#   scripts/bench/reconcile/browse.sh                       # SQLite, 30 rounds
#   ROUNDS=10 scripts/bench/reconcile/browse.sh
#   DB=mysql://user:pass@host:port/db scripts/bench/reconcile/browse.sh
#       # a MySQL/MariaDB database: an empty one gets the generator's 1M orders first (minutes)
#   MAX_P95_MS=100 scripts/bench/reconcile/browse.sh        # fail when a kind's p95 is over
set -euo pipefail
cd "$(dirname "$0")/../../.."

N=1000000
target=${CARGO_TARGET_DIR:-target}
work=${BENCH_DIR:-$HOME/.cache/paydesk/bench-reconcile}
db=${DB:-$work/orders-$N.sqlite}
bill="$work/bill-missing-$N.zip"
rounds=${ROUNDS:-30}
act=${ACT:-100}
min_rows=${MIN_ROWS:-900000}
mkdir -p "$work"

cargo build --release -q -p paydesk-core --example recon_browse_bench --example recon_bench_data
cargo build --release -q -p paydesk-cli
bench="$target/release/examples/recon_browse_bench"
say() { echo "browse.sh: $*" >&2; }

# The biggest run's rows; `none`: no platform tables (a new database); `missing`: no such file.
probe=$("$bench" "$db" --probe 2>/dev/null || echo missing)
case $probe in
  none|missing) rows=0; fresh=1 ;;
  *) rows=$probe; fresh=0 ;;
esac
if [ "$rows" -lt "$min_rows" ]; then
  if [ ! -f "$bill" ] || [ "$fresh" = 1 ]; then
    say "generating the orders ($N) and the bill in $db / $bill …"
    # The bill depends on N only. A database that is there stays (the generator's --bill-only
    # keeps an existing path: $work stands in for a URL); a new one (an empty MySQL database
    # too) gets the orders.
    if [ "$fresh" = 1 ]; then gen=("$db" "$bill" "$N" --missing); else gen=("$work" "$bill" "$N" --missing --bill-only); fi
    "$target/release/examples/recon_bench_data" "${gen[@]}" > "$work/expected-missing-$N.json"
  fi
  say "storing a run of ~980,000 rows (paydesk reconcile) …"
  set +e
  PAYDESK_SELLER_ID=2088123456789012 "$target/release/paydesk" --json reconcile \
    --date 2026-11-24 --bill "$bill" --database "$db" > /dev/null
  rc=$?
  set -e
  # 1 = discrepancies found, which is the point.
  if [ "$rc" -gt 1 ]; then say "paydesk reconcile failed ($rc)"; exit 1; fi
fi

args=(--rounds "$rounds" --act "$act" --check)
[ -z "${MAX_P95_MS:-}" ] || args+=(--max-p95-ms "$MAX_P95_MS")
echo "$(nproc) cores, $(. /etc/os-release && echo "$PRETTY_NAME"), $(date -u '+%Y-%m-%d %H:%M UTC')"
"$bench" "$db" "${args[@]}"
