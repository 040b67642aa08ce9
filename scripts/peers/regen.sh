#!/usr/bin/env bash
# Regenerates the peer conformance vectors in crates/alipay/tests/fixtures/peers/ from the pinned
# reference peers (python-alipay-sdk, alipay-sdk). Deterministic: with the committed test keys and
# certificates, a re-run writes byte-identical files (`git diff` shows nothing). To re-check
# against newer peers, bump the pins in requirements.txt / package.json, run `npm install` there to
# refresh package-lock.json, re-run this and review the diff.
#   scripts/peers/regen.sh [--new-keys]   # --new-keys: new throw-away test keys and certificates
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=env.sh
source "$here/env.sh"
export TZ=Asia/Shanghai
exec "$PAYDESK_PEERS_PY" "$here/gen_vectors.py" "$@"
