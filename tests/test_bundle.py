"""`make bundle`: the offline zip for a USB stick.

Two kinds of test:
- the zip's contents: the book, the lesson notebooks and the student exercises are in it, and no answer
  key, hidden test, marking rubric or instructor notebook is (what to look for is read from solutions/
  and content/*/assessment.yaml, so a new item is covered without editing this file);
- the unzipped book opened the way a learner opens it, by double-clicking index.html: a file:// address,
  no server, in Debian's Chromium. Every kind of component is walked, search is run, and any request
  that is not a local file fails the test.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest

from toolkit_course import bundle, content
from toolkit_course.components.checklist import rate

REPO = Path(__file__).resolve().parents[1]
LOCAL_SCHEMES = ("file", "data", "blob", "about")
pytestmark = pytest.mark.slow  # every test here needs the built book
BLOCK_MARKERS = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)


@pytest.fixture(scope="module")
def zip_path(built_book, tmp_path_factory) -> Path:
    made = bundle.make_bundle(built_book, tmp_path_factory.mktemp("bundle") / "toolkit-course-offline.zip")
    assert made.files > 0 and made.size == made.path.stat().st_size
    return made.path


@pytest.fixture(scope="module")
def unzipped(zip_path, tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("usb-stick")
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(where)
    return where / bundle.TOP


# ---- what is in the zip -------------------------------------------------------------------------

def hidden_blocks(source: str) -> list[tuple[str, str]]:
    """(SOLUTION or HIDDEN TESTS, the lines between the markers) in an instructor cell."""
    return [(kind, block) for kind, block in BLOCK_MARKERS.findall(source)]


def instructor_only_texts() -> list[tuple[str, str]]:
    """(where it comes from, text) for what only the instructor may see and that is specific to one item,
    read from the sources, so that finding it anywhere in the bundle means it leaked. Generic lines such as
    `answer_q1 = "b"` (which a lesson may use as an example) are checked per cell instead: see
    solution_lines_by_cell."""
    texts = [("nbgrader", "Marking rubric (instructor version only)")]
    for notebook_path in sorted((REPO / "solutions").rglob("*.ipynb")):
        notebook = nbformat.read(notebook_path, as_version=4)
        for cell in notebook.cells:
            for kind, block in hidden_blocks(cell.source):
                if kind == "HIDDEN TESTS":
                    texts += [(str(notebook_path.relative_to(REPO)), line.strip()) for line in block.splitlines()
                              if len(line.strip()) >= 12 and not line.strip().startswith(("from ", "import "))]
    for slug in content.gradable_slugs():  # the modules' assessments and the workshop's pre/post-tests
        spec = content.load(slug, "assessment")
        where = f"content/{slug}/assessment.yaml"
        # An explanation's first line often restates a rule the lessons teach; its first two lines together
        # are specific to the item (the same rule as tests/test_book.py).
        texts += [(where, " ".join(item["explanation"].split("\n")[:2]).strip()) for item in spec["items"]]
        for reflection in spec.get("reflections", []):
            criteria = re.split(r"\n- ", "\n" + reflection["rubric"].strip())
            texts += [(where, criterion) for criterion in criteria if len(criterion.split()) >= 12]
    return texts


def solution_lines_by_cell() -> dict[tuple[str, str], list[str]]:
    """(exercise notebook path under exercises/, grade_id) -> the lines of that cell's solution."""
    lines = {}
    for notebook_path in sorted((REPO / "solutions").rglob("*.ipynb")):
        notebook = nbformat.read(notebook_path, as_version=4)
        relative = notebook_path.relative_to(REPO / "solutions").as_posix()
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            solution = [line.strip() for kind, block in hidden_blocks(cell.source) if kind == "SOLUTION"
                        for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]
            if grade_id and solution:
                lines[(relative, grade_id)] = solution
    return lines


def zip_texts(zip_path: Path) -> dict[str, str]:
    with zipfile.ZipFile(zip_path) as archive:
        return {name: archive.read(name).decode("utf-8", errors="replace") for name in archive.namelist()
                if Path(name).suffix in bundle.TEXT_SUFFIXES}


def normalised(text: str) -> str:
    """One space between words; JSON-escaped quotes undone, so a notebook's source lines compare as text."""
    return " ".join(text.replace('\\"', '"').replace("\\n", " ").split())


def test_zip_holds_the_book_the_notebooks_and_the_exercises(zip_path):
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
    top = bundle.TOP
    for required in ("index.html", "search.html", "searchindex.js", "START-HERE.html", "START-HERE.txt"):
        assert f"{top}/{required}" in names
    for slug in content.published_slugs():
        assert f"{top}/notebooks/{slug}.html" in names
        assert f"{top}/jupyter/notebooks/{slug}.ipynb" in names
    exercises = sorted(p.relative_to(REPO / "exercises").as_posix() for p in (REPO / "exercises").rglob("*.ipynb")
                       if ".ipynb_checkpoints" not in p.parts)
    assert exercises
    for exercise in exercises:
        workshop_test = exercise.split("/")[0] in content.WORKSHOP_TESTS
        # The pre-test and post-test stay out, so a learner cannot read the post-test in advance.
        assert (f"{top}/jupyter/exercises/{exercise}" in names) != workshop_test, exercise


def find_leaks(zip_path: Path) -> list[tuple]:
    """Everything instructor-only found in a zip: paths, nbgrader markers, hidden tests, explanations, rubrics."""
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
    leaks = [(n, "path") for n in names if "solutions/" in n or n.endswith("assessment.yaml") or "grading-workspace" in n]
    secrets = instructor_only_texts()
    assert len(secrets) > 100, "too few instructor-only texts found: this test would prove nothing"
    for name, text in zip_texts(zip_path).items():
        text = normalised(text)
        leaks += [(name, marker) for marker in bundle.INSTRUCTOR_MARKERS if marker in text]
        leaks += [(name, where, secret) for where, secret in secrets if normalised(secret) in text]
    return leaks


def test_zip_holds_no_answer_key_hidden_test_rubric_or_instructor_notebook(zip_path):
    leaks = find_leaks(zip_path)
    assert leaks == [], f"instructor-only material in the bundle: {leaks[:10]}"


def test_the_leak_check_finds_an_instructor_notebook_under_a_student_name(zip_path, tmp_path):
    """Proof that the check above can fail: a copy of the zip where one exercise is swapped for the
    instructor version (same file name, as nbgrader names them) is caught, hidden tests and all."""
    doctored = tmp_path / "doctored.zip"
    instructor = next((REPO / "solutions").rglob("*.ipynb"))
    swapped = f"{bundle.TOP}/jupyter/exercises/{instructor.relative_to(REPO / 'solutions').as_posix()}"
    with zipfile.ZipFile(zip_path) as source, zipfile.ZipFile(doctored, "w") as target:
        for name in source.namelist():
            target.writestr(name, instructor.read_bytes() if name == swapped else source.read(name))
    leaks = find_leaks(doctored)
    assert {leak[0] for leak in leaks} == {swapped}
    assert any("assert" in str(leak[-1]) for leak in leaks), "the hidden tests were not recognised"


def test_student_exercises_carry_no_solution_in_their_answer_cells(zip_path):
    solutions = solution_lines_by_cell()
    assert solutions, "no solution cells found in solutions/: this test would prove nothing"
    checked = 0
    with zipfile.ZipFile(zip_path) as archive:
        for name in archive.namelist():
            prefix = f"{bundle.TOP}/jupyter/exercises/"
            if not (name.startswith(prefix) and name.endswith(".ipynb")):
                continue
            notebook = nbformat.reads(archive.read(name).decode("utf-8"), as_version=4)
            relative = name[len(prefix):]
            for cell in notebook.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                for line in solutions.get((relative, grade_id), []):
                    checked += 1
                    assert line not in cell.source, f"{name}, cell {grade_id}: the solution {line!r} is in it"
    assert checked >= len(solutions)


def test_the_bundler_refuses_an_instructor_notebook(built_book, tmp_path):
    fake_repo = tmp_path / "course"
    (fake_repo / "notebooks").mkdir(parents=True)
    (fake_repo / "exercises" / "00-orientation").mkdir(parents=True)
    leaked = next((REPO / "solutions").rglob("*.ipynb"))
    (fake_repo / "exercises" / "00-orientation" / "00-orientation-assessment.ipynb").write_bytes(leaked.read_bytes())
    out = tmp_path / "out.zip"
    with pytest.raises(bundle.BundleError, match="only the instructor version"):
        bundle.make_bundle(built_book, out, fake_repo)
    assert not out.exists() and not out.with_suffix(".zip.part").exists()


def test_a_missing_book_is_reported_clearly(tmp_path):
    with pytest.raises(bundle.BundleError, match="make book"):
        bundle.make_bundle(tmp_path / "html", tmp_path / "out.zip")


# ---- the unzipped book, opened from file:// -------------------------------------------------------



@pytest.fixture
def tab(browser):
    """A tab that records every request; anything that is not a local file is refused and fails the test."""
    context = browser.new_context(accept_downloads=True)
    requests: list[str] = []
    failed: list[str] = []
    errors: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    context.on("requestfailed", lambda request: failed.append(f"{request.url} ({request.failure})"))

    def guard(route):
        if urlparse(route.request.url).scheme in LOCAL_SCHEMES:
            route.continue_()
        else:
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    outside = [url for url in requests if urlparse(url).scheme not in LOCAL_SCHEMES]
    assert requests, "no request was seen: the request log is broken"
    assert outside == [], f"the bundle tried to load from other hosts: {outside}"
    assert failed == [], f"local files the bundle lacks or the browser refused: {failed}"
    # Errors that only happen because the book is opened from file:// (the theme's own errors are
    # another test's business).
    file_errors = [e for e in errors if re.search(r"fetch|CORS|file://|local resource|ERR_", e, re.I)]
    assert file_errors == [], f"the book fails from file://: {file_errors}"


def open_page(tab, unzipped: Path, relative: str):
    tab.goto((unzipped / relative).as_uri())
    tab.wait_for_selector("[data-tc-ready]", state="attached")


@pytest.mark.browser
def test_index_opens_from_the_folder(tab, unzipped):
    tab.goto((unzipped / "index.html").as_uri())
    # index.html forwards to the book's first page, still from the same folder.
    tab.wait_for_url(re.compile(r"^file://.*/book/intro\.html$"))
    tab.wait_for_load_state("load")
    assert tab.locator("article h1").count() >= 1
    start_here = (unzipped / "START-HERE.html").as_uri()
    tab.goto(start_here)
    tab.get_by_role("link", name="index.html").click()
    tab.wait_for_url(re.compile(r"^file://.*/book/intro\.html$"))


@pytest.mark.browser
def test_quiz_works_from_file(tab, unzipped):
    slug = "01-trafficking-and-smuggling"
    question = content.load(slug, "quiz")["questions"][0]
    right = next(o["id"] for o in question["options"] if o.get("correct"))
    wrong = next(o["id"] for o in question["options"] if not o.get("correct"))
    open_page(tab, unzipped, f"notebooks/{slug}.html")
    fieldset = tab.locator(f'section.tc-quiz fieldset[data-question="{question["id"]}"]')
    fieldset.locator(f'input[value="{wrong}"]').check()
    fieldset.get_by_role("button", name="Check answer").click()
    assert "Not quite." in fieldset.locator(".tc-feedback-region").inner_text()
    fieldset.locator(f'input[value="{right}"]').check()
    fieldset.get_by_role("button", name="Check answer").click()
    assert "Correct." in fieldset.locator(".tc-feedback-region").inner_text()


@pytest.mark.browser
def test_classifier_works_from_file(tab, unzipped):
    slug = "01-trafficking-and-smuggling"
    card = next(c for c in content.load(slug, "cases")["cases"] if c["classification"] == "both")
    open_page(tab, unzipped, f"notebooks/{slug}.html")
    classifier = tab.locator("section.tc-classifier")
    classifier.get_by_label("Case to classify:").select_option(card["id"])
    for element, shown in card["elements"].items():
        if shown:
            classifier.locator(f'input[value="{element}"]').check()
    classifier.get_by_role("button", name="Show the legal analysis").click()
    assert "Model answer for this case: Both." in classifier.locator(".tc-result").inner_text()


@pytest.mark.browser
def test_checklist_works_from_file(tab, unzipped):
    slug = "03-gender-equality"
    data = content.load(slug, "checklist")
    answers = {q["id"]: 0 for q in data["questions"]}
    expected = rate(data, answers)
    open_page(tab, unzipped, f"notebooks/{slug}.html")
    checklist = tab.locator("section.tc-checklist")
    for qid, index in answers.items():
        checklist.locator(f'fieldset[data-question="{qid}"] input[value="{index}"]').check()
    checklist.get_by_role("button", name="Rate this intervention").click()
    assert f"Rating: {expected.level['label']}" in checklist.locator(".tc-result").inner_text()
    with tab.expect_download() as download:
        checklist.get_by_role("button", name="Save the result as a report").click()
    assert expected.level["label"] in Path(download.value.path()).read_text(encoding="utf-8")


@pytest.mark.browser
def test_scenario_works_from_file(tab, unzipped):
    open_page(tab, unzipped, "notebooks/01-trafficking-and-smuggling.html")
    scenario = tab.locator("section.tc-scenario")
    steps = 0
    while scenario.locator(".tc-debrief").count() == 0:
        scenario.locator("button.tc-choice").first.click()
        steps += 1
        assert steps < 20, "the scenario never ended"
    assert "Debrief" in scenario.inner_text()


@pytest.mark.browser
def test_search_works_from_file(tab, unzipped):
    """Search the way a learner does: from a module page's search box, which opens search.html."""
    tab.goto((unzipped / "notebooks" / "01-trafficking-and-smuggling.html").as_uri())
    tab.wait_for_load_state("load")
    tab.keyboard.press("Control+k")
    box = tab.locator("#pst-search-dialog input[name=q]")
    box.fill("refoulement")
    box.press("Enter")
    tab.wait_for_url(re.compile(r"search\.html\?q=refoulement"))
    results = tab.locator("#search-results ul.search li")
    results.first.wait_for(timeout=20_000)
    assert results.count() >= 2
    link = results.first.locator("a").first.get_attribute("href")
    assert not link.startswith(("http:", "https:"))
