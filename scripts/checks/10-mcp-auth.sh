#!/usr/bin/env bash
# The official MCP Python SDK client with credentials: a managed key and an OIDC token each
# list only their tool set; without credentials the client gets a 401 that asks for an API
# key (no OIDC) or points at the protected-resource metadata (OIDC), never an OAuth flow
# that cannot succeed. Driven by scripts/checks/mcp_auth_test.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TOOLBOX_BIN:?set TOOLBOX_BIN to the toolbox binary}"
: "${TOOLBOX_TEST_DATABASE_URL:?set TOOLBOX_TEST_DATABASE_URL to the test cluster admin URL}"

. scripts/lib/pyenv.sh "mcp>=2.3,<3" "pyjwt[crypto]>=2.8"

db="toolbox_mcp_auth_check_$$"
base="${TOOLBOX_TEST_DATABASE_URL%/*}"
psql "$TOOLBOX_TEST_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
logdir=$(mktemp -d /tmp/toolbox-mcp-auth.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  psql "$TOOLBOX_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
  rm -rf "$logdir"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() { # name port extra-env...
  local name=$1 port=$2; shift 2
  env DATABASE_URL="$base/$db" HOST=127.0.0.1 PORT="$port" LOG_FORMAT=json LOG_LEVEL=warn \
    DB_POOL_SIZE=4 "$@" "$TOOLBOX_BIN" serve >"$logdir/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 150); do
    if curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then cat "$logdir/$name.log"; echo "$name exited" >&2; return 1; fi
    sleep 0.2
  done
  cat "$logdir/$name.log"; echo "$name did not become ready" >&2; return 1
}

admin="check-admin-key-0123456789"
port_k=$(free_port); start keys "$port_k" API_KEYS="$admin:admin"
call_key=$(curl -fsS -X POST "http://127.0.0.1:$port_k/keys" -H "authorization: Bearer $admin" \
  -H 'content-type: application/json' \
  -d '{"label": "check", "role": "call", "tools": {"allow": ["calculator"]}}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])')
issuer_port=$(free_port)
port_o=$(free_port); start oidc "$port_o" AUTH_OIDC_ISSUER="http://127.0.0.1:$issuer_port" \
  AUTH_OIDC_AUDIENCE=toolbox-check AUTH_OIDC_TOOL_SETS='{"math": {"allow": ["calculator"]}}'

if ! python scripts/checks/mcp_auth_test.py "http://127.0.0.1:$port_k/mcp" "$call_key" \
  "http://127.0.0.1:$port_o/mcp" "$issuer_port"; then
  for f in "$logdir"/*.log; do echo "--- $f"; tail -n 40 "$f"; done
  exit 1
fi
