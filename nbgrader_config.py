"""nbgrader configuration for the course.

solutions/ holds the instructor versions (nbgrader's "source"), exercises/ the
student versions (its "release"). Everything produced by grading (submissions,
autograded copies, feedback, the gradebook) lives in grading-workspace/, which
git ignores. Set TOOLKIT_GRADING_WORKSPACE to keep it somewhere else.
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

course_root = Path(__file__).resolve().parent
workspace = Path(os.environ.get("TOOLKIT_GRADING_WORKSPACE", course_root / "grading-workspace"))
workspace.mkdir(parents=True, exist_ok=True)  # sqlite cannot create the folder for its database

c.CourseDirectory.root = str(course_root)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = str(workspace / "submitted")
c.CourseDirectory.autograded_directory = str(workspace / "autograded")
c.CourseDirectory.feedback_directory = str(workspace / "feedback")
c.CourseDirectory.solution_directory = str(workspace / "released-solutions")
c.CourseDirectory.db_url = f"sqlite:///{workspace / 'gradebook.db'}"

# The answer line above "### BEGIN SOLUTION" stays in the student version, so
# the solution region is simply removed rather than replaced by code that raises.
c.ClearSolutions.code_stub = {"python": ""}
c.ClearSolutions.text_stub = "Write your answer here."

# A learner's infinite loop must not stall a whole batch.
c.ExecutePreprocessor.timeout = 60
