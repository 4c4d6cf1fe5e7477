"""Shared fixtures for the grading tests: a scratch copy of the course, a workspace, learners' notebooks.

Nothing here touches the real grading-workspace/: every test gets its own course
copy and workspace under pytest's tmp_path.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from toolkit_course import assessment_notebook, content
from toolkit_course.grading.layout import Layout, layout as make_layout

REPO = Path(__file__).resolve().parents[2]
COURSE_PARTS = ("content", "solutions", "exercises", "nbgrader_config.py")
# Short enough to keep the suite quick, long enough for a cold kernel on a busy CI machine.
TEST_CELL_TIMEOUT = 15


def copy_course(tmp_path, monkeypatch) -> Layout:
    """A scratch copy of the course and an empty grading workspace, both under tmp_path."""
    root = tmp_path / "course"
    root.mkdir()
    for part in COURSE_PARTS:
        source = REPO / part
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / part)
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
    """Publish a second assessed module in the scratch course (a renamed copy of the first) and release it.

    Lets tests hand in 'the wrong module's notebook' whatever modules the real course has.
    """
    import yaml

    from toolkit_course import release

    modules_file = course.content / "modules.yaml"
    listing = yaml.safe_load(modules_file.read_text(encoding="utf-8"))
    taken = set(content.assessed_slugs())
    other = next(m for m in listing["modules"] if m["slug"] not in taken and not (course.content / m["slug"]).exists())
    other["status"] = "published"
    modules_file.write_text(yaml.safe_dump(listing, sort_keys=False), encoding="utf-8")
    spec = yaml.safe_load((course.content / slug / "assessment.yaml").read_text(encoding="utf-8"))
    for item in spec["items"] + spec["reflections"]:
        item["id"] = f"other-{item['id']}"
    (course.content / other["slug"]).mkdir()
    (course.content / other["slug"] / "assessment.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    release.render_solutions(course.root)
    release.generate_exercises(course.root, workspace=course.workspace)
    return other["slug"]
