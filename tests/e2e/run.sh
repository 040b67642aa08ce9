#!/usr/bin/env bash
# End-to-end: builds the UI and the app, then drives the real window through tauri-driver under
# Xvfb against a fresh data dir (embedded DB with demo data + the built-in simulator).
# Screenshots go to tests/artifacts/; the main ones are copied to docs/screenshots/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/paydesk/target}"

# System packages the run needs (a fresh CI image has none of them).
need_apt=()
command -v xvfb-run >/dev/null 2>&1 || need_apt+=(xvfb xauth)
command -v WebKitWebDriver >/dev/null 2>&1 || need_apt+=(webkit2gtk-driver)
pkg-config --exists webkit2gtk-4.1 2>/dev/null || need_apt+=(libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev libxdo-dev libssl-dev pkg-config)
fc-list 2>/dev/null | grep -qi "noto.*cjk" || need_apt+=(fonts-noto-cjk)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== apt-get install ${need_apt[*]}"
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "== installing tauri-driver 2.x"
  cargo install tauri-driver --locked --version '^2'
fi

echo "== ui: npm ci + build"
(cd "$root/ui" && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build)
echo "== app: cargo build -p paydesk-app"
touch "$root/src-tauri/src/lib.rs"   # the context macro embeds ui/dist: rebuild it
(cd "$root" && cargo build -p paydesk-app)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PAYDESK_E2E_APP="$CARGO_TARGET_DIR/debug/paydesk-app"
export PAYDESK_DATA_DIR="$work/data"
export PAYDESK_CONFIG="$work/paydesk.toml"
export PAYDESK_E2E_ARTIFACTS="$root/tests/artifacts"
export PAYDESK_E2E_SCREENSHOTS="$root/docs/screenshots"
export USER="${USER:-e2e}"
# A production profile on the same embedded database, for the banner and typed confirmation. It has
# no gateway or keys, so nothing it does can reach the network (the test cancels the confirmation).
cat > "$PAYDESK_CONFIG" <<TOML
[profiles.live]
kind = "production"
operator = "finance"

[profiles.live.database]
database = "$PAYDESK_DATA_DIR/paydesk.sqlite"
TOML
mkdir -p "$PAYDESK_E2E_ARTIFACTS" "$PAYDESK_E2E_SCREENSHOTS"
echo "== e2e under xvfb-run"
cd "$here"
xvfb-run -a -s "-screen 0 1440x900x24" cargo test --test app -- --nocapture --test-threads 1
