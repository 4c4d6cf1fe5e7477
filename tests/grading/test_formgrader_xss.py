"""Stored XSS in Formgrader: a hostile submission opened for marking runs nothing in the facilitator's browser.

Real parts only: a scratch course with this course's nbgrader_config.py, a hostile learner
(all answers wrong) and an honest one collected and graded with `nbgrader autograde`, a
Jupyter server with nbgrader's formgrader on 127.0.0.1 (token auth), and Debian's Chromium
opening the hostile submission's manual-grading page, as the facilitator's guide says to.

Every payload, if it ran, would do four things: set a window property, change the page's
title, fetch a loopback URL this test serves, and write a file through the Jupyter contents
API with the facilitator's session. The test asserts none happened. The same run with the
course's sanitising taken out (SanitizeLearnerContent removed, HTMLExporter.sanitize_html
off) must show the payloads running, so the detector itself is proven to work.
"""

from __future__ import annotations

import functools
import http.server
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
from nbgrader.api import Gradebook
from traitlets.config.loader import PyFileConfigLoader

from toolkit_course import content
from toolkit_course.grading import collect, roster

from .conftest import answer_key, auto_total, copy_course, score_of
from .hostile_submissions import honest, hostile, regenerate

playwright = pytest.importorskip("playwright.sync_api")

from toolkit_course.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SANITIZER = "toolkit_course.grading.sanitize.SanitizeLearnerContent"
TOKEN = "formgrader-xss-test"
HOSTILE, HONEST = "dara05", "amina01"
MARKDOWN_PAYLOADS = ("md-img", "md-script", "md-svg", "md-link", "md-anchor", "md-iframe")
OUTPUT_PAYLOADS = ("out-html", "out-js", "out-svg")


def _js(name: str, port: int, window: str = "window") -> str:
    """What each payload runs: no spaces and no double quotes, so it fits in attributes and link targets.

    The file is written as a real attack would: with the token from the page's address if there is one,
    else with the XSRF cookie, which opening /lab sets.
    """
    return ("(function(w,n,m,t,h){w['xss_'+n]=1;w.document.title='XSS-'+n;"
            f"fetch('http://127.0.0.1:{port}/hit/'+n,{{mode:'no-cors'}});"
            "t=w.location.search.match(/token=([^&]+)/);"
            "fetch('/lab',{credentials:'same-origin'}).finally(function(){"
            "m=w.document.cookie.match(/_xsrf=([^;]+)/);"
            "h={'Content-Type':'application/json','X-XSRFToken':m?decodeURIComponent(m[1]):''};"
            "if(t){h.Authorization='token\\x20'+t[1]}"
            "fetch('/api/contents/xss-'+n+'.txt',{method:'PUT',credentials:'same-origin',headers:h,"
            "body:JSON.stringify({type:'file',format:'text',content:'pwned'})})})})"
            f"({window},'{name}')")


def hostile_reflection(port: int) -> str:
    js = functools.partial(_js, port=port)
    return "\n\n".join([
        "Persons who have been trafficked must be protected. (All my answers above are wrong.)",
        f'<img src=x onerror="{js("md-img")}">',
        f"<script>{js('md-script')}</script>",
        f'<svg onload="{js("md-svg")}"><circle r="2"></circle></svg>',
        f"[Read my sources](javascript:{js('md-link')})",
        f'<a href="javascript:{js("md-anchor")}">my notes</a>',
        f'<iframe srcdoc="<script>{js("md-iframe", window="parent")}</script>"></iframe>',
    ])


def hostile_outputs(port: int) -> list:
    js = functools.partial(_js, port=port)
    return [
        nbformat.v4.new_output("display_data", data={"text/html": f'<img src=y onerror="{js("out-html")}">',
                                                     "text/plain": "<IPython.core.display.HTML object>"}),
        nbformat.v4.new_output("display_data", data={"application/javascript": js("out-js")}),
        nbformat.v4.new_output("display_data", data={"image/svg+xml": f'<svg onload="{js("out-svg")}"></svg>'}),
    ]


def hostile_notebook(course, slug, port: int):
    """All answers wrong, a reflection full of payloads, and a code cell whose outputs (kept as the learner
    sent them, or made again by running it) are payloads too."""
    notebook = hostile(course, slug)
    reflection = content.load(slug, "assessment")["reflections"][0]["id"]
    cells = []
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == reflection:
            cell.source = hostile_reflection(port)
        cells.append(cell)
        if cell.metadata.get("nbgrader", {}).get("grade_id", "").endswith("-answer") and len(cells) < 6:
            outputs = hostile_outputs(port)
            code = "from IPython.display import display\n" + "\n".join(
                f"display({json.dumps(output['data'])}, raw=True)" for output in outputs)
            cells.append(nbformat.v4.new_code_cell(code, outputs=outputs, execution_count=1))
    notebook.cells = cells
    return notebook


# ---------------------------------------------------------------- the servers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Hits(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self):  # noqa: N802  (the name http.server calls)
        self.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def _autograde_preprocessors(course_root: Path) -> list[str]:
    from nbgrader.converters.autograde import Autograde

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course_root)).load_config()
    chosen = config.Autograde.get("autograde_preprocessors") or Autograde.class_traits()[
        "autograde_preprocessors"].default()
    return [item if isinstance(item, str) else f"{item.__module__}.{item.__name__}" for item in chosen]


def configure(course, sanitised: bool) -> bool:
    """Make the scratch course's nbgrader_config.py sanitise or not; True if the course's own config lacked it."""
    config = course.root / "nbgrader_config.py"
    own = _autograde_preprocessors(course.root)
    without = [item for item in own if item != SANITIZER]
    chosen = without + [SANITIZER] if sanitised else without
    config.write_text(config.read_text(encoding="utf-8") + (
        "\n# Added by tests/grading/test_formgrader_xss.py\n"
        f"c.Autograde.autograde_preprocessors = {chosen!r}\n"
        f"c.HTMLExporter.sanitize_html = {sanitised}\n"), encoding="utf-8")
    return SANITIZER not in own


@pytest.fixture(scope="module", params=["sanitised", "unsanitised"])
def opened(request, tmp_path_factory, wait_for_jupyter):
    """The hostile submission opened in Formgrader; yields what the payloads managed to do."""
    sanitised = request.param == "sanitised"
    monkeypatch = pytest.MonkeyPatch()
    base = tmp_path_factory.mktemp(f"formgrader-{request.param}")
    course = copy_course(base, monkeypatch)
    slug = content.assessed_slugs()[0]
    regenerate(course, slug)
    added = configure(course, sanitised)
    if sanitised and added:
        print(f"\nnote: the course's nbgrader_config.py does not run {SANITIZER}; this test added it")

    hits: list[str] = []
    hit_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("Hits", (_Hits,), {"hits": hits}))
    threading.Thread(target=hit_server.serve_forever, daemon=True).start()
    port = hit_server.server_port

    learners = base / "learners.csv"
    learners.write_text("id,name,email,sex,role\n"
                        f"{HONEST},Amina Diallo,amina@example.org,female,learner\n"
                        f"{HOSTILE},Dara Okafor,dara@example.org,,learner\n", encoding="utf-8")
    people = roster.read_roster(learners)
    roster.register(people, course, roster_path=learners)
    inbox = base / "inbox"
    inbox.mkdir()
    nbformat.write(honest(course, slug), inbox / f"{HONEST}.ipynb")
    nbformat.write(hostile_notebook(course, slug, port), inbox / f"{HOSTILE}.ipynb")
    report = collect.collect_returned(inbox, course, people)
    assert {item.learner for item in report.placed} == {HONEST, HOSTILE}, report.lines()
    graded = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", slug, "--force"], cwd=course.root,
                            env=course.env(), capture_output=True, text=True, timeout=1800)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    with Gradebook(course.db_url) as gradebook:
        submission_id = gradebook.find_submission_notebook(f"{slug}-assessment", slug, HOSTILE).id

    server_port = _free_port()
    home = base / "jupyter-home"
    env = {**course.env(), "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "HOME": str(home)}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "server", "--no-browser", f"--port={server_port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}", "--ServerApp.allow_root=True",
         f"--ServerApp.root_dir={course.root}"],
        cwd=course.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{server_port}"
    try:
        wait_for_jupyter(url, TOKEN, "the Jupyter server with formgrader")
        result = _open_and_watch(course, f"{url}/formgrader/submissions/{submission_id}/?token={TOKEN}", hits,
                                 sanitised)
        yield {**result, "course": course, "slug": slug}
    finally:
        server.terminate()
        server.wait(timeout=30)
        hit_server.shutdown()
        monkeypatch.undo()


def _open_and_watch(course, page_url: str, hits: list[str], sanitised: bool) -> dict:
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        # Offline, as workshops are: only this machine (Formgrader itself and the test's loopback server).
        context.route("**/*", lambda route: route.continue_()
                      if urlparse(route.request.url).hostname in ("127.0.0.1", "localhost")
                      or route.request.url.startswith(("data:", "blob:", "about:")) else route.abort())
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(page_url)
        page.wait_for_selector("#notebook-container")
        page.wait_for_load_state("networkidle")
        title = page.title()
        # The facilitator clicks the learner's links while reading, so any javascript: link is clicked too.
        links = page.locator('#notebook-container a[href^="javascript:" i]')
        for index in range(links.count()):
            links.nth(index).click()
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1_000)  # lets fetches the payloads started reach the servers; nothing is timed
        result = {
            "sanitised": sanitised,
            "window": page.evaluate("Object.keys(window).filter(k => k.startsWith('xss_')).sort()"),
            "title": page.title(), "title_at_load": title,
            "hits": sorted(set(hits)),
            "files": sorted(p.name for p in course.root.glob("xss-*.txt")),
            "javascript_links": links.count(),
            "text": page.inner_text("#notebook-container"),
            "score_box": page.locator("input.score").count(),
        }
        browser.close()
    return result


def ran(result: dict) -> dict[str, set[str]]:
    """Which payloads did each of the four things."""
    prefix = "xss_"
    return {
        "window property": {key.removeprefix(prefix) for key in result["window"]},
        "title": {result["title"].removeprefix("XSS-")} if result["title"].startswith("XSS-") else set(),
        "loopback fetch": {hit.removeprefix("/hit/") for hit in result["hits"]},
        "file written": {name.removeprefix("xss-").removesuffix(".txt") for name in result["files"]},
    }


def test_nothing_runs_when_a_hostile_submission_is_opened_for_marking(opened):
    effects = ran(opened)
    print(f"\n{'with' if opened['sanitised'] else 'WITHOUT'} sanitising, payloads that ran: "
          + json.dumps({what: sorted(names) for what, names in effects.items()}))
    # The page really shows this learner's work, and Formgrader works on it.
    assert opened["score_box"] >= 1 and "Persons who have been trafficked must be protected" in opened["text"]
    if not opened["sanitised"]:
        # The detector works: without the course's sanitising, the markdown payloads run and reach every target.
        assert set(MARKDOWN_PAYLOADS) - {"md-link", "md-anchor"} <= effects["window property"]
        assert {"md-img", "md-script"} <= effects["loopback fetch"] & effects["file written"]
        assert opened["javascript_links"] >= 1
        return
    assert effects == {"window property": set(), "title": set(), "loopback fetch": set(), "file written": set()}
    assert opened["javascript_links"] == 0
    # What the learner wrote is shown, as text: the facilitator can still read and mark it.
    for visible in ("<img src=x onerror=", "<script>", "<svg onload=", "javascript:", "<iframe srcdoc="):
        assert visible in opened["text"]


def test_the_hostile_learner_gets_the_mark_their_wrong_answers_deserve(opened):
    """Grading is untouched by the payloads: wrong answers score 0, the honest learner in the batch full marks."""
    course, slug = opened["course"], opened["slug"]
    assert auto_total(course, HOSTILE, slug) == 0
    assert auto_total(course, HONEST, slug) == score_of(answer_key(slug), slug) > 0
