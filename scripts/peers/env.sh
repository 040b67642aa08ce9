#!/usr/bin/env bash
# Reference peers for the conformance tests: pinned python-alipay-sdk 3.4.0 (PyPI) and
# alipay-sdk 4.14.0 (npm), installed once into a cache directory outside the repository.
#
#   source scripts/peers/env.sh   # installs if needed, then exports PAYDESK_PEERS_DIR,
#                                 # PAYDESK_PEERS_PY (venv python) and PAYDESK_PEERS_NODE_DIR
#   scripts/peers/env.sh          # only installs
#
# Pins live beside this file (requirements.txt, package.json + package-lock.json). A stamp records
# their hashes: a second run only compares it, and a changed pin re-installs. Prints only errors.

_paydesk_peers_setup() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) || return 2
  local dir=${PAYDESK_PEERS_DIR:-$HOME/.cache/paydesk/peers}
  local stamp="$dir/.stamp"
  local want
  want=$(cat "$here/requirements.txt" "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-64)
  want="$want $(python3 -c 'import sys; print(sys.version.split()[0])' 2>/dev/null) $(node --version 2>/dev/null)"

  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ ! -x "$dir/venv/bin/python" ] \
     || [ ! -d "$dir/node/node_modules/alipay-sdk" ]; then
    command -v python3 >/dev/null || { echo "peers: python3 is missing" >&2; return 2; }
    command -v npm >/dev/null || { echo "peers: npm (nodejs) is missing" >&2; return 2; }
    mkdir -p "$dir/node" || return 2
    local log="$dir/install.log"
    : >"$log"
    rm -f "$stamp"
    if [ ! -x "$dir/venv/bin/python" ]; then
      python3 -m venv "$dir/venv" >>"$log" 2>&1 \
        || { echo "peers: python3 -m venv failed (python3-venv missing?), see $log" >&2; return 2; }
    fi
    "$dir/venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt" >>"$log" 2>&1 \
      || { echo "peers: pip install failed, see $log" >&2; return 2; }
    cp "$here/package.json" "$here/package-lock.json" "$dir/node/"
    (cd "$dir/node" && npm ci --silent --no-audit --no-fund) >>"$log" 2>&1 \
      || { echo "peers: npm ci failed, see $log" >&2; return 2; }
    printf '%s' "$want" >"$stamp"
  fi
  export PAYDESK_PEERS_DIR="$dir"
  export PAYDESK_PEERS_PY="$dir/venv/bin/python"
  export PAYDESK_PEERS_NODE_DIR="$dir/node"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  _paydesk_peers_setup
else
  _paydesk_peers_setup
fi
