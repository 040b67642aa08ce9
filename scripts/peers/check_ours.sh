#!/usr/bin/env bash
# Paydesk's pay links and forms, verified by the reference peers' own verification
# (python-alipay-sdk and the official Node SDK), with the committed test app key.
# Exits non-zero if either peer rejects anything. Called by `make test` (scripts/test.sh).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here/../.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/paydesk/target}
# shellcheck source=env.sh
source "$here/env.sh"
out=$(mktemp -t paydesk-ours.XXXXXX.json)
trap 'rm -f "$out"' EXIT
cargo run -q -p paydesk-alipay --example emit_links >"$out"
status=0
"$PAYDESK_PEERS_PY" "$here/verify_ours.py" "$out" || status=1
node "$here/verify_ours.mjs" "$out" || status=1
exit $status
