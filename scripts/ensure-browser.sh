#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed: the suite drives /docs in it headless (through Playwright,
# which must not download a browser of its own here).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "cannot install chromium: not root on Debian; install it (apt-get install chromium) and run again" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
