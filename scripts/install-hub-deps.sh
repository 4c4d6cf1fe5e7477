#!/usr/bin/env bash
# What the shared server (make hub, tests/test_hub.py) needs beyond the course itself:
# JupyterHub and its add-ons in the course's virtualenv, and configurable-http-proxy (Node) in
# deploy/node/node_modules. Idempotent: installs only what is missing. Needs the package
# registries once; after that, everything runs offline.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-.venv/bin/python}"

# The same pins as requirements.lock. jupyter-server is checked too: releases before 2.20.0
# have a stored XSS, and the hub serves every learner's Jupyter server.
PINS=(jupyterhub==5.5.4 jupyterhub-idle-culler==2.0.0 jupyterhub-nativeauthenticator==1.3.0
      jupyterhub-ltiauthenticator==1.6.3 "jupyter-server>=2.20.0")

missing=$("$PY" - "${PINS[@]}" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
from packaging.requirements import Requirement
for pin in sys.argv[1:]:
    requirement = Requirement(pin)
    try:
        if version(requirement.name) not in requirement.specifier:
            print(pin)
    except PackageNotFoundError:
        print(pin)
PY
)
if [ -n "$missing" ]; then
    echo "installing: $missing"
    # shellcheck disable=SC2086
    "$PY" -m pip install --quiet $missing
fi

PROXY=deploy/node/node_modules/.bin/configurable-http-proxy
if [ ! -x "$PROXY" ]; then
    command -v npm >/dev/null || { echo "error: npm is needed for configurable-http-proxy (apt-get install npm)" >&2; exit 1; }
    npm ci --prefix deploy/node --no-audit --no-fund --loglevel=error
fi
"$PROXY" --version >/dev/null
echo "hub dependencies ready: $("$PY" -m jupyterhub --version 2>/dev/null | tail -1) (JupyterHub), proxy $("$PROXY" --version)"
