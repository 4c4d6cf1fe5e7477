"""toolkit-course autograde's report: one learner's failure is reported for that learner, and for no other."""

from __future__ import annotations

import pytest

from toolkit_course.grading import autograde

from .conftest import answer_key, answered, auto_total, score_of, submit

pytestmark = pytest.mark.slow


def test_each_error_is_reported_for_its_own_learner(course, slug):
    """Two broken notebooks graded side by side each get their own reason (the old _last_error read a log
    shared by several learners, so both got whichever error came last)."""
    old_schema = answered(course, slug, answer_key(slug))
    next(c for c in old_schema.cells if "nbgrader" in c.metadata).metadata.nbgrader["schema_version"] = 1
    bad_points = answered(course, slug, answer_key(slug))
    next(c for c in bad_points.cells if c.metadata.get("nbgrader", {}).get("grade")).metadata.nbgrader["points"] = "x"
    submit(course, "broken-1-old-schema", slug, old_schema)
    submit(course, "broken-2-bad-points", slug, bad_points)
    honest = [f"honest-{number:02d}" for number in range(10)]
    for learner in honest:
        submit(course, learner, slug, answered(course, slug, answer_key(slug)))

    report = autograde.autograde(course, [slug], progress=False)
    errors = {learner: [e for e in report.errors if f"/{learner}/" in e]
              for learner in ("broken-1-old-schema", "broken-2-bad-points")}
    assert "old version" in errors["broken-1-old-schema"][0]
    assert "could not convert string to float: 'x'" in errors["broken-2-bad-points"][0]
    assert "float" not in errors["broken-1-old-schema"][0] and "old version" not in errors["broken-2-bad-points"][0]
    assert sorted(job.learner for job in report.graded) == honest
    for learner in honest:
        assert auto_total(course, learner, slug) == score_of(answer_key(slug), slug)


def test_an_instructor_notebook_from_an_older_release_is_an_error_not_a_zero(course, slug):
    import nbformat

    path = course.source / slug / f"{slug}-assessment.ipynb"
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        cell.metadata.pop("toolkit_course", None)  # as solutions/ looked before answers were declared
    nbformat.write(notebook, path)
    submit(course, "learner", slug, answered(course, slug, answer_key(slug)))

    report = autograde.autograde(course, [slug], progress=False)
    assert report.graded == [] and len(report.errors) == 1
    assert str(path) in report.errors[0] and "run `make release`" in report.errors[0]
