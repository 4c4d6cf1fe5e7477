"""Graded assessments: generated from content, regenerated identically by nbgrader, and an honest answer key.

The honesty tests grade real submissions with nbgrader's own `autograde` and the course's
nbgrader_config.py (answers read from the notebook's text, hidden tests run by the grader),
in a scratch copy of the course, and read the scores from nbgrader's gradebook.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

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
def graded(make_scratch_course):
    """Autograde, with nbgrader, one submission per case for every assessed module; return auto-graded scores.

    The student versions are made from content/ in a scratch course (the committed copies are checked
    above), and every case of every module is graded in one `nbgrader autograde` run.
    """
    course = make_scratch_course()
    student_versions = course.release_all()
    submissions = {}
    for slug in ASSESSED:
        spec = content.load(slug, "assessment")
        student_nb = student_versions[slug]
        wrong = {i["id"]: _wrong_answer(i) for i in spec["items"]}
        submissions[(slug, "solution")] = nbformat.read(course.root / "solutions" / slug /
                                                        assessment_notebook.notebook_name(slug), as_version=4)
        submissions[(slug, "untouched")] = student_nb
        submissions[(slug, "all-wrong")] = assessment_notebook.fill_answers(student_nb, wrong)
        for item in spec["items"]:
            submissions[(slug, f"only-{item['id']}")] = assessment_notebook.fill_answers(
                student_nb, wrong | {item["id"]: item["answer"]})
    return course.autograde_all(submissions)


def _total(scores: dict) -> float:
    return sum(scores.values())


@pytest.mark.slow
@pytest.mark.parametrize("slug", ASSESSED)
def test_the_solution_scores_full_marks(graded, slug):
    spec = content.load(slug, "assessment")
    automatic = spec["items"] + spec.get("computed", [])  # computed items run in the sandbox
    assert _total(graded[(slug, "solution")]) == sum(i["points"] for i in automatic)


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
