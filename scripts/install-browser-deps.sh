#!/usr/bin/env bash
# Installs what the browser tests need: Debian's Chromium, and axe-core from npm.
# Playwright drives the system Chromium; no browser is ever downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Chromium from Debian's packages..."
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
  else
    echo "The browser tests need Chromium at /usr/bin/chromium. Install it with: sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi
# pdftotext (poppler-utils) reads the handouts, certificates and reports the tests print to PDF.
if ! command -v pdftotext >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing poppler-utils (pdftotext) from Debian's packages..."
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q poppler-utils >/dev/null
  else
    echo "The PDF tests need pdftotext. Install it with: sudo apt-get install -y poppler-utils" >&2
    exit 1
  fi
fi
# npm ci again whenever the installed axe-core is not the one package.json pins (e.g. after an upgrade).
pinned=$(sed -n 's/.*"axe-core": *"\([^"]*\)".*/\1/p' package.json)
installed=$( (sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' node_modules/axe-core/package.json 2>/dev/null || true) | head -n 1)
if [ ! -f node_modules/axe-core/axe.min.js ] || [ "$pinned" != "$installed" ]; then
  if command -v npm >/dev/null 2>&1; then
    npm ci --silent --no-audit --no-fund
  else
    echo "The accessibility tests need npm (for axe-core). Install Node.js and npm." >&2
    exit 1
  fi
fi
