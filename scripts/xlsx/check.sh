#!/usr/bin/env bash
# The report's .xlsx, opened by openpyxl: numbers are numbers, dates are dates, the header is
# frozen, and a course named like a formula stays text. Needs the built `paydesk`
# ($PAYDESK_BIN, default $CARGO_TARGET_DIR/debug/paydesk); installs openpyxl into its own venv.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${PAYDESK_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/paydesk/target}/debug/paydesk}
venv=${PAYDESK_XLSX_VENV:-$HOME/.cache/paydesk/xlsx-venv}
want=$(sha256sum "$here/requirements.txt" | cut -c1-64)
if [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$want" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt"
  printf '%s' "$want" >"$venv/.stamp"
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
: >"$tmp/paydesk.toml"
export PAYDESK_CONFIG="$tmp/paydesk.toml" PAYDESK_DATABASE="$tmp/demo.sqlite"
"$bin" db init >/dev/null
"$bin" demo --orders 2000 --days 60 >/dev/null
formula='=HYPERLINK("http://example.invalid","click")'
"$venv/bin/python" - "$PAYDESK_DATABASE" "$formula" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE fg_course_info SET name = ? WHERE id = (SELECT MIN(course_id) FROM ly_order_course)", (sys.argv[2],))
db.commit()
PY
to=$(TZ=Asia/Shanghai date +%F); from=$(TZ=Asia/Shanghai date -d '60 days ago' +%F)
"$bin" report --from "$from" --to "$to" --by course --xlsx "$tmp/course.xlsx" >/dev/null
"$bin" report --from "$from" --to "$to" --by day --xlsx "$tmp/day.xlsx" >/dev/null
"$venv/bin/python" "$here/check_xlsx.py" "$tmp/course.xlsx" "$formula"
# The day report has no names: check its numbers and dates with a text it does hold.
"$venv/bin/python" "$here/check_xlsx.py" "$tmp/day.xlsx" "合计"
