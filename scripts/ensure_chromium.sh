#!/usr/bin/env bash
# Test set-up: the page tests drive Debian's Chromium (package "chromium") through Playwright (pip, test extra;
# Playwright's own browser download is not used), and the PDF test reads the PDF with pdftotext/pdfinfo
# (package "poppler-utils"). Installs what is missing with apt-get when this user may; otherwise says how.
set -u
need=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need+=(chromium)
command -v pdftotext >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1 || need+=(poppler-utils)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  echo "installing ${need[*]} for the report tests …"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq "${need[@]}" >/dev/null && exit 0
fi
echo "note: ${need[*]} could not be installed here (needs root and apt-get: apt-get install ${need[*]});" \
     "the report tests will fail until they are on PATH." >&2
exit 0
