#!/usr/bin/env bash
# The web console in a real browser: Debian's headless Chromium driven by Playwright for Python
# (scripts/checks/console_browser_test.py), against two toolbox processes: one open (no API
# keys) on PostgreSQL, one with an admin, a call and a read key on the embedded SQLite store. Installs
# chromium when missing (Playwright's own browser download is not used). Screenshots of every
# page visited are left in target/console-screenshots/.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TOOLBOX_BIN:?set TOOLBOX_BIN to the toolbox binary}"
: "${TOOLBOX_TEST_DATABASE_URL:?set TOOLBOX_TEST_DATABASE_URL to the test cluster admin URL}"

if [ ! -x /usr/bin/chromium ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium fonts-dejavu-core >/dev/null
fi
. scripts/lib/pyenv.sh "playwright>=1.40,<2"

db="toolbox_console_check_$$"
base="${TOOLBOX_TEST_DATABASE_URL%/*}"
psql "$TOOLBOX_TEST_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
workdir=$(mktemp -d /tmp/toolbox-console-check.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  psql "$TOOLBOX_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() { # name port extra-env...
  local name=$1 port=$2; shift 2
  env HOST=127.0.0.1 PORT="$port" LOG_FORMAT=json LOG_LEVEL=warn "$@" \
    "$TOOLBOX_BIN" serve >"$workdir/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 150); do
    if curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then cat "$workdir/$name.log"; echo "$name exited" >&2; return 1; fi
    sleep 0.2
  done
  cat "$workdir/$name.log"; echo "$name did not become ready" >&2; return 1
}

admin_key="console-admin-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
read_key="console-read-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
call_key="console-call-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
port_open=$(free_port); start open "$port_open" DATABASE_URL="$base/$db"
port_keyed=$(free_port); start keyed "$port_keyed" DATABASE_URL="sqlite://$workdir/keyed.db" \
  API_KEYS="$admin_key:admin,$read_key:read,$call_key:call"

shots="${CARGO_TARGET_DIR:-$PWD/target}/console-screenshots"
rm -rf "$shots"
if ! python scripts/checks/console_browser_test.py "http://127.0.0.1:$port_open" \
  "http://127.0.0.1:$port_keyed" "$admin_key" "$read_key" "$call_key" "$shots"; then
  for f in "$workdir"/*.log; do echo "--- $f"; tail -n 40 "$f"; done
  exit 1
fi
echo "screenshots: $shots"
