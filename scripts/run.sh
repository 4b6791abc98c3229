#!/usr/bin/env bash
# Runs the service. With DATABASE_URL unset, it provisions a local PostgreSQL 15 + pgvector
# cluster under ./data/pg (kept between runs) and points the service at it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DATABASE_URL:-}" ]; then
  mkdir -p data
  export TOOLBOX_PG_DIR="$PWD/data/pg"
  eval "$(scripts/pg-env.sh start)"
fi

exec cargo run --release --locked -- "${@:-serve}"
