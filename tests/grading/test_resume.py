"""A grading run killed with SIGKILL in the middle, then started again, loses and duplicates nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from toolkit_course.grading import autograde
from toolkit_course.grading.layout import layout as make_layout

from .conftest import TEST_CELL_TIMEOUT, answered, submit
from .test_autograde import random_cohort

pytestmark = pytest.mark.slow


def _done_markers(course, slug):
    return list((course.state / "done" / slug).glob("*.json")) if (course.state / "done" / slug).exists() else []


def test_killed_run_resumes_to_the_same_grades_as_a_clean_sequential_run(course, slug, tmp_path):
    random_cohort(course, slug, learners=5, seed=11)
    plain = make_layout(course.root, tmp_path / "plain")
    shutil.copytree(course.submitted, plain.submitted)
    autograde.plain_sequential_autograde(plain, [slug])

    command = [sys.executable, "-m", "toolkit_course", "autograde", slug, "--jobs", "2", "--no-progress",
               "--timeout", str(TEST_CELL_TIMEOUT), "--workspace", str(course.workspace)]
    run = subprocess.Popen(command, env=course.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while len(_done_markers(course, slug)) < 1 and run.poll() is None:
        time.sleep(0.05)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    finished_before_kill = len(_done_markers(course, slug))
    assert 1 <= finished_before_kill < 5, "the kill must land in the middle of the run"

    resumed = subprocess.run(command, env=course.env(), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"{finished_before_kill} were already graded" in resumed.stdout
    assert autograde.gradebook_scores(course.db_url) == autograde.gradebook_scores(plain.db_url)
    assert len(_done_markers(course, slug)) == 5
