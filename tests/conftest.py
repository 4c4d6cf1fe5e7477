"""Shared fixtures. The book is built once per test session, with warnings as errors."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from toolkit_course import assessment_notebook, chromium, content, release

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """The HTML book, built from this checkout into a scratch folder.

    Set TOOLKIT_BOOK_HTML to an existing build to skip rebuilding while working on tests.
    """
    existing = os.environ.get("TOOLKIT_BOOK_HTML")
    if existing:
        return Path(existing)
    out = tmp_path_factory.mktemp("book")
    result = subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(REPO), "--path-output", str(out),
         "--warningiserror", "--nitpick", "--keep-going", "--builder", "html"],
        capture_output=True, text=True)
    assert result.returncode == 0, f"book build failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    return out / "_build" / "html"


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, one per test module (toolkit_course.chromium has its flags)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    assert Path(chromium.CHROMIUM).exists(), chromium.MISSING
    with sync_api.sync_playwright() as driver:
        launched = chromium.launch(driver)
        yield launched
        launched.close()


def _wait_for_jupyter(url: str, token: str, what: str, tries: int = 240) -> None:
    for _ in range(tries):
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=1)
            return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"{what} did not start")


@pytest.fixture(scope="session")
def wait_for_jupyter():
    """wait_for_jupyter(url, token, what): wait until a Jupyter server a test started answers; fail naming it."""
    return _wait_for_jupyter


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def book_url(built_book):
    """The built book served on localhost, as a learner's browser would open it."""
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


class ScratchCourse:
    """A scratch copy of the course in which real nbgrader releases and grades assessments.

    nbgrader runs the public way: `python -m nbgrader ...` with the course's nbgrader_config.py,
    from the scratch course root, in the environment release.nbgrader_env gives it. Its gradebook
    and submissions stay in the scratch folder, never in the shared grading workspace.
    """

    def __init__(self, root: Path):
        self.root = root
        shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
        self.workspace = root / "grading-workspace"
        self.env = release.nbgrader_env(self.workspace)

    def _nbgrader(self, *args: str) -> None:
        result = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--force"],
                                cwd=self.root, env=self.env, capture_output=True, text=True)
        assert result.returncode == 0, (
            f"nbgrader {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-4000:]}")

    def release(self, slug: str) -> nbformat.NotebookNode:
        """The student version nbgrader makes from the module's current assessment.yaml.

        Generated here rather than copied from exercises/, so the check follows the content file
        even before `make release` (tests/test_assessments.py checks that the committed copy matches).
        """
        assessment_notebook.write(self.root, slug)
        self._nbgrader("generate_assignment", slug)
        return nbformat.read(self.root / "exercises" / slug / assessment_notebook.notebook_name(slug), as_version=4)

    def release_all(self) -> dict[str, nbformat.NotebookNode]:
        """Every assessed module's student version, made by one `nbgrader generate_assignment "*"`."""
        release.render_solutions(self.root)
        release.generate_exercises(self.root, workspace=self.workspace)
        return {slug: nbformat.read(self.root / "exercises" / slug / assessment_notebook.notebook_name(slug),
                                    as_version=4)
                for slug in content.assessed_slugs()}

    def autograde_all(self, submissions: dict[tuple[str, str], nbformat.NotebookNode]) -> dict[tuple[str, str], dict]:
        """Grade (module, student) -> notebook for every module in ONE `nbgrader autograde "*"` run.

        Starting nbgrader costs seconds and grading a notebook a fraction of one, so the answer-key and
        validity tests hand in all their cases together rather than one run per module.
        """
        from nbgrader.api import Gradebook

        for (slug, student), notebook in submissions.items():
            target = self.workspace / "submitted" / student / slug / assessment_notebook.notebook_name(slug)
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, target)
        self._nbgrader("autograde", "*")
        scores = {}
        with Gradebook(f"sqlite:///{self.workspace / 'gradebook.db'}") as gradebook:
            for slug, student in submissions:
                notebook = gradebook.find_submission_notebook(assessment_notebook.notebook_name(slug)[:-len(".ipynb")],
                                                              slug, student)
                scores[(slug, student)] = {g.name: g.auto_score for g in notebook.grades if g.auto_score is not None}
        return scores

    def autograde(self, slug: str, submissions: dict[str, nbformat.NotebookNode]) -> dict[str, dict[str, float]]:
        """Grade every submission (student id -> filled notebook) in one `nbgrader autograde` run.

        Returns each student's auto-graded scores by grade id (the item id of each hidden test).
        """
        from nbgrader.api import Gradebook  # imported here: most test files never grade

        name = assessment_notebook.notebook_name(slug)
        for student, notebook in submissions.items():
            target = self.workspace / "submitted" / student / slug / name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, target)
        self._nbgrader("autograde", slug)
        with Gradebook(f"sqlite:///{self.workspace / 'gradebook.db'}") as gradebook:
            return {student: {g.name: g.auto_score
                              for g in gradebook.find_submission_notebook(name[:-len(".ipynb")], slug, student).grades
                              if g.auto_score is not None}
                    for student in submissions}


@pytest.fixture(scope="session")
def make_scratch_course(tmp_path_factory):
    """A new, empty ScratchCourse each call, for a test module that grades its own cases."""
    return lambda: ScratchCourse(tmp_path_factory.mktemp("scratch-course"))


@pytest.fixture(scope="session")
def scratch_course(tmp_path_factory) -> ScratchCourse:
    return ScratchCourse(tmp_path_factory.mktemp("scratch-course"))
