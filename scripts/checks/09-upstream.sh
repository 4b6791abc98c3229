#!/usr/bin/env bash
# The README's upstream example on a fresh database: the reference "everything" MCP server
# (npm, pinned) over Streamable HTTP, toolbox serving, `toolbox servers add|list|sync`, then an
# agent with the official MCP Python SDK client finds and calls one of its tools through /mcp.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TOOLBOX_BIN:?set TOOLBOX_BIN to the toolbox binary}"

. scripts/lib/pyenv.sh "mcp>=2.3,<3"
EVERYTHING="@modelcontextprotocol/server-everything@2026.8.31"
js=target/npm/node_modules/@modelcontextprotocol/server-everything/dist/index.js
[ -f "$js" ] || npm install --no-audit --no-fund --prefix target/npm "$EVERYTHING" >/dev/null

dir=$(mktemp -d /tmp/toolbox-upstream-check.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2; done; return 1; }

up_port=$(free_port)
PORT=$up_port node "$js" streamableHttp >"$dir/everything.log" 2>&1 &
pids+=($!)
wait_port "$up_port" || { cat "$dir/everything.log"; echo "the everything server did not start" >&2; exit 1; }

port=$(free_port)
DATABASE_URL="sqlite://$dir/toolbox.db" HOST=127.0.0.1 PORT=$port \
  TOOL_HTTP_ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=warn "$TOOLBOX_BIN" serve >"$dir/toolbox.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 150); do curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break; sleep 0.2; done

export TOOLBOX_URL="http://127.0.0.1:$port"
"$TOOLBOX_BIN" servers add everything "http://127.0.0.1:$up_port/mcp" | tee "$dir/add.out"
grep -q "everything: healthy" "$dir/add.out"
"$TOOLBOX_BIN" servers list | grep -q "^everything .*healthy"
"$TOOLBOX_BIN" servers sync everything >/dev/null

python scripts/checks/upstream_client_test.py "http://127.0.0.1:$port/mcp" || { tail -n 40 "$dir/toolbox.log"; exit 1; }
"$TOOLBOX_BIN" servers remove everything
