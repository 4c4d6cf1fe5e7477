"""Graded assessments: generated from content, regenerated identically by nbgrader, and an honest answer key.

The honesty tests grade real submissions with nbgrader's own `autograde` in a real
kernel, in a scratch copy of the course, and read the scores from nbgrader's gradebook.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from toolkit_course import assessment_notebook, content, release

REPO = Path(__file__).resolve().parents[1]
ASSESSED = content.assessed_slugs()


def test_every_published_module_has_an_assessment():
    assert ASSESSED == content.published_slugs()


@pytest.mark.parametrize("slug", ASSESSED)
def test_assessment_meets_the_module_standard(slug):
    spec = content.load(slug, "assessment")
    assert len(spec["items"]) >= 8, "at least 8 auto-graded items"
    assert spec["reflections"], "at least one hand-graded reflection"
    quiz_prompts = {q["prompt"].strip() for q in content.load(slug, "quiz")["questions"]}
    assert not quiz_prompts & {i["prompt"].strip() for i in spec["items"]}, "assessment repeats a quiz question"


@pytest.mark.parametrize("slug", ASSESSED)
def test_solution_notebook_is_up_to_date_with_its_content_file(slug):
    committed = assessment_notebook.solution_path(REPO, slug).read_text(encoding="utf-8")
    assert committed == assessment_notebook.render_text(slug), (
        f"solutions/{slug} is stale: run `make release` after editing content/{slug}/assessment.yaml")


def _cells(path: Path) -> list[dict]:
    """Cells without the fields nbgrader sets afresh on every run."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [{"type": c["cell_type"], "source": "".join(c["source"]), "nbgrader": c["metadata"].get("nbgrader")}
            for c in cells]


def test_exercises_are_exactly_what_nbgrader_generates(tmp_path):
    fresh = release.generate_exercises(REPO, release_dir=tmp_path / "release", workspace=tmp_path / "ws")
    committed = sorted(p.relative_to(REPO / "exercises") for p in (REPO / "exercises").rglob("*.ipynb"))
    generated = sorted(p.relative_to(fresh) for p in fresh.rglob("*.ipynb"))
    assert committed == generated
    for relative in committed:
        assert (REPO / "exercises" / relative).read_bytes() == (fresh / relative).read_bytes(), (
            f"exercises/{relative} differs from nbgrader's output: run `make release`")


@pytest.mark.parametrize("slug", ASSESSED)
def test_student_version_hides_answers_tests_and_rubric(slug):
    spec = content.load(slug, "assessment")
    text = (REPO / "exercises" / slug / assessment_notebook.notebook_name(slug)).read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text and "assert" not in text
    assert "Marking rubric" not in text
    for item in spec["items"]:
        assert f'{item["variable"]} = \\"{item["answer"]}\\"' not in text


# ---------- The answer key is honest, checked through nbgrader's real autograde ----------

def _wrong_answer(item: dict) -> str:
    return next(value for value in item["options"] if value != item["answer"])


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Autograde, with nbgrader, one submission per case for every assessed module; return auto-graded scores."""
    course = tmp_path_factory.mktemp("course")
    for name in ("nbgrader_config.py", "solutions", "exercises"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, course / name)
    workspace = course / "grading-workspace"
    env = release.nbgrader_env(workspace)

    cases: dict[tuple[str, str], dict] = {}
    for slug in ASSESSED:
        spec = content.load(slug, "assessment")
        name = assessment_notebook.notebook_name(slug)
        student_nb = nbformat.read(course / "exercises" / slug / name, as_version=4)
        submissions = {
            "solution": nbformat.read(course / "solutions" / slug / name, as_version=4),
            "untouched": student_nb,
            "all-wrong": assessment_notebook.fill_answers(student_nb, {i["id"]: _wrong_answer(i) for i in spec["items"]}),
        }
        for item in spec["items"]:
            answers = {i["id"]: _wrong_answer(i) for i in spec["items"]}
            answers[item["id"]] = item["answer"]
            submissions[f"only-{item['id']}"] = assessment_notebook.fill_answers(student_nb, answers)
        for student, nb in submissions.items():
            target = workspace / "submitted" / student / slug / name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target)
            cases[(slug, student)] = {}
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", slug, "--force"],
                       cwd=course, env=env, check=True, capture_output=True)
        result = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", slug, "--force"],
                                cwd=course, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr[-4000:]

    with Gradebook(f"sqlite:///{workspace / 'gradebook.db'}") as gradebook:
        for slug, student in cases:
            notebook = gradebook.find_submission_notebook(assessment_notebook.notebook_name(slug)[:-6], slug, student)
            cases[(slug, student)] = {g.name: g.auto_score for g in notebook.grades if g.auto_score is not None}
    return cases


def _total(scores: dict) -> float:
    return sum(scores.values())


@pytest.mark.slow
@pytest.mark.parametrize("slug", ASSESSED)
def test_the_solution_scores_full_marks(graded, slug):
    spec = content.load(slug, "assessment")
    assert _total(graded[(slug, "solution")]) == sum(i["points"] for i in spec["items"])


@pytest.mark.slow
@pytest.mark.parametrize("slug", ASSESSED)
def test_the_untouched_student_version_scores_zero(graded, slug):
    assert _total(graded[(slug, "untouched")]) == 0


@pytest.mark.slow
@pytest.mark.parametrize("slug", ASSESSED)
def test_all_wrong_answers_score_zero(graded, slug):
    assert _total(graded[(slug, "all-wrong")]) == 0


@pytest.mark.slow
@pytest.mark.parametrize("slug", ASSESSED)
def test_exactly_one_right_answer_scores_exactly_that_items_points(graded, slug):
    for item in content.load(slug, "assessment")["items"]:
        scores = graded[(slug, f"only-{item['id']}")]
        assert scores[item["id"]] == item["points"], f"{slug} {item['id']} not credited"
        assert _total(scores) == item["points"], f"{slug}: answering only {item['id']} scored {scores}"
