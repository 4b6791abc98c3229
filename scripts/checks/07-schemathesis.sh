#!/usr/bin/env bash
# Bad-input fuzzing: Schemathesis generates valid and invalid requests from /openapi.json of
# the running debug binary (fixed seed, bounded examples per operation) and fails on any 5xx
# or any response that the description does not allow (status, content type, headers, body).
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN=${TOOLBOX_BIN:-$PWD/target/debug/toolbox}
ADMIN_URL=${TOOLBOX_TEST_DATABASE_URL:?set by scripts/test.sh}
EXAMPLES=${SCHEMATHESIS_EXAMPLES:-25}
SEED=${SCHEMATHESIS_SEED:-20261123}
KEY="schemathesis-admin-key-0123456789"

. scripts/lib/pyenv.sh 'schemathesis>=4,<5'

db="toolbox_fuzz_$$"
base=${ADMIN_URL%/*}
psql -q "$ADMIN_URL" -c "CREATE DATABASE $db" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
DATABASE_URL="$base/$db" HOST=127.0.0.1 PORT=$port API_KEYS="$KEY:admin" LOG_LEVEL=warn \
  DB_POOL_SIZE=4 "$BIN" serve >"$log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT

for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.2
done

# Run from a scratch directory: Schemathesis keeps a cache in ./.schemathesis.
work=$(mktemp -d)
(cd "$work" && schemathesis run "http://127.0.0.1:$port/openapi.json" \
  --header "Authorization: Bearer $KEY" \
  --exclude-path /mcp \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection \
  --phases examples,coverage,fuzzing \
  --max-examples "$EXAMPLES" --seed "$SEED" --workers 2 \
  --request-timeout 30 --no-color) || {
    echo "--- server log ---"; tail -50 "$log"; rm -rf "$work"; exit 1;
  }
rm -rf "$work"
if grep -q '"level":"ERROR"\|ERROR' "$log"; then
  echo "--- server logged errors ---"; grep ERROR "$log" | head -20
fi
