"""Produce the assessments: instructor notebooks from YAML, then student versions through nbgrader."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from . import assessment_notebook, content
from .grading.layout import RELEASE, course_root, nbgrader_env, path_with_scripts  # noqa: F401  (re-exported)


def render_solutions(root: Path | None = None) -> list[Path]:
    root = Path(root or course_root())
    return [assessment_notebook.write(root, slug) for slug in content.gradable_slugs()]


def generate_exercises(root: Path | None = None, release_dir: Path | None = None,
                       workspace: Path | None = None, slugs: list[str] | None = None) -> Path:
    """Run `nbgrader generate_assignment` for every assessed module (or the given ones).

    release_dir and workspace let tests regenerate into a scratch folder and
    compare with the committed exercises/ without touching the real gradebook.
    """
    root = Path(root or course_root())
    release_dir = Path(release_dir or root / RELEASE)
    env = nbgrader_env(workspace)
    for slug in slugs or content.gradable_slugs():
        target = release_dir / slug
        if target.exists():
            shutil.rmtree(target)
    # One nbgrader process for every module ("*" is nbgrader's own pattern for all assignments in
    # solutions/): starting nbgrader costs seconds, generating a notebook a fraction of one.
    pattern = "*" if slugs is None else None
    for assignment in [pattern] if pattern else slugs:
        result = subprocess.run(
            [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force", "--log-level=WARN",
             f"--CourseDirectory.release_directory={release_dir}"],
            cwd=root, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{result.stdout}\n{result.stderr}")
    return release_dir
