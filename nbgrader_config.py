"""nbgrader configuration for the course: its folders and its grading pipeline.

Every way of grading reads this file: `nbgrader autograde` typed by hand, Formgrader's
Autograde button and `toolkit-course autograde`. So the pipeline below is the only one.

Folders (named once, in toolkit_course/grading/layout.py): solutions/ holds the
instructor versions (nbgrader's "source"), exercises/ the student versions (its
"release"). Everything grading produces lives in grading-workspace/, which git
ignores; set TOOLKIT_GRADING_WORKSPACE to keep it somewhere else.

Grading never runs a learner's code in the grader, and never runs a hidden test where
a learner's code ran (see toolkit_course/grading/preprocessors.py):
  * answers typed as plain values are read from the notebook's text, without running it;
  * answers that must be computed by code are computed in the sandbox, which hands back
    only the declared values (notebooks with no such item never start the sandbox);
  * the hidden tests, taken from the gradebook, run in this grading process on those values.
"""

import os
from pathlib import Path

from toolkit_course.grading.layout import configure_nbgrader

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

_course = configure_nbgrader(c, Path(__file__).resolve().parent)

# nbgrader's exchange. A workshop that works from e-mailed notebooks has none, and Formgrader then
# warns on every page that the exchange is missing. So the exchange is, by default, a folder in the
# grading workspace, private to the facilitator: the warning goes, and Release, Collect and Release
# Feedback work (into that folder). On a shared JupyterHub where learners submit through nbgrader,
# set TOOLKIT_EXCHANGE_ROOT (e.g. /srv/nbgrader/exchange) and TOOLKIT_COURSE_ID to the shared ones.
_shared_exchange = os.environ.get("TOOLKIT_EXCHANGE_ROOT")
if not _shared_exchange:
    (_course.workspace / "exchange").mkdir(exist_ok=True)
c.Exchange.root = _shared_exchange or str(_course.workspace / "exchange")
c.CourseDirectory.course_id = os.environ.get("TOOLKIT_COURSE_ID") or "toolkit-course"
# Collecting from the exchange (Formgrader's Collect, `nbgrader collect`) goes through the course's
# checked collect, as `toolkit-course collect --exchange` does; releasing feedback skips, and names,
# the learners whose notebooks came by e-mail instead of stopping at the first one.
c.ExchangeFactory.collect = "toolkit_course.grading.formgrader_exchange.CourseCollect"
c.ExchangeFactory.release_feedback = "toolkit_course.grading.formgrader_exchange.CourseReleaseFeedback"

# The answer line above "### BEGIN SOLUTION" stays in the student version, so the
# solution region is simply removed rather than replaced by code that raises.
c.ClearSolutions.code_stub = {"python": ""}
c.ClearSolutions.text_stub = "Write your answer here."

_GRADING = "toolkit_course.grading.preprocessors"

# nbgrader's own list, with its Execute (which runs the whole notebook, hidden tests
# included, in a kernel the learner's code controls) replaced by the first three.
c.Autograde.autograde_preprocessors = [
    f"{_GRADING}.ReadLiteralAnswers",
    f"{_GRADING}.RunComputedCells",
    f"{_GRADING}.RunHiddenTests",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
    # Facilitators open the autograded copy in Formgrader: learner markdown and outputs are made
    # inert there. Last, so the grades are saved from the unchanged notebook.
    "toolkit_course.grading.sanitize.SanitizeLearnerContent",
]

# nbgrader's feedback (generate_feedback, Formgrader's two Generate Feedback buttons) writes the
# course's own page, at the path where `toolkit-course feedback` writes it, never an export of the
# autograded notebook, which holds every hidden test.
c.GenerateFeedback.exporter_class = "toolkit_course.grading.formgrader_feedback.CourseFeedbackPage"
# Should the exporter above ever be set back to nbconvert's HTML, the hidden tests are taken out first.
c.GenerateFeedback.preprocessors = [
    f"{_GRADING}.HideHiddenTests",
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# nbconvert's HTML cleaning of outputs (and of markdown, in templates that apply it) in
# every page nbgrader renders: Formgrader's grading view and the feedback pages.
c.HTMLExporter.sanitize_html = True

# Only the comparison run of `make bench` uses nbgrader's stock Execute.
c.ExecutePreprocessor.timeout = 60
