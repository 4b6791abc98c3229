#!/usr/bin/env bash
# Runs the whole test suite. Provisions what it needs when missing: PostgreSQL 15 and pgvector
# (built from Debian trixie's source package), in a throwaway cluster on its own port that is
# removed afterwards, so tests never touch anyone's data.
#
# Then: `cargo test` twice, once per store (PostgreSQL, then the embedded SQLite file: the
# harness in tests/common reads TOOLBOX_TEST_BACKEND; the second pass reuses the build), followed
# by every check in scripts/checks/ (end-to-end checks that drive
# the built binary from outside: MCP client, deployment manifests, fuzzing, ...), in name order.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${TOOLBOX_TEST_DATABASE_URL:-}" ]; then
  TOOLBOX_PG_DIR=$(mktemp -d /tmp/toolbox-test-pg.XXXXXX)
  export TOOLBOX_PG_DIR
  cleanup() { scripts/pg-env.sh stop; rm -rf "$TOOLBOX_PG_DIR"; }
  trap cleanup EXIT
  eval "$(scripts/pg-env.sh start)"
  export TOOLBOX_TEST_DATABASE_URL="$DATABASE_URL"
  unset DATABASE_URL
fi

echo "==> cargo test against PostgreSQL"
# PostgreSQL-only tests return early on SQLite; on PostgreSQL each leaves a marker named after
# itself (tests/common: skip_unless_postgres). Every one must have run here, not merely passed.
pg_only_markers="${CARGO_TARGET_DIR:-$PWD/target}/tmp/pg-only-ran"
rm -rf "$pg_only_markers"
TOOLBOX_TEST_BACKEND=postgres cargo test --locked --all-targets "$@"
if [ "$#" -eq 0 ]; then
  expected=$(perl -0777 -ne 'print "$1\n" while /skip_unless_postgres\(\s*"([^"]+)"/g' $(find tests -name '*.rs') | sort)
  ran=$(ls "$pg_only_markers" 2>/dev/null | sort || true)
  if [ "$expected" != "$ran" ]; then
    echo "PostgreSQL-only tests that did not run on PostgreSQL:" >&2
    comm -23 <(echo "$expected") <(echo "$ran") >&2
    exit 1
  fi
  echo "==> all $(echo "$expected" | wc -l) PostgreSQL-only tests ran on PostgreSQL"
fi
# Each test made its own database: drop them, so a long-lived cluster (TOOLBOX_TEST_DATABASE_URL)
# does not grow by a few hundred databases a run.
psql "$TOOLBOX_TEST_DATABASE_URL" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'toolbox\_test\_%'" |
  while read -r db; do psql "$TOOLBOX_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"; done
echo "==> cargo test against SQLite"
TOOLBOX_TEST_BACKEND=sqlite cargo test --locked --all-targets "$@"
rm -rf target/tmp/sqlite-*  # the per-test database files

# The checks use the debug binary that `cargo test` just built.
export TOOLBOX_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/toolbox"
for check in scripts/checks/*.sh; do
  [ -e "$check" ] || continue
  echo "==> $check"
  bash "$check"
done
