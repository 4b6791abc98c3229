#!/usr/bin/env bash
# Bad-input fuzzing, on both stores: Schemathesis generates valid and invalid requests from
# /openapi.json of the running debug binary (fixed seed, bounded examples per operation), runs
# every check it has (`--checks all`: server errors, status codes, content types, headers,
# response schemas, negative and positive data acceptance, ...) and chains operations in its
# stateful phase (links from the description and from Location headers seen earlier). It fails
# on any 5xx, any response the description does not allow, or an ERROR the server logged.
#
# SCHEMATHESIS_BACKENDS chooses the stores (default `postgres sqlite`).
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN=${TOOLBOX_BIN:-$PWD/target/debug/toolbox}
ADMIN_URL=${TOOLBOX_TEST_DATABASE_URL:?set by scripts/test.sh}
EXAMPLES=${SCHEMATHESIS_EXAMPLES:-25}
SEED=${SCHEMATHESIS_SEED:-20261123}
BACKENDS=${SCHEMATHESIS_BACKENDS:-postgres sqlite}
KEY="schemathesis-admin-key-0123456789"
CONFIG=$PWD/scripts/checks/schemathesis.toml

. scripts/lib/pyenv.sh 'schemathesis>=4.1,<5'

run_on() {
  local backend=$1 url db="" dir log port pid work status=0
  dir=$(mktemp -d)
  log="$dir/server.log"
  if [ "$backend" = postgres ]; then
    db="toolbox_fuzz_$$"
    psql -q "$ADMIN_URL" -c "CREATE DATABASE $db" >/dev/null
    url="${ADMIN_URL%/*}/$db"
  else
    url="sqlite://$dir/toolbox.db"
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  DATABASE_URL="$url" HOST=127.0.0.1 PORT=$port API_KEYS="$KEY:admin" LOG_LEVEL=warn \
    DB_POOL_SIZE=4 UPSTREAM_TIMEOUT_MS=1000 "$BIN" serve >"$log" 2>&1 &
  pid=$!
  local ready=""
  for _ in $(seq 150); do
    curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && { ready=1; break; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if [ -z "$ready" ]; then
    echo "the server on $backend did not become ready"; cat "$log"; status=1
  else
    # Run from a scratch directory: Schemathesis keeps a cache in ./.schemathesis.
    work="$dir/work"; mkdir -p "$work"
    (cd "$work" && schemathesis --config-file "$CONFIG" run "http://127.0.0.1:$port/openapi.json" \
      --header "Authorization: Bearer $KEY" \
      --exclude-path /mcp \
      --checks all \
      --phases examples,coverage,fuzzing,stateful \
      --max-examples "$EXAMPLES" --seed "$SEED" --workers 2 \
      --request-timeout 30 --no-color) || { echo "--- server log ($backend) ---"; tail -50 "$log"; status=1; }
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "the server on $backend died during the run"; tail -50 "$log"; status=1
    fi
    if grep -q '"level":"ERROR"\|ERROR' "$log"; then
      echo "--- the server on $backend logged errors ---"; grep ERROR "$log" | head -20; status=1
    fi
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ -n "$db" ] && psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
  rm -rf "$dir"
  return $status
}

failed=""
for backend in $BACKENDS; do
  echo "--- schemathesis on $backend"
  run_on "$backend" || failed="$failed $backend"
done
if [ -n "$failed" ]; then
  echo "schemathesis found problems on:$failed"
  exit 1
fi
