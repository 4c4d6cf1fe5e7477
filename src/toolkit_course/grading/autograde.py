"""Autograde every submission of one module or all, in parallel, safely and resumably.

Each (learner, module) is one job; jobs are graded in small chunks. A worker runs plain
`nbgrader autograde <module>` on a private submitted/ folder holding just its chunk,
against its own copy of the gradebook and its own autograded/ folder, so no two processes ever write to the same SQLite file (nbgrader's gradebook
is not safe for concurrent writers). Only this process writes to the real gradebook:
it copies each finished learner's automatic scores and comments in, moves the graded
notebook into place, and then writes a "done" marker. A run that is killed at any
point leaves the gradebook with whole jobs only (SQLite transactions), and the next
run redoes exactly the jobs without a marker for the current submission.

The kernel of every job runs in the sandbox (see sandbox.py), and the Execute
preprocessor is replaced by GuardedExecute, which undoes IPython hooks a learner
may have installed before each hidden test runs (see kernel_guard.py).
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import datetime as dt
import hashlib
import json
import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from nbgrader.utils import is_grade
from traitlets import Integer

from .. import content
from . import sandbox as sandbox_module
from .collect import identify_module, module_cell_ids, read_notebook
from .layout import Layout

NBGRADER = [sys.executable, "-m", "nbgrader"]
_AUTOGRADE_PREPROCESSORS = [  # nbgrader's own list, with Execute swapped for GuardedExecute
    "toolkit_course.grading.autograde.GuardedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "toolkit_course.grading.autograde.LimitOutputSize",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
_GUARD = "__import__('toolkit_course.grading.kernel_guard', fromlist=['reset']).{}()"
_DEFAULT_CELL_TIMEOUT = 60


class GuardedExecute(Execute):
    """nbgrader's Execute, plus a reset of the learner's kernel hooks before each graded cell."""

    def preprocess_cell(self, cell, resources, index):
        if not getattr(self, "_guard_started", False):
            self._guard_started = True
            self._call_guard("snapshot")
        guarded = True
        if cell.cell_type == "code" and is_grade(cell):
            guarded = self._call_guard("reset")
        cell, resources = super().preprocess_cell(cell, resources, index)
        if not guarded:
            # Fail closed: if the kernel refuses the reset, this test cannot be trusted.
            cell.outputs.append(nbformat.v4.new_output(
                "error", ename="GradingGuardError",
                evalue="the notebook changed how the grading kernel runs code, so this test scores 0",
                traceback=["GradingGuardError: the notebook changed how the grading kernel runs code, "
                           "so this test scores 0"]))
        return cell, resources

    def _call_guard(self, name: str) -> bool:
        try:
            msg_id = self.kc.execute("", silent=True, store_history=False,
                                     user_expressions={"guard": _GUARD.format(name)})
            reply = self.wait_for_reply(msg_id)
        except Exception:  # a dead or hung kernel: nbclient reports it on the cell itself
            return False
        result = (reply or {}).get("content", {}).get("user_expressions", {}).get("guard", {})
        return result.get("status") == "ok"


class LimitOutputSize(NbGraderPreprocessor):
    """Cap the characters kept per output: nbgrader's LimitOutput counts lines, and one line can be huge."""

    max_characters = Integer(20_000, help="characters kept per output").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and len(output.text) > self.max_characters:
                output.text = output.text[:self.max_characters] + "\n... Output truncated (too long) ...\n"
            for kind, value in list(output.get("data", {}).items()):
                if isinstance(value, str) and len(value) > self.max_characters:
                    output.data = {"text/plain": f"... {kind} output removed: {len(value)} characters ..."}
                    break
        return cell, resources


@dataclass(frozen=True)
class Job:
    slug: str
    learner: str
    notebook: Path
    digest: str

    @property
    def label(self) -> str:
        return f"{self.learner} / {self.slug}"


@dataclass
class AutogradeReport:
    graded: list[Job] = field(default_factory=list)
    already_done: list[Job] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return ([f"graded {len(self.graded)} submission(s); {len(self.already_done)} were already graded"]
                + [f"ERROR {message}" for message in self.errors])


# ---------------------------------------------------------------- preparing

def ensure_assignment(layout: Layout, slug: str) -> None:
    """nbgrader needs the module's cells in the gradebook; generate_assignment records them."""
    with Gradebook(layout.db_url) as gradebook:
        try:
            if gradebook.find_assignment(slug).notebooks:
                return
        except MissingEntry:
            pass
    scratch_release = layout.state / "release-for-gradebook"
    result = subprocess.run(NBGRADER + ["generate_assignment", slug, "--force", "--log-level=WARN",
                                        f"--CourseDirectory.release_directory={scratch_release}"],
                            cwd=layout.root, env=layout.env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment {slug} failed:\n{result.stdout}{result.stderr}")


def find_jobs(layout: Layout, slugs: list[str]) -> tuple[list[Job], list[str]]:
    """A job per submitted notebook; problems (damaged, wrong module) named by file."""
    modules = module_cell_ids(layout)
    jobs, problems = [], []
    for slug in slugs:
        for folder in sorted(layout.submitted.glob(f"*/{slug}")):
            path = folder / f"{slug}-assessment.ipynb"
            if not path.exists():
                problems.append(f"{folder}: no {path.name} in this submission")
                continue
            try:
                found, why = identify_module(read_notebook(path), modules)
            except ValueError as exc:
                problems.append(f"{path}: {exc}; not graded")
                continue
            if found != slug:
                problems.append(f"{path}: " + (f"this is the notebook of module {found}, not {slug}; not graded"
                                               if found else f"{why}; not graded"))
                continue
            jobs.append(Job(slug, folder.parent.name, path, _digest(folder)))
    return jobs, problems


def _digest(folder: Path) -> str:
    """Identifies one version of a submission: the notebook and its timestamp."""
    hasher = hashlib.sha256()
    for name in sorted(p.name for p in folder.iterdir() if p.is_file()):
        hasher.update(name.encode() + b"\0" + (folder / name).read_bytes())
    return hasher.hexdigest()


def _marker(layout: Layout, job: Job) -> Path:
    return layout.state / "done" / job.slug / f"{job.learner}.json"


def already_graded(layout: Layout, job: Job) -> bool:
    try:
        marker = json.loads(_marker(layout, job).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return False
    graded_notebook = layout.autograded / job.learner / job.slug / job.notebook.name
    return marker.get("digest") == job.digest and graded_notebook.exists()


# ---------------------------------------------------------------- running

@dataclass
class _Settings:
    layout: Layout
    run_dir: Path
    snapshot: Path
    cell_timeout: int | None
    slots: "queue.Queue[int]"
    kernel_names: dict[int, str]


def _kill_with_parent() -> None:
    # A killed run must not leave workers writing on: they die with the thread that started them.
    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)


def _job_timeout(job: Job, cell_timeout: int | None) -> int:
    cells = sum(1 for cell in nbformat.read(job.notebook, as_version=4).cells if cell.cell_type == "code")
    return (cell_timeout or _DEFAULT_CELL_TIMEOUT) * (cells + 2) + 120


_KERNEL_START_FAILURES = ("Address already in use", "Kernel didn't respond")
_MAX_CHUNK = 8


def chunks(todo: list[Job], workers: int) -> list[list[Job]]:
    """Split the jobs of each module into chunks graded by one nbgrader process each.

    Starting nbgrader costs seconds, so one process grades several learners; chunks stay
    small enough that every worker gets several (for balance) and that a killed run loses
    little work.
    """
    size = max(1, min(_MAX_CHUNK, -(-len(todo) // (workers * 3))))
    result = []
    for slug in dict.fromkeys(job.slug for job in todo):
        same = [job for job in todo if job.slug == slug]
        result += [same[i:i + size] for i in range(0, len(same), size)]
    return result


@dataclass
class _Outcome:
    job: Job
    workdir: Path | None = None
    results: dict | None = None
    error: str = ""


def _grade_chunk(chunk: list[Job], settings: _Settings, name: str) -> list[_Outcome]:
    """Grade a chunk with one nbgrader process; retry singly any learner hit by a kernel start failure.

    jupyter_client picks a kernel's ports before the kernel binds them, so two kernels
    starting at once can collide; such a failed start is retried, nothing else is.
    """
    slot = settings.slots.get()
    try:
        outcomes = _attempt(chunk, settings, slot, name)
        for index, outcome in enumerate(outcomes):
            if outcome.error and _transient(outcome.workdir):
                outcomes[index] = _attempt([outcome.job], settings, slot, f"{name}-retry-{index}")[0]
        return outcomes
    finally:
        settings.slots.put(slot)


def _transient(workdir: Path | None) -> bool:
    log = (workdir or Path("/nonexistent")) / "nbgrader.log"
    return log.exists() and any(sign in log.read_text(errors="replace") for sign in _KERNEL_START_FAILURES)


def _attempt(chunk: list[Job], settings: _Settings, slot: int, name: str) -> list[_Outcome]:
    slug = chunk[0].slug
    workdir = settings.run_dir / "jobs" / slug / name
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    shutil.copyfile(settings.snapshot, workdir / "gradebook.db")
    for job in chunk:  # a private submitted/ holding just this chunk's learners
        shutil.copytree(job.notebook.parent, workdir / "submitted" / job.learner / slug)
    command = NBGRADER + [
        "autograde", slug, "--force",
        f"--CourseDirectory.submitted_directory={workdir / 'submitted'}",
        f"--CourseDirectory.db_url=sqlite:///{workdir / 'gradebook.db'}",
        f"--CourseDirectory.autograded_directory={workdir / 'autograded'}",
    ] + [f"--Autograde.autograde_preprocessors={pp}" for pp in _AUTOGRADE_PREPROCESSORS]
    if settings.cell_timeout:
        command.append(f"--Execute.timeout={settings.cell_timeout}")
    env = settings.layout.env()
    if slot in settings.kernel_names:
        command.append(f"--Execute.kernel_name={settings.kernel_names[slot]}")
        env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(settings.run_dir / "jupyter"),
                                                            env.get("JUPYTER_PATH")]))
    log = workdir / "nbgrader.log"
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(command, cwd=settings.layout.root, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   preexec_fn=_kill_with_parent)
        try:
            process.wait(timeout=sum(_job_timeout(job, settings.cell_timeout) for job in chunk))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return [_Outcome(job, workdir, error=f"{job.notebook}: grading took too long and was stopped; "
                                                  "not graded") for job in chunk]
    graded = [job for job in chunk if (workdir / "autograded" / job.learner / slug / job.notebook.name).exists()]
    results = _read_results(workdir, graded)
    return [_Outcome(job, workdir, results[job.learner]) if job in graded else
            _Outcome(job, workdir, error=f"{job.notebook}: nbgrader could not grade it: "
                                         f"{_last_error(log, job.learner)}")
            for job in chunk]


def _read_results(workdir: Path, graded: list[Job]) -> dict[str, dict]:
    """The automatic results of each graded learner, read from the chunk's private gradebook."""
    results = {}
    if not graded:
        return results
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{workdir / 'gradebook.db'}") as private:
        warnings.simplefilter("ignore", category=Warning)
        for job in graded:
            submission = private.find_submission(job.slug, job.learner)
            student = private.find_student(job.learner)
            results[job.learner] = {
                "student": dict(first_name=student.first_name, last_name=student.last_name, email=student.email),
                "timestamp": submission.timestamp,
                "notebooks": {nb.name: {
                    "flagged": nb.flagged, "late_submission_penalty": nb.late_submission_penalty,
                    "grades": {g.name: (g.auto_score, g.needs_manual_grade) for g in nb.grades},
                    "comments": {c.name: c.auto_comment for c in nb.comments},
                } for nb in submission.notebooks},
            }
    return results


def _last_error(log: Path, learner: str) -> str:
    lines = [line.strip() for line in log.read_text(encoding="utf-8", errors="replace").splitlines()]
    errors = [line for line in lines if ("ERROR" in line or "Error" in line) and "Please see" not in line
              and "There was an error processing" not in line]
    return (errors or lines or ["no output"])[-1][:500]


def _keep_log(outcome: "_Outcome", settings: _Settings) -> Path:
    job = outcome.job
    kept = settings.layout.state / "logs" / job.slug / f"{job.learner}.log"
    kept.parent.mkdir(parents=True, exist_ok=True)
    log = (outcome.workdir or Path("/nonexistent")) / "nbgrader.log"
    if log.exists():
        shutil.copyfile(log, kept)
    return kept


# ---------------------------------------------------------------- merging

def merge(job: Job, results: dict, workdir: Path, main: Gradebook, layout: Layout) -> None:
    """Copy one learner's automatic results into the real gradebook; idempotent, so a rerun is harmless."""
    with warnings.catch_warnings():
        # nbgrader's own update_or_create_submission triggers harmless SQLAlchemy autoflush warnings.
        warnings.simplefilter("ignore", category=Warning)
        try:
            main.find_student(job.learner)
        except MissingEntry:
            main.add_student(job.learner, **results["student"])
        main.update_or_create_submission(job.slug, job.learner, timestamp=results["timestamp"])
        for name, notebook in results["notebooks"].items():
            target = main.find_submission_notebook(name, job.slug, job.learner)
            target.flagged = notebook["flagged"]
            target.late_submission_penalty = notebook["late_submission_penalty"]
            for cell, (auto_score, needs_manual_grade) in notebook["grades"].items():
                grade = main.find_grade(cell, name, job.slug, job.learner)
                grade.auto_score, grade.needs_manual_grade = auto_score, needs_manual_grade
            for cell, auto_comment in notebook["comments"].items():
                main.find_comment(cell, name, job.slug, job.learner).auto_comment = auto_comment
        main.db.commit()
    destination = layout.autograded / job.learner / job.slug
    if destination.exists():
        shutil.rmtree(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(workdir / "autograded" / job.learner / job.slug, destination)
    marker = _marker(layout, job)
    marker.parent.mkdir(parents=True, exist_ok=True)
    temporary = marker.with_suffix(".tmp")
    temporary.write_text(json.dumps({"digest": job.digest, "graded": dt.datetime.now(dt.timezone.utc).isoformat()}),
                         encoding="utf-8")
    temporary.replace(marker)


def _snapshot_gradebook(layout: Layout, target: Path) -> None:
    # The backup API gives a consistent copy even if a facilitator has the gradebook open.
    with sqlite3.connect(layout.gradebook) as source, sqlite3.connect(target) as copy:
        source.backup(copy)


# ---------------------------------------------------------------- the command

def autograde(layout: Layout, slugs: list[str] | None = None, jobs: int | None = None, sandbox: bool = True,
              force: bool = False, cell_timeout: int | None = None, progress: bool = True) -> AutogradeReport:
    """Grade the submissions in submitted/ for the given modules (default: every assessed module)."""
    if sandbox:
        sandbox_module.check_available()
    slugs = slugs or content.assessed_slugs()
    unknown = sorted(set(slugs) - set(content.assessed_slugs()))
    if unknown:
        raise ValueError(f"no assessed module called {', '.join(unknown)}; "
                         f"choose from {', '.join(content.assessed_slugs())}")
    jobs = max(1, jobs or os.cpu_count() or 1)
    for slug in slugs:
        ensure_assignment(layout, slug)
    found, problems = find_jobs(layout, slugs)
    report = AutogradeReport(errors=problems)
    todo = []
    for job in found:
        (todo if force or not already_graded(layout, job) else report.already_done).append(job)
    if not todo:
        return report
    settings = _prepare_run(layout, jobs, sandbox, cell_timeout)
    try:
        _run(todo, settings, jobs, progress, report)
    finally:
        shutil.rmtree(settings.run_dir, ignore_errors=True)
    return report


def _prepare_run(layout: Layout, jobs: int, sandbox: bool, cell_timeout: int | None) -> _Settings:
    runs = layout.state / "runs"
    shutil.rmtree(runs, ignore_errors=True)  # left by a run that was killed; its workers died with it
    run_dir = runs / dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    run_dir.mkdir(parents=True)
    snapshot = run_dir / "gradebook-snapshot.db"
    _snapshot_gradebook(layout, snapshot)
    slots: queue.Queue[int] = queue.Queue()
    for slot in range(jobs):
        slots.put(slot)
    kernel_names = {}
    if sandbox:
        hidden = sandbox_module.default_hidden(layout.root, layout.workspace)
        for slot, (uid, gid) in enumerate(sandbox_module.ensure_slot_users(jobs)):
            kernel_names[slot] = sandbox_module.write_kernelspec(run_dir / "jupyter", slot, uid, gid, hidden)
    return _Settings(layout, run_dir, snapshot, cell_timeout, slots, kernel_names)


def _run(todo: list[Job], settings: _Settings, jobs: int, progress: bool, report: AutogradeReport) -> None:
    from tqdm import tqdm

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool, \
            Gradebook(settings.layout.db_url) as main, \
            tqdm(total=len(todo), unit="notebook", desc="Autograding", disable=not progress,
                 file=sys.stderr) as bar:
        futures = [pool.submit(_grade_chunk, chunk, settings, f"chunk-{index}")
                   for index, chunk in enumerate(chunks(todo, jobs))]
        for future in concurrent.futures.as_completed(futures):
            for outcome in future.result():
                if outcome.error:
                    kept = _keep_log(outcome, settings)
                    report.errors.append(f"{outcome.error} (nbgrader's log: {kept})")
                    bar.write(f"error: {outcome.error}", file=sys.stderr)
                else:
                    merge(outcome.job, outcome.results, outcome.workdir, main, settings.layout)
                    report.graded.append(outcome.job)
                bar.update(1)


# ---------------------------------------------------------------- comparing with plain nbgrader

def plain_sequential_autograde(layout: Layout, slugs: list[str] | None = None) -> None:
    """Exactly what a facilitator would type: `nbgrader autograde <module>`, one module after another."""
    for slug in slugs or content.assessed_slugs():
        ensure_assignment(layout, slug)
        result = subprocess.run(NBGRADER + ["autograde", slug, "--force"], cwd=layout.root, env=layout.env(),
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"nbgrader autograde {slug} failed:\n{result.stdout}{result.stderr}")


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
