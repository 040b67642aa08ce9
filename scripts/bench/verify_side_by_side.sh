#!/usr/bin/env bash
# RSA2-2048 verification on one core, side by side in one run: `openssl speed rsa2048`, the
# library (criterion: crates/alipay/benches/sign_verify.rs, both the aws-lc-rs path and the rsa
# 0.10 fallback) and python-alipay-sdk (scripts/bench/python_verify.py), all pinned to the same
# core. Prints the machine first, then each tool's figures, then the ratios (docs/BENCHMARKS.md).
#
#   scripts/bench/verify_side_by_side.sh [CPU]     # default CPU 1
set -euo pipefail
cd "$(dirname "$0")/../.."
cpu=${1:-1}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/paydesk/target}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -srm), load $(cut -d' ' -f1-3 /proc/loadavg)"
grep -m1 'model name' /proc/cpuinfo || true
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), pinned to CPU $cpu"
cargo bench -p paydesk-alipay --bench sign_verify --no-run -q 2>/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== openssl speed -elapsed -seconds 3 rsa2048"
taskset -c "$cpu" openssl speed -elapsed -seconds 3 rsa2048 2>/dev/null | tail -n 2 | tee "$out/openssl"
echo "== criterion (crates/alipay/benches/sign_verify.rs)"
taskset -c "$cpu" cargo bench -q -p paydesk-alipay --bench sign_verify -- --noplot verify 2>&1 \
  | grep -E 'time:|^rsa2_2048' | tee "$out/criterion"
echo "== python-alipay-sdk"
# shellcheck disable=SC1091
source scripts/peers/env.sh
"$PAYDESK_PEERS_PY" scripts/bench/python_verify.py --cpu "$cpu" --n 3000 --n-sign 10 | tee "$out/python"
# openssl again: the machine is shared, so the reference is taken before and after the others.
# `-elapsed`: wall-clock time like criterion and the Python timer (openssl's default is CPU time,
# which does not see other processes taking the core and so flatters it on a busy machine).
echo "== openssl speed -elapsed -seconds 3 rsa2048 (again)"
taskset -c "$cpu" openssl speed -elapsed -seconds 3 rsa2048 2>/dev/null | tail -n 1 | tee -a "$out/openssl"

python3 - "$out" <<'PY'
import re, sys, pathlib
d = pathlib.Path(sys.argv[1])
# "rsa 2048 bits  sign-time  verify-time  sign/s  verify/s", before and after: their mean.
rows = [l.split() for l in (d / "openssl").read_text().splitlines() if l.startswith("rsa 2048")]
ossl_verify = sum(float(r[-1]) for r in rows) / len(rows)
crit = (d / "criterion").read_text()
def median(name):
    # criterion prints "time:   [low median high]" after the bench name
    m = re.search(re.escape(name) + r".*?time:\s+\[\S+ \S+ (\S+) (\S+)", crit, re.S)
    v, unit = float(m.group(1)), m.group(2)
    return v * {"ns": 1e-3, "µs": 1.0, "us": 1.0, "ms": 1e3}[unit]
py = (d / "python").read_text()
def py_median(label):
    m = re.search(re.escape(label) + r".*?median\s+(\S+) µs", py)
    return float(m.group(1))
lib = median("verify return URL canonical (PublicKey::verify)")
old = median("verify canonical, rsa 0.10 (portable fallback)")
url = median("verify_callback (return URL, parse + verify)")
py_bare = py_median("verify canonical (AliPay._verify)")
py_url = py_median("verify return URL (parse + AliPay.verify)")
print("== ratios (medians, one core)")
print(f"openssl verify/s {ossl_verify:,.0f} (mean of {', '.join(r[-1] for r in rows)})")
print(f"library bare verify {lib:.2f} µs = {1e6/lib:,.0f}/s = {1e6/lib/ossl_verify:.0%} of openssl; "
      f"rsa 0.10 {old:.2f} µs = {1e6/old:,.0f}/s = {1e6/old/ossl_verify:.0%}")
print(f"return URL parse+verify {url:.2f} µs vs python-alipay-sdk {py_url:.1f} µs: {py_url/url:.1f}x")
print(f"bare verify vs python-alipay-sdk {py_bare:.1f} µs: {py_bare/lib:.1f}x")
PY
