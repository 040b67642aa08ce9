#!/usr/bin/env bash
# A throwaway MariaDB for Paydesk's tests: scripts/mariadb.sh start|stop|url|status
#   start  install mariadb-server if mariadbd is absent, initialise a private datadir on first use,
#          start on 127.0.0.1:${PAYDESK_MARIADB_PORT:-33306}, create the test user, wait until ready,
#          print the URL.
#   stop   stop the server started here.
#   url    print the URL (the server is not checked).
# With PAYDESK_TEST_MYSQL_URL set, nothing is started: start/url print that URL, stop does nothing.
set -euo pipefail

dir=${PAYDESK_MARIADB_DIR:-/tmp/paydesk-mariadb}
port=${PAYDESK_MARIADB_PORT:-33306}
user=paydesk
pass=paydesk-test
db=paydesk_test
sock="$dir/mysqld.sock"
pidfile="$dir/mysqld.pid"
url="mysql://$user:$pass@127.0.0.1:$port/$db"

say() { echo "mariadb.sh: $*" >&2; }

if [ -n "${PAYDESK_TEST_MYSQL_URL:-}" ]; then
  case "${1:-}" in
    start|url) echo "$PAYDESK_TEST_MYSQL_URL" ;;
    stop|status) say "PAYDESK_TEST_MYSQL_URL is set: using that server, nothing to $1" ;;
    *) say "usage: $0 start|stop|url|status"; exit 2 ;;
  esac
  exit 0
fi

find_bin() {
  for b in "$@"; do
    if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
    for d in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
      if [ -x "$d/$b" ]; then echo "$d/$b"; return 0; fi
    done
  done
  return 1
}

install_if_missing() {
  if find_bin mariadbd mysqld >/dev/null; then return 0; fi
  say "mariadbd not found: installing mariadb-server (Debian package)"
  local sudo_=""
  [ "$(id -u)" -eq 0 ] || sudo_=sudo
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null
  # The package may start a system server on 3306; ours is separate and leaves it alone.
}

running() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

client() {
  local c
  c=$(find_bin mariadb mysql) || { say "no mariadb client found"; exit 1; }
  "$c" --no-defaults --socket="$sock" -uroot "$@"
}

start() {
  install_if_missing
  local server install_db
  server=$(find_bin mariadbd mysqld)
  install_db=$(find_bin mariadb-install-db mysql_install_db)
  mkdir -p "$dir"
  if running; then
    say "already running (pid $(cat "$pidfile"))"
    echo "$url"
    return 0
  fi
  if [ ! -d "$dir/data/mysql" ]; then
    say "initialising $dir/data"
    "$install_db" --no-defaults --datadir="$dir/data" --user="$(id -un)" --auth-root-authentication-method=socket \
      --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }
  fi
  local as_user=()
  [ "$(id -u)" -ne 0 ] || as_user=(--user=root)
  # Loopback only, private port/socket/pid, no binary log; small buffers suit a test machine.
  "$server" --no-defaults --datadir="$dir/data" --bind-address=127.0.0.1 --port="$port" --socket="$sock" \
    --pid-file="$pidfile" --log-error="$dir/error.log" --skip-log-bin --innodb-buffer-pool-size=512M \
    --innodb-flush-log-at-trx-commit=2 --max-connections=300 --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_unicode_ci "${as_user[@]}" >/dev/null 2>&1 &
  for _ in $(seq 1 120); do
    if client -e "SELECT 1" >/dev/null 2>&1; then break; fi
    if ! kill -0 $! 2>/dev/null; then say "server exited; see $dir/error.log"; tail -20 "$dir/error.log" >&2; exit 1; fi
    sleep 0.5
  done
  client -e "SELECT 1" >/dev/null 2>&1 || { say "server did not become ready; see $dir/error.log"; exit 1; }
  # The test user may create databases: each test makes its own, uniquely named.
  client -e "CREATE USER IF NOT EXISTS '$user'@'127.0.0.1' IDENTIFIED BY '$pass';
             CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$pass';
             GRANT ALL PRIVILEGES ON *.* TO '$user'@'127.0.0.1';
             GRANT ALL PRIVILEGES ON *.* TO '$user'@'localhost';
             CREATE DATABASE IF NOT EXISTS $db CHARACTER SET utf8mb4;
             FLUSH PRIVILEGES;"
  say "ready on 127.0.0.1:$port (datadir $dir/data)"
  echo "$url"
}

stop() {
  if running; then
    local pid
    pid=$(cat "$pidfile")
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    say "stopped"
  else
    say "not running"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) echo "$url" ;;
  status) if running; then say "running (pid $(cat "$pidfile"))"; else say "not running"; exit 1; fi ;;
  *) say "usage: $0 start|stop|url|status"; exit 2 ;;
esac
