#!/usr/bin/env bash
# Side-by-side benchmarks for docs/BENCHMARKS.md. Prints the machine first; figures follow.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/paydesk/target}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -srm)"
grep -m1 'model name' /proc/cpuinfo || true
echo "== openssl speed rsa2048 (for scale)"
openssl speed -seconds 3 rsa2048 2>/dev/null | tail -n 2
echo "== criterion: crates/alipay sign/verify"
cargo bench -p paydesk-alipay --bench sign_verify -- --noplot 2>&1 | grep -E 'time:|^[a-z_/]+' || true
if [ -f scripts/bench/python_verify.py ]; then
  echo "== python-alipay-sdk on the same inputs"
  source scripts/peers/env.sh
  "$PAYDESK_PEERS_PY" scripts/bench/python_verify.py
fi
if [ -x scripts/bench/batch_verify.sh ]; then
  echo "== paydesk verify @FILE (100,000 lines)"
  scripts/bench/batch_verify.sh
fi
