#!/usr/bin/env bash
# python-alipay-sdk (pinned, from scripts/peers) as a merchant client against the simulator:
# builds and starts `paydesk-sim` on a free loopback port with throwaway keys, runs
# scripts/sim/python_flow.py, stops the simulator. Exit 0 only if the whole flow passes.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/paydesk/target}

# shellcheck source=../peers/env.sh
source scripts/peers/env.sh
cargo build -q -p paydesk-sim --bin paydesk-sim

work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$CARGO_TARGET_DIR/debug/paydesk-sim" --port 0 --data-dir "$work/data" --notify-speedup 10000 \
  --info-file "$work/info.json" >"$work/sim.log" 2>&1 &
pid=$!
for _ in $(seq 300); do
  [ -s "$work/info.json" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "the simulator exited:" >&2; cat "$work/sim.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/info.json" ] || { echo "the simulator did not start within 30 s" >&2; cat "$work/sim.log" >&2; exit 1; }

"$PAYDESK_PEERS_PY" scripts/sim/python_flow.py "$work/info.json"
