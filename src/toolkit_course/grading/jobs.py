"""The grading jobs of a run, and which of them are already done.

A job is one learner's submission of one module. After a job is graded, a "done" marker
records the digest of the submission it graded; a later run skips the job only while
the submission is unchanged and its graded notebook is in place. A run that is killed
leaves no marker for the job it was grading, so the next run grades that job again from
the start (nbgrader's autograde overwrites every automatic score it writes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .collect import identify_module, module_cell_ids, read_notebook
from .layout import Layout, notebook_name


@dataclass(frozen=True)
class Job:
    slug: str
    learner: str
    notebook: Path
    digest: str

    @property
    def label(self) -> str:
        return f"{self.learner} / {self.slug}"


def submitted_slugs(layout: Layout, among: list[str]) -> list[str]:
    """The modules (of `among`) that at least one learner handed in: a submitted/<learner>/<slug>/ folder."""
    return [slug for slug in among if any(folder.is_dir() for folder in layout.submitted.glob(f"*/{slug}"))]


def find_jobs(layout: Layout, slugs: list[str]) -> tuple[list[Job], list[str]]:
    """A job per submitted notebook; problems (damaged file, another module's notebook) named by file."""
    modules = module_cell_ids(layout)
    jobs, problems = [], []
    for slug in slugs:
        for folder in sorted(layout.submitted.glob(f"*/{slug}")):
            path = folder / notebook_name(slug)
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
    return marker.get("digest") == job.digest and layout.autograded_notebook(job.learner, job.slug).exists()


def mark_done(layout: Layout, job: Job) -> None:
    marker = _marker(layout, job)
    marker.parent.mkdir(parents=True, exist_ok=True)
    temporary = marker.with_suffix(".tmp")
    temporary.write_text(json.dumps({"digest": job.digest, "graded": dt.datetime.now(dt.UTC).isoformat()}),
                         encoding="utf-8")
    temporary.replace(marker)  # atomic: a marker is either absent or whole
