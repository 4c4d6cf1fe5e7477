"""Debian's Chromium, as every tool and test of the course starts it: one place for its path and flags.

The browser is the system's (apt's `chromium`), never one that Playwright downloads.
"""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
# Without these flags Chromium phones home at start-up (updates, safe browsing, sync), which would
# break the offline guarantee and add requests to every count the tests make.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-default-apps", "--disable-domain-reliability"]
MISSING = f"Chromium is missing at {CHROMIUM}: run scripts/install-browser-deps.sh (make test does)"


def launch(driver):
    """A headless Chromium from a Playwright driver (`with sync_playwright() as driver`)."""
    return driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
