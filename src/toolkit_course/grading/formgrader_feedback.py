"""nbgrader's own feedback (`nbgrader generate_feedback`, Formgrader's Generate Feedback buttons) is the course's page.

nbgrader makes a feedback page by exporting the autograded notebook, which holds every hidden
test, and writes it at the very path where `toolkit-course feedback` writes the course's page
(<feedback folder>/<learner>/<module>/<module>-assessment.html). nbgrader_config.py makes the class
below GenerateFeedback's exporter, so whichever way feedback is generated, the file written there
is the course's own page, made by feedback.render_page from the gradebook and content/ only; and
Formgrader's Release Feedback hands out that page.
"""

from __future__ import annotations

from pathlib import Path

from nbconvert.exporters import Exporter
from nbgrader.coursedir import CourseDirectory
from traitlets import default

from .preprocessors import course_directory_of


class FeedbackPageError(ValueError):
    """No course page can be made for this notebook; the message names the learner and the module."""


def course_page(coursedir: CourseDirectory, learner_id: str, slug: str) -> str:
    """The course's feedback page for one learner and module, as `toolkit-course feedback` writes it."""
    from . import feedback, results  # imported here: nbgrader loads this module with its config

    workspace = results.gradebook_path(coursedir).parent
    cohort = results.load_cohort(Path(coursedir.root), workspace, slugs=[slug])
    learner = next((person for person in cohort.learners if person.id == learner_id), None)
    page = feedback.render_page(cohort, learner, cohort.module(slug)) if learner else None
    if page is None:
        raise FeedbackPageError(f"{learner_id}: no graded submission of {slug} in {results.gradebook_path(coursedir)}, "
                                "so there is no feedback page to write")
    return page


class CourseFeedbackPage(Exporter):
    """GenerateFeedback's exporter: the course's page in place of the exported autograded notebook.

    The configured preprocessors still run first (HideHiddenTests among them), so a configuration
    that brings back nbconvert's HTML exporter still shows no hidden test.
    """

    output_mimetype = "text/html"
    export_from_notebook = None  # not offered as an nbconvert export format

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".html"

    def from_notebook_node(self, nb, resources=None, **kw):
        nb, resources = super().from_notebook_node(nb, resources, **kw)
        info = resources["nbgrader"]
        return course_page(course_directory_of(self), info["student"], info["assignment"]), resources
