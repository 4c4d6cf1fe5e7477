#!/usr/bin/env bash
# Installs what the grading sandbox needs: Debian's bubblewrap (bwrap), 0.8 or newer.
# With a Python as first argument, also runs the sandbox once and says what is missing, if anything
# (for example: unprivileged user namespaces, when grading without root).
#   bash scripts/install-sandbox-deps.sh [.venv/bin/python]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v bwrap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing bubblewrap from Debian's packages..."
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q bubblewrap >/dev/null
  else
    echo "The grading sandbox needs bubblewrap. Install it with: sudo apt-get install -y bubblewrap" >&2
    exit 1
  fi
fi
if [ $# -ge 1 ]; then
  "$1" - <<'PY'
import sys
from toolkit_course.grading.sandbox import SandboxUnavailable, check_available
try:
    check_available()
except SandboxUnavailable as why:
    sys.exit(f"The grading sandbox cannot run on this machine: {why}")
print("The grading sandbox works on this machine.")
PY
fi
