"""toolkit-course autograde: the course's pipeline gives exactly the grades of stock nbgrader, resumably."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from toolkit_course import bench, cli
from toolkit_course.grading import autograde, nbgrader_run
from toolkit_course.grading.layout import layout as make_layout

from .conftest import answer_key, answered, auto_total, score_of, submit, wrong_answers

pytestmark = pytest.mark.slow


def random_cohort(course, slug, learners: int, seed: int = 5) -> dict[str, dict[str, str]]:
    chooser = random.Random(seed)
    right, wrong = answer_key(slug), wrong_answers(slug)
    cohort = {}
    for number in range(learners):
        answers = {v: (right[v] if chooser.random() < 0.6 else wrong[v]) for v in right}
        cohort[f"learner{number:02d}"] = answers
        submit(course, f"learner{number:02d}", slug, answered(course, slug, answers))
    return cohort


def copy_workspace(course, tmp_path, name):
    target = tmp_path / name
    shutil.copytree(course.workspace, target)
    return make_layout(course.root, target)


def test_course_command_gives_the_grades_of_stock_nbgrader_and_a_rerun_changes_nothing(course, slug, tmp_path,
                                                                                        capsys):
    cohort = random_cohort(course, slug, learners=4)
    stock = copy_workspace(course, tmp_path, "stock-workspace")
    bench.stock_autograde(stock, [slug])  # nbgrader's own Execute, in a kernel

    code = cli.main(["autograde", slug, "--workspace", str(course.workspace), "--no-progress"])
    assert code == 0, capsys.readouterr()
    scores = bench.gradebook_scores(course.db_url)
    assert scores == bench.gradebook_scores(stock.db_url)
    assert len(scores) == 4 * len({key[2] for key in scores})
    for learner, answers in cohort.items():
        assert auto_total(course, learner, slug) == score_of(answers, slug)
        assert course.autograded_notebook(learner, slug).exists()

    again = autograde.autograde(course, [slug], progress=False)
    assert again.graded == [] and len(again.already_done) == 4
    assert bench.gradebook_scores(course.db_url) == scores


def test_nbgrader_typed_by_hand_uses_the_same_pipeline(course, slug, tmp_path):
    random_cohort(course, slug, learners=3, seed=8)
    by_hand = copy_workspace(course, tmp_path, "by-hand")
    nbgrader_run.ensure_assignment(by_hand, slug)  # the facilitator's `nbgrader generate_assignment`
    result = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", slug, "--force"],
                            cwd=course.root, env=by_hand.env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    autograde.autograde(course, [slug], progress=False)
    assert bench.gradebook_scores(by_hand.db_url) == bench.gradebook_scores(course.db_url)
    graded = nbformat.read(by_hand.autograded_notebook("learner00", slug), as_version=4)
    answer_cells = [c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("-answer")]
    assert answer_cells and all("Read for grading" in c.outputs[0].text for c in answer_cells)


def test_a_changed_submission_is_regraded_and_hand_grades_survive(course, slug):
    submit(course, "learner00", slug, answered(course, slug, wrong_answers(slug)))
    autograde.autograde(course, [slug], progress=False)
    assert auto_total(course, "learner00", slug) == 0
    with Gradebook(course.db_url) as gradebook:
        manual = [g for nb in gradebook.find_submission(slug, "learner00").notebooks for g in nb.grades
                  if g.cell.cell_type == "markdown"]
        assert manual, "the assessment has a hand-graded reflection"
        manual[0].manual_score = 3
        reflection = manual[0].name
        gradebook.db.commit()
    submit(course, "learner00", slug, answered(course, slug, answer_key(slug)))
    report = autograde.autograde(course, [slug], progress=False)
    assert len(report.graded) == 1
    assert auto_total(course, "learner00", slug) == score_of(answer_key(slug), slug)
    with Gradebook(course.db_url) as gradebook:
        grade = gradebook.find_grade(reflection, f"{slug}-assessment", slug, "learner00")
        assert grade.manual_score == 3
