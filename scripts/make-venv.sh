#!/usr/bin/env bash
# Creates the virtualenv; on Debian, installs python3-venv first when it is missing.
set -euo pipefail
venv=${1:-.venv}
python=${PYTHON:-python3}
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
  exit 0
fi
if ! "$python" -m venv "$venv" 2>/dev/null; then
  rm -rf "$venv"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${version}-venv" >/dev/null || \
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    "$python" -m venv "$venv"
  else
    echo "python -m venv failed: install the venv module (Debian: apt-get install python3-venv)" >&2
    exit 1
  fi
fi
"$venv/bin/pip" install -q --disable-pip-version-check --upgrade pip
