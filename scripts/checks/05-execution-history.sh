#!/usr/bin/env bash
# Execution history loses nothing, driven from outside: the real binary takes a burst of
# concurrent calculator calls, is sent SIGTERM while they are in flight, and afterwards every
# call that got an answer with an execution_id has exactly its row, with the same outcome.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TOOLBOX_BIN:?set by scripts/test.sh}"
: "${TOOLBOX_TEST_DATABASE_URL:?set by scripts/test.sh}"
PSQL=${PG_BIN:-/usr/lib/postgresql/15/bin}/psql

db="toolbox_check05_$$"
"$PSQL" -qAt "$TOOLBOX_TEST_DATABASE_URL" -c "CREATE DATABASE $db"
url="${TOOLBOX_TEST_DATABASE_URL%/*}/$db"
work=$(mktemp -d)
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null || true
  "$PSQL" -qAt "$TOOLBOX_TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DATABASE_URL=$url HOST=127.0.0.1 PORT=$port LOG_LEVEL=warn "$TOOLBOX_BIN" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 200); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done

python3 - "$port" "$server" "$work/answers.txt" <<'PY'
import json, os, signal, sys, threading, urllib.request, urllib.error
port, pid, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
answers, lock = [], threading.Lock()

def call(i):
    args = {"operation": "divide", "a": i, "b": 0 if i % 4 == 0 else 2}
    body = json.dumps({"tool_name": "calculator", "arguments": args}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/mcp/call_tool", body,
                                 {"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            a = json.load(r)
            with lock:
                answers.append((a["execution_id"], a["success"]))
    except Exception:
        pass  # refused or cut by the shutdown: no answer, no promise

import time
threads = [threading.Thread(target=call, args=(i,)) for i in range(300)]
for t in threads:
    t.start()
while True:  # stop the server while calls are still in flight
    with lock:
        if len(answers) >= 100:
            break
    time.sleep(0.005)
os.kill(pid, signal.SIGTERM)
for t in threads:
    t.join()
with open(out, "w") as f:
    for eid, ok in answers:
        f.write(f"{eid} {'t' if ok else 'f'}\n")
print(f"answered: {len(answers)}")
PY
wait "$server" || true
server=

sort -n "$work/answers.txt" >"$work/expected.txt"
"$PSQL" -qAt "$url" -F ' ' -c "SELECT id, success FROM tool_executions ORDER BY id" >"$work/rows.txt"
# Every answered call has its row with the same outcome (rows of unanswered calls may exist too).
missing=$(join -v1 "$work/expected.txt" "$work/rows.txt" | wc -l)
mismatched=$(join "$work/expected.txt" "$work/rows.txt" | awk '$2 != $3' | wc -l)
answered=$(wc -l <"$work/expected.txt")
if [ "$answered" -lt 100 ] || [ "$missing" -ne 0 ] || [ "$mismatched" -ne 0 ]; then
  echo "FAIL: answered=$answered missing_rows=$missing mismatched=$mismatched" >&2
  tail -20 "$work/server.log" >&2
  exit 1
fi
echo "ok: $answered answered calls, each with its committed row"
