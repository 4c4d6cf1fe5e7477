"""Time the book: a lesson against a bare kernel, and a cold build against an unchanged rebuild.

Part of `make bench` (toolkit_course.bench). Prints figures; not a test, because timing depends
on the machine. The targets (issue 13): a lesson runs in at most 5x the time of a kernel that
only imports the course package, matplotlib and ipywidgets; an unchanged rebuild takes at most
0.1x a cold build.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from . import release

LESSON_LIMIT = 5.0
REBUILD_LIMIT = 0.1
BARE_IMPORTS = "import toolkit_course, toolkit_course.show, matplotlib, matplotlib.pyplot, ipywidgets"


def _run_notebook(notebook: nbformat.NotebookNode, cwd: Path) -> float:
    """Seconds from starting a kernel to the last cell's end: what a learner's "Run all" costs."""
    from nbclient import NotebookClient

    started = time.perf_counter()
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    return time.perf_counter() - started


def lesson_ratio(slug: str = "01-trafficking-and-smuggling", repeats: int = 3) -> tuple[float, float]:
    """Median seconds for the lesson and for the bare kernel, each run in a fresh kernel."""
    root = release.course_root()
    path = root / "notebooks" / f"{slug}.ipynb"
    bare = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(BARE_IMPORTS)])
    lesson_times, bare_times = [], []
    for _ in range(repeats):
        bare_times.append(_run_notebook(nbformat.reads(nbformat.writes(bare), as_version=4), path.parent))
        lesson_times.append(_run_notebook(nbformat.read(path, as_version=4), path.parent))
    return statistics.median(lesson_times), statistics.median(bare_times)


def _build(output: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(release.course_root()),
                             "--path-output", str(output), "--builder", "html"], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"book build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return time.perf_counter() - started


def build_ratio() -> tuple[float, float]:
    """Seconds for a cold build into an empty folder, then for building again with nothing changed."""
    with tempfile.TemporaryDirectory(prefix="toolkit-book-bench-") as scratch:
        cold = _build(Path(scratch))
        unchanged = _build(Path(scratch))
    return cold, unchanged


def report(slug: str = "01-trafficking-and-smuggling") -> bool:
    """Print the figures; True when both ratios are within their targets."""
    lesson, bare = lesson_ratio(slug)
    print(f"lesson {slug}, run top to bottom:       {lesson:8.1f} s", flush=True)
    print(f"bare kernel importing the course, matplotlib and ipywidgets: {bare:8.1f} s")
    print(f"lesson / bare kernel:                   {lesson / bare:8.1f} x  (target at most {LESSON_LIMIT:g} x)",
          flush=True)
    cold, unchanged = build_ratio()
    print(f"book, cold build:                       {cold:8.1f} s")
    print(f"book, rebuild with nothing changed:     {unchanged:8.1f} s")
    print(f"unchanged rebuild / cold build:         {unchanged / cold:8.2f} x  (target at most {REBUILD_LIMIT:g} x)",
          flush=True)
    return lesson / bare <= LESSON_LIMIT and unchanged / cold <= REBUILD_LIMIT
