#!/usr/bin/env bash
# `toolbox eval` end to end: creates a throwaway database on the test cluster, loads the shipped
# MetaTool tools, scores a sample of the queries, prints JSON and drops the database again.
# (The full benchmark with its Recall@5 floor runs in tests/api/search_benchmark.rs.)
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TOOLBOX_BIN:?}" "${TOOLBOX_TEST_DATABASE_URL:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -n 40 bench/datasets/metatool/queries.jsonl > "$tmp/queries.jsonl"
DATABASE_URL="$TOOLBOX_TEST_DATABASE_URL" LOG_LEVEL=warn "$TOOLBOX_BIN" eval \
  --queries "$tmp/queries.jsonl" --method weighted,rrf --json > "$tmp/report.json"
grep -q '"queries": 40' "$tmp/report.json"
grep -q '"method": "hybrid-weighted"' "$tmp/report.json"
grep -q '"method": "hybrid-rrf"' "$tmp/report.json"
grep -q '"recall_at_5"' "$tmp/report.json"
if grep -q '"method": "vector"' "$tmp/report.json"; then
  echo "--method was not honoured" >&2; exit 1
fi
leftover=$(DATABASE_URL="$TOOLBOX_TEST_DATABASE_URL" psql "$TOOLBOX_TEST_DATABASE_URL" -Atc \
  "SELECT count(*) FROM pg_database WHERE datname LIKE 'toolbox_eval_%'" 2>/dev/null || echo 0)
[ "$leftover" = 0 ] || { echo "eval left $leftover database(s) behind" >&2; exit 1; }

# --distractors: 300 generated tools join the catalogue (on both stores); the labelled tools
# must still be found among them, and the report must say how large the catalogue was.
python3 bench/gen.py 300 "$tmp/distractors" --queries 10 >/dev/null
for url in "$TOOLBOX_TEST_DATABASE_URL" "sqlite://$tmp/eval.db"; do
  DATABASE_URL="$url" LOG_LEVEL=warn "$TOOLBOX_BIN" eval --queries "$tmp/queries.jsonl" \
    --distractors "$tmp/distractors/tools.jsonl" --method weighted --json > "$tmp/scaled.json"
  python3 - "$tmp/scaled.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["tools"] == 199 and r["distractors"] == 300 and r["queries"] == 40, r
assert r["methods"][0]["recall_at_5"] > 0.3, r
PY
done
echo "toolbox eval: ok"
