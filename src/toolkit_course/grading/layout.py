"""Where grading reads and writes: the course folder and the grading workspace.

nbgrader_config.py decides the same places from TOOLKIT_GRADING_WORKSPACE; every
nbgrader subprocess we start gets that variable, so both always agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .. import release

WORKSPACE_VARIABLE = "TOOLKIT_GRADING_WORKSPACE"


@dataclass(frozen=True)
class Layout:
    root: Path
    workspace: Path

    @property
    def source(self) -> Path:
        return self.root / "solutions"

    @property
    def release(self) -> Path:
        return self.root / "exercises"

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
        """Private bookkeeping of autograde runs (done markers, per-job folders)."""
        return self.workspace / ".autograde"

    def submission(self, learner: str, slug: str) -> Path:
        return self.submitted / learner / slug / f"{slug}-assessment.ipynb"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env[WORKSPACE_VARIABLE] = str(self.workspace)
        return env


def _put_environment_tools_on_path() -> None:
    # In-process Gradebooks run `alembic` too, so this process needs the same PATH as subprocesses.
    os.environ["PATH"] = release.path_with_scripts(os.environ.get("PATH"))


def layout(root: Path | str | None = None, workspace: Path | str | None = None) -> Layout:
    """The course at `root` (default: this checkout) and its workspace (default as nbgrader_config.py)."""
    _put_environment_tools_on_path()
    root = Path(root) if root else release.course_root()
    if workspace is None:
        workspace = os.environ.get(WORKSPACE_VARIABLE) or root / "grading-workspace"
    workspace = Path(workspace).resolve()
    workspace.mkdir(parents=True, exist_ok=True)
    return Layout(root.resolve(), workspace)
