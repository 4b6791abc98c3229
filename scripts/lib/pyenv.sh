#!/usr/bin/env bash
# Source this to get a Python virtualenv at target/pyenv with the given packages:
#   . scripts/lib/pyenv.sh mcp==1.x schemathesis
# Installs only what is missing; prints nothing on success.
set -euo pipefail
TOOLBOX_PYENV=${TOOLBOX_PYENV:-$PWD/target/pyenv}
if [ ! -x "$TOOLBOX_PYENV/bin/python" ]; then
  python3 -m venv "$TOOLBOX_PYENV"
  "$TOOLBOX_PYENV/bin/pip" install -q --upgrade pip >/dev/null
fi
if [ "$#" -gt 0 ]; then
  "$TOOLBOX_PYENV/bin/pip" install -q "$@" >/dev/null
fi
export PATH="$TOOLBOX_PYENV/bin:$PATH"
