"""`toolkit-course autograde`: grade every submission of one module or all, resumably, with a report.

Each learner's submission of a module is one job (jobs.py). Jobs are graded one after
another, in this process, by nbgrader's own Autograde converter with the course's
nbgrader_config.py (nbgrader_run.py), so the grades are exactly those of `nbgrader
autograde` typed by hand. No kernel is started: answers typed as plain values are read
from the notebook's text and the hidden tests run in this process on those values
(preprocessors.py); only items whose answers are computed by code use the sandbox.
That makes a notebook take a fraction of a second, so the command needs no parallel
workers and writes straight into the gradebook.

A job's "done" marker is written after nbgrader has written its grades, so a killed run
loses at most the job it was grading, and the next run grades that job again.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from .. import content
from .jobs import Job, already_graded, find_jobs, mark_done
from .layout import Layout
from .nbgrader_run import Grader, ensure_assignment, reused_across_learners


@dataclass
class AutogradeReport:
    graded: list[Job] = field(default_factory=list)
    already_done: list[Job] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return ([f"graded {len(self.graded)} submission(s); {len(self.already_done)} were already graded"]
                + [f"ERROR {message}" for message in self.errors])


def autograde(layout: Layout, slugs: list[str] | None = None, force: bool = False,
              progress: bool = True) -> AutogradeReport:
    """Grade the submissions in submitted/ for the given modules (default: every assessed module)."""
    assessed = content.assessed_slugs()
    slugs = slugs or assessed
    unknown = sorted(set(slugs) - set(assessed))
    if unknown:
        raise ValueError(f"no assessed module called {', '.join(unknown)}; choose from {', '.join(assessed)}")
    for slug in slugs:
        ensure_assignment(layout, slug)
    found, problems = find_jobs(layout, slugs)
    report = AutogradeReport(errors=problems)
    todo = []
    for job in found:
        (todo if force or not already_graded(layout, job) else report.already_done).append(job)
    if todo:
        _grade(layout, todo, report, progress)
    return report


def _grade(layout: Layout, todo: list[Job], report: AutogradeReport, progress: bool) -> None:
    from tqdm import tqdm

    grader = Grader(layout)
    with reused_across_learners(), \
            tqdm(total=len(todo), unit="notebook", desc="Autograding", disable=not progress, file=sys.stderr) as bar:
        for job in todo:
            outcome = grader.autograde(job.slug, job.learner)
            if outcome.ok and layout.autograded_notebook(job.learner, job.slug).exists():
                mark_done(layout, job)
                report.graded.append(job)
            else:
                message = f"{job.notebook}: nbgrader could not grade it: {outcome.last_error()}"
                report.errors.append(message)
                bar.write(f"error: {message}", file=sys.stderr)
            bar.update(1)
