"""What the hub tests share: whether a hub can run here, and free ports for one."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROXY = REPO / "deploy" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"


def why_hub_cannot_run() -> str | None:
    if sys.platform != "linux":
        return "the hub needs Linux"
    if os.geteuid() != 0:
        return "needs root: the hub makes a system login per learner (run the suite as root, e.g. in CI)"
    if not PROXY.exists():
        return "configurable-http-proxy is not installed: run `bash scripts/install-hub-deps.sh`"
    try:
        import jupyterhub  # noqa: F401
        import jupyterhub_idle_culler  # noqa: F401
    except ImportError:
        return "jupyterhub is not installed: run `bash scripts/install-hub-deps.sh`"
    return None


def free_ports() -> int:
    """A port p with p, p+1 and p+2 free (the proxy, the hub's API, the proxy's API)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port > 60000:
            continue
        try:
            for offset in (1, 2):
                with socket.socket() as other:
                    other.bind(("127.0.0.1", port + offset))
            return port
        except OSError:
            continue
    raise RuntimeError("no three free ports in a row on 127.0.0.1")


def loopback_page(browser, contexts: list, timeout_ms: int, also: tuple[str, ...] = ()):
    """A page in a new browser context (kept in contexts, to close) that may reach only this machine.

    Any request elsewhere is aborted, so a page that tried to load something from outside would show it.
    also: further address beginnings to let through (say a simulated platform on "http://localhost").
    """
    allowed = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", *also)
    context = browser.new_context()
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(allowed) else route.abort())
    contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    return page
