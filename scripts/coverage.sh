#!/usr/bin/env bash
# Line coverage of the suite's Rust tests (unit tests and the API tests, on PostgreSQL: the
# store the API tests run against by default; the embedded store's code is covered by its
# unit and contract tests), measured with cargo-tarpaulin (installed from crates.io when
# missing), printed as a total and per module (src/<module>/).
#
#   scripts/coverage.sh            # provisions a throwaway PostgreSQL like scripts/test.sh
#   TOOLBOX_TEST_DATABASE_URL=... scripts/coverage.sh
#
# The check scripts (browser, MCP SDK clients, promtool) drive the binary from outside and are
# not instrumented. Reports go to target/coverage/.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo tarpaulin --version >/dev/null 2>&1; then
  echo "==> installing cargo-tarpaulin from crates.io"
  cargo install cargo-tarpaulin --locked
fi

if [ -z "${TOOLBOX_TEST_DATABASE_URL:-}" ]; then
  TOOLBOX_PG_DIR=$(mktemp -d /tmp/toolbox-coverage-pg.XXXXXX)
  export TOOLBOX_PG_DIR
  cleanup() { scripts/pg-env.sh stop; rm -rf "$TOOLBOX_PG_DIR"; }
  trap cleanup EXIT
  eval "$(scripts/pg-env.sh start)"
  export TOOLBOX_TEST_DATABASE_URL="$DATABASE_URL"
  unset DATABASE_URL
fi

out=target/coverage
mkdir -p "$out"
TOOLBOX_TEST_BACKEND=postgres cargo tarpaulin --locked --engine llvm --skip-clean \
  --target-dir target/tarpaulin --lib --test api --timeout 900 \
  --exclude-files 'src/bin/*' --exclude-files 'bench/*' \
  --out Json --out Lcov --output-dir "$out" "$@" >"$out/tarpaulin.log" 2>&1 ||
  { tail -n 40 "$out/tarpaulin.log"; exit 1; }

python3 - "$out/tarpaulin-report.json" <<'PY'
import json, sys, collections
report = json.load(open(sys.argv[1]))
per = collections.defaultdict(lambda: [0, 0])
for f in report["files"]:
    path = "/".join(f["path"])
    rel = path[path.index("src/"):] if "src/" in path else path
    parts = rel.split("/")
    module = parts[1] if len(parts) > 2 else parts[-1].removesuffix(".rs")
    per[module][0] += f["covered"]
    per[module][1] += f["coverable"]
covered = sum(c for c, _ in per.values())
total = sum(t for _, t in per.values())
print(f"line coverage: {100 * covered / max(total, 1):.1f}% ({covered} of {total} lines)")
for module, (c, t) in sorted(per.items(), key=lambda kv: kv[1][0] / max(kv[1][1], 1)):
    print(f"  {module:<16} {100 * c / max(t, 1):5.1f}%  ({c}/{t})")
PY
