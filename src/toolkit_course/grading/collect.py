"""Bring learners' notebooks into nbgrader's submitted/ folder.

Two sources:
  * nbgrader's exchange, through `nbgrader collect` itself;
  * a folder or zip of notebooks returned by e-mail, whatever the files are called.

A returned notebook is matched to a module by the nbgrader cell ids it carries
(never by its file name: see _cell_ids) and to a learner by, in order: a learner id stored in the
notebook's metadata, then the learner's id, e-mail or full name appearing in the
file's path. Anything that cannot be matched is reported by name; nothing is
deleted: every returned file is first copied unchanged into
<workspace>/returned/<batch>/.

Two notebooks for the same learner and module: the newest wins. "Newest" is the
file's modification time (for a zip, the time stored in the zip); when equal, the
path that sorts last wins. A notebook already in submitted/ is only replaced by a
newer one, and is kept under returned/<batch>/replaced/ first.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import content
from .layout import Layout
from .roster import Learner

METADATA_KEY = "toolkit_course"  # notebook.metadata.toolkit_course.learner = "<id>"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"  # nbgrader reads timestamp.txt in this form
_MODULE_MATCH = 0.5  # share of a module's nbgrader cells a notebook must carry to count as that module
_IGNORED = {"__MACOSX", ".DS_Store", "Thumbs.db", ".ipynb_checkpoints"}


@dataclass
class Returned:
    """One returned file and what collect made of it."""
    original: Path        # the kept copy under returned/<batch>/
    label: str            # the name the facilitator knows it by (path inside the folder or zip)
    modified: dt.datetime
    learner: str | None = None
    slug: str | None = None
    problem: str | None = None


@dataclass
class CollectReport:
    placed: list[Returned] = field(default_factory=list)
    set_aside: list[tuple[Returned, str]] = field(default_factory=list)  # duplicates and older copies
    problems: list[Returned] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"placed {r.label} -> {r.learner} / {r.slug}" for r in self.placed]
        out += [f"set aside {r.label}: {why}" for r, why in self.set_aside]
        out += [f"NOT MATCHED {r.label}: {r.problem}" for r in self.problems]
        return out + self.notes


# ---------------------------------------------------------------- modules

def module_cell_ids(layout: Layout) -> dict[str, set[str]]:
    """nbgrader cell ids of each assessed module (student version, or instructor version if not released yet)."""
    ids = {}
    for slug in content.assessed_slugs():
        name = f"{slug}-assessment.ipynb"
        for path in (layout.release / slug / name, layout.source / slug / name):
            if path.exists():
                ids[slug] = _cell_ids(nbformat.read(path, as_version=4))
                break
    return ids


def _cell_ids(notebook) -> set[str]:
    """Each nbgrader cell as "<grade id>:<checksum>".

    Modules reuse grade ids (q1, q2, ...), but the checksum nbgrader stores for each
    cell of the released version differs with the cell's text, and a learner's
    editing a cell does not change the stored checksum.
    """
    ids = set()
    for cell in notebook.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id"):
            ids.add(f"{meta['grade_id']}:{meta.get('checksum', '')}")
    return ids


def identify_module(notebook, modules: dict[str, set[str]]) -> tuple[str | None, str]:
    """The module a notebook belongs to, by its nbgrader cell ids; or None and why not."""
    found = _cell_ids(notebook)
    if not found:
        return None, "has no nbgrader cells, so it is not one of the course's assessment notebooks"
    scores = {slug: len(found & ids) / len(ids) for slug, ids in modules.items() if ids}
    ranked = sorted(scores, key=scores.get, reverse=True)
    if not ranked or scores[ranked[0]] < _MODULE_MATCH:
        return None, "its cells do not match any assessed module's notebook"
    if len(ranked) > 1 and scores[ranked[1]] == scores[ranked[0]]:
        return None, f"its cells fit several modules equally ({ranked[0]}, {ranked[1]})"
    return ranked[0], ""


def read_notebook(path: Path):
    """The notebook at path, or raise ValueError saying plainly what is wrong with the file."""
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("is not a notebook (not text)") from None
    except json.JSONDecodeError as exc:
        if not raw.strip().startswith(b"{"):
            raise ValueError("is not a notebook (not JSON)") from None
        raise ValueError(f"is a damaged notebook: invalid JSON at line {exc.lineno}, column {exc.colno} "
                         f"({exc.msg}); ask the learner to send it again") from None
    if not isinstance(data, dict) or "cells" not in data or "nbformat" not in data:
        raise ValueError("is JSON but not a notebook (no cells)")
    try:
        return nbformat.reads(json.dumps(data), as_version=4)
    except Exception as exc:  # nbformat raises several kinds for malformed notebooks
        raise ValueError(f"is a damaged notebook: {exc}") from None


# ---------------------------------------------------------------- learners

def _words(text: str) -> str:
    return " " + " ".join(re.split(r"[^a-z0-9]+", text.lower())).strip() + " "


def identify_learner(notebook, label: str, learners: list[Learner]) -> tuple[str | None, str]:
    """The learner a notebook belongs to, or None and why not."""
    by_id = {learner.id.lower(): learner.id for learner in learners}
    stored = str(notebook.get("metadata", {}).get(METADATA_KEY, {}).get("learner", "")).lower()
    if stored:
        if stored in by_id:
            return by_id[stored], ""
        return None, f"its metadata names learner '{stored}', who is not in the roster"
    lowered, words = label.lower(), _words(label)
    matches = {learner.id for learner in learners
               if learner.email.lower() in lowered
               or _words(learner.id) in words
               or (_words(learner.name).strip() and all(f" {part} " in words
                                                       for part in _words(learner.name).split()))}
    if len(matches) == 1:
        return matches.pop(), ""
    if matches:
        return None, f"its name fits several learners ({', '.join(sorted(matches))}); rename it to include one id"
    return None, "its name contains no learner's id, e-mail or full name from the roster"


# ---------------------------------------------------------------- returned folder or zip

def collect_returned(source: Path | str, layout: Layout, learners: list[Learner]) -> CollectReport:
    """File every notebook in a folder or zip into submitted/ and report the rest."""
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such folder or zip file")
    batch = layout.returned / dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    files = _keep_originals(source, batch / "originals")
    modules = module_cell_ids(layout)
    report = CollectReport()
    candidates: dict[tuple[str, str], list[Returned]] = {}
    for item in files:
        try:
            notebook = read_notebook(item.original)
        except ValueError as exc:
            item.problem = str(exc)
        else:
            item.slug, why_module = identify_module(notebook, modules)
            item.learner, why_learner = identify_learner(notebook, item.label, learners)
            item.problem = why_module or why_learner or None
        if item.problem:
            report.problems.append(item)
        else:
            candidates.setdefault((item.learner, item.slug), []).append(item)
    for (learner, slug), items in sorted(candidates.items()):
        newest = max(items, key=lambda r: (r.modified, r.label))
        for other in items:
            if other is not newest:
                report.set_aside.append((other, f"{learner} also returned {newest.label} for {slug}, "
                                                f"which is newer; kept in {other.original}"))
        _place(newest, layout, batch, report)
    return report


def _keep_originals(source: Path, keep: Path) -> list[Returned]:
    keep.mkdir(parents=True, exist_ok=True)
    if source.is_file() and zipfile.is_zipfile(source):
        return _from_zip(source, keep)
    if source.is_file():
        paths = [(source, source.name)]
    else:
        paths = [(p, p.relative_to(source).as_posix()) for p in sorted(source.rglob("*")) if p.is_file()]
    items = []
    for path, label in paths:
        if _ignored(label):
            continue
        target = keep / label
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
        items.append(Returned(target, label, modified))
    return items


def _from_zip(source: Path, keep: Path) -> list[Returned]:
    items = []
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            label = info.filename
            if info.is_dir() or _ignored(label):
                continue
            target = (keep / label).resolve()
            if not target.is_relative_to(keep.resolve()):  # a zip may try to write outside its folder
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            modified = dt.datetime(*info.date_time, tzinfo=dt.timezone.utc)
            items.append(Returned(target, f"{source.name}:{label}", modified))
    return items


def _ignored(label: str) -> bool:
    return any(part in _IGNORED or part.startswith("._") for part in Path(label).parts)


def _place(item: Returned, layout: Layout, batch: Path, report: CollectReport) -> None:
    target = layout.submission(item.learner, item.slug)
    stamp = target.parent / "timestamp.txt"
    if target.exists():
        previous = _read_timestamp(stamp)
        if previous and previous > item.modified:
            report.set_aside.append((item, f"the submission already in {target} is newer ({previous:%Y-%m-%d %H:%M})"))
            return
        replaced = batch / "replaced" / f"{item.learner}-{item.slug}.ipynb"
        replaced.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target, replaced)
        report.notes.append(f"replaced the earlier submission of {item.learner} for {item.slug} (kept in {replaced})")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(item.original, target)
    stamp.write_text(item.modified.strftime(TIMESTAMP_FORMAT), encoding="utf-8")
    report.placed.append(item)


def _read_timestamp(path: Path) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(path.read_text(encoding="utf-8").strip(), TIMESTAMP_FORMAT).replace(
            tzinfo=dt.timezone.utc)
    except (FileNotFoundError, ValueError):
        return None


# ---------------------------------------------------------------- nbgrader exchange

def collect_exchange(slug: str, layout: Layout, exchange_root: Path | None = None,
                     course_id: str | None = None) -> subprocess.CompletedProcess:
    """Run `nbgrader collect` for one module; its output says what it collected."""
    command = [sys.executable, "-m", "nbgrader", "collect", slug, "--update"]
    if exchange_root:
        command.append(f"--Exchange.root={exchange_root}")
    if course_id:
        command.append(f"--CourseDirectory.course_id={course_id}")
    return subprocess.run(command, cwd=layout.root, env=layout.env(), capture_output=True, text=True)


def misnamed_submissions(layout: Layout) -> list[str]:
    """Notebooks in submitted/ whose content is another module's, or damaged (e.g. after an exchange collect)."""
    modules = module_cell_ids(layout)
    problems = []
    for path in sorted(layout.submitted.glob("*/*/*.ipynb")):
        slug = path.parent.name
        try:
            found, why = identify_module(read_notebook(path), modules)
        except ValueError as exc:
            problems.append(f"{path}: {exc}")
            continue
        if found is None:
            problems.append(f"{path}: {why}")
        elif found != slug:
            problems.append(f"{path}: this is the notebook of module {found}, not {slug}")
    return problems
