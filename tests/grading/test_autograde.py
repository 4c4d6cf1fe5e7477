"""Autograde: parallel, sandboxed grading gives exactly the grades of plain sequential nbgrader."""

from __future__ import annotations

import random
import shutil

import pytest

from toolkit_course import cli
from toolkit_course.grading import autograde
from toolkit_course.grading.layout import layout as make_layout

from .conftest import TEST_CELL_TIMEOUT, answer_key, answered, auto_total, score_of, submit, wrong_answers

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


def test_parallel_grades_equal_plain_sequential_nbgrader(course, slug, tmp_path, capsys):
    cohort = random_cohort(course, slug, learners=4)
    plain = copy_workspace(course, tmp_path, "plain-workspace")
    autograde.plain_sequential_autograde(plain, [slug])

    code = cli.main(["autograde", slug, "--jobs", "2", "--workspace", str(course.workspace),
                     "--timeout", str(TEST_CELL_TIMEOUT)])
    assert code == 0, capsys.readouterr()
    parallel_scores = autograde.gradebook_scores(course.db_url)
    assert parallel_scores == autograde.gradebook_scores(plain.db_url)
    assert len(parallel_scores) == 4 * len({key[2] for key in parallel_scores})
    for learner, answers in cohort.items():
        assert auto_total(course, learner, slug) == score_of(answers, slug)
        assert (course.autograded / learner / slug / f"{slug}-assessment.ipynb").exists()

    # A second run grades nothing again and changes nothing.
    again = autograde.autograde(course, [slug], jobs=2, cell_timeout=TEST_CELL_TIMEOUT, progress=False)
    assert again.graded == [] and len(again.already_done) == 4
    assert autograde.gradebook_scores(course.db_url) == parallel_scores


def test_a_changed_submission_is_regraded_and_hand_grades_survive(course, slug):
    submit(course, "learner00", slug, answered(course, slug, wrong_answers(slug)))
    autograde.autograde(course, [slug], jobs=1, cell_timeout=TEST_CELL_TIMEOUT, progress=False)
    assert auto_total(course, "learner00", slug) == 0
    from nbgrader.api import Gradebook
    with Gradebook(course.db_url) as gradebook:
        manual = [g for nb in gradebook.find_submission(slug, "learner00").notebooks for g in nb.grades
                  if g.cell.cell_type == "markdown"]
        assert manual, "the assessment has a hand-graded reflection"
        manual[0].manual_score = 3
        reflection = manual[0].name
        gradebook.db.commit()
    submit(course, "learner00", slug, answered(course, slug, answer_key(slug)))
    report = autograde.autograde(course, [slug], jobs=1, cell_timeout=TEST_CELL_TIMEOUT, progress=False)
    assert len(report.graded) == 1
    assert auto_total(course, "learner00", slug) == score_of(answer_key(slug), slug)
    with Gradebook(course.db_url) as gradebook:
        grade = gradebook.find_grade(reflection, f"{slug}-assessment", slug, "learner00")
        assert grade.manual_score == 3
