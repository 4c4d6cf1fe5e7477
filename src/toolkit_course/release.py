"""Produce the assessments: instructor notebooks from YAML, then student versions through nbgrader."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import assessment_notebook, content


def course_root() -> Path:
    return content.content_root().parent


def nbgrader_env(workspace: Path | None = None) -> dict[str, str]:
    """Environment for an nbgrader subprocess.

    nbgrader runs `alembic` by name to create a new gradebook, so the folder of
    this Python's scripts must be on PATH even when the venv is not activated.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    if workspace:
        env["TOOLKIT_GRADING_WORKSPACE"] = str(workspace)
    return env


def render_solutions(root: Path | None = None) -> list[Path]:
    root = Path(root or course_root())
    return [assessment_notebook.write(root, slug) for slug in content.assessed_slugs()]


def generate_exercises(root: Path | None = None, release_dir: Path | None = None,
                       workspace: Path | None = None) -> Path:
    """Run `nbgrader generate_assignment` for every assessed module.

    release_dir and workspace let tests regenerate into a scratch folder and
    compare with the committed exercises/ without touching the real gradebook.
    """
    root = Path(root or course_root())
    release_dir = Path(release_dir or root / "exercises")
    env = nbgrader_env(workspace)
    nbgrader = [sys.executable, "-m", "nbgrader"]
    for slug in content.assessed_slugs():
        target = release_dir / slug
        if target.exists():
            shutil.rmtree(target)
        result = subprocess.run(
            nbgrader + ["generate_assignment", slug, "--force", "--log-level=WARN",
                        f"--CourseDirectory.release_directory={release_dir}"],
            cwd=root, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment {slug} failed:\n{result.stdout}\n{result.stderr}")
    return release_dir
