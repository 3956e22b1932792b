#!/usr/bin/env bash
# Test set-up: the report test opens report.html in headless Chromium (Debian package "chromium").
# Installs it with apt-get when it is missing and this user may do so; otherwise says how.
set -u
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "installing Debian's chromium for the report test …"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null && exit 0
fi
echo "note: Chromium is not installed and could not be installed here (needs root and apt-get);" \
     "the report test will fail until 'chromium' is on PATH." >&2
exit 0
