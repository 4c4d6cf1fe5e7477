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

from pathlib import Path

from toolkit_course.grading.layout import configure_nbgrader

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

configure_nbgrader(c, Path(__file__).resolve().parent)

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

# nbgrader's feedback pages (generate_feedback, Formgrader's button) are made from the
# autograded notebook, which holds every hidden test: take them out first.
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
