"""A grading run killed with SIGKILL in the middle, then started again, loses and duplicates nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from toolkit_course import bench
from toolkit_course.grading.layout import layout as make_layout

from .conftest import auto_total, score_of
from .test_autograde import random_cohort

pytestmark = pytest.mark.slow
LEARNERS = 30  # enough that the kill lands while grading is under way


def _done_markers(course, slug):
    folder = course.state / "done" / slug
    return list(folder.glob("*.json")) if folder.exists() else []


def test_killed_run_resumes_to_the_grades_of_an_uninterrupted_run(course, slug, tmp_path):
    cohort = random_cohort(course, slug, learners=LEARNERS, seed=11)
    uninterrupted = make_layout(course.root, tmp_path / "uninterrupted")
    shutil.copytree(course.submitted, uninterrupted.submitted)
    command = [sys.executable, "-m", "toolkit_course", "autograde", slug, "--no-progress", "--workspace"]
    whole = subprocess.run(command + [str(uninterrupted.workspace)], env=uninterrupted.env(),
                           capture_output=True, text=True)
    assert whole.returncode == 0, whole.stdout + whole.stderr

    run = subprocess.Popen(command + [str(course.workspace)], env=course.env(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while len(_done_markers(course, slug)) < 1 and run.poll() is None:
        time.sleep(0.01)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    finished_before_kill = len(_done_markers(course, slug))
    assert 1 <= finished_before_kill < LEARNERS, "the kill must land in the middle of the run"

    resumed = subprocess.run(command + [str(course.workspace)], env=course.env(), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"graded {LEARNERS - finished_before_kill} submission(s); {finished_before_kill} were already graded" \
        in resumed.stdout
    assert bench.gradebook_scores(course.db_url) == bench.gradebook_scores(uninterrupted.db_url)
    assert len(_done_markers(course, slug)) == LEARNERS
    for learner, answers in cohort.items():
        assert auto_total(course, learner, slug) == score_of(answers, slug)
