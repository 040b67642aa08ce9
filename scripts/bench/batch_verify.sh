#!/usr/bin/env bash
# Batch verification benchmark: `paydesk verify @FILE` over N signed return URLs (default
# 100,000), once with --jobs 1 and once with every core. Prints inputs/s and CPU utilisation.
#
#   scripts/bench/batch_verify.sh            # N=100000
#   N=20000 RUNS=3 scripts/bench/batch_verify.sh
#   SKIP_BUILD=1 ...                           # use the release binaries already built
#
# The input file is generated once (signing is ~20x slower than verifying) and reused from
# $BENCH_DIR while N is unchanged.
set -euo pipefail

N=${N:-100000}
RUNS=${RUNS:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/paydesk/target}
BENCH_DIR=${BENCH_DIR:-$CARGO_TARGET_DIR/bench-batch-verify}
cores=$(nproc)

cd "$root"
if [ -z "${SKIP_BUILD:-}" ]; then
  cargo build --quiet --release -p paydesk-cli --bin paydesk --example gen_returns
fi
bin=$CARGO_TARGET_DIR/release/paydesk
gen=$CARGO_TARGET_DIR/release/examples/gen_returns

mkdir -p "$BENCH_DIR"
input=$BENCH_DIR/returns-$N.txt
if [ ! -s "$input" ] || [ ! -s "$BENCH_DIR/keys/app_public_key.txt" ]; then
  echo "generating $N signed return URLs in $input ..."
  start=$(date +%s.%N)
  "$gen" --count "$N" --out "$input" --key-dir "$BENCH_DIR/keys"
  echo "  generated in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s"
fi
key=$BENCH_DIR/keys/app_public_key.txt
# No settings file may leak in: an app_id in a profile would turn every line INVALID.
cfg=$BENCH_DIR/empty.toml
: > "$cfg"

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $cores cores"
echo "input:   $N return URLs ($(du -h "$input" | cut -f1)), Alipay key 2048-bit RSA2"
echo

run_once() { # jobs -> prints "wall user sys cpu%"
  local jobs=$1
  /usr/bin/time -f "%e %U %S %P" -o "$BENCH_DIR/time-$jobs.txt" \
    "$bin" --config "$cfg" verify --jobs "$jobs" --alipay-public-key "$key" "@$input" \
    > "$BENCH_DIR/out-$jobs.txt"
  local summary
  summary=$(tail -n1 "$BENCH_DIR/out-$jobs.txt")
  case "$summary" in
    "$N inputs: $N valid, 0 invalid"*) ;;
    *) echo "unexpected verdicts with --jobs $jobs: $summary" >&2; exit 1 ;;
  esac
  cat "$BENCH_DIR/time-$jobs.txt"
}

# inputs/CPU-s (N / (user+sys)) does not depend on what else the machine runs: compare it with
# inputs/s to see how much of the cores the run actually got (CPU = (user+sys)/wall).
printf '%-6s %9s %10s %9s %8s %14s\n' jobs "wall (s)" "inputs/s" "user (s)" "CPU" "inputs/CPU-s"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A rate
for jobs in 1 "$cores"; do
  best=""
  for _ in $(seq "$RUNS"); do
    read -r wall user sys cpu < <(run_once "$jobs")
    if [ -z "$best" ] || awk -v w="$wall" -v b="$best" 'BEGIN{exit !(w < b)}'; then
      best=$wall; bu=$user; bs=$sys; bc_=$cpu
    fi
  done
  r=$(awk -v n="$N" -v w="$best" 'BEGIN{printf "%d", n / w}')
  rate[$jobs]=$r
  per_cpu=$(awk -v n="$N" -v u="$bu" -v s="$bs" 'BEGIN{printf "%d", n / (u + s)}')
  printf '%-6s %9s %10s %9s %8s %14s\n' "$jobs" "$best" "$r" "$bu" "$bc_" "$per_cpu"
done
echo
echo "load average before the runs: $load0"
echo "speed-up with $cores jobs: $(awk -v a="${rate[$cores]}" -v b="${rate[1]}" 'BEGIN{printf "%.2f", a / b}')x (best of $RUNS runs each)"

echo
echo "floor (RSA alone, no parsing or output, one thread, same inputs):"
/usr/bin/time -f "  CPU %U s user for the above" "$gen" --out "$input" --key-dir "$BENCH_DIR/keys" --raw-verify 20000 2>&1 | sed 's/^/  /'

if command -v hyperfine >/dev/null 2>&1; then
  echo
  hyperfine --warmup 1 --runs "$RUNS" -N \
    -n "jobs=1" "$bin --config $cfg verify --jobs 1 --alipay-public-key $key @$input" \
    -n "jobs=$cores" "$bin --config $cfg verify --jobs $cores --alipay-public-key $key @$input" \
    --output=null
fi
