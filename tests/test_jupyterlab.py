"""Module 1 completed live in JupyterLab 4 (and its classifier in Notebook 7): a real server, a real
kernel, real ipywidgets, in Chromium."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

from toolkit_course import content

playwright = pytest.importorskip("playwright.sync_api")

from toolkit_course.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SLUG = "01-trafficking-and-smuggling"
TOKEN = "course-tests"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, wait_for_jupyter):
    # A copy of the lessons, so autosave cannot write outputs into the committed notebooks.
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    settings = tmp_path_factory.mktemp("lab-settings")
    # Render every cell (no virtual scrolling) and never ask to fetch news from the internet.
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}))
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}", "--ServerApp.allow_root=True",
         f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env={**__import__("os").environ, "JUPYTERLAB_SETTINGS_DIR": str(settings)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_jupyter(url, TOKEN, "JupyterLab")
    except BaseException:  # pytest.fail raises an exception outside Exception
        server.kill()
        raise
    yield url
    server.terminate()
    server.wait(timeout=20)


@pytest.fixture(scope="module")
def chromium():
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_and_run_all(browser, url: str, outside: list[str], wait_until_ready):
    """Open the lesson at url, run every cell from the command palette, and wait for the widgets."""
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.on("request", lambda r: outside.append(r.url)
            if urlparse(r.url).hostname not in ("127.0.0.1", "localhost") and r.url.startswith("http") else None)
    page.set_default_timeout(30_000)
    page.goto(url)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    wait_until_ready(page)
    page.locator(".jp-Notebook").first.click()
    page.keyboard.press("Control+Shift+C")
    page.keyboard.type("Run All Cells")
    page.keyboard.press("Enter")
    page.wait_for_selector(".widget-radio-box", state="attached", timeout=180_000)
    return page


@pytest.fixture(scope="module")
def notebook(lab, chromium):
    outside: list[str] = []
    page = open_and_run_all(chromium, f"{lab}/lab/tree/notebooks/{SLUG}.ipynb?token={TOKEN}", outside,
                            lambda p: p.wait_for_selector("text=Python 3 (ipykernel) | Idle", timeout=120_000))
    page.wait_for_function("document.querySelectorAll('.jp-Cell .jp-InputArea-prompt').length > 0 && "
                           "![...document.querySelectorAll('.jp-InputArea-prompt')].some(p => p.textContent.includes('[*]'))",
                           timeout=180_000)
    yield page
    page.close()
    assert outside == [], f"JupyterLab requested other hosts: {outside}"


def _block_containing(page, text):
    """The innermost widget box that contains this text and its own controls."""
    return page.locator(".widget-vbox", has=page.get_by_text(text, exact=False)).last


def test_live_quiz_gives_feedback(notebook):
    question = content.load(SLUG, "quiz")["questions"][0]
    right = next(o for o in question["options"] if o.get("correct"))
    wrong = next(o for o in question["options"] if not o.get("correct"))
    block = _block_containing(notebook, question["prompt"].strip().split("\n")[0][:40])
    block.get_by_label(wrong["text"], exact=True).check()
    block.get_by_role("button", name="Check answer").click()
    notebook.wait_for_timeout(500)
    assert "Not quite." in block.inner_text()
    block.get_by_label(right["text"], exact=True).check()
    block.get_by_role("button", name="Check answer").click()
    notebook.wait_for_timeout(500)
    assert "Correct." in block.inner_text()


def test_live_classifier_analyses_the_ticked_elements(notebook):
    elements = content.legal_elements()["smuggling"]["elements"]
    block = notebook.locator(".widget-vbox", has=notebook.get_by_role("button", name="Show the legal analysis")).last
    for element in elements:
        block.get_by_label(element["label"], exact=True).check()
    block.get_by_role("button", name="Show the legal analysis").click()
    notebook.wait_for_timeout(500)
    assert "On the elements you ticked: Smuggling of migrants." in block.inner_text()


def test_live_scenario_reaches_its_debrief(notebook):
    title = content.load(SLUG, "scenario")["title"]
    block = _block_containing(notebook, title)
    for _ in range(20):
        if "Debrief" in block.inner_text():
            break
        block.locator(".widget-vbox button").first.click()
        notebook.wait_for_timeout(400)
    assert "Debrief" in block.inner_text()
    assert "Your path" in block.inner_text()


def test_notebook7_runs_the_lesson_with_live_widgets(lab, chromium):
    """Notebook 7 shares JupyterLab's widget manager; check the lesson's widgets work there too."""
    outside: list[str] = []
    # Notebook 7 shows no kernel status text to wait on, so give the kernel a few seconds.
    page = open_and_run_all(chromium, f"{lab}/notebooks/notebooks/{SLUG}.ipynb?token={TOKEN}", outside,
                            lambda p: p.wait_for_timeout(5_000))
    block = page.locator(".widget-vbox", has=page.get_by_role("button", name="Show the legal analysis")).last
    block.get_by_label(content.legal_elements()["smuggling"]["elements"][0]["label"], exact=True).check()
    block.get_by_role("button", name="Show the legal analysis").click()
    page.wait_for_timeout(1_000)
    assert "On the elements you ticked: Neither." in block.inner_text()
    page.close()
    assert outside == [], f"Notebook 7 requested other hosts: {outside}"
