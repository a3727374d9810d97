#!/usr/bin/env bash
# Makes sure wrk (the benchmark's load generator, bench/wrk.py) is installed: from the distribution's
# packages (as root, or through sudo), the way scripts/ensure-services.sh makes sure of RabbitMQ.
set -euo pipefail
if command -v wrk >/dev/null 2>&1; then
    exit 0
fi
echo "Installing wrk (the benchmark's load generator)..."
if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "wrk is missing and cannot be installed without root: apt-get install -y wrk" >&2
    exit 1
fi
if command -v apt-get >/dev/null 2>&1; then
    $SUDO apt-get install -y wrk >/dev/null || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y wrk >/dev/null; }
elif command -v brew >/dev/null 2>&1; then
    brew install wrk
else
    echo "wrk is missing: install it with your package manager" >&2
    exit 1
fi
command -v wrk >/dev/null
