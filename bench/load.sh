#!/usr/bin/env bash
# The load benchmark: one command, regenerates BENCHMARKS.md.
#
#   bench/load.sh [N...]          # default: 1000 10000 100000
#
# Each size runs on each backend in BENCH_BACKENDS (default: both), so BENCHMARKS.md puts
# PostgreSQL + pgvector and the embedded SQLite file side by side. On SQLite there is no index
# to drop or build (vector search is an exact in-memory scan), no pgbench floor, and recall@10
# is measured through GET /tools/{name}/similar against a brute-force scan (bench/sqlite_db.py).
#
# For each N it: generates N synthetic tools (bench/gen.py, deterministic); loads them into a
# fresh database through the service's own ingestion (POST /tools, or the bulk path: see
# BENCH_LOAD_VIA) with the HNSW index dropped, then builds the index (timed); restarts the
# release binary (startup time to /ready, idle RSS); drives it over HTTP with wrk from a
# separate process at each concurrency level; runs the same KNN query and the same lookup
# directly in PostgreSQL with pgbench (the floor); measures HNSW recall@10 against exact
# search; then call_tool (counting execution rows) and registration. bench/report.py turns
# the results into BENCHMARKS.md.
#
# Environment (all optional):
#   BENCH_BACKENDS="postgres sqlite"                    which stores to measure, in order
#   BENCH_DURATION=10      seconds per measured run      BENCH_WARMUP=2  seconds of warm-up
#   BENCH_CONCURRENCY="1 16 64"                          BENCH_OUT=BENCHMARKS.md
#   BENCH_LOAD_VIA=bulk    bulk: POST /tools/bulk, 500 tools a request; post: one POST /tools
#                          per tool from 16 connections; import: `toolbox import FILE`.
#   BENCH_KEEP_INDEX=0     1: keep the HNSW index while loading (measures incremental inserts)
#   BENCH_REUSE=0          1: reuse an already-loaded database of the right size (skip loading)
#   BENCH_BIN_DIR=         a directory holding already-built `toolbox` and `bench_embed`
#                          binaries to measure instead of building target/release (A/B runs)
#   BENCH_NOTE=            a line printed at the top of BENCHMARKS.md (e.g. machine caveats)
#   TOOLBOX_PG_DIR=/tmp/toolbox-bench-pg   the benchmark's own PostgreSQL cluster
#   HNSW_M / HNSW_EF_CONSTRUCTION / HNSW_EF_SEARCH / DB_POOL_SIZE / ... passed to the service.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# numpy (SQLite recall against a brute-force scan), in the project's virtualenv: a fresh
# machine has no numpy.
. scripts/lib/pyenv.sh numpy

NS=("$@")
read -r -a BACKENDS <<<"${BENCH_BACKENDS:-postgres sqlite}"
[ ${#NS[@]} -gt 0 ] || NS=(1000 10000 100000)
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
read -r -a LEVELS <<<"${BENCH_CONCURRENCY:-1 16 64}"
LOAD_VIA=${BENCH_LOAD_VIA:-bulk}
OUT=${BENCH_OUT:-$ROOT/BENCHMARKS.md}
export TOOLBOX_PG_DIR=${TOOLBOX_PG_DIR:-/tmp/toolbox-bench-pg}
WORK=${BENCH_WORK:-$TOOLBOX_PG_DIR/work}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
export HNSW_M=${HNSW_M:-16} HNSW_EF_CONSTRUCTION=${HNSW_EF_CONSTRUCTION:-64} HNSW_EF_SEARCH=${HNSW_EF_SEARCH:-100}

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
now_ms() { date +%s%3N; }

# --- tools -----------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  log "installing wrk (Debian)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
BIN_DIR=${BENCH_BIN_DIR:-}
if [ -z "$BIN_DIR" ]; then
  log "building the release binary"
  cargo build --release --locked --bin toolbox --bin bench_embed >&2
  BIN_DIR=$ROOT/target/release
fi
BIN=$BIN_DIR/toolbox
EMBED=$BIN_DIR/bench_embed

unset DATABASE_URL
if [[ " ${BACKENDS[*]} " == *" postgres "* ]]; then
  eval "$(scripts/pg-env.sh start)"
  ADMIN_URL=$DATABASE_URL
  PGPORT=$(cat "$TOOLBOX_PG_DIR/port")
fi
mkdir -p "$WORK"
RESULTS=$WORK/results.jsonl
: >"$RESULTS"
# One result line; inside a backend's run, tagged with it.
emit() {
  if [ -n "${BACKEND:-}" ]; then
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r["backend"]=sys.argv[2]; print(json.dumps(r))' "$1" "$BACKEND" >>"$RESULTS"
  else
    echo "$1" >>"$RESULTS"
  fi
}

sqlite_db() { python3 bench/sqlite_db.py "$SQLITE_FILE" "$@"; }
psql_db() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U toolbox -d "$1" -v ON_ERROR_STOP=1 -qtAX "${@:2}"; }

# --- the service -----------------------------------------------------------------------------
SERVICE_PID=
stop_service() {
  if [ -n "$SERVICE_PID" ] && kill -0 "$SERVICE_PID" 2>/dev/null; then
    kill -TERM "$SERVICE_PID"
    wait "$SERVICE_PID" 2>/dev/null || true
  fi
  SERVICE_PID=
}
trap stop_service EXIT

# Starts the service on the current database ($DB_URL); sets SERVICE_PID, BASE, STARTUP_MS.
start_service() {
  local started
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  BASE=http://127.0.0.1:$PORT
  started=$(now_ms)
  DATABASE_URL=$DB_URL HOST=127.0.0.1 PORT=$PORT \
    LOG_FORMAT=json LOG_LEVEL=${LOG_LEVEL:-info} "$BIN" serve >>"$WORK/service-$DB.log" 2>&1 &
  SERVICE_PID=$!
  until curl -fsS -o /dev/null "$BASE/ready" 2>/dev/null; do
    kill -0 "$SERVICE_PID" 2>/dev/null || { tail -20 "$WORK/service-$DB.log" >&2; exit 1; }
    sleep 0.005
  done
  STARTUP_MS=$(($(now_ms) - started))
}

rss_kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

# Runs wrk; $1 scenario, $2 concurrency, rest: env assignments. Emits one result line.
run_wrk() {
  local scenario=$1 c=$2 threads out
  shift 2
  threads=$((c < 2 ? c : 2))
  if [ "${SKIP_WARMUP:-0}" != 1 ] && [ "$WARMUP" != 0 ]; then
    env "$@" wrk -t"$threads" -c"$c" -d"${WARMUP}s" -s bench/wrk.lua "$BASE" >/dev/null
  fi
  out=$(env "$@" wrk -t"$threads" -c"$c" -d"${DURATION}s" --timeout 30s -s bench/wrk.lua "$BASE" | sed -n 's/^RESULT //p')
  log "  $scenario c=$c: $out"
  emit "{\"n\":$N,\"kind\":\"http\",\"scenario\":\"$scenario\",\"c\":$c,\"result\":$out}"
  LAST_REQUESTS=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["requests"])' "$out")
}

# Runs a pgbench script; $1 scenario, $2 concurrency, $3 script, rest: pgbench -D options.
run_pgbench() {
  local scenario=$1 c=$2 script=$3 prefix tps
  shift 3
  prefix=$WORK/pgb-$N-$scenario-$c
  rm -f "$prefix".*
  # The session settings the service sets on each of its connections (store::connect_options).
  tps=$(PGOPTIONS="-c hnsw.ef_search=$HNSW_EF_SEARCH -c hnsw.iterative_scan=relaxed_order -c plan_cache_mode=force_custom_plan" "$PG_BIN/pgbench" -h 127.0.0.1 -p "$PGPORT" -U toolbox -n -M prepared -c "$c" -j $((c < 2 ? c : 2)) \
    -T "$DURATION" -f "$script" "$@" -l --log-prefix="$prefix" "$DB" 2>>"$WORK/pgbench.log" |
    sed -n 's/^tps = \([0-9.]*\) .*without.*/\1/p')
  local out
  out=$(python3 bench/pgbench_stats.py "$tps" "$prefix".*)
  log "  db:$scenario c=$c: $out"
  emit "{\"n\":$N,\"kind\":\"db\",\"scenario\":\"$scenario\",\"c\":$c,\"result\":$out}"
}

machine_json() {
  python3 - "$BIN" <<'PY'
import json, os, platform, subprocess, sys
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
load = open("/proc/loadavg").read().split()[:3]
pg = subprocess.run(["/usr/lib/postgresql/15/bin/postgres", "--version"], capture_output=True, text=True).stdout.strip()
r = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
wrk = ((r.stdout + r.stderr).splitlines() or ["wrk"])[0].split(" Copyright")[0]
print(json.dumps({"kind": "machine", "nproc": os.cpu_count(), "cpu": cpu, "ram_gb": round(mem / 1048576, 1),
  "kernel": platform.release(), "loadavg_at_start": load, "postgres": pg, "wrk": wrk,
  "binary_bytes": os.path.getsize(sys.argv[1])}))
PY
}
emit "$(machine_json)"
emit "{\"kind\":\"settings\",\"duration_s\":$DURATION,\"warmup_s\":$WARMUP,\"levels\":[$(IFS=,; echo "${LEVELS[*]}")],\"load_via\":\"$LOAD_VIA\",\"hnsw_m\":$HNSW_M,\"hnsw_ef_construction\":$HNSW_EF_CONSTRUCTION,\"hnsw_ef_search\":$HNSW_EF_SEARCH,\"pool_size\":\"${DB_POOL_SIZE:-10}+${DB_MAX_OVERFLOW:-10}\",\"backends\":\"${BACKENDS[*]}\",\"command\":\"bench/load.sh ${NS[*]}\"}"

# Loads N tools into a fresh database through the service (POST /tools/bulk by default).
load_tools() {
  log "N=$N $BACKEND: loading via $LOAD_VIA"
  if [ "$LOAD_VIA" = import ]; then
    t0=$(now_ms)
    DATABASE_URL=$DB_URL LOG_LEVEL=warn "$BIN" import "$DATA/tools.jsonl" >&2
    secs=$(python3 -c "print(($(now_ms) - $t0) / 1000)")
    load="{\"loaded\":$N,\"seconds\":$secs,\"per_second\":$(python3 -c "print(round($N / $secs, 1))"),\"via\":\"import\"}"
  else
    conc=16
    [ "$LOAD_VIA" != bulk ] || conc=2
    load=$(python3 bench/load_tools.py "$BASE" "$DATA/tools.jsonl" --via "$LOAD_VIA" --concurrency "$conc")
  fi
  log "  $load"
  emit "{\"n\":$N,\"kind\":\"load\",\"result\":$load}"
}

# PostgreSQL: a fresh database loaded with the HNSW index dropped, then the index built (timed).
prepare_postgres() {
  DB=bench_$N
  DB_URL="postgres://toolbox@127.0.0.1:$PGPORT/$DB"
  have=0
  if [ "${BENCH_REUSE:-0}" = 1 ]; then
    have=$(psql_db "$DB" -c "SELECT count(*) FROM tools WHERE name NOT LIKE 'bench\_%'" 2>/dev/null || echo 0)
  fi
  if [ "$have" -lt "$N" ]; then
    psql_db postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
    start_service   # first start: migrates, registers the built-ins
    INDEX_DEF=$(psql_db "$DB" -c "SELECT pg_get_indexdef('tools_embedding_hnsw_idx'::regclass)")
    [ "${BENCH_KEEP_INDEX:-0}" = 1 ] || psql_db "$DB" -c "DROP INDEX tools_embedding_hnsw_idx"
    load_tools
    if [ "${BENCH_KEEP_INDEX:-0}" != 1 ]; then
      log "N=$N: building the HNSW index"
      t0=$(now_ms)
      psql_db "$DB" -c "SET maintenance_work_mem = '1GB'" -c "$INDEX_DEF"
      emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"index_build_ms\",\"value\":$(($(now_ms) - t0))}"
    fi
    psql_db "$DB" -c "VACUUM ANALYZE tools"
    stop_service
  fi
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"tools\",\"value\":$(psql_db "$DB" -c 'SELECT count(*) FROM tools')}"
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"index_mb\",\"value\":$(psql_db "$DB" -c "SELECT pg_relation_size('tools_embedding_hnsw_idx') / 1048576")}"
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"db_mb\",\"value\":$(psql_db "$DB" -c "SELECT pg_database_size('$DB') / 1048576")}"
}

# SQLite: a fresh file loaded the same way; there is no index to build.
prepare_sqlite() {
  DB=sqlite_$N
  SQLITE_FILE=$WORK/$DB.db
  DB_URL=sqlite://$SQLITE_FILE
  have=0
  if [ "${BENCH_REUSE:-0}" = 1 ] && [ -f "$SQLITE_FILE" ]; then
    have=$(sqlite_db count-tools)
  fi
  if [ "$have" -lt "$N" ]; then
    rm -f "$SQLITE_FILE" "$SQLITE_FILE-wal" "$SQLITE_FILE-shm"
    start_service
    load_tools
    stop_service
  fi
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"tools\",\"value\":$(sqlite_db count-tools)}"
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"db_mb\",\"value\":$(sqlite_db file-mb)}"
}

count_executions() {
  case $BACKEND in
    postgres) psql_db "$DB" -c "SELECT count(*) FROM tool_executions" ;;
    sqlite) sqlite_db count-executions ;;
  esac
}

# The same KNN query and lookup run directly in PostgreSQL with pgbench.
measure_floor() {
  log "N=$N: the floor (pgbench, same queries directly in PostgreSQL)"
  QVEC=$(printf '%s\n' "$WARM_Q" | DATABASE_URL=$ADMIN_URL "$EMBED")
  ONE_NAME=$(head -1 "$DATA/names.txt")
  # The candidate query's parameters, as registry::FindQuery sets them for limit 10.
  WORDS=$(python3 -c 'import re,sys; print(" ".join(re.findall(r"[a-z0-9]+", sys.argv[1].lower())))' "$WARM_Q")
  case "${USE_HYBRID_SEARCH:-true}" in
    false) SEARCH=(-D pool=10 -D vec=true -D fts=false) ;;
    *) SEARCH=(-D pool=50 -D vec=true -D fts=true) ;;
  esac
  for c in "${LEVELS[@]}"; do
    run_pgbench knn "$c" bench/sql/knn.sql -D "q=$QVEC" -D "words=$WORDS" -D cat=- -D tags=- "${SEARCH[@]}"
    run_pgbench knn_category "$c" bench/sql/knn.sql -D "q=$QVEC" -D "words=$WORDS" -D "cat=$CAT" -D tags=- "${SEARCH[@]}"
    run_pgbench lookup "$c" bench/sql/lookup.sql -D "name=$ONE_NAME"
  done
}

measure_recall() {
  log "N=$N $BACKEND: recall@10"
  if [ "$BACKEND" = sqlite ]; then
    r=$(sqlite_db recall "$BASE" 200)
    emit "{\"n\":$N,\"kind\":\"recall\",\"ef_search\":null,\"result\":$r}"
    log "  exact in-memory scan: $r"
    return
  fi
  DATABASE_URL=$ADMIN_URL "$EMBED" <"$DATA/recall.txt" | awk '{print NR "\t" $0}' >"$WORK/recall-vectors.tsv"
  for ef in 40 "$HNSW_EF_SEARCH" 200; do
    r=$(psql_db "$DB" -v ef="$ef" -f bench/sql/recall.sql <"$WORK/recall-vectors.tsv" | tail -1)
    emit "{\"n\":$N,\"kind\":\"recall\",\"ef_search\":$ef,\"result\":$r}"
    log "  ef_search=$ef: $r"
  done
}

run_backend() {
  "prepare_$BACKEND"

  # Startup on an already-migrated, loaded database; idle RSS right after.
  start_service
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"startup_ms\",\"value\":$STARTUP_MS}"
  sleep 1
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"idle_rss_kb\",\"value\":$(rss_kb "$SERVICE_PID" VmRSS)}"
  # Anonymous memory only: SQLite's memory-mapped file pages count in VmRSS but are page cache.
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"idle_rss_anon_kb\",\"value\":$(rss_kb "$SERVICE_PID" RssAnon)}"
  log "N=$N $BACKEND: ready in ${STARTUP_MS} ms"

  list_rows=$(curl -fsS "$BASE/mcp/list_tools" -H 'content-type: application/json' -d @"$WORK/list.json" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"list_rows\",\"value\":$list_rows}"

  log "N=$N $BACKEND: HTTP scenarios (${DURATION}s each, concurrency ${LEVELS[*]})"
  offset=0
  for c in "${LEVELS[@]}"; do
    run_wrk find_warm "$c" WRK_MODE=fixed WRK_PATH=/mcp/find_tool WRK_BODY_FILE="$WORK/find.json"
    run_wrk find_category "$c" WRK_MODE=fixed WRK_PATH=/mcp/find_tool WRK_BODY_FILE="$WORK/find_cat.json"
    SKIP_WARMUP=1 run_wrk find_distinct "$c" WRK_MODE=find WRK_LINES="$DATA/queries.txt" WRK_OFFSET=$offset
    offset=$((offset + LAST_REQUESTS + 1000))
    run_wrk get_tool "$c" WRK_MODE=get WRK_LINES="$DATA/names.txt"
    run_wrk list_filtered "$c" WRK_MODE=fixed WRK_PATH=/mcp/list_tools WRK_BODY_FILE="$WORK/list.json"
  done
  [ "$offset" -lt "$(wc -l <"$DATA/queries.txt")" ] || log "WARNING: distinct queries wrapped around: raise --queries in bench/gen.py"

  [ "$BACKEND" != postgres ] || measure_floor
  measure_recall

  log "N=$N $BACKEND: call_tool and registration"
  for c in "${LEVELS[@]}"; do
    before=$(count_executions)
    SKIP_WARMUP=1 run_wrk call_tool "$c" WRK_MODE=fixed WRK_PATH=/mcp/call_tool WRK_BODY_FILE="$WORK/call.json"
    sleep 1
    after=$(count_executions)
    emit "{\"n\":$N,\"kind\":\"executions\",\"c\":$c,\"responses\":$LAST_REQUESTS,\"rows\":$((after - before))}"
    log "  call_tool c=$c: $LAST_REQUESTS responses, $((after - before)) execution rows"
  done
  for c in "${LEVELS[@]}"; do
    SKIP_WARMUP=1 run_wrk register "$c" WRK_MODE=register WRK_TAG="$(date +%s)c$c"
  done
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"loaded_rss_kb\",\"value\":$(rss_kb "$SERVICE_PID" VmRSS)}"
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"loaded_rss_anon_kb\",\"value\":$(rss_kb "$SERVICE_PID" RssAnon)}"
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"peak_rss_kb\",\"value\":$(rss_kb "$SERVICE_PID" VmHWM)}"
  stop_service
  # Registration added tools: drop them so BENCH_REUSE=1 measures exactly N next time.
  case $BACKEND in
    postgres) psql_db "$DB" -c "DELETE FROM tools WHERE name LIKE 'bench\_%'" ;;
    sqlite) sqlite_db drop-registered >/dev/null ;;
  esac
}

for N in "${NS[@]}"; do
  DATA=$WORK/data-$N
  log "N=$N: generating tools"
  [ -f "$DATA/meta.json" ] || python3 bench/gen.py "$N" "$DATA"
  META=$DATA/meta.json
  jq_meta() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(v if isinstance(v,str) else json.dumps(v))' "$META" "$1"; }
  WARM_Q=$(jq_meta warm_query)
  CAT=$(jq_meta filter_category)
  python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1], "limit": 10}))' "$WARM_Q" >"$WORK/find.json"
  python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1], "limit": 10, "category": sys.argv[2]}))' "$WARM_Q" "$CAT" >"$WORK/find_cat.json"
  jq_meta list_filter >"$WORK/list.json"
  echo '{"tool_name":"calculator","arguments":{"operation":"add","a":5,"b":3}}' >"$WORK/call.json"
  for BACKEND in "${BACKENDS[@]}"; do
    run_backend
  done
  BACKEND=
done

SEARCH=()
[ ! -s "$WORK/search.jsonl" ] || SEARCH=("$WORK/search.jsonl")
python3 bench/report.py "$RESULTS" "${SEARCH[@]}" >"$OUT"
log "wrote $OUT (raw results: $RESULTS)"
