#!/usr/bin/env bash
# End-to-end check of the MCP endpoint with the official MCP Python SDK client: three toolbox
# processes on one fresh database (two replicas with exposure `all` and a page size of 2, one
# with exposure `search`), driven by scripts/checks/mcp_client_test.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TOOLBOX_BIN:?set TOOLBOX_BIN to the toolbox binary}"
: "${TOOLBOX_TEST_DATABASE_URL:?set TOOLBOX_TEST_DATABASE_URL to the test cluster admin URL}"

. scripts/lib/pyenv.sh "mcp>=2.3,<3"

db="toolbox_mcp_check_$$"
base="${TOOLBOX_TEST_DATABASE_URL%/*}"
psql "$TOOLBOX_TEST_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
logdir=$(mktemp -d /tmp/toolbox-mcp-check.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  psql "$TOOLBOX_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
  rm -rf "$logdir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts one replica; the first migrates, the others wait for it to be ready.
start() { # name port extra-env...
  local name=$1 port=$2; shift 2
  env DATABASE_URL="$base/$db" HOST=127.0.0.1 PORT="$port" LOG_FORMAT=json LOG_LEVEL=warn \
    DB_POOL_SIZE=4 MCP_PAGE_SIZE=2 "$@" "$TOOLBOX_BIN" serve >"$logdir/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 150); do
    if curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then cat "$logdir/$name.log"; echo "$name exited" >&2; return 1; fi
    sleep 0.2
  done
  cat "$logdir/$name.log"; echo "$name did not become ready" >&2; return 1
}

port_a=$(free_port); start a "$port_a"
port_b=$(free_port); start b "$port_b"
port_s=$(free_port); start search "$port_s" MCP_TOOL_EXPOSURE=search

if ! python scripts/checks/mcp_client_test.py \
  "http://127.0.0.1:$port_a/mcp" "http://127.0.0.1:$port_b/mcp" "http://127.0.0.1:$port_s/mcp"; then
  for f in "$logdir"/*.log; do echo "--- $f"; tail -n 40 "$f"; done
  exit 1
fi
