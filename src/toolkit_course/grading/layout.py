"""The course's folders, named once: nbgrader_config.py, release, the assessment notebooks and grading read them here.

The course folder holds solutions/ (nbgrader's "source", the instructor versions) and
exercises/ (its "release", the student versions). Everything grading produces lives in
the grading workspace: grading-workspace/ in the course folder unless
TOOLKIT_GRADING_WORKSPACE names another folder. nbgrader_config.py calls
configure_nbgrader() below, so nbgrader's CourseDirectory and this Layout always agree.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

WORKSPACE_VARIABLE = "TOOLKIT_GRADING_WORKSPACE"
SOURCE = "solutions"
RELEASE = "exercises"
DEFAULT_WORKSPACE = "grading-workspace"


def notebook_name(slug: str) -> str:
    """The file name of a module's assessment notebook, in every folder."""
    return f"{slug}-assessment.ipynb"


def course_root() -> Path:
    """This checkout: the folder above content/ ($TOOLKIT_COURSE_CONTENT moves it, for tests)."""
    from .. import content

    return content.content_root().parent


def path_with_scripts(path: str | None) -> str:
    """PATH with this Python's scripts folder first.

    nbgrader runs `alembic` by name to create a new gradebook, so that folder must be
    on PATH even when the course's virtual environment is not activated.
    """
    scripts = str(Path(sys.executable).parent)
    if path and scripts in path.split(os.pathsep):
        return path
    return os.pathsep.join(filter(None, [scripts, path]))


def nbgrader_env(workspace: Path | None = None) -> dict[str, str]:
    """Environment for an nbgrader subprocess: this process's, with the scripts folder and the workspace."""
    env = dict(os.environ)
    env["PATH"] = path_with_scripts(env.get("PATH"))
    if workspace:
        env[WORKSPACE_VARIABLE] = str(workspace)
    return env


def workspace_for(root: Path) -> Path:
    return Path(os.environ.get(WORKSPACE_VARIABLE) or Path(root) / DEFAULT_WORKSPACE).resolve()


@dataclass(frozen=True)
class Layout:
    root: Path
    workspace: Path

    @property
    def source(self) -> Path:
        return self.root / SOURCE

    @property
    def release(self) -> Path:
        return self.root / RELEASE

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def submitted(self) -> Path:
        return self.workspace / "submitted"

    @property
    def autograded(self) -> Path:
        return self.workspace / "autograded"

    @property
    def feedback(self) -> Path:
        return self.workspace / "feedback"

    @property
    def released_solutions(self) -> Path:
        return self.workspace / "released-solutions"

    @property
    def gradebook(self) -> Path:
        return self.workspace / "gradebook.db"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.gradebook}"

    @property
    def returned(self) -> Path:
        """Every file ever handed to `collect`, kept unchanged."""
        return self.workspace / "returned"

    @property
    def state(self) -> Path:
        """Private bookkeeping of autograde runs (done markers)."""
        return self.workspace / ".autograde"

    def submission(self, learner: str, slug: str) -> Path:
        return self.submitted / learner / slug / notebook_name(slug)

    def autograded_notebook(self, learner: str, slug: str) -> Path:
        return self.autograded / learner / slug / notebook_name(slug)

    def env(self) -> dict[str, str]:
        return nbgrader_env(self.workspace)


def configure_nbgrader(c, root: Path) -> Layout:
    """Point nbgrader's CourseDirectory at this course's folders (called by nbgrader_config.py)."""
    where = layout(root)
    c.CourseDirectory.root = str(where.root)
    c.CourseDirectory.source_directory = SOURCE
    c.CourseDirectory.release_directory = RELEASE
    c.CourseDirectory.submitted_directory = str(where.submitted)
    c.CourseDirectory.autograded_directory = str(where.autograded)
    c.CourseDirectory.feedback_directory = str(where.feedback)
    c.CourseDirectory.solution_directory = str(where.released_solutions)
    c.CourseDirectory.db_url = where.db_url
    return where


def layout(root: Path | str | None = None, workspace: Path | str | None = None) -> Layout:
    """The course at `root` (default: this checkout) and its workspace (default: see workspace_for)."""
    # In-process Gradebooks run `alembic` too, so this process needs the same PATH as subprocesses.
    os.environ["PATH"] = path_with_scripts(os.environ.get("PATH"))
    root = Path(root) if root else course_root()
    workspace = Path(workspace).resolve() if workspace is not None else workspace_for(root)
    workspace.mkdir(parents=True, exist_ok=True)  # sqlite cannot create the folder for its database
    return Layout(root.resolve(), workspace)
