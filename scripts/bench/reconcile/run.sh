#!/usr/bin/env bash
# Reconciliation benchmark: a 1,000,000-line trade bill against 1,000,000 orders (SQLite),
# `paydesk reconcile` and the pandas script doing the same match, side by side in one run.
# Wall time and peak RSS come from /usr/bin/time -v. Both results are checked against the
# counts the generator planted; the run fails when Paydesk is over 10 s, over 1 GiB, or not at
# least 2x faster than pandas.
#
# MISSING=1: the same database against a bill that lists only every 100th payment, so ~980,000
# paid orders are missing_from_bill and every one of them is stored as a row of the run (the
# pathological case: a bill fetched for the wrong account, a day Alipay lost). Same limits,
# except the comparison with pandas, which only counts those rows and stores nothing.
# PAYDESK_BIN=path runs another paydesk binary (e.g. a copy of an earlier build, to compare).
#
#   scripts/bench/reconcile/run.sh            # N=1000000
#   N=100000 scripts/bench/reconcile/run.sh   # smaller, for a quick look
#   MISSING=1 scripts/bench/reconcile/run.sh  # a bill lacking ~99 % of the orders
set -euo pipefail
cd "$(dirname "$0")/../../.."

N=${N:-1000000}
MISSING=${MISSING:-0}
target=${CARGO_TARGET_DIR:-target}
work=${BENCH_DIR:-$HOME/.cache/paydesk/bench-reconcile}
venv=${PANDAS_VENV:-$HOME/.cache/paydesk/venv-recon-bench}
mkdir -p "$work"

cargo build --release -q -p paydesk-core --example recon_bench_data
[ -n "${PAYDESK_BIN:-}" ] || cargo build --release -q -p paydesk-cli
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pandas' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q pandas==2.2.3 numpy==2.1.3
fi

paydesk=${PAYDESK_BIN:-$target/release/paydesk}
db="$work/orders-$N.sqlite"
case=$N
gen_flags=()
if [ "$MISSING" = 1 ]; then
  case="missing-$N"
  # The database is the same as the full bill's: keep it when it is there.
  gen_flags=(--missing --bill-only)
fi
bill="$work/bill-$case.zip"
if [ ! -f "$bill" ] || [ ! -f "$work/expected-$case.json" ] || [ ! -f "$db" ]; then
  echo "generating $N orders and the bill ($case) in $work …" >&2
  "$target/release/examples/recon_bench_data" "$db" "$bill" "$N" "${gen_flags[@]}" > "$work/expected-$case.json"
fi
# Drop runs stored by earlier benchmark runs so every run starts from the same database.
python3 - "$db" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute("DELETE FROM paydesk_recon_rows"); c.execute("DELETE FROM paydesk_recon_runs"); c.commit()
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
EOF
# Warm the page cache for both alike.
cat "$db" "$bill" > /dev/null

# The bill's account is 2088123456789012…: the profile's seller for this run.
export PAYDESK_SELLER_ID=2088123456789012
set +e
/usr/bin/time -v "$paydesk" --json reconcile --date 2026-11-24 --bill "$bill" --database "$db" \
  > "$work/paydesk.json" 2> "$work/paydesk.time"
paydesk_rc=$?
/usr/bin/time -v "$venv/bin/python" scripts/bench/reconcile/pandas_reconcile.py "$db" "$bill" 2026-11-24 \
  > "$work/pandas.json" 2> "$work/pandas.time"
pandas_rc=$?
set -e
if [ "$paydesk_rc" -gt 1 ]; then echo "paydesk failed ($paydesk_rc):" >&2; tail -5 "$work/paydesk.time" "$work/paydesk.json" >&2; exit 1; fi
if [ "$pandas_rc" -ne 0 ]; then echo "pandas failed ($pandas_rc):" >&2; tail -5 "$work/pandas.time" >&2; exit 1; fi

python3 - "$work" "$case" "$MISSING" <<'EOF'
import json, re, sys
work, n, missing = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
def timing(path):
    t = open(path, encoding="utf-8", errors="replace").read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
    secs = sum(float(p) * 60 ** i for i, p in enumerate(reversed(wall.split(":"))))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
    return secs, rss / 1024
expected = json.load(open(f"{work}/expected-{n}.json"))
run = json.load(open(f"{work}/paydesk.json"))
pd_out = json.load(open(f"{work}/pandas.json"))
pay_counts = {k: v["count"] for k, v in run["summary"]["categories"].items()}
ok = True
for name, counts in [("paydesk", pay_counts), ("pandas", pd_out["counts"])]:
    if counts != expected["expected"]:
        ok = False
        print(f"{name} counts differ from the plan: {counts} vs {expected['expected']}")
(pw, pm), (qw, qm) = timing(f"{work}/paydesk.time"), timing(f"{work}/pandas.time")
print(f"bill lines {expected['bill_lines']:,}, orders {expected['orders']:,}")
print(f"{'':10} {'wall s':>8} {'peak RSS MiB':>13}")
print(f"{'paydesk':10} {pw:8.2f} {pm:13.0f}")
print(f"{'pandas':10} {qw:8.2f} {qm:13.0f}")
print(f"speed-up  {qw / pw:.2f}x   categories {json.dumps(pay_counts, sort_keys=True)}")
stored = len(run["discrepancies"])
want = sum(v for k, v in pay_counts.items() if k not in ("matched", "refund_matched"))
print(f"rows in the report {stored:,}")
if stored != want:
    ok = False
    print(f"FAIL: the run holds {stored} rows, the summary counts {want} discrepancies")
if pw >= 10 or pm >= 1024 or (not missing and qw / pw < 2):
    ok = False
    print("FAIL: needs < 10 s, < 1 GiB" + ("" if missing else " and >= 2x pandas"))
sys.exit(0 if ok else 1)
EOF
