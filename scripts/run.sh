#!/usr/bin/env bash
# `make run`: build and start the Paydesk desktop app on its embedded default — an SQLite file in
# the user's data directory, the built-in offline simulator profile, demo data on first launch.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/paydesk/target}
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"

echo "== building the UI"
(cd ui && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run build)
echo "== building the app and the paydesk CLI"
touch src-tauri/src/lib.rs   # the app embeds ui/dist at compile time
cargo build -p paydesk-app -p paydesk-cli

app="$CARGO_TARGET_DIR/debug/paydesk-app"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "== starting Paydesk (simulator profile; data in ${PAYDESK_DATA_DIR:-${XDG_DATA_HOME:-~/.local/share}/com.luffycity.paydesk})"
  exec "$app"
fi

# No display (a server, a container): run the same app in a virtual one so the embedded default
# still comes up, and say how to reach it.
if command -v xvfb-run >/dev/null 2>&1; then
  echo "No DISPLAY: starting Paydesk in a virtual display (Xvfb). On a desktop it opens a window."
  echo "The CLI works against the same data: $CARGO_TARGET_DIR/debug/paydesk --help"
  exec xvfb-run -a -s "-screen 0 1440x900x24" "$app"
fi
echo "No DISPLAY and no xvfb-run: install xvfb (apt-get install xvfb) or run on a desktop." >&2
exit 2
