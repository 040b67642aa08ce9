#!/usr/bin/env bash
# Benchmarks of the desktop app (figures for docs/BENCHMARKS.md):
#  1. start → first orders page under Xvfb (target < 2 s): the E2E's first step prints it;
#  2. filter latency to first rows over 1,000,000 orders (target < 200 ms): orders_list through
#     IPC against a 1M-order embedded database (PAYDESK_DEMO_ORDERS=1000000), measured by the
#     ignored test `bench_filters_over_a_million_orders`;
#  3. idle memory: RSS of paydesk-app + its WebKit processes 10 s after the first page.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/paydesk/target}"
(cd "$root/ui" && npm run build >/dev/null)
touch "$root/src-tauri/src/lib.rs"
(cd "$root" && cargo build --release -p paydesk-app)
app="$CARGO_TARGET_DIR/release/paydesk-app"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

echo "== filters over 1,000,000 orders (IPC, release)"
(cd "$root" && PAYDESK_BENCH_ORDERS=1000000 cargo test --release -p paydesk-app --test bench -- --ignored --nocapture)

echo "== start to window + idle memory (Xvfb)"
export PAYDESK_DATA_DIR="$work/data" PAYDESK_CONFIG="$work/paydesk.toml" PAYDESK_DEMO_ORDERS=5000
# First launch creates the demo database; the second is the one measured.
xvfb-run -a -s "-screen 0 1440x900x24" bash -c "timeout 20 '$app' >/dev/null 2>&1 || true"
xvfb-run -a -s "-screen 0 1440x900x24" bash -c "
  start=\$(date +%s%N); '$app' >'$work/app.log' 2>&1 & pid=\$!
  until grep -q 'Alipay simulator on' '$work/app.log' 2>/dev/null || [ \$(( (\$(date +%s%N)-start)/1000000 )) -gt 20000 ]; do sleep 0.05; done
  echo \"start to profile ready: \$(( (\$(date +%s%N)-start)/1000000 )) ms (see the E2E for start to first orders row)\"
  sleep 10
  rss=0; for p in \$pid \$(pgrep -P \$pid) \$(pgrep -f WebKitWebProcess) \$(pgrep -f WebKitNetworkProcess); do r=\$(awk '/VmRSS/{print \$2}' /proc/\$p/status 2>/dev/null || echo 0); rss=\$((rss+r)); done
  echo \"idle RSS (app + WebKit): \$((rss/1024)) MB\"
  kill -TERM \$pid"
