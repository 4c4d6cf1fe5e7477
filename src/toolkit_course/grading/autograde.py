"""`toolkit-course autograde`: grade every submission of the cohort's modules, resumably, with a report.

With no module named, the cohort's modules are graded (cohort_settings.py): those set in
cohort.yaml, else those that were submitted. A module nobody handed in is not added to the
gradebook, so the results commands never show it.

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
from .cohort_settings import cohort_modules, load_settings
from .jobs import Job, already_graded, find_jobs, mark_done, submitted_slugs
from .layout import Layout
from .nbgrader_run import Grader, ensure_assignment, reused_across_learners


@dataclass
class AutogradeReport:
    graded: list[Job] = field(default_factory=list)
    already_done: list[Job] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)  # the modules this run looked at
    outside_cohort: list[str] = field(default_factory=list)  # submitted, but not in cohort.yaml's modules

    def lines(self) -> list[str]:
        scope = ", ".join(self.modules) if self.modules else "none (no submissions found)"
        return ([f"modules: {scope}",
                 f"graded {len(self.graded)} submission(s); {len(self.already_done)} were already graded"]
                + [f"not graded: {slug} has submissions but is not one of this cohort's modules (cohort.yaml); "
                   f"grade it with `toolkit-course autograde {slug}` or add it with `toolkit-course cohort --modules`"
                   for slug in self.outside_cohort]
                + [f"ERROR {message}" for message in self.errors])


def autograde(layout: Layout, slugs: list[str] | None = None, force: bool = False,
              progress: bool = True) -> AutogradeReport:
    """Grade the submissions in submitted/ for the given modules (default: the cohort's submitted modules)."""
    from .workspace_access import check_writable

    check_writable(layout)  # before grading anything: files left by `sudo autograde` would fail half-way
    assessed = content.gradable_slugs()  # the workshop's pre- and post-test are graded too
    outside: list[str] = []
    if slugs:
        unknown = sorted(set(slugs) - set(assessed))
        if unknown:
            raise ValueError(f"no assessed module called {', '.join(unknown)}; choose from {', '.join(assessed)}")
    else:
        submitted = submitted_slugs(layout, assessed)
        # Only modules that were handed in: the cohort may list a module nobody has returned yet.
        slugs = [slug for slug in cohort_modules(load_settings(layout), submitted) if slug in submitted]
        slugs += [slug for slug in content.workshop_test_slugs() if slug in submitted]  # never in cohort.yaml
        outside = [slug for slug in submitted if slug not in slugs]
    for slug in slugs:
        ensure_assignment(layout, slug)
    found, problems = find_jobs(layout, slugs)
    report = AutogradeReport(errors=problems, modules=list(slugs), outside_cohort=outside)
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
