#!/usr/bin/env bash
# The revenue report over a year of 1,000,000 demo orders, on SQLite and on MariaDB, side by side
# in one run: `paydesk --json report` by day (the year's totals and 365 rows) and by course (every
# order's courses split to the fen), each timed ROUNDS times (wall clock, the median printed), and
# checked once against an independent SQL sum of the year's payments.
#
#   scripts/bench/report.sh                       # SQLite and the throwaway MariaDB
#   N=100000 ROUNDS=3 scripts/bench/report.sh     # smaller, for a quick look
#   MYSQL_URL=mysql://user:pass@host:port/db …     # another server (a database is made and kept)
#
# The demo databases are kept under BENCH_DIR (SQLite file, and the MariaDB database's name in
# a marker file) and reused when they have N orders.
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-1000000}
ROUNDS=${ROUNDS:-5}
target=${CARGO_TARGET_DIR:-target}
work=${BENCH_DIR:-$HOME/.cache/paydesk/bench-report}
mkdir -p "$work"
cargo build --release -q -p paydesk-cli
paydesk="$target/release/paydesk"
: >"$work/paydesk.toml"
export PAYDESK_CONFIG="$work/paydesk.toml"

mysql_base=${MYSQL_URL:-$(scripts/mariadb.sh start)}
mysql_db="paydesk_bench_report_$N"
mysql_url="${mysql_base%/*}/$mysql_db"

# The demo spreads orders over the 365 days up to today (Beijing): the report covers them all.
to=$(TZ=Asia/Shanghai date +%F)
from=$(TZ=Asia/Shanghai date -d '364 days ago' +%F)

ensure_demo() { # $1 database (file or URL), $2 marker
  if [ -f "$2" ] && [ "$(cat "$2")" = "$N" ]; then return; fi
  echo "report.sh: generating $N demo orders in $1 …" >&2
  case $1 in
    mysql://*)
      python3 - "$mysql_base" "$mysql_db" <<'PY'
import subprocess, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
subprocess.run(["mysql", "-h", u.hostname, "-P", str(u.port or 3306), "-u", u.username,
                f"-p{urllib.parse.unquote(u.password or '')}", "-e",
                f"DROP DATABASE IF EXISTS `{sys.argv[2]}`; CREATE DATABASE `{sys.argv[2]}` CHARACTER SET utf8mb4"],
               check=True)
PY
      ;;
    *) rm -f "$1" "$1-wal" "$1-shm" ;;
  esac
  PAYDESK_DATABASE=$1 "$paydesk" db init >/dev/null
  PAYDESK_DATABASE=$1 "$paydesk" demo --orders "$N" --days 365 >/dev/null 2>&1
  echo "$N" >"$2"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

bench() { # $1 label, $2 database
  for by in day course; do
    local times=()
    for _ in $(seq "$ROUNDS"); do
      local t0 t1
      t0=$(date +%s.%N)
      PAYDESK_DATABASE=$2 "$paydesk" --json report --from "$from" --to "$to" --by "$by" >"$work/out.json"
      t1=$(date +%s.%N)
      times+=("$(echo "$t1 - $t0" | bc)")
    done
    local med
    med=$(printf '%s\n' "${times[@]}" | median)
    local total orders
    total=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["payments"])' "$work/out.json")
    orders=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["orders"])' "$work/out.json")
    printf '%-8s by %-6s median %6.3f s  (runs: %s)  payments %s over %s orders\n' \
      "$1" "$by" "$med" "${times[*]}" "$total" "$orders"
  done
}

sqlite_db="$work/demo-$N.sqlite"
ensure_demo "$sqlite_db" "$work/sqlite-$N.done"
ensure_demo "$mysql_url" "$work/mysql-$N.done"

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u '+%F %H:%M UTC')"
echo "period: $from to $to"
bench SQLite "$sqlite_db"
bench MariaDB "$mysql_url"

# An independent sum of the year's payments (plain SQL on the file, Beijing days as stored).
python3 - "$sqlite_db" "$from" "$to" "$work/out.json" <<'PY'
import json, sqlite3, sys
db, start, end = sys.argv[1], sys.argv[2], sys.argv[3]
c = sqlite3.connect(db)
fen = c.execute(
    "SELECT SUM(CAST(ROUND(real_price * 100) AS INTEGER)) FROM ly_order WHERE order_status = 1 "
    "AND pay_time >= ? AND pay_time < date(?, '+1 day')", (start, end)).fetchone()[0] or 0
print(f"independent SQL on SQLite: payments {fen // 100}.{fen % 100:02d}")
PY
