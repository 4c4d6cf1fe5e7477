"""Benchmark grading: the course's pipeline against plain sequential `nbgrader autograde` with nbgrader's stock Execute.

    python -m toolkit_course.bench [--learners 200] [--modules SLUG ... | all]

Renders the assessments afresh from content/ into a scratch copy of the course, builds one
honest synthetic cohort by answering each module's student version with a random mix of
right and wrong answers (the right ones from content/<slug>/assessment.yaml), then grades
it, in scratch workspaces:

  1. plain nbgrader, one module after another, with nbgrader's own autograde
     preprocessors (its Execute runs every notebook in a kernel), as nbgrader ships;
  2. `toolkit-course autograde`, the course's command (nbgrader_config.py's pipeline).

It prints both wall times, the speed-up, and whether every grade of every learner is the
same ("grades match"), or the grades that differ. Not a test: timing depends on the machine.

Then it times the book (toolkit_course.book_bench): a lesson against a bare kernel, and a cold
build against an unchanged rebuild, with the ratios. Last, the shared server's load figures
(toolkit_course.bench_hub: 20 and 50 learners at once on a real JupyterHub), which need root;
without it that part says why and is skipped. --only grading, book or hub runs one part.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.converters import Autograde

from . import assessment_notebook, content, release
from .grading import autograde
from .grading.layout import Layout
from .grading.layout import layout as make_layout
from .grading.nbgrader_run import NBGRADER, ensure_assignment


def scratch_course(folder: Path, slugs: list[str]) -> Path:
    """A course folder holding nbgrader_config.py and the assessments rendered from content/ now."""
    root = folder / "course"
    root.mkdir()
    shutil.copy(release.course_root() / "nbgrader_config.py", root)
    for slug in slugs:
        assessment_notebook.write(root, slug)
    release.generate_exercises(root, workspace=folder / "release-workspace", slugs=slugs)
    return root


def synthetic_submissions(where: Layout, learners: int, seed: int, slugs: list[str] | None = None) -> int:
    chooser = random.Random(seed)
    count = 0
    for slug in slugs or content.assessed_slugs():
        release = where.release / slug / assessment_notebook.notebook_name(slug)
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


def stock_preprocessor_flags() -> list[str]:
    """Command-line flags giving `nbgrader autograde` nbgrader's own autograde list back (for this run only)."""
    stock = Autograde.class_traits()["autograde_preprocessors"].default()
    return [f"--Autograde.autograde_preprocessors={cls.__module__}.{cls.__name__}" for cls in stock]


def stock_autograde(where: Layout, slugs: list[str] | None = None) -> None:
    """What nbgrader does out of the box: `nbgrader autograde <module>`, one module after another, with Execute."""
    for slug in slugs or content.assessed_slugs():
        ensure_assignment(where, slug)
        result = subprocess.run(NBGRADER + ["autograde", slug, "--force", *stock_preprocessor_flags()],
                                cwd=where.root, env=where.env(), capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"nbgrader autograde {slug} failed:\n{result.stdout}{result.stderr[-5000:]}")


def gradebook_scores(db_url: str) -> dict[tuple[str, str, str], tuple]:
    """(learner, module, cell) -> (auto score, manual score, needs manual grade), for comparing runs."""
    scores = {}
    with Gradebook(db_url) as gradebook:
        for assignment in gradebook.assignments:
            for submission in gradebook.assignment_submissions(assignment.name):
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        key = (submission.student.id, assignment.name, grade.name)
                        if key in scores:
                            raise AssertionError(f"duplicate grade {key}")
                        scores[key] = (grade.auto_score, grade.manual_score, grade.needs_manual_grade)
    return scores


def differences(first: dict, second: dict, limit: int = 10) -> list[str]:
    keys = sorted(set(first) | set(second))
    return [f"{' / '.join(key)}: stock {first.get(key)} vs course {second.get(key)}"
            for key in keys if first.get(key) != second.get(key)][:limit]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toolkit_course.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--modules", nargs="*",
                        help="module slugs, or 'all' (default: the first assessed module; every module has the "
                             "same kind of notebook, and stock nbgrader needs seconds per notebook)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--only", choices=("grading", "book", "hub"), help="run one part of the benchmark")
    args = parser.parse_args(argv)
    status = bench_grading(args) if args.only in (None, "grading") else 0
    if args.only in (None, "book"):
        from . import book_bench

        book_bench.report()
    if args.only in (None, "hub"):
        status = max(status, bench_shared_server())
    return status


def bench_shared_server() -> int:
    """The hub's load figures, or one line saying why they cannot be measured here."""
    print("\nshared server (JupyterHub):", flush=True)
    if os.geteuid() != 0:
        print("  skipped: it makes a system login per simulated learner, so it needs root (sudo make bench)")
        return 0
    from . import bench_hub

    return bench_hub.main([])


def bench_grading(args: argparse.Namespace) -> int:
    slugs = (content.assessed_slugs() if args.modules == ["all"] else args.modules) or content.assessed_slugs()[:1]
    with tempfile.TemporaryDirectory(prefix="toolkit-bench-") as scratch:
        root = scratch_course(Path(scratch), slugs)
        stock = make_layout(root, workspace=Path(scratch) / "stock")
        course = make_layout(root, workspace=Path(scratch) / "course")
        count = synthetic_submissions(stock, args.learners, args.seed, slugs)
        shutil.copytree(stock.submitted, course.submitted)
        print(f"{count} synthetic submissions: {args.learners} learners x {len(slugs)} module(s)", flush=True)
        for slug in slugs:  # recording the modules in each gradebook is not grading
            ensure_assignment(stock, slug)
            ensure_assignment(course, slug)

        started = time.perf_counter()
        stock_autograde(stock, slugs)
        stock_seconds = time.perf_counter() - started
        print(f"plain sequential nbgrader autograde (stock Execute): {stock_seconds:8.1f} s", flush=True)
        started = time.perf_counter()
        report = autograde.autograde(course, slugs, progress=False)
        course_seconds = time.perf_counter() - started
        print(f"toolkit-course autograde (the course's pipeline):    {course_seconds:8.1f} s"
              f"  ({len(report.errors)} errors)")
        print(f"speed-up:                                            {stock_seconds / course_seconds:8.1f} x")

        stock_scores, course_scores = gradebook_scores(stock.db_url), gradebook_scores(course.db_url)
        different = differences(stock_scores, course_scores)
        if different or report.errors or len(course_scores) == 0:
            print("grades DIFFER:", *different, *report.errors[:10], sep="\n  ")
            return 1
        print(f"grades match ({len(course_scores)} grades of {count} submissions)")
        return 0


if __name__ == "__main__":
    sys.exit(main())
