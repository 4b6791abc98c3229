#!/usr/bin/env bash
# Provisions a throwaway PostgreSQL 15 cluster with pgvector and prints `export DATABASE_URL=...`.
#
# Source it (`. scripts/pg-env.sh`) or call `scripts/pg-env.sh start|stop`.
# - Installs pgvector 0.8.0 from Debian trixie's source package when the extension is missing
#   (Debian bookworm ships no pgvector package), using a private apt configuration so the
#   machine's sources are untouched.
# - Creates a cluster with `initdb` under $TOOLBOX_PG_DIR (default: a temp dir) on its own port,
#   so tests never touch anyone's data.
# If DATABASE_URL is already set, nothing is provisioned.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_CONFIG=${PG_CONFIG:-$PG_BIN/pg_config}

log() { printf '[pg-env] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_postgres() {
  if [ ! -x "$PG_BIN/initdb" ]; then
    log "installing postgresql-15"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
  fi
}

ensure_pgvector() {
  local sharedir
  sharedir=$("$PG_CONFIG" --sharedir 2>/dev/null || echo /usr/share/postgresql/15)
  if [ -f "$sharedir/extension/vector.control" ]; then
    return
  fi
  log "pgvector missing: building it from Debian trixie's source package"
  if [ ! -x "$PG_CONFIG" ] || ! dpkg -s postgresql-server-dev-15 >/dev/null 2>&1; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-server-dev-15 make gcc dpkg-dev >/dev/null
  fi
  local work apt
  work=$(mktemp -d)
  apt="$work/apt"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/sources.list.d"
  echo "deb-src http://deb.debian.org/debian trixie main" >"$apt/sources.list"
  local opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o "Dir::Etc::sourceparts=$apt/sources.list.d"
    -o "Dir::State::lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "APT::Get::List-Cleanup=0")
  apt-get "${opts[@]}" update -qq
  (cd "$work" && apt-get "${opts[@]}" source --download-only pgvector >/dev/null)
  local tarball
  tarball=$(ls "$work"/pgvector_*.orig.tar.* | head -n1)
  mkdir -p "$work/src"
  tar -xf "$tarball" -C "$work/src" --strip-components=1
  make -s -C "$work/src" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" >/dev/null
  as_root make -s -C "$work/src" PG_CONFIG="$PG_CONFIG" install >/dev/null
  rm -rf "$work"
  log "pgvector installed"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Runs a command as the cluster owner: initdb refuses to run as root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start_cluster() {
  ensure_postgres
  ensure_pgvector
  local dir=${TOOLBOX_PG_DIR:-}
  if [ -z "$dir" ]; then
    dir=$(mktemp -d /tmp/toolbox-pg.XXXXXX)
  fi
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; fi
  local port
  if [ -f "$dir/port" ]; then
    port=$(cat "$dir/port")
  else
    port=${TOOLBOX_PG_PORT:-$(free_port)}
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$PG_BIN/initdb" -D "$dir/data" -U toolbox --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 256MB
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
    echo "$port" >"$dir/port"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir/port"; fi
  fi
  if ! as_owner "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
  fi
  "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U toolbox -d postgres -qtAc \
    "SELECT 1 FROM pg_database WHERE datname='toolbox'" | grep -q 1 ||
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U toolbox toolbox
  log "PostgreSQL with pgvector running in $dir on port $port"
  echo "export TOOLBOX_PG_DIR='$dir'"
  echo "export DATABASE_URL='postgres://toolbox@127.0.0.1:$port/toolbox'"
}

stop_cluster() {
  local dir=${TOOLBOX_PG_DIR:?TOOLBOX_PG_DIR is not set}
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

case "${1:-start}" in
  start) start_cluster ;;
  stop) stop_cluster ;;
  install) ensure_postgres; ensure_pgvector ;;
  *) echo "usage: $0 start|stop|install" >&2; exit 2 ;;
esac
