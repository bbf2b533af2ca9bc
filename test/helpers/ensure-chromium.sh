#!/usr/bin/env bash
# The report test renders a page in headless Chromium (Debian's `chromium` package). Installs it
# when missing and this user may (root with apt-get); otherwise says how, and the test will fail.
set -euo pipefail
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[tests] installing Debian's chromium for the report rendering test" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
  exit 0
fi
echo "[tests] $CHROMIUM not found: install Debian's chromium (or set CHROMIUM) for the report test" >&2
