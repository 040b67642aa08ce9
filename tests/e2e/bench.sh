#!/usr/bin/env bash
# Benchmarks of the desktop app (figures for docs/BENCHMARKS.md):
#  1. start → first orders page under Xvfb (target < 2 s), from the WebDriver session request
#     (which launches the app) to the first order row in the DOM;
#  2. filter latency to first rows over 1,000,000 orders (target < 200 ms): orders_list through
#     IPC against a 1M-order embedded database (PAYDESK_DEMO_ORDERS=1000000), measured by the
#     ignored test `bench_filters_over_a_million_orders`;
#  3. idle memory: RSS of paydesk-app + its WebKit processes 10 s after the first page.
# 1 and 3 run the E2E crate in its bench mode (PAYDESK_E2E_BENCH) against the release app.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/paydesk/target}"
(cd "$root/ui" && npm run build >/dev/null)
touch "$root/src-tauri/src/lib.rs"
(cd "$root" && cargo build --release -p paydesk-app)
app="$CARGO_TARGET_DIR/release/paydesk-app"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

echo "== start to first orders page + idle memory (release app, Xvfb, through WebDriver)"
export PAYDESK_E2E_APP="$app" PAYDESK_E2E_BENCH=1
export PAYDESK_DATA_DIR="$work/data" PAYDESK_CONFIG="$work/paydesk.toml"
export PAYDESK_E2E_ARTIFACTS="$work/shots" PAYDESK_E2E_SCREENSHOTS="$work/shots"
mkdir -p "$work/shots"
# The first launch also creates the demo database (5,000 orders); the second opens it.
for launch in "first launch (creates demo data)" "second launch"; do
  echo "-- $launch"
  (cd "$here" && xvfb-run -a -s "-screen 0 1440x900x24" cargo test -q --test app -- --nocapture 2>/dev/null | grep BENCH)
done

echo "== filters over 1,000,000 orders (IPC, release)"
(cd "$root" && PAYDESK_BENCH_ORDERS=1000000 cargo test --release -p paydesk-app --test bench -- --ignored --nocapture 2>&1 | grep -v "^\s*$" | grep -E "demo data|ms|filter")
