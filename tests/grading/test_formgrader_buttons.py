"""Every Formgrader button, pressed as a facilitator would: none writes a hidden test anywhere, none grades
outside the course's pipeline.

Real parts only: a scratch course whose first module also has a computed item (so grading starts the
bubblewrap sandbox), this course's nbgrader_config.py, a Jupyter server with nbgrader's Formgrader on
127.0.0.1 (token auth) and Debian's Chromium. Three learners: one honest and one hostile, whose notebooks
come by e-mail (`toolkit-course collect`), and one with wrong answers who hands in through nbgrader's
exchange when Formgrader offers Release and Collect. The hostile notebook holds code that, if anything ran
it outside the sandbox, would write canary files next to the course.

The walk: Manage Assignments -> Generate, Release, Collect; Manage Submissions -> each learner's Autograde;
Manual Grading -> the module's submissions, then the hostile one, whose reflection gets a score; Manage
Submissions -> one learner's Generate Feedback; Manage Assignments -> Generate Feedback, Release Feedback.
After each click, every file written or changed under the course, the workspace, the exchange and the
server's home is searched for the hidden tests' text (taken from the instructor notebook); only the
facilitator's own copies may hold it.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
import yaml
from nbgrader.exchange.default.exchange import Exchange

from toolkit_course import assessment_notebook, content
from toolkit_course.grading import collect, feedback, results, roster
from toolkit_course.grading.layout import layout as make_layout

from .conftest import COURSE_PARTS, REPO, answer_key, answered, auto_total, score_of, wrong_answers

playwright = pytest.importorskip("playwright.sync_api")

from toolkit_course.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]
TOKEN = "formgrader-buttons-test"
HONEST, WRONG, HOSTILE = "amina01", "bruno02", "dara05"
COMPUTED = yaml.safe_load((Path(__file__).parent / "fixtures" / "computed-item.yaml").read_text(encoding="utf-8"))
# What only the course's preprocessors write into a graded copy: ReadLiteralAnswers, and RunComputedCells
# with the sandbox's report. The hostile code's canary folder exists on this computer, so "No such file"
# also shows that the code ran where this computer's folders cannot be seen.
PIPELINE_SAYS = ("Read for grading:", "ignored and not run", "When the code was run for grading",
                 "stopped with FileNotFoundError")


# ---------------------------------------------------------------- what must never leak


def hidden_test_texts(instructor_notebook: Path) -> list[str]:
    """The lines of every BEGIN/END HIDDEN TESTS block that appear nowhere else in the instructor notebook."""
    notebook = nbformat.read(instructor_notebook, as_version=4)
    hidden, shown = [], []
    for cell in notebook.cells:
        inside = False
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            else:
                (hidden if inside else shown).append(line.strip())
    own = sorted({line for line in hidden if len(line) >= 12 and line not in shown})
    assert len([line for line in own if line.startswith("assert")]) >= 2, own
    return own + ["BEGIN HIDDEN TESTS"]


def _readable_texts(data: bytes) -> list[str]:
    """The file as stored, as a browser shows it (tags dropped, entities undone) and as JSON strings."""
    text = data.decode("utf-8", errors="replace")
    texts = [text, html.unescape(re.sub(r"<[^>]+>", "", text))]
    try:
        texts.append("\n".join(_strings(json.loads(text))))
    except (ValueError, RecursionError):
        pass
    return texts


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return value.splitlines()
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


class Watcher:
    """The files under some folders, and which of them a step wrote or changed."""

    def __init__(self, roots: list[Path], facilitator_only: list[Path], texts: list[str]):
        self.roots, self.facilitator_only, self.texts = roots, facilitator_only, texts
        self.before = self._files()
        self.leaks: dict[str, list[str]] = {}
        self.changed: dict[str, list[Path]] = {}

    def _files(self) -> dict[Path, tuple]:
        found = {}
        for root in self.roots:
            for folder, _, names in os.walk(root):
                for name in names:
                    path = Path(folder, name)
                    try:
                        info = path.lstat()
                    except OSError:
                        continue
                    found[path] = (info.st_mtime_ns, info.st_size, info.st_ino)
        return found

    def step(self, name: str) -> list[Path]:
        """Search what changed since the last step; remember leaks under the step's name."""
        now = self._files()
        changed = sorted(path for path, stamp in now.items() if self.before.get(path) != stamp)
        self.before = now
        self.changed[name] = changed
        for path in changed:
            if any(path.is_relative_to(allowed) for allowed in self.facilitator_only) or path.is_symlink():
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            found = sorted({text for text in self.texts for variant in _readable_texts(data) if text in variant})
            if found:
                self.leaks.setdefault(name, []).append(f"{path}: {found[:3]}")
        return changed


# ---------------------------------------------------------------- the scratch course and its learners


def scratch_course(base: Path, monkeypatch, slug: str):
    """A course folder with content/, nbgrader_config.py and one module's instructor version only.

    That module also gets the fixture's computed item, so grading it starts the sandbox. Its student
    version is left for Formgrader's Generate button to make.
    """
    root = base / "course"
    root.mkdir()
    for part in COURSE_PARTS:
        (shutil.copytree if (REPO / part).is_dir() else shutil.copy2)(REPO / part, root / part)
    monkeypatch.setenv("TOOLKIT_COURSE_CONTENT", str(root / "content"))
    monkeypatch.setenv("TOOLKIT_GRADING_WORKSPACE", str(base / "workspace"))
    course = make_layout(root, base / "workspace")
    path = course.content / slug / "assessment.yaml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec["computed"] = [COMPUTED]
    path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    assessment_notebook.write(course.root, slug)
    return course


def _canary_code(canary: Path) -> str:
    return f"import pathlib\npathlib.Path({str(canary)!r}).write_text('ran outside the sandbox')\n"


def learner_notebooks(course, slug, canaries: dict[str, Path]) -> dict[str, nbformat.NotebookNode]:
    """Honest (all right), wrong (all wrong) and hostile (all wrong, with code that writes canaries)."""
    first_variable = next(iter(answer_key(slug)))
    wrong = wrong_answers(slug)
    hostile_code = {first_variable: f"{first_variable} = {wrong[first_variable]!r}\n" + _canary_code(canaries["literal"])}
    notebooks = {HONEST: answered(course, slug, answer_key(slug)), WRONG: answered(course, slug, wrong_answers(slug)),
                 HOSTILE: answered(course, slug, wrong, hostile_code)}
    computed_code = {HONEST: COMPUTED["starter_code"] + COMPUTED["solution_code"],
                     WRONG: "forced_labour_change = 4\nlargest_form_2022 = 'sexual exploitation'\n",
                     HOSTILE: _canary_code(canaries["computed"]) + "forced_labour_change = 4\n"}
    return {learner: assessment_notebook.fill_answers(notebook, {}, code={COMPUTED["id"]: computed_code[learner]})
            for learner, notebook in notebooks.items()}


def _exchange_submission(exchange_course: Path, learner: str, slug: str, notebook) -> None:
    """A submission as nbgrader's Assignments tab leaves it in the exchange's inbound folder."""
    folder = exchange_course / "inbound" / f"{learner}+{slug}+2026-01-02 10:00:00.000000 UTC+abcdef"
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / f"{slug}-assessment.ipynb")
    (folder / "timestamp.txt").write_text("2026-01-02 10:00:00.000000 UTC", encoding="utf-8")
    (folder / "submission_secret.txt").write_text("f" * 128, encoding="utf-8")


# ---------------------------------------------------------------- the server and the browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(course, home: Path):
    port = _free_port()
    env = {**course.env(), "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "HOME": str(home)}
    log = open(home / "server.log", "wb")  # noqa: SIM115  (closed with the server)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter"), "server", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}", "--ServerApp.allow_root=True",
         f"--ServerApp.root_dir={course.root}"],
        cwd=course.root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=1)
            return server, log, url
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.5)
    server.terminate()
    pytest.fail("the Jupyter server with formgrader did not start: " + (home / "server.log").read_text()[-3000:])


class Facilitator:
    """Formgrader in Chromium: go to a page, press a button, read nbgrader's answer."""

    def __init__(self, page, url: str):
        self.page, self.url = page, url
        self.answers: dict[str, dict] = {}

    def open(self, path: str) -> None:
        self.page.goto(f"{self.url}/formgrader/{path}?token={TOKEN}")
        self.page.wait_for_load_state("networkidle")

    def row(self, cell: str, text: str):
        return self.page.locator("tr", has=self.page.locator(f"td.{cell}", has_text=re.compile(f"^{re.escape(text)}$")))

    def press(self, name: str, row, column: str, api_path: str) -> dict | None:
        """Click the row's button in `column`; return nbgrader's answer, or None if the button is not offered."""
        row.first.wait_for()
        button = row.locator(f"td.{column} a")
        if button.count() == 0:
            self.answers[name] = {"offered": False}
            return None
        with self.page.expect_response(lambda r: r.url.split("?")[0].endswith(api_path), timeout=600_000) as info:
            button.first.click()
        answer = json.loads(info.value.json()) if isinstance(info.value.json(), str) else info.value.json()
        self.answers[name] = {"offered": True, **answer}
        modal = self.page.locator(".modal.in")
        modal.first.wait_for()
        modal.first.get_by_role("button", name="OK").click()
        self.page.wait_for_selector(".modal.in, .modal-backdrop", state="detached")
        self.page.wait_for_load_state("networkidle")
        return answer


# ---------------------------------------------------------------- the walk


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    started = time.monotonic()
    monkeypatch = pytest.MonkeyPatch()
    base = tmp_path_factory.mktemp("formgrader-buttons")
    slug = content.assessed_slugs()[0]
    course = scratch_course(base, monkeypatch, slug)
    texts = hidden_test_texts(course.source / slug / f"{slug}-assessment.ipynb")
    canaries = {"literal": base / "canary-literal.txt", "computed": base / "canary-computed.txt"}

    learners_csv = base / "learners.csv"
    learners_csv.write_text("id,name,email,sex,role\n"
                            f"{HONEST},Amina Diallo,amina@example.org,female,learner\n"
                            f"{WRONG},Bruno Costa,bruno@example.org,male,learner\n"
                            f"{HOSTILE},Dara Okafor,dara@example.org,,learner\n", encoding="utf-8")
    people = roster.read_roster(learners_csv)
    roster.register(people, course, roster_path=learners_csv)

    home = base / "jupyter-home"
    home.mkdir()
    server, log, url = _start_server(course, home)
    exchange = Path(results.course_config(course.root, course.workspace).Exchange.get("root")
                    or Exchange.class_traits()["root"].default())
    # Where the hidden tests belong, by nbgrader's design: the instructor version, the gradebook, and the
    # autograded copy that Formgrader shows the facilitator for marking. Nothing a learner receives is there.
    watcher = Watcher([course.root, course.workspace, home, exchange],
                      [course.source, course.autograded, course.gradebook], texts)
    record = {"course": course, "slug": slug, "texts": texts, "canaries": canaries, "watcher": watcher,
              "exchange": exchange, "seconds": {}}
    try:
        with playwright.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context()
            context.route("**/*", lambda route: route.continue_()
                          if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))
                          else route.abort())
            page = context.new_page()
            page.set_default_timeout(120_000)
            you = Facilitator(page, url)
            record["facilitator"] = you
            _play(you, record, people, base)
            browser.close()
        yield record
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
        monkeypatch.undo()
        print(f"\nformgrader walk: {time.monotonic() - started:.0f} s in all; per step (s): "
              + json.dumps({k: round(v, 1) for k, v in record["seconds"].items()}))


def _play(you: Facilitator, record: dict, people, base: Path) -> None:
    course, slug, watcher = record["course"], record["slug"], record["watcher"]
    clock = time.monotonic()

    def step(name: str) -> None:
        nonlocal clock
        watcher.step(name)
        record["seconds"][name] = time.monotonic() - clock
        clock = time.monotonic()

    you.open("manage_assignments")
    you.row("name", slug).first.wait_for()
    record["warnings"] = [you.page.locator(f"#{warning}").inner_text() for warning in
                          ("warning-exchange", "warning-course-id", "warning-windows")
                          if you.page.locator(f"#{warning}").count()]
    step("open Manage Assignments")

    you.press("Generate", you.row("name", slug), "assign", f"/api/assignment/{slug}/assign")
    step("Generate")
    notebooks = learner_notebooks(course, slug, record["canaries"])

    released = you.press("Release", you.row("name", slug), "release", f"/api/assignment/{slug}/release")
    step("Release")

    # The facilitator saves the e-mailed notebooks in a folder and collects them, as the guide says.
    by_exchange = bool(released and released.get("success"))
    inbox = base / "inbox"
    inbox.mkdir()
    for learner in (HONEST, HOSTILE) + (() if by_exchange else (WRONG,)):
        nbformat.write(notebooks[learner], inbox / f"{learner} assessment.ipynb")
    if by_exchange:
        _exchange_submission(record["exchange"] / _course_id(record), WRONG, slug, notebooks[WRONG])
    record["emailed"] = collect.collect_returned(inbox, course, people)
    step("collect e-mailed files (toolkit-course collect)")

    you.open("manage_assignments")
    you.press("Collect", you.row("name", slug), "collect", f"/api/assignment/{slug}/collect")
    step("Collect")
    record["submitted"] = sorted(p.parent.parent.name for p in course.submitted.glob(f"*/{slug}/*.ipynb"))

    you.open(f"manage_submissions/{slug}")
    for learner in (HONEST, WRONG, HOSTILE):
        if course.submission(learner, slug).exists():
            you.press(f"Autograde {learner}", you.row("student-id", learner), "autograde",
                      f"/api/submission/{slug}/{learner}/autograde")
            step(f"Autograde {learner}")

    # Manual grading, before feedback as the guide says: the gradebook's submission list for the module, then the hostile learner's notebook.
    you.open(f"gradebook/{slug}/{slug}-assessment")
    you.page.locator("a", has_text="Submission #").first.wait_for()
    you.open(f"submissions/{_submission_id(course, slug, HOSTILE)}/")
    you.page.wait_for_selector("#notebook-container")
    reflection = content.load(slug, "assessment")["reflections"][0]
    score = you.page.locator(f"input.score[id='{reflection['id']}']")
    with you.page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT"):
        score.fill(str(reflection["points"]))
        score.press("Tab")
    record["marking_page"] = you.page.inner_text("#notebook-container")
    step("Manual Grading: score the reflection")

    you.open(f"manage_submissions/{slug}")
    you.press(f"Generate Feedback {HOSTILE}", you.row("student-id", HOSTILE), "generate-feedback",
              f"/api/assignment/{slug}/{HOSTILE}/generate_feedback")
    step(f"Generate Feedback {HOSTILE}")

    you.open("manage_assignments")
    you.press("Generate Feedback", you.row("name", slug), "generate-feedback",
              f"/api/assignment/{slug}/generate_feedback")
    step("Generate Feedback")
    you.press("Release Feedback", you.row("name", slug), "release-feedback",
              f"/api/assignment/{slug}/release_feedback")
    step("Release Feedback")



def _course_id(record) -> str:
    return results.course_config(record["course"].root, record["course"].workspace).CourseDirectory.get(
        "course_id") or ""


def _submission_id(course, slug, learner) -> str:
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gradebook:
        return gradebook.find_submission_notebook(f"{slug}-assessment", slug, learner).id


# ---------------------------------------------------------------- what the walk must show


def test_no_button_writes_a_hidden_test_outside_the_facilitators_copies(walk):
    watcher = walk["watcher"]
    # The search works: the facilitator's own autograded copy does hold the tests it looks for.
    autograded = walk["course"].autograded_notebook(HOSTILE, walk["slug"]).read_bytes()
    assert any(text in variant for text in walk["texts"] for variant in _readable_texts(autograded))
    # And each step did write files, so there was something to search.
    for name in ("Generate", f"Autograde {HOSTILE}", "Generate Feedback", f"Generate Feedback {HOSTILE}"):
        assert watcher.changed[name], f"{name}: wrote nothing"
    assert watcher.leaks == {}, "hidden tests written by: " + json.dumps(watcher.leaks, indent=1)


def test_every_button_that_is_offered_works(walk):
    answers = walk["facilitator"].answers
    failed = {name: (answer.get("error") or answer.get("log") or "")[-1500:]
              for name, answer in answers.items() if answer["offered"] and not answer.get("success")}
    assert not failed, "\n\n".join(f"{name}:\n{why}" for name, why in failed.items())
    for name in ("Generate", f"Autograde {HONEST}", f"Autograde {HOSTILE}", "Generate Feedback",
                 f"Generate Feedback {HOSTILE}", "Release", "Collect", "Release Feedback"):
        assert answers[name]["offered"], f"Formgrader does not offer {name}"


def test_no_exchange_warning_for_a_facilitator_working_from_emailed_files(walk):
    assert walk["warnings"] == []


def test_autograde_button_grades_through_the_course_pipeline_and_runs_nothing_outside_the_sandbox(walk):
    course, slug, canaries = walk["course"], walk["slug"], walk["canaries"]
    assert walk["submitted"] == sorted([HONEST, WRONG, HOSTILE])
    graded = nbformat.read(course.autograded_notebook(HOSTILE, slug), as_version=4)
    said = "\n".join(output.get("text", "") for cell in graded.cells for output in cell.get("outputs", []))
    missing = [sentence for sentence in PIPELINE_SAYS if sentence not in said]
    assert missing == [], f"the hostile notebook was not graded by the course's pipeline: {missing}"
    assert [path.name for path in canaries.values() if path.exists()] == []
    assert auto_total(course, HOSTILE, slug) == 0
    assert auto_total(course, HONEST, slug) == score_of(answer_key(slug), slug) + COMPUTED["points"]
    # The detector works: the same code, run on this computer outside the sandbox, does write the canaries.
    control = walk["course"].workspace.parent / "control"
    control.mkdir(exist_ok=True)
    for name in canaries:
        code = _canary_code(control / f"{name}.txt")
        subprocess.run([sys.executable, "-c", code], check=True)
        assert (control / f"{name}.txt").exists()


def test_manual_grading_saves_the_score_the_facilitator_typed(walk):
    course, slug = walk["course"], walk["slug"]
    reflection = content.load(slug, "assessment")["reflections"][0]
    graded = results.load_cohort(course.root, course.workspace, slugs=[slug]).result(HOSTILE, slug).item(
        reflection["id"])
    assert (graded.score, graded.waiting) == (float(reflection["points"]), False)
    # The marking page showed the graded copy, with what grading read from each answer box.
    assert "Read for grading:" in walk["marking_page"]


def test_feedback_buttons_write_the_courses_own_page(walk):
    """nbgrader's Generate Feedback writes, at the path the course's page uses, the course's page itself."""
    course, slug = walk["course"], walk["slug"]
    cohort = results.load_cohort(course.root, course.workspace, slugs=[slug])
    module = cohort.module(slug)
    for learner in cohort.learners:
        page = feedback.default_folder(cohort, learner.id, slug) / f"{module.notebook_id}.html"
        assert page.read_text(encoding="utf-8") == feedback.render_page(cohort, learner, module), learner
    # Release Feedback hands out, through the exchange, only the course's pages, and names every learner
    # whose submission has no nbgrader secret to address a page with, as every e-mailed one: those the
    # facilitator sends by e-mail.
    released = sorted((walk["exchange"] / _course_id(walk) / "feedback").glob("*.html"))
    pages = {feedback.render_page(cohort, learner, module) for learner in cohort.learners}
    assert [path for path in released if path.read_text(encoding="utf-8") not in pages] == []
    log = walk["facilitator"].answers["Release Feedback"].get("log", "")
    for learner in (HONEST, HOSTILE):
        assert f"{learner}: not released through the exchange" in log
