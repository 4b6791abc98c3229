#!/usr/bin/env bash
# call_tool throughput for the calculator, with execution logging on and off, at 1, 16 and 64
# concurrent clients, against the release binary and a throwaway PostgreSQL.
#
# Usage: bench/call_tool.sh [SECONDS_PER_RUN]   (default 10)
# Logging off uses BENCH_DISABLE_EXECUTION_LOG=true, a benchmark-only switch: never set it in
# production (calls would leave no history).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
if [ -z "${DATABASE_URL:-}" ]; then
  eval "$(TOOLBOX_PG_DIR=${TOOLBOX_PG_DIR:-/tmp/pg-bench} scripts/pg-env.sh start)"
fi
# BENCH_PROFILE=debug measures the debug build (quicker to build, slower to run: figures are
# only comparable between logging on and off within one run).
PROFILE=${BENCH_PROFILE:-release}
if [ "$PROFILE" = release ]; then
  cargo build --release --locked --bin toolbox --example loadgen >&2
else
  cargo build --locked --bin toolbox --example loadgen >&2
fi
BIN=target/$PROFILE/toolbox
LOADGEN=target/$PROFILE/examples/loadgen
BODY='{"tool_name":"calculator","arguments":{"operation":"add","a":5,"b":3}}'
PORT=${BENCH_PORT:-18085}

run_server() {
  HOST=127.0.0.1 PORT=$PORT LOG_LEVEL=warn BENCH_DISABLE_EXECUTION_LOG=$1 \
    MAX_CONCURRENT_EXECUTIONS=256 "$BIN" serve >/tmp/toolbox-bench-server.log 2>&1 &
  SERVER=$!
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && return 0
    sleep 0.1
  done
  echo "server did not start; see /tmp/toolbox-bench-server.log" >&2
  exit 1
}

for logging in on off; do
  disabled=$([ "$logging" = off ] && echo true || echo false)
  run_server "$disabled"
  "$LOADGEN" "http://127.0.0.1:$PORT/mcp/call_tool" 8 2 "$BODY" >/dev/null   # warm-up
  for c in 1 16 64; do
    printf 'logging=%s ' "$logging"
    "$LOADGEN" "http://127.0.0.1:$PORT/mcp/call_tool" "$c" "$SECONDS_PER_RUN" "$BODY"
  done
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null || true
done
