#!/usr/bin/env bash
# Restore drill for the PostgreSQL deployments, as the Helm chart's backup CronJob and the
# README's restore procedure do it: a populated database (tools imported, calls made) is
# dumped with `pg_dump -Fc`, restored with `pg_restore` into a fresh database, and the service
# started on the restored copy must answer the same: the same find_tool results for a fixed
# set of queries, the same tool, and the same registry and history as `toolbox export` reads
# them. pg_dump and pg_restore are those of the PostgreSQL install scripts/pg-env.sh uses.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${TOOLBOX_BIN:-$PWD/target/debug/toolbox}
ADMIN=${TOOLBOX_TEST_DATABASE_URL:?}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
WORK=$(mktemp -d)
server_pid=
SRC="toolbox_check11_src_$$"
DST="toolbox_check11_dst_$$"
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $SRC WITH (FORCE)" >/dev/null 2>&1 || true
  psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $DST WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql "$ADMIN" -qc "CREATE DATABASE $SRC" >/dev/null
psql "$ADMIN" -qc "CREATE DATABASE $DST" >/dev/null
src_url="${ADMIN%/*}/$SRC"
dst_url="${ADMIN%/*}/$DST"
run() { env -i PATH="$PATH" LOG_LEVEL=error "$@"; }

start() { # start URL: serves on a free port until stop
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  env -i PATH="$PATH" LOG_LEVEL=error HOST=127.0.0.1 PORT="$port" DATABASE_URL="$1" "$BIN" serve 2>"$WORK/server.log" &
  server_pid=$!
  for _ in $(seq 1 120); do
    if curl -sf "http://127.0.0.1:$port/ready" >/dev/null; then return; fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.5
  done
  echo "the service did not become ready on $1; its log:" >&2
  cat "$WORK/server.log" >&2
  exit 1
}
stop() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=; }

# A fixed query set: the answers of the original and of the restored copy must be identical.
answers() {
  for q in "weather in a city" "convert currency" "send email" "resize image" "add two numbers"; do
    curl -sf -X POST "http://127.0.0.1:$port/mcp/find_tool" -H 'content-type: application/json' \
      -d "{\"query\": \"$q\", \"limit\": 5}"
    echo
  done
  curl -sf "http://127.0.0.1:$port/tools/drill_tool_7"; echo
  curl -sf "http://127.0.0.1:$port/tools/calculator/executions?limit=50"; echo
}

topics=(weather currency email image archive calendar pdf sql translate github)
for i in $(seq 0 199); do
  t=${topics[$((i % 10))]}
  printf '{"name":"drill_tool_%d","description":"%s helper number %d","category":"%s","tags":["%s"],"input_schema":{"type":"object"}}\n' "$i" "$t" "$i" "$t" "$t"
done >"$WORK/tools.jsonl"
run DATABASE_URL="$src_url" "$BIN" migrate
run DATABASE_URL="$src_url" "$BIN" import "$WORK/tools.jsonl" >/dev/null
start "$src_url"
for i in 1 2 3 4 5; do
  curl -sf -X POST "http://127.0.0.1:$port/mcp/call_tool" -H 'content-type: application/json' \
    -d "{\"tool_name\":\"calculator\",\"arguments\":{\"operation\":\"add\",\"a\":$i,\"b\":1}}" >/dev/null
done
answers >"$WORK/before.txt"
stop   # flushes the execution log
run "$BIN" export --with-history --from "$src_url" | tail -n +2 >"$WORK/before.jsonl"

"$PG_BIN/pg_dump" -Fc -f "$WORK/toolbox.dump" "$src_url"
"$PG_BIN/pg_restore" --no-owner --exit-on-error -d "$dst_url" "$WORK/toolbox.dump"
echo "ok   pg_dump -Fc ($(du -h "$WORK/toolbox.dump" | cut -f1)) restored with pg_restore into a fresh database"

start "$dst_url"
answers >"$WORK/after.txt"
stop
run "$BIN" export --with-history --from "$dst_url" | tail -n +2 >"$WORK/after.jsonl"

if ! cmp -s "$WORK/before.txt" "$WORK/after.txt"; then
  echo "the restored service answers differently:" >&2
  diff "$WORK/before.txt" "$WORK/after.txt" >&2 || true
  exit 1
fi
echo "ok   the service on the restored copy answers the same ($(wc -l <"$WORK/after.txt") answers compared)"
if ! cmp -s "$WORK/before.jsonl" "$WORK/after.jsonl"; then
  echo "the restored registry differs from the original (toolbox export):" >&2
  diff <(cut -c1-200 "$WORK/before.jsonl") <(cut -c1-200 "$WORK/after.jsonl") | head >&2 || true
  exit 1
fi
[ "$(grep -c '"kind":"execution"' "$WORK/after.jsonl")" -ge 5 ] || { echo "the history is missing" >&2; exit 1; }
echo "ok   toolbox export of both is identical: $(grep -c '"kind":"tool"' "$WORK/after.jsonl") tools, $(grep -c '"kind":"execution"' "$WORK/after.jsonl") history rows"
echo "11-pg-dump-restore: ok"
