"""What each built book page costs a learner on first load: bytes transferred and requests.

    python -m toolkit_course.book_weight [_build/html]

Serves the built book on localhost, opens every page in Debian's Chromium with an empty cache
(a fresh browser context per page) and sums what came over the wire. A local server sends the
same bytes every time, so the figures are deterministic; tests/test_book_weight.py holds the limit.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (re-exported for callers)


@dataclass
class PageWeight:
    path: str
    resources: dict[str, int] = field(default_factory=dict)  # url path -> bytes transferred (headers + body)
    failed: list[str] = field(default_factory=list)  # requests that got no answer or an HTTP error
    console_errors: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.resources.values())

    @property
    def requests(self) -> int:
        return len(self.resources) + len(self.failed)

    def largest(self, count: int = 5) -> list[tuple[str, int]]:
        return sorted(self.resources.items(), key=lambda item: -item[1])[:count]

    @property
    def kind(self) -> str:
        if self.path.startswith("notebooks/"):
            return "lesson"
        if self.path.startswith("book/facilitator/"):
            return "facilitator"
        if self.path.startswith("book/"):
            return "guide"
        return "other"


def built_pages(html_root: Path) -> list[str]:
    """Every page a learner can open: the book's HTML files, outside Sphinx's _static and _sources."""
    return sorted(str(p.relative_to(html_root)) for p in html_root.rglob("*.html")
                  if not p.relative_to(html_root).parts[0].startswith("_"))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(html_root: Path):
    handler = functools.partial(_QuietHandler, directory=str(html_root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def weigh_page(browser, base_url: str, path: str) -> PageWeight:
    """Load one page with an empty cache and wait until the network is idle."""
    weight = PageWeight(path)
    context = browser.new_context()  # a new context has an empty cache
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.on("requestfailed", lambda request: weight.failed.append(request.url))
    page.on("console", lambda message: weight.console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: weight.console_errors.append(str(error)))
    page.goto(f"{base_url}/{path}", wait_until="networkidle")
    # Fonts and the favicon are fetched after the page has loaded, and not always before the
    # network first falls idle: wait for both, so every run counts the same requests.
    page.evaluate("async () => { await document.fonts.ready; }")
    if page.locator("link[rel~=icon]").count():
        icon = page.locator("link[rel~=icon]").first.evaluate("link => link.href")
        if not any(r.url == icon for r in responses):
            with contextlib.suppress(Exception):
                page.wait_for_event("response", lambda r: r.url == icon, timeout=5_000)
    page.wait_for_load_state("networkidle")
    for response in responses:
        if response.url.startswith("data:"):
            continue  # inline data is already counted in the bytes of the file that holds it
        sizes = response.request.sizes()
        key = response.url.removeprefix(base_url).split("?")[0]
        if response.status >= 400:
            weight.failed.append(f"{key} (HTTP {response.status})")
        weight.resources[key] = weight.resources.get(key, 0) + sizes["responseHeadersSize"] + sizes["responseBodySize"]
    context.close()
    return weight


def weigh_book(html_root: Path, paths: list[str] | None = None) -> list[PageWeight]:
    from playwright.sync_api import sync_playwright  # imported here: only this tool and its test need a browser

    html_root = Path(html_root)
    with serve(html_root) as base_url, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            return [weigh_page(browser, base_url, path) for path in (paths or built_pages(html_root))]
        finally:
            browser.close()


def table(weights: list[PageWeight]) -> str:
    lines = [f"{'page':60} {'KB':>8} {'requests':>8}"]
    lines += [f"{w.path:60} {w.total / 1024:8.0f} {w.requests:8d}" for w in weights]
    lines.append("")
    lines.append(f"{'page type':12} {'pages':>5} {'KB min':>8} {'KB max':>8} {'req min':>8} {'req max':>8}")
    for kind in ("lesson", "guide", "facilitator", "other"):
        group = [w for w in weights if w.kind == kind]
        if group:
            lines.append(f"{kind:12} {len(group):5d} {min(w.total for w in group) / 1024:8.0f} "
                         f"{max(w.total for w in group) / 1024:8.0f} {min(w.requests for w in group):8d} "
                         f"{max(w.requests for w in group):8d}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    html_root = Path(argv[0] if argv else "_build/html")
    weights = weigh_book(html_root)
    print(table(weights))
    heaviest = max(weights, key=lambda w: w.total)
    print(f"\nheaviest page {heaviest.path}: " + ", ".join(f"{u} {b / 1024:.0f} KB" for u, b in heaviest.largest()))
    errors = {w.path: w.console_errors for w in weights if w.console_errors}
    if errors:
        print("\nconsole errors:", *(f"{p}: {e}" for p, e in errors.items()), sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
