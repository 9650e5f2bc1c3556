#!/usr/bin/env bash
# Create the virtual environment from nothing and install borderwatch with its pinned dependencies.
# Works on a fresh Debian machine with Python 3.11: installs python3-venv / python3-pip through apt
# when the interpreter cannot create a venv by itself.
set -euo pipefail
PY="${PY:-python3}"
VENV="${VENV:-.venv}"

apt_install() {
  if command -v apt-get >/dev/null 2>&1; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
  else
    echo "bootstrap: cannot install $* (no apt-get); install it and re-run" >&2
    exit 1
  fi
}

if ! "$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then
  echo "bootstrap: $PY is not Python 3.11; set PY=/path/to/python3.11" >&2
  exit 1
fi
if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "bootstrap: $PY lacks venv/ensurepip; installing python3-venv"
  apt_install python3-venv python3.11-venv
fi
command -v openssl >/dev/null 2>&1 || apt_install openssl  # tests make TLS certificates (CoT over TLS)
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade "pip==25.3"
"$VENV/bin/python" -m pip install -q -e ".[dev]"
echo "bootstrap: environment ready in $VENV"
