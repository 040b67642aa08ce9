#!/usr/bin/env bash
# The long property soak (not part of `make test`): 1,000,000 random mutations of peer-signed
# callbacks and gateway responses, in release, on every core. Prints the count, how many had
# their signed content changed, how many of those were accepted (must be 0) and the elapsed time.
#   scripts/soak.sh                      # PAYDESK_MUTATIONS=1000000, a fresh seed (printed)
#   PAYDESK_MUTATIONS=5000000 PAYDESK_MUTATION_SEED=0x1234 scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/paydesk/target}
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
export PAYDESK_MUTATIONS=${PAYDESK_MUTATIONS:-1000000}
export PAYDESK_MUTATION_SEED=${PAYDESK_MUTATION_SEED:-$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')}
echo "soak: $PAYDESK_MUTATIONS mutations, seed $PAYDESK_MUTATION_SEED, $(nproc) cores, $(uname -m)"
out=$(mktemp -t paydesk-soak.XXXXXX)
trap 'rm -f "$out"' EXIT
if cargo test -q --release -p paydesk-alipay --test mutation \
    random_mutations_of_signed_inputs_are_never_accepted -- --exact --nocapture >"$out" 2>&1; then
  grep -E '^mutations:' "$out"
  echo "soak: ok — no mutated input with changed signed content was accepted"
else
  cat "$out"
  echo "soak: FAILED" >&2
  exit 1
fi
