#!/usr/bin/env bash
# Drives `toolbox import` and `toolbox reindex` from outside, as a Job would: a JSON Lines
# file of 2,000 tools is imported in one transaction, a file with one bad item is refused
# without writing anything, and reindex (no terminal: plain progress lines) re-embeds nothing
# when nothing changed and every row after a model change.
set -euo pipefail
BIN=${TOOLBOX_BIN:?}
ADMIN=${TOOLBOX_TEST_DATABASE_URL:?}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
DB_NAME="toolbox_check04_$$"
psql "$ADMIN" -qc "CREATE DATABASE $DB_NAME" >/dev/null
DB="${ADMIN%/*}/$DB_NAME"
run() { env -i PATH="$PATH" DATABASE_URL="$DB" LOG_LEVEL=error "$@"; }

for i in $(seq 1 2000); do
  printf '{"name":"check_%d","description":"check tool number %d","input_schema":{"type":"object"}}\n' "$i" "$i"
done > "$WORK/tools.jsonl"
printf '[{"name":"fine","description":"x","input_schema":{"type":"object"}},{"name":"bad name","description":"x"}]' > "$WORK/bad.json"

out=$(run "$BIN" import "$WORK/tools.jsonl")
echo "$out"
grep -q "2000 created" <<<"$out"

if run "$BIN" import "$WORK/bad.json" 2>"$WORK/err"; then
  echo "a file with a bad item was imported" >&2; exit 1
fi
grep -q "/tools/1/name" "$WORK/err"
grep -q "/tools/1/input_schema" "$WORK/err"
[ "$(psql "$DB" -tAc "SELECT count(*) FROM tools WHERE name = 'fine'")" = 0 ]

out=$(run "$BIN" reindex)
echo "$out"
grep -q "0 re-embedded" <<<"$(tail -1 <<<"$out")"

total=$(psql "$DB" -tAc "SELECT count(*) FROM tools")
psql "$DB" -qc "UPDATE tools SET embedding_model = 'an-older-model'"
out=$(run "$BIN" reindex --batch 500)
echo "$out"
grep -q "^reindex: " <<<"$out"
grep -q "$total re-embedded" <<<"$(tail -1 <<<"$out")"

psql "$ADMIN" -qc "DROP DATABASE $DB_NAME" >/dev/null
echo "04-import-reindex: ok"
