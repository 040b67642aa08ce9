#!/usr/bin/env bash
# Reference peers for the conformance tests: pinned python-alipay-sdk (PyPI) and alipay-sdk (npm),
# installed once into a cache directory outside the repository.
#
#   source scripts/peers/env.sh     # exports PAYDESK_PEERS_DIR, PAYDESK_PEERS_PY, PAYDESK_PEERS_NODE_DIR
#   scripts/peers/env.sh            # only installs (prints the three variables as `export` lines)
#
# Idempotent: a stamp file records the pinned versions, so a second run only checks it. Prints
# nothing but errors. Bump a version here and every user re-installs on the next run.

_paydesk_peers_setup() {
  local py_pins="python-alipay-sdk==3.4.0 pycryptodomex==3.23.0 cryptography==46.0.3"
  local npm_pin="alipay-sdk@4.14.0"
  local dir=${PAYDESK_PEERS_DIR:-$HOME/.cache/paydesk/peers}
  local stamp="$dir/.stamp"
  local want="py: $py_pins | npm: $npm_pin | python3: $(python3 -c 'import sys;print(sys.version.split()[0])' 2>/dev/null)"

  if [ ! -f "$stamp" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] \
     || [ ! -x "$dir/venv/bin/python" ] || [ ! -d "$dir/node/node_modules/alipay-sdk" ]; then
    command -v python3 >/dev/null || { echo "peers: python3 is missing" >&2; return 2; }
    command -v npm >/dev/null || { echo "peers: npm is missing" >&2; return 2; }
    mkdir -p "$dir" || return 2
    local log="$dir/install.log"
    : >"$log"
    if [ ! -x "$dir/venv/bin/python" ]; then
      python3 -m venv "$dir/venv" >>"$log" 2>&1 || { echo "peers: python venv failed (see $log)" >&2; return 2; }
    fi
    # shellcheck disable=SC2086
    "$dir/venv/bin/python" -m pip install -q --disable-pip-version-check $py_pins >>"$log" 2>&1 \
      || { echo "peers: pip install failed (see $log)" >&2; return 2; }
    mkdir -p "$dir/node"
    [ -f "$dir/node/package.json" ] || printf '{"name":"paydesk-peers","private":true}\n' >"$dir/node/package.json"
    (cd "$dir/node" && npm install --silent --no-audit --no-fund --save-exact "$npm_pin") >>"$log" 2>&1 \
      || { echo "peers: npm install failed (see $log)" >&2; return 2; }
    printf '%s' "$want" >"$stamp"
  fi
  export PAYDESK_PEERS_DIR="$dir"
  export PAYDESK_PEERS_PY="$dir/venv/bin/python"
  export PAYDESK_PEERS_NODE_DIR="$dir/node"
  # So that `node script.mjs` can `import` alipay-sdk from a script outside that directory.
  export NODE_PATH="$dir/node/node_modules${NODE_PATH:+:$NODE_PATH}"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  _paydesk_peers_setup || exit $?
  printf 'export PAYDESK_PEERS_DIR=%q\nexport PAYDESK_PEERS_PY=%q\nexport PAYDESK_PEERS_NODE_DIR=%q\n' \
    "$PAYDESK_PEERS_DIR" "$PAYDESK_PEERS_PY" "$PAYDESK_PEERS_NODE_DIR"
else
  _paydesk_peers_setup
fi
