#!/usr/bin/env bash
# Installs what `make run` / `make test` need on a fresh Debian/Ubuntu machine. Idempotent and quick
# when everything is already there: only missing packages are installed.
set -euo pipefail
mode=${1:-test}

sudo_() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

need_apt=()
want() { for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || need_apt+=("$p"); done; }

# Rust builds, and the desktop app's WebKitGTK stack (Tauri 2 on Linux).
want build-essential pkg-config libssl-dev ca-certificates curl python3 python3-venv \
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev libxdo-dev \
  fonts-noto-cjk
if [ "$mode" = test ]; then
  # Peers (python venv), the throwaway MariaDB, and the real app window driven through WebDriver.
  want python3-pip mariadb-server mariadb-client redis-server xvfb xauth webkit2gtk-driver
fi

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "deps: installing ${need_apt[*]}"
  sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "deps: no Rust toolchain; install rustup's stable toolchain (https://rustup.rs) and re-run" >&2
    exit 2
  fi
fi
if ! command -v node >/dev/null 2>&1; then
  want nodejs npm
  if [ ${#need_apt[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
fi
