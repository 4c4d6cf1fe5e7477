"""Print an HTML page (a local file or a loopback URL) to PDF with Debian's Chromium, offline.

One job: open the page in headless Chromium through Playwright and save it as a PDF. Every request
that is not a local file (file:, data:, blob:) or loopback (127.0.0.1, localhost, ::1) is blocked, so a
printed page can never pull anything from another host. The browser is Debian's, never a download.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from .chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (re-exported for callers)

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOCAL_SCHEMES = {"file", "data", "blob", "about"}


class PrintError(RuntimeError):
    """The page could not be printed; the message names the page and why."""


def is_local(url: str) -> bool:
    """True for a local file or a loopback address: the only places a printed page may load from."""
    parsed = urlparse(url)
    if parsed.scheme in LOCAL_SCHEMES:
        return True
    return parsed.scheme in ("http", "https") and parsed.hostname in LOOPBACK_HOSTS


def page_url(html: Path | str) -> str:
    """A URL for `html`: a URL as given, or a file path turned into a file:// URL (which must exist)."""
    text = str(html)
    if "://" in text:
        return text
    path = Path(text).resolve()
    if not path.is_file():
        raise PrintError(f"{path}: no such HTML file to print")
    return path.as_uri()


def html_to_pdf(html: Path | str, pdf_path: Path, *, media: str = "print", blocked: list[str] | None = None,
                wait_for: str | None = None, page_format: str = "A4") -> Path:
    """Print `html` (a file path or a local URL) to `pdf_path` and return `pdf_path`.

    media: the CSS media type to emulate ("print" applies print stylesheets; "screen" prints the screen look).
    blocked: if given, every blocked (non-local) request URL is appended to it, so a caller can fail on them.
    wait_for: an optional CSS selector to wait for (attached) before printing, e.g. a script's ready marker.
    """
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    url = page_url(html)
    if not is_local(url):
        raise PrintError(f"{url}: only local files and loopback addresses can be printed (offline rule)")
    if not Path(CHROMIUM).exists():
        raise PrintError(f"Chromium is missing at {CHROMIUM}: run scripts/install-browser-deps.sh")
    pdf_path = Path(pdf_path)
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    refused = blocked if blocked is not None else []

    def guard(route):
        if is_local(route.request.url):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context()
                context.route("**/*", guard)
                tab = context.new_page()
                tab.emulate_media(media=media)
                tab.goto(url, wait_until="load")
                if wait_for:
                    tab.wait_for_selector(wait_for, state="attached", timeout=30_000)
                # tagged: the PDF keeps the page's structure and images' alt text for screen readers;
                # outline: its headings become bookmarks.
                tab.pdf(path=str(pdf_path), format=page_format, print_background=True, prefer_css_page_size=True,
                        margin={"top": "15mm", "bottom": "15mm", "left": "15mm", "right": "15mm"},
                        tagged=True, outline=True)
            finally:
                browser.close()
    except PlaywrightError as error:
        raise PrintError(f"{url}: Chromium could not print the page: {error}") from error
    return pdf_path
