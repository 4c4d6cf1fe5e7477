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
    """Environment for an nbgrader subprocess (see path_with_scripts)."""
    env = dict(os.environ)
    env["PATH"] = path_with_scripts(env.get("PATH"))
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
