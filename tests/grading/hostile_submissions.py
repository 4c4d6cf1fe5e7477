"""Building blocks shared by the hostile-submission tests: a fresh scratch module, honest and hostile notebooks."""

from __future__ import annotations

import subprocess
import sys

from toolkit_course import assessment_notebook

from .conftest import answer_key, answered, wrong_answers


def regenerate(course, slug) -> None:
    """The scratch course's instructor and student versions, made afresh from its content (as `make release` does),
    so that answers written from assessment.yaml are the ones its hidden tests expect."""
    assessment_notebook.write(course.root, slug)
    result = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", slug, "--force"],
                            cwd=course.root, env=course.env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def honest(course, slug):
    """Every answer right."""
    return answered(course, slug, answer_key(slug))


def hostile(course, slug, claims: object = None):
    """Every answer wrong; claims, if given, is stored as the notebook's toolkit_course metadata."""
    notebook = answered(course, slug, wrong_answers(slug))
    if claims is not None:
        notebook.metadata["toolkit_course"] = claims
    return notebook
