"""Benchmark grading: this tool (parallel, sandboxed) against plain sequential `nbgrader autograde`.

    python -m toolkit_course.bench [--learners 200] [--jobs N]

Builds synthetic submissions by answering each assessed module's student version
with a random mix of right and wrong answers (the right ones from
content/<slug>/assessment.yaml), grades them both ways in scratch workspaces, and
prints the wall time of each, the speed-up, the floor (the time merely to execute
every notebook in a fresh kernel) and whether all grades match. Not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from . import assessment_notebook, content
from .grading import autograde, sandbox
from .grading.layout import Layout, layout as make_layout


def synthetic_submissions(where: Layout, learners: int, seed: int) -> int:
    chooser = random.Random(seed)
    count = 0
    for slug in content.assessed_slugs():
        release = where.release / slug / f"{slug}-assessment.ipynb"
        if not release.exists():
            print(f"skipping {slug}: no student version in {release.parent} (run `make release`)")
            continue
        items = content.load(slug, "assessment")["items"]
        student = nbformat.read(release, as_version=4)
        for number in range(learners):
            answers = {item["id"]: item["answer"] if chooser.random() < 0.65 else
                       chooser.choice([o for o in item["options"] if o != item["answer"]]) for item in items}
            notebook = assessment_notebook.fill_answers(student, answers)
            path = where.submission(f"learner{number:04d}", slug)
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, path)
            (path.parent / "timestamp.txt").write_text("2026-01-01 10:00:00.000000 UTC")
            count += 1
    return count


def execution_floor(where: Layout) -> float:
    """Seconds to execute every submitted notebook once, each in a fresh kernel, one after another."""
    started = time.perf_counter()
    for path in sorted(where.submitted.glob("*/*/*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        NotebookClient(notebook, timeout=60, allow_errors=True, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toolkit_course.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    try:
        sandbox.check_available()
        use_sandbox = True
    except sandbox.SandboxUnavailable as why:
        print(f"note: grading without the sandbox: {why}")
        use_sandbox = False
    with tempfile.TemporaryDirectory(prefix="toolkit-bench-") as scratch:
        tool = make_layout(workspace=Path(scratch) / "tool")
        plain = make_layout(workspace=Path(scratch) / "plain")
        count = synthetic_submissions(tool, args.learners, args.seed)
        shutil.copytree(tool.submitted, plain.submitted)
        print(f"{count} synthetic submissions: {args.learners} learners x {len(content.assessed_slugs())} module(s); "
              f"{args.jobs} jobs; sandbox {'on' if use_sandbox else 'off'}")
        for slug in content.assessed_slugs():  # recording the modules in each gradebook is not grading
            autograde.ensure_assignment(tool, slug)
            autograde.ensure_assignment(plain, slug)

        started = time.perf_counter()
        report = autograde.autograde(tool, jobs=args.jobs, sandbox=use_sandbox)
        tool_seconds = time.perf_counter() - started
        os.environ["TOOLKIT_GRADING_WORKSPACE"] = str(plain.workspace)
        started = time.perf_counter()
        autograde.plain_sequential_autograde(plain)
        plain_seconds = time.perf_counter() - started
        floor = execution_floor(plain)

        same = autograde.gradebook_scores(tool.db_url) == autograde.gradebook_scores(plain.db_url)
        print(f"this tool ({args.jobs} jobs):          {tool_seconds:8.1f} s  ({len(report.errors)} errors)")
        print(f"plain sequential nbgrader autograde: {plain_seconds:8.1f} s")
        print(f"speed-up:                            {plain_seconds / tool_seconds:8.2f} x")
        print(f"floor, sequential (execute only):    {floor:8.1f} s; divided by {args.jobs} jobs: "
              f"{floor / args.jobs:.1f} s")
        print(f"all grades match:                    {'yes' if same and not report.errors else 'NO'}")
        return 0 if same and not report.errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
