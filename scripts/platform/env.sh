#!/usr/bin/env bash
# The Python side of the platform tests (tests/platform): a venv with the pins of
# tests/platform/requirements.txt (Django 5.2, PyMySQL, pytest, redis, Pillow), installed once into
# a cache directory outside the repository.
#
#   source scripts/platform/env.sh   # installs if needed, then exports PAYDESK_PLATFORM_DIR and
#                                    # PAYDESK_PLATFORM_PY (the venv's python)
#   scripts/platform/env.sh          # only installs
#
# A stamp records the requirements' hash and the Python version: a second run only compares it,
# a changed pin re-installs. Prints only errors.

_paydesk_platform_setup() {
  local here req
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd) || return 2
  req="$here/../../tests/platform/requirements.txt"
  local dir=${PAYDESK_PLATFORM_DIR:-$HOME/.cache/paydesk/platform}
  local stamp="$dir/.stamp"
  local want
  want=$(sha256sum <"$req" | cut -c1-64) || return 2
  want="$want $(python3 -c 'import sys; print(sys.version.split()[0])' 2>/dev/null)"

  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ ! -x "$dir/venv/bin/python" ]; then
    command -v python3 >/dev/null || { echo "platform: python3 is missing" >&2; return 2; }
    mkdir -p "$dir" || return 2
    local log="$dir/install.log"
    : >"$log"
    rm -f "$stamp"
    if [ ! -x "$dir/venv/bin/python" ]; then
      python3 -m venv "$dir/venv" >>"$log" 2>&1 \
        || { echo "platform: python3 -m venv failed (python3-venv missing?), see $log" >&2; return 2; }
    fi
    "$dir/venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req" >>"$log" 2>&1 \
      || { echo "platform: pip install failed, see $log" >&2; return 2; }
    printf '%s' "$want" >"$stamp"
  fi
  export PAYDESK_PLATFORM_DIR="$dir"
  export PAYDESK_PLATFORM_PY="$dir/venv/bin/python"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  _paydesk_platform_setup
else
  _paydesk_platform_setup
fi
