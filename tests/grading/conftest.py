"""Shared fixtures for the grading tests: a scratch copy of the course, a workspace, learners' notebooks.

Nothing here touches the real grading-workspace/, solutions/ or exercises/: every test
gets its own course copy and workspace under pytest's tmp_path, with the assessments
rendered from content/ as it is now (once per session, see fresh_assessments).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from toolkit_course import assessment_notebook, content, release
from toolkit_course.grading.layout import RELEASE, SOURCE, Layout
from toolkit_course.grading.layout import layout as make_layout

REPO = Path(__file__).resolve().parents[2]
COURSE_PARTS = ("content", "nbgrader_config.py")


@functools.cache
def fresh_assessments() -> Path:
    """A folder holding solutions/ and exercises/ rendered from content/ now, by the course's own release code.

    Built once per test session, so grading tests follow the content files even before
    `make release` (tests/test_assessments.py checks that the committed copies match).
    """
    folder = Path(tempfile.mkdtemp(prefix="toolkit-fresh-release-"))
    atexit.register(shutil.rmtree, folder, True)
    shutil.copy2(REPO / "nbgrader_config.py", folder)
    release.render_solutions(folder)
    release.generate_exercises(folder, workspace=folder / "workspace")
    return folder


def copy_course(tmp_path, monkeypatch) -> Layout:
    """A scratch copy of the course and an empty grading workspace, both under tmp_path."""
    root = tmp_path / "course"
    root.mkdir()
    for part in COURSE_PARTS:
        source = REPO / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / part)
    for part in (SOURCE, RELEASE):
        shutil.copytree(fresh_assessments() / part, root / part)
    monkeypatch.setenv("TOOLKIT_COURSE_CONTENT", str(root / "content"))
    monkeypatch.setenv("TOOLKIT_GRADING_WORKSPACE", str(tmp_path / "workspace"))
    return make_layout(root, tmp_path / "workspace")


@pytest.fixture
def course(tmp_path, monkeypatch) -> Layout:
    return copy_course(tmp_path, monkeypatch)


@pytest.fixture
def slug() -> str:
    """The first assessed module; tests use it as 'a module', never by name."""
    return content.assessed_slugs()[0]


def answer_key(slug: str) -> dict[str, str]:
    return {item["variable"]: item["answer"] for item in content.load(slug, "assessment")["items"]}


def wrong_answers(slug: str) -> dict[str, str]:
    items = content.load(slug, "assessment")["items"]
    return {item["variable"]: next(o for o in item["options"] if o != item["answer"]) for item in items}


def student_notebook(layout: Layout, slug: str) -> nbformat.NotebookNode:
    return nbformat.read(layout.release / slug / f"{slug}-assessment.ipynb", as_version=4)


def answered(layout: Layout, slug: str, answers: dict[str, str], extra_code: dict[str, str] | None = None,
             ) -> nbformat.NotebookNode:
    """The student version with answers typed in; extra_code[variable] replaces that answer cell's code."""
    item_of = {item["variable"]: item["id"] for item in content.load(slug, "assessment")["items"]}
    return assessment_notebook.fill_answers(
        student_notebook(layout, slug), {item_of[v]: value for v, value in answers.items()},
        code={item_of[v]: source for v, source in (extra_code or {}).items()})


def score_of(answers: dict[str, str], slug: str) -> float:
    key = answer_key(slug)
    items = content.load(slug, "assessment")["items"]
    return float(sum(item["points"] for item in items if answers.get(item["variable"]) == key[item["variable"]]))


def submit(layout: Layout, learner: str, slug: str, notebook) -> Path:
    """Place a notebook where nbgrader expects a collected submission."""
    path = layout.submission(learner, slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = notebook if isinstance(notebook, (str, bytes)) else nbformat.writes(notebook)
    (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
    (path.parent / "timestamp.txt").write_text("2026-01-01 10:00:00.000000 UTC")
    return path


def auto_total(layout: Layout, learner: str, slug: str) -> float:
    from nbgrader.api import Gradebook
    with Gradebook(layout.db_url) as gradebook:
        submission = gradebook.find_submission(slug, learner)
        return float(sum(g.auto_score or 0 for nb in submission.notebooks for g in nb.grades))


def write_roster(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    lines = ["id,name,email,gender,role"] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


COHORT = [
    ("amina01", "Amina Diallo", "amina.diallo@example.org", "female", "learner"),
    ("bruno02", "Bruno Costa", "bruno.costa@example.org", "male", "learner"),
    ("chen03", "Chen Wei", "chen.wei@example.org", "female", "participant"),
    ("fac01", "Farah Haddad", "farah.haddad@example.org", "female", "facilitator"),
]


@pytest.fixture
def second_module(course, slug) -> str:
    """Another assessed module, already released in the scratch course.

    Lets tests hand in 'the wrong module's notebook'. If the course ever had a single assessed module,
    a renamed copy of the first is published in the scratch course instead.
    """
    others = [other for other in content.assessed_slugs() if other != slug]
    if others:
        return others[0]
    import yaml

    modules_file = course.content / "modules.yaml"
    listing = yaml.safe_load(modules_file.read_text(encoding="utf-8"))
    other = next(m for m in listing["modules"] if m["slug"] != slug)
    other["status"] = "published"
    modules_file.write_text(yaml.safe_dump(listing, sort_keys=False), encoding="utf-8")
    spec = yaml.safe_load((course.content / slug / "assessment.yaml").read_text(encoding="utf-8"))
    for item in spec["items"] + spec["reflections"]:
        item["id"] = f"other-{item['id']}"
    (course.content / other["slug"]).mkdir(exist_ok=True)
    (course.content / other["slug"] / "assessment.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    release.render_solutions(course.root)
    release.generate_exercises(course.root, workspace=course.workspace)
    return other["slug"]
