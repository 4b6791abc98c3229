#!/usr/bin/env bash
# The load benchmark: one command, regenerates BENCHMARKS.md.
#
#   bench/load.sh [N...]          # default: 1000 10000 100000
#
# Each size runs on each backend in BENCH_BACKENDS (default: both), so BENCHMARKS.md puts
# PostgreSQL + pgvector and the embedded SQLite file side by side, and on each build in
# BENCH_BUILDS, so one run can put two builds side by side (before/after a change).
#
# The same script drives builds from before and after search moved into the process
# (src/search_index/). It looks at the database rather than at the version: where the HNSW
# index `tools_embedding_hnsw_idx` exists (search in SQL) it can drop and rebuild it around
# the load, measures HNSW recall in SQL at several ef_search, and runs the pgbench floor (the
# search SQL run directly in PostgreSQL); where it does not (search in the process's index),
# there is no index to build and no search SQL to run. On every build and store, recall@10 is
# measured through GET /tools/{name}/similar against a brute-force numpy scan of the store's
# vectors (bench/sqlite_db.py), and startup is the time until /ready answers 200, which on the
# in-process design means the search index has been built from the table.
#
# For each N it: generates N synthetic tools (bench/gen.py, deterministic); loads them into a
# fresh database through the service's own ingestion (POST /tools, or the bulk path: see
# BENCH_LOAD_VIA) into a live registry with its indexes in place, as an operator would (timed);
# restarts the release binary (startup time to /ready, RSS once ready); drives it over HTTP
# with wrk from a separate process at each concurrency level; runs the floor where there is
# one; measures recall@10; then call_tool (counting execution rows) and registration.
# bench/report.py turns the results into BENCHMARKS.md (with a before/after table when more
# than one build ran).
#
# Environment (all optional):
#   BENCH_BACKENDS="postgres sqlite"                    which stores to measure, in order
#   BENCH_DURATION=10      seconds per measured run      BENCH_WARMUP=2  seconds of warm-up
#   BENCH_CONCURRENCY="1 16 64"                          BENCH_OUT=BENCHMARKS.md
#   BENCH_SCENARIOS="find_warm find_category find_distinct get_tool list_filtered call_tool register"
#                          the HTTP scenarios to run (a subset saves time)
#   BENCH_LOAD_VIA=bulk    bulk: POST /tools/bulk, 500 tools a request; post: one POST /tools
#                          per tool from 16 connections; import: `toolbox import FILE`.
#   BENCH_KEEP_INDEX=1     0: where an HNSW index exists, drop it for the load and build it
#                          after (timed separately); 1 loads with it in place
#   BENCH_REUSE=0          1: reuse an already-loaded database of the right size (skip loading)
#   BENCH_BIN_DIR=         a directory holding already-built `toolbox` and `bench_embed`
#                          binaries to measure instead of building target/release
#   BENCH_BUILDS=          several builds in one run: "LABEL=DIR LABEL=DIR ..." (each DIR as
#                          BENCH_BIN_DIR); for each N every build runs on every backend, in
#                          this order, each on its own database
#   BENCH_ROUNDS=1         2: run everything twice, the builds in reverse order the second
#                          time (cancels drift; the report averages the rounds)
#   BENCH_NOTE=            a line printed at the top of BENCHMARKS.md (e.g. machine caveats)
#   TOOLBOX_PG_DIR=/tmp/toolbox-bench-pg   the benchmark's own PostgreSQL cluster
#   HNSW_M / HNSW_EF_CONSTRUCTION / HNSW_EF_SEARCH / DB_POOL_SIZE / ... passed to the service
#   (builds without the HNSW index ignore HNSW_*).
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
# BUILD_LABELS[i] runs the binaries in BUILD_DIRS[i]; one unlabelled build by default.
BUILD_LABELS=() BUILD_DIRS=()
if [ -n "${BENCH_BUILDS:-}" ]; then
  for b in $BENCH_BUILDS; do
    [[ $b == *=* ]] || { log "BENCH_BUILDS: '$b' is not LABEL=DIR"; exit 2; }
    [[ ${b%%=*} =~ ^[a-z0-9]+$ ]] || { log "BENCH_BUILDS: label '${b%%=*}' must be lower-case letters and digits"; exit 2; }
    BUILD_LABELS+=("${b%%=*}") BUILD_DIRS+=("${b#*=}")
  done
else
  BIN_DIR=${BENCH_BIN_DIR:-}
  if [ -z "$BIN_DIR" ]; then
    log "building the release binary"
    cargo build --release --locked --bin toolbox --bin bench_embed >&2
    BIN_DIR=$ROOT/target/release
  fi
  BUILD_LABELS=("") BUILD_DIRS=("$BIN_DIR")
fi
for d in "${BUILD_DIRS[@]}"; do
  for b in toolbox bench_embed; do
    [ -x "$d/$b" ] || { log "no executable $d/$b"; exit 2; }
  done
done
ROUNDS=${BENCH_ROUNDS:-1}
SCENARIOS=" ${BENCH_SCENARIOS:-find_warm find_category find_distinct get_tool list_filtered call_tool register} "
wanted() { [[ $SCENARIOS == *" $1 "* ]]; }
KEEP_INDEX=${BENCH_KEEP_INDEX:-1}

unset DATABASE_URL
if [[ " ${BACKENDS[*]} " == *" postgres "* ]]; then
  eval "$(scripts/pg-env.sh start)"
  ADMIN_URL=$DATABASE_URL
  PGPORT=$(cat "$TOOLBOX_PG_DIR/port")
fi
mkdir -p "$WORK"
RESULTS=$WORK/results.jsonl
: >"$RESULTS"
# One result line; inside a backend's run, tagged with it, the build and the round.
emit() {
  if [ -n "${BACKEND:-}" ]; then
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r.update(backend=sys.argv[2], build=sys.argv[3], round=int(sys.argv[4])); print(json.dumps(r))' \
      "$1" "$BACKEND" "$BUILD" "$ROUND" >>"$RESULTS"
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
  # -f: a 503 (migrating, or the search index still being built) is not ready yet.
  until curl -fsS -o "$WORK/ready.json" "$BASE/ready" 2>/dev/null; do
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
  # Requests wrk gave up on may still hold the service's pool (a query taking seconds): wait
  # until it answers /ready again, so they do not spill into the next scenario.
  curl -fsS -m 120 -o /dev/null "$BASE/ready" || log "  /ready did not answer within 120 s after $scenario c=$c"
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
  python3 - "${BUILD_DIRS[0]}/toolbox" <<'PY'
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
# The command line, with the BENCH_* settings that were given (values quoted for a shell).
command_json() {
  python3 -c 'import json,os,shlex,sys
keys = ("BENCH_BACKENDS", "BENCH_DURATION", "BENCH_WARMUP", "BENCH_CONCURRENCY", "BENCH_LOAD_VIA", "BENCH_KEEP_INDEX",
        "BENCH_BUILDS", "BENCH_ROUNDS", "BENCH_SCENARIOS")
env = [f"{k}={shlex.quote(os.environ[k])}" for k in keys if os.environ.get(k)]
print(json.dumps(" ".join(env + ["bench/load.sh"] + sys.argv[1:])))' "${NS[@]}"
}
emit "$(machine_json)"
emit "{\"kind\":\"settings\",\"duration_s\":$DURATION,\"warmup_s\":$WARMUP,\"levels\":[$(IFS=,; echo "${LEVELS[*]}")],\"load_via\":\"$LOAD_VIA\",\"hnsw_m\":$HNSW_M,\"hnsw_ef_construction\":$HNSW_EF_CONSTRUCTION,\"hnsw_ef_search\":$HNSW_EF_SEARCH,\"pool_size\":\"${DB_POOL_SIZE:-10}+${DB_MAX_OVERFLOW:-10}\",\"backends\":\"${BACKENDS[*]}\",\"builds\":\"${BUILD_LABELS[*]}\",\"rounds\":$ROUNDS,\"keep_index\":$KEEP_INDEX,\"command\":$(command_json)}"

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

# Whether the current PostgreSQL database searches in SQL: the HNSW index exists (t or f).
has_hnsw() { psql_db "$DB" -c "SELECT to_regclass('tools_embedding_hnsw_idx') IS NOT NULL"; }

# PostgreSQL: a fresh database loaded into the live service with its indexes in place; with
# BENCH_KEEP_INDEX=0, where there is an HNSW index, it is dropped for the load and built after
# (timed separately).
prepare_postgres() {
  DB=bench_${BUILD:+${BUILD}_}$N
  DB_URL="postgres://toolbox@127.0.0.1:$PGPORT/$DB"
  have=0
  # Later rounds measure the databases the first one loaded.
  if [ "${BENCH_REUSE:-0}" = 1 ] || [ "$ROUND" -gt 1 ]; then
    have=$(psql_db "$DB" -c "SELECT count(*) FROM tools WHERE name NOT LIKE 'bench\_%'" 2>/dev/null || echo 0)
  fi
  if [ "$have" -lt "$N" ]; then
    psql_db postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
    start_service   # first start: migrates, registers the built-ins
    rebuild=0
    if [ "$KEEP_INDEX" != 1 ] && [ "$(has_hnsw)" = t ]; then
      INDEX_DEF=$(psql_db "$DB" -c "SELECT pg_get_indexdef('tools_embedding_hnsw_idx'::regclass)")
      psql_db "$DB" -c "DROP INDEX tools_embedding_hnsw_idx"
      rebuild=1
    fi
    load_tools
    if [ "$rebuild" = 1 ]; then
      log "N=$N: building the HNSW index"
      t0=$(now_ms)
      psql_db "$DB" -c "SET maintenance_work_mem = '1GB'" -c "$INDEX_DEF"
      emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"index_build_ms\",\"value\":$(($(now_ms) - t0))}"
    fi
    psql_db "$DB" -c "VACUUM ANALYZE tools"
    stop_service
  fi
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"tools\",\"value\":$(psql_db "$DB" -c 'SELECT count(*) FROM tools')}"
  SQL_SEARCH=$(has_hnsw)
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"sql_search\",\"value\":$([ "$SQL_SEARCH" = t ] && echo true || echo false)}"
  [ "$SQL_SEARCH" != t ] ||
    emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"index_mb\",\"value\":$(psql_db "$DB" -c "SELECT pg_relation_size('tools_embedding_hnsw_idx') / 1048576")}"
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"db_mb\",\"value\":$(psql_db "$DB" -c "SELECT pg_database_size('$DB') / 1048576")}"
}

# SQLite: a fresh file loaded the same way; there is no index to build.
prepare_sqlite() {
  DB=sqlite_${BUILD:+${BUILD}_}$N
  SQL_SEARCH=f
  SQLITE_FILE=$WORK/$DB.db
  DB_URL=sqlite://$SQLITE_FILE
  have=0
  if { [ "${BENCH_REUSE:-0}" = 1 ] || [ "$ROUND" -gt 1 ]; } && [ -f "$SQLITE_FILE" ]; then
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

# Recall@10 of the service's vector search as a client sees it (GET /tools/{name}/similar
# against a brute-force scan of the store's vectors), on every build and store; where the
# search runs in SQL, HNSW's recall in SQL too, at several ef_search.
measure_recall() {
  log "N=$N $BACKEND: recall@10"
  case $BACKEND in
    sqlite) r=$(sqlite_db recall "$BASE" 200) || r= ;;
    postgres)
      r=$(psql_db "$DB" -c "COPY (SELECT name, embedding FROM tools WHERE embedding IS NOT NULL ORDER BY id) TO STDOUT" |
        python3 bench/sqlite_db.py - pg-recall "$BASE" 200) || r= ;;
  esac
  # A failed similar request (a 503 from an exhausted pool) leaves recall unmeasured, not the run.
  [ -n "$r" ] || { log "  recall through /similar failed; not measured"; r=null; }
  [ "$r" = null ] || emit "{\"n\":$N,\"kind\":\"recall\",\"via\":\"similar\",\"ef_search\":null,\"result\":$r}"
  log "  GET /tools/{name}/similar against a brute-force scan: $r"
  [ "$SQL_SEARCH" = t ] || return 0
  DATABASE_URL=$ADMIN_URL "$EMBED" <"$DATA/recall.txt" | awk '{print NR "\t" $0}' >"$WORK/recall-vectors.tsv"
  for ef in 40 "$HNSW_EF_SEARCH" 200; do
    r=$(psql_db "$DB" -v ef="$ef" -f bench/sql/recall.sql <"$WORK/recall-vectors.tsv" | tail -1)
    emit "{\"n\":$N,\"kind\":\"recall\",\"via\":\"sql\",\"ef_search\":$ef,\"result\":$r}"
    log "  ef_search=$ef: $r"
  done
}

run_backend() {
  "prepare_$BACKEND"

  # Startup on an already-migrated, loaded database; idle RSS right after.
  start_service
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"startup_ms\",\"value\":$STARTUP_MS}"
  # What /ready reported: on the in-process design, the documents the index was built with.
  docs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("search_index", {}).get("documents", "null"))' "$WORK/ready.json")
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"ready_documents\",\"value\":$docs}"
  sleep 1
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"idle_rss_kb\",\"value\":$(rss_kb "$SERVICE_PID" VmRSS)}"
  # Anonymous memory only: SQLite's memory-mapped file pages count in VmRSS but are page cache.
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"idle_rss_anon_kb\",\"value\":$(rss_kb "$SERVICE_PID" RssAnon)}"
  log "N=$N $BACKEND: ready in ${STARTUP_MS} ms"

  # A bare array, or (paged listings) an object holding the page's array.
  list_rows=$(curl -fsS "$BASE/mcp/list_tools" -H 'content-type: application/json' -d @"$WORK/list.json" |
    python3 -c 'import json,sys; v=json.load(sys.stdin); print(len(v if isinstance(v, list) else next((x for x in v.values() if isinstance(x, list)), [])))')
  emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"list_rows\",\"value\":$list_rows}"

  log "N=$N $BACKEND: HTTP scenarios (${DURATION}s each, concurrency ${LEVELS[*]})"
  offset=0
  for c in "${LEVELS[@]}"; do
    ! wanted find_warm || run_wrk find_warm "$c" WRK_MODE=fixed WRK_PATH=/mcp/find_tool WRK_BODY_FILE="$WORK/find.json"
    ! wanted find_category || run_wrk find_category "$c" WRK_MODE=fixed WRK_PATH=/mcp/find_tool WRK_BODY_FILE="$WORK/find_cat.json"
    if wanted find_distinct; then
      SKIP_WARMUP=1 run_wrk find_distinct "$c" WRK_MODE=find WRK_LINES="$DATA/queries.txt" WRK_OFFSET=$offset
      offset=$((offset + LAST_REQUESTS + 1000))
    fi
    ! wanted get_tool || run_wrk get_tool "$c" WRK_MODE=get WRK_LINES="$DATA/names.txt"
    ! wanted list_filtered || run_wrk list_filtered "$c" WRK_MODE=fixed WRK_PATH=/mcp/list_tools WRK_BODY_FILE="$WORK/list.json"
  done
  [ "$offset" -lt "$(wc -l <"$DATA/queries.txt")" ] || log "WARNING: distinct queries wrapped around: raise --queries in bench/gen.py"

  # The floor is the search SQL run in PostgreSQL: only where search runs in SQL.
  [ "$SQL_SEARCH" != t ] || measure_floor
  measure_recall

  log "N=$N $BACKEND: call_tool and registration"
  for c in "${LEVELS[@]}"; do
    wanted call_tool || continue
    before=$(count_executions)
    SKIP_WARMUP=1 run_wrk call_tool "$c" WRK_MODE=fixed WRK_PATH=/mcp/call_tool WRK_BODY_FILE="$WORK/call.json"
    sleep 1
    after=$(count_executions)
    emit "{\"n\":$N,\"kind\":\"executions\",\"c\":$c,\"responses\":$LAST_REQUESTS,\"rows\":$((after - before))}"
    log "  call_tool c=$c: $LAST_REQUESTS responses, $((after - before)) execution rows"
  done
  for c in "${LEVELS[@]}"; do
    wanted register || continue
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

for k in "${!BUILD_LABELS[@]}"; do
  emit "$(python3 -c 'import json,os,sys; print(json.dumps({"kind": "build", "label": sys.argv[1], "dir": sys.argv[2], "binary_bytes": os.path.getsize(sys.argv[2] + "/toolbox")}))' "${BUILD_LABELS[$k]}" "${BUILD_DIRS[$k]}")"
done

for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
order=("${!BUILD_LABELS[@]}")
# Even rounds run the builds in reverse order, so drift over the run falls on both alike.
if [ $((ROUND % 2)) = 0 ]; then
  order=(); for ((k = ${#BUILD_LABELS[@]} - 1; k >= 0; k--)); do order+=("$k"); done
fi
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
  for k in "${order[@]}"; do
    BUILD=${BUILD_LABELS[$k]} BIN=${BUILD_DIRS[$k]}/toolbox EMBED=${BUILD_DIRS[$k]}/bench_embed
    for BACKEND in "${BACKENDS[@]}"; do
      log "N=$N round $ROUND ${BUILD:+build $BUILD }$BACKEND (load average $(cut -d' ' -f1-3 /proc/loadavg))"
      emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"loadavg\",\"value\":$(cut -d' ' -f1 /proc/loadavg)}"
      run_backend
      emit "{\"n\":$N,\"kind\":\"fact\",\"name\":\"loadavg_end\",\"value\":$(cut -d' ' -f1 /proc/loadavg)}"
    done
    BACKEND=
  done
done
done

SEARCH=()
[ ! -s "$WORK/search.jsonl" ] || SEARCH=("$WORK/search.jsonl")
python3 bench/report.py "$RESULTS" "${SEARCH[@]}" >"$OUT"
log "wrote $OUT (raw results: $RESULTS)"
