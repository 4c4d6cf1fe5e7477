"""Bring learners' notebooks into nbgrader's submitted/ folder, trusting the roster, not the notebook.

Two sources, one path through this module:
  * a folder or zip of notebooks returned by e-mail, whatever the files are called;
  * nbgrader's exchange (its inbound folder), read directly: nbgrader's own `collect`
    follows links, lets a folder name choose where it writes, and stops the whole batch
    at one badly named folder.

Every file is first copied, within limits and without following links (intake.py),
into <workspace>/returned/<batch>/originals/; nothing is ever deleted. Then each copy:

* is read as a notebook (notebook_file.py), with a clear line for anything else (damaged JSON, JSON
  nested too deep, metadata of the wrong type, ...);
* is matched to a module by the nbgrader cell ids it carries (never by its file name);
* is matched to a learner *in the roster* by what the facilitator can vouch for: the
  exchange sender (the login in the submission folder's name), or the learner's id,
  e-mail or full name in the file's path (accents and case ignored). What the notebook
  says about itself is only a claim, cross-checked with that: the id or e-mail the
  learner typed in its "About you" box (read as text, never run), and the learner id it
  may carry in its metadata (toolkit_course.learner). When they agree, the notebook is
  filed; when only one of them names a learner, that one is used and the report says
  so; when they disagree, or a name fits several learners, the notebook is set aside in
  <workspace>/to-decide/<batch>/ with a line saying why, the likely learners, and the
  command that files it for one of them (`toolkit-course collect --as ID FILE`), and
  nothing is filed. A notebook that only a claim names is filed for a learner who has
  no submission yet, and set aside to decide rather than replace one.

Two notebooks for the same learner and module: the newest wins ("newest": the file's
modification time, the time stored in the zip, or the exchange submission's time;
when equal, the path that sorts last). A notebook already in submitted/ is replaced
only by a newer, different one, and is kept under returned/<batch>/replaced/ first;
an identical one is reported as unchanged.

Any exception while handling one file becomes a "NOT MATCHED" line naming the file
and the reason; the other files go on.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import content
from ..assessment_notebook import ABOUT_YOU_ID, ABOUT_YOU_VARIABLE
from . import roster as roster_module
from .intake import SUBMISSION_SECRET, Intake, Returned, login_uid, printable
from .layout import Layout
from .notebook_file import kind_of, parse_notebook, read_notebook
from .roster import Learner
from .static_answers import read_literal_answer

METADATA_KEY = "toolkit_course"  # notebook.metadata.toolkit_course.learner = "<id>": a claim, checked
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"  # nbgrader reads timestamp.txt in this form
_MODULE_MATCH = 0.5  # share of a module's nbgrader cells a notebook must carry to count as that module
_TYPED_SHOWN = 80  # characters of what a learner typed that a report line shows
_ABOUT_YOU_READ_MAX = 10_000  # characters of an About-you box collect parses; the box is one line
_CLOCK_SLACK = dt.timedelta(days=1)  # zip dates are local time with no time zone
_NAME_PART_MIN = 3  # a shorter part of a name ("Li", "de") is too common to suggest a learner
COMMAND = "toolkit-course collect"

__all__ = ["CollectReport", "Returned", "collect_exchange", "collect_returned", "identify_module",
           "misnamed_submissions", "module_cell_ids", "parse_notebook", "read_notebook"]


@dataclass
class CollectReport:
    placed: list[Returned] = field(default_factory=list)
    unchanged: list[Returned] = field(default_factory=list)  # identical to the submission already filed
    set_aside: list[tuple[Returned, str]] = field(default_factory=list)  # older copies
    # Older submissions nbgrader's exchange still holds, whose newer one was filed at an earlier collect
    # (they were set aside then): counted, not set aside and reported again at every collect.
    set_aside_before: list[Returned] = field(default_factory=list)
    to_decide: list[tuple[Returned, str]] = field(default_factory=list)  # identity in doubt: the facilitator decides
    problems: list[Returned] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self, command: str = COMMAND) -> list[str]:
        """The report, one line per file; command is how the facilitator runs collect (for the confirm line)."""
        out = [f"placed {r.label} -> {r.learner} / {r.slug}" + (f" ({r.how})" if r.how else "") for r in self.placed]
        out += [f"unchanged {r.label}: identical to the submission of {r.learner} for {r.slug} already filed"
                for r in self.unchanged]
        out += [f"set aside {r.label}: {why}" for r, why in self.set_aside]
        if self.set_aside_before:
            who = ", ".join(sorted({r.learner for r in self.set_aside_before}))
            out.append(f"older {len(self.set_aside_before)}: earlier submission(s) of {who} still in the exchange, "
                       "set aside at an earlier collect; nothing to do")
        for r, why in self.to_decide:
            out.append(f"TO DECIDE {r.label}: {why}")
            out += [f"  {line}" for line in confirm_lines(r, command)]
        out += [f"NOT MATCHED {r.label}: {r.problem}" for r in self.problems]
        items = self.placed + self.unchanged + [r for r, _ in self.set_aside + self.to_decide] + self.problems
        out += [f"note {r.label}: {note}" for r in items for note in r.notes]
        return out + self.notes

    # The exchange command prints these, as it printed nbgrader collect's output before.
    @property
    def stdout(self) -> str:
        return "".join(line + "\n" for line in self.lines())

    @property
    def stderr(self) -> str:
        return ""

    @property
    def returncode(self) -> int:
        return 1 if self.problems or self.to_decide else 0


# ---------------------------------------------------------------- modules

def module_cell_ids(layout: Layout) -> dict[str, set[str]]:
    """nbgrader cell ids of each assessed module (student version, or instructor version if not released yet)."""
    ids = {}
    for slug in content.gradable_slugs():
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
        meta = cell.get("metadata") if isinstance(cell, dict) else None
        meta = meta.get("nbgrader") if isinstance(meta, dict) else None
        if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str) and meta["grade_id"]:
            checksum = meta.get("checksum")
            ids.add(f"{meta['grade_id']}:{checksum if isinstance(checksum, str) else ''}")
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


# ---------------------------------------------------------------- learners

def _fold(text: str) -> str:
    """Lower case without accents: "José Martínez" and "jose martinez" match."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def _words(text: str) -> str:
    return " " + " ".join(part for part in re.split(r"[\W_]+", _fold(text)) if part) + " "


def learners_named_in(label: str, learners: list[Learner]) -> list[Learner]:
    """The learners whose id, e-mail or every part of whose full name appears in the file's path."""
    folded, words = _fold(label), _words(label)
    found = []
    for learner in learners:
        name_words = _words(learner.name).split()
        if (learner.email and _fold(learner.email) in folded) or _words(learner.id) in words \
                or (name_words and all(f" {part} " in words for part in name_words)):
            found.append(learner)
    return found


def learners_partly_named_in(text: str, learners: list[Learner]) -> list[Learner]:
    """Learners one of whose names (at least three letters) is a word of text: "rana_final" -> Rana Haddad.

    Only ever a suggestion for the facilitator to confirm, never enough to file a notebook."""
    words = _words(text)
    return [learner for learner in learners
            if any(len(part) >= _NAME_PART_MIN and f" {part} " in words for part in _words(learner.name).split())]


def learners_typed(text: str, learners: list[Learner]) -> list[Learner]:
    """The learners whose id, e-mail or full name is exactly what was typed (accents, case and spaces ignored)."""
    typed = _fold(" ".join(text.strip().strip("<>\"'").split()))
    if not typed:
        return []
    return [learner for learner in learners
            if typed in (_fold(learner.id), _fold(learner.email or "\0")) or _words(typed) == _words(learner.name)]


def describe(learner: Learner) -> str:
    return f"{learner.id} ({printable(learner.name)})" if learner.name else learner.id


def confirm_lines(item: Returned, command: str = COMMAND) -> list[str]:
    """For a notebook set aside to decide: the likely learners, and the command that files it for one."""
    if item.decide_copy is None:
        return []
    path = shlex.quote(str(item.decide_copy))
    if not item.candidates:
        return [f"to file it for a learner, run: {command} --as LEARNER_ID {path}"]
    if len(item.candidates) == 1:
        only = item.candidates[0].split(" ", 1)[0]
        return [f"likely learner: {item.candidates[0]}", f"to file it for {only}, run: {command} --as {only} {path}"]
    first = item.candidates[0].split(" ", 1)[0]
    return [f"likely learners: {', '.join(item.candidates)}",
            f"to file it for one of them, run: {command} --as {first} {path}  (put the right id after --as)"]


class _Claim:
    """What the notebook's own metadata says about whose it is."""

    def __init__(self, notebook):
        self.learner: str | None = None
        self.problem: str | None = None
        meta = notebook.get("metadata", {}).get(METADATA_KEY)
        if meta is None:
            return
        if not isinstance(meta, dict):
            self.problem = f"its metadata '{METADATA_KEY}' is {kind_of(meta)} where a mapping is expected"
            return
        value = meta.get("learner")
        if value is None or value == "":
            return
        if not isinstance(value, str):
            self.problem = f"its metadata '{METADATA_KEY}.learner' is {kind_of(value)}, not a learner id"
            return
        self.learner = printable(value.strip())[:80]


class _AboutYou:
    """What the learner typed in the notebook's About-you box: read as text with the grader's reader, never run."""

    def __init__(self, notebook, learners: list[Learner]):
        self.text = ""  # as typed, made printable and cut short; "" when the box is empty or missing
        self.matches: list[Learner] = []
        for cell in notebook.get("cells", []):
            meta = cell.get("metadata", {}).get("nbgrader")
            if cell.get("cell_type") == "code" and isinstance(meta, dict) and meta.get("grade_id") == ABOUT_YOU_ID:
                source = str(cell.get("source", ""))
                if len(source) > _ABOUT_YOU_READ_MAX:  # parsing megabytes of code takes seconds a file
                    self.text = f"[too long to read: {len(source):,} characters]"
                    break
                read = read_literal_answer(source, ABOUT_YOU_VARIABLE)
                if read.found and isinstance(read.value, str) and read.value.strip():
                    self.text = printable(" ".join(read.value.split()))[:_TYPED_SHOWN]
                    self.matches = learners_typed(read.value, learners)
                break

    @property
    def learner(self) -> Learner | None:
        return self.matches[0] if len(self.matches) == 1 else None

    def says(self) -> str:
        return f"its About you box says '{self.text}'"


@dataclass
class _Verdict:
    learner: str | None = None
    by_metadata_only: bool = False  # only a claim inside the notebook names the learner
    claimed_by: str = "its metadata"
    problem: str | None = None     # NOT MATCHED
    to_decide: str | None = None   # set aside for the facilitator
    candidates: list[Learner] = field(default_factory=list)
    note: str | None = None        # how the learner was found, when the report should say so (see Returned.how)


def _unique(learners: list[Learner | None]) -> list[Learner]:
    seen: list[Learner] = []
    for learner in learners:
        if learner is not None and all(learner.id != other.id for other in seen):
            seen.append(learner)
    return seen


def decide_learner(item: Returned, notebook, learners: list[Learner], as_learner: str | None = None) -> _Verdict:
    """Whose notebook this is, by the roster and what the facilitator can vouch for; the notebook's claims are checked."""
    if as_learner:
        return _Verdict(as_learner, note="as you decided with --as")
    by_id = {learner.id.lower(): learner for learner in learners}
    claim = _Claim(notebook)
    claimed = by_id.get((claim.learner or "").lower())
    typed = _AboutYou(notebook, learners)
    if item.sender is not None:
        sender = by_id.get(item.sender.lower())
        if sender is None:
            return _Verdict(problem=f"it was sent through the exchange by '{printable(item.sender)}', who is not a "
                                    "learner in the roster")
        # nbgrader's exchange is writable by every learner, so the folder's name is only a claim too;
        # its owner is what the system vouches for (nbgrader itself only warns).
        owner = by_id.get((item.owner or "").lower())
        sender_uid = login_uid(sender.id)
        if owner is not None and owner.id != sender.id:
            return _Verdict(to_decide=f"it was sent as {sender.id}, but its folder in the exchange belongs to the "
                                      f"login of {owner.id}, another learner", candidates=[sender, owner])
        if sender_uid is not None and item.owner_uid not in (None, 0, sender_uid):
            return _Verdict(to_decide=f"it was sent as {sender.id}, but its folder in the exchange belongs to "
                                      f"another login ({printable(item.owner or str(item.owner_uid))})",
                            candidates=[sender])
        named, source, by = [sender], f"it was sent through the exchange by {sender.id}", "its sender"
    else:
        named = learners_named_in(item.label, learners)
        source, by = (f"its name says {named[0].id}" if len(named) == 1 else ""), "its name"
    if claim.problem:
        return _Verdict(to_decide=claim.problem + ", so whose notebook it is cannot be checked",
                        candidates=_unique(named + typed.matches))
    if claimed is not None and typed.learner is not None and claimed is not typed.learner:
        return _Verdict(to_decide=f"{typed.says()}, but its metadata names {claimed.id}",
                        candidates=_unique(named + [typed.learner, claimed]))
    if len(named) == 1:
        return _named_once(named[0], source, by, claim, claimed, typed, emailed=item.sender is None)
    if named:
        chosen = typed.learner or claimed
        several = ", ".join(sorted(n.id for n in named))
        if chosen in named:
            # Only a claim inside the notebook chose among them (a learner can put another's id in the file
            # name too), so it is filed like a claim: never over a submission, never over a named notebook.
            how = typed.says() if typed.learner else "its metadata names it"
            return _Verdict(chosen.id, by_metadata_only=True,
                            claimed_by="its About you box" if typed.learner else "its metadata",
                            note=f"its name fits several learners ({several}); {how}")
        return _Verdict(to_decide=f"its name fits several learners ({several})"
                                  + (f", and {typed.says()}" if typed.text else ""),
                        candidates=_unique(named + typed.matches + [claimed]))
    return _named_by_claim_only(item, learners, claim, claimed, typed)


def _named_once(person: Learner, source: str, by: str, claim: _Claim, claimed: Learner | None,
                typed: _AboutYou, emailed: bool) -> _Verdict:
    """The sender or the file's name names one learner: file it, unless a claim inside names someone else."""
    if claim.learner is not None and claimed is not person:
        who = claimed.id if claimed else f"'{claim.learner}', who is not in the roster"
        return _Verdict(to_decide=f"{source}, but its metadata names {who}", candidates=_unique([person, claimed]))
    if typed.matches and person not in typed.matches:
        return _Verdict(to_decide=f"{source}, but {typed.says()}", candidates=_unique([person, *typed.matches]))
    if typed.text and not typed.matches:
        return _Verdict(person.id, note=f"found by {by} only: {typed.says()}, which is no learner's id, e-mail or "
                                        "name in the roster")
    if not typed.text and emailed:
        return _Verdict(person.id, note=f"found by {by} only: its About you box is empty")
    return _Verdict(person.id)


def _named_by_claim_only(item: Returned, learners: list[Learner], claim: _Claim, claimed: Learner | None,
                         typed: _AboutYou) -> _Verdict:
    """Neither the sender nor the name names a learner: the About-you box or the metadata may."""
    if typed.learner is not None:
        return _Verdict(typed.learner.id, by_metadata_only=True, claimed_by="its About you box",
                        note=f"found by its About you box only: its name names no learner, and {typed.says()}")
    if claimed is not None:
        return _Verdict(claimed.id, by_metadata_only=True)
    if claim.learner is not None:
        return _Verdict(problem=f"its metadata names learner '{claim.learner}', who is not in the roster, and its "
                                "name names no learner")
    likely = _unique(typed.matches + learners_partly_named_in(f"{item.label} {typed.text}", learners))
    if typed.matches:
        return _Verdict(to_decide=f"its name names no learner, and {typed.says()}, which fits several learners",
                        candidates=likely)
    if likely:
        found = f"and {typed.says()}" if typed.text else "and its About you box is empty"
        return _Verdict(to_decide=f"its name and About you box name no learner in full ({found}), but part of "
                                  "them fits a learner's name", candidates=likely)
    if typed.text:
        return _Verdict(problem=f"its name contains no learner's id, e-mail or full name from the roster, and "
                                f"{typed.says()}, which is no learner's id, e-mail or name in the roster")
    return _Verdict(problem="its name contains no learner's id, e-mail or full name from the roster, and its "
                            "About you box is empty")


# ---------------------------------------------------------------- collecting

def _new_batch(layout: Layout) -> str:
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")


def collect_returned(source: Path | str, layout: Layout, learners: list[Learner],
                     as_learner: str | None = None) -> CollectReport:
    """File every notebook in a folder or zip into submitted/ and report the rest.

    as_learner is the facilitator's decision that every notebook in source is this
    learner's (for a notebook set aside to decide): names and metadata are then not used.
    """
    source = Path(source)
    if not source.exists():
        raise FileNotFoundError(f"{source}: no such folder or zip file")
    if as_learner and as_learner.lower() not in {learner.id.lower() for learner in learners}:
        raise ValueError(f"'{as_learner}' is not a learner in the roster")
    if as_learner:
        as_learner = next(learner.id for learner in learners if learner.id.lower() == as_learner.lower())
    batch = _new_batch(layout)
    intake = Intake(layout.returned / batch / "originals")
    intake.take_path(source)
    return _file_all(intake.items, layout, learners, batch, as_learner)


def collect_exchange(slug: str, layout: Layout, exchange_root: Path | str | None = None,
                     course_id: str | None = None, learners: list[Learner] | None = None) -> CollectReport:
    """Collect one module's submissions from nbgrader's exchange, checked like returned files.

    The sender is the login in each submission folder's name (as nbgrader files it);
    it must be a learner in the roster (default: the roster registered in the workspace).
    """
    if learners is None:
        learners = [person for person in roster_module.registered_roster(layout) if person.is_learner]
    root, course = _exchange_settings(layout, exchange_root, course_id)
    report = CollectReport()
    if not course:
        report.problems.append(Returned(str(root), problem="no course id: give --course-id, or set "
                                        "CourseDirectory.course_id in nbgrader_config.py"))
        return report
    inbound = root / course / "inbound"
    if not inbound.is_dir():
        report.problems.append(Returned(str(inbound), problem="no such folder: check --exchange-root and --course-id"))
        return report
    if not learners:
        report.notes.append("no roster is registered, so no sender can be matched: run `toolkit-course roster` first")
    batch = _new_batch(layout)
    intake = Intake(layout.returned / batch / "originals")
    intake.take_exchange(inbound, slug)
    report = _file_all(intake.items, layout, learners, batch, None, report)
    if not intake.items:
        report.notes.append(f"no submissions of {slug} in {inbound}")
    return report


def _exchange_settings(layout: Layout, exchange_root, course_id) -> tuple[Path, str]:
    from nbgrader.exchange.default.exchange import Exchange

    from .results import course_config

    config = course_config(layout.root, layout.workspace)
    root = exchange_root or config.Exchange.get("root") or Exchange.class_traits()["root"].default()
    return Path(root), course_id or config.CourseDirectory.get("course_id") or ""


def _file_all(items: list[Returned], layout: Layout, learners: list[Learner], batch: str,
              as_learner: str | None, report: CollectReport | None = None) -> CollectReport:
    report = report or CollectReport()
    modules = module_cell_ids(layout)
    candidates: dict[tuple[str, str], list[Returned]] = {}
    now = dt.datetime.now(dt.UTC)
    for item in items:
        if item.problem:
            report.problems.append(item)
            continue
        _not_in_future(item, now)
        try:
            verdict = _examine(item, modules, learners, as_learner)
        except Exception as exc:  # whatever goes wrong with one file, the others go on
            item.problem = f"could not be processed ({type(exc).__name__}: {printable(str(exc))[:200]})"
            verdict = None
        if item.problem:
            report.problems.append(item)
        elif verdict.to_decide and _filed_already(item, layout, learners):
            report.unchanged.append(item)  # decided before (say with --as): nothing to decide again
        elif verdict.to_decide:
            item.candidates = [describe(learner) for learner in verdict.candidates]
            _to_decide(item, verdict.to_decide, layout, batch, report)
        else:
            candidates.setdefault((item.learner, item.slug), []).append(item)
    for (learner, slug), group in sorted(candidates.items()):
        try:
            _settle(learner, slug, group, layout, batch, report)
        except Exception as exc:
            for item in group:
                if item not in report.placed:
                    item.problem = f"could not be filed ({type(exc).__name__}: {printable(str(exc))[:200]})"
                    report.problems.append(item)
    return report


def _filed_already(item: Returned, layout: Layout, learners: list[Learner]) -> bool:
    """This very file is already some learner's submission for its module; if so, item.learner is that learner.

    A notebook set aside to decide and then filed with --as would otherwise be set aside again by
    every later collect of the same batch, where it is simply unchanged."""
    data = item.original.read_bytes()
    for learner in learners:
        path = layout.submission(learner.id, item.slug)
        if path.is_file() and path.read_bytes() == data:
            item.learner = learner.id
            return True
    return False


def _not_in_future(item: Returned, now: dt.datetime) -> None:
    """A date after this collect (a zip entry's date is whatever the learner's zip tool wrote) is not believed:
    kept, it would make every later notebook of that learner look older and be set aside."""
    if item.modified is not None and item.modified > now + _CLOCK_SLACK:
        item.notes.append(f"its date ({item.modified:%Y-%m-%d %H:%M}) is in the future; counted as the time of "
                          "this collect")
        item.modified = now


def _examine(item: Returned, modules, learners, as_learner) -> _Verdict:
    try:
        notebook = read_notebook(item.original)
    except ValueError as exc:
        item.problem = str(exc)
        return _Verdict()
    item.slug, why_module = identify_module(notebook, modules)
    if why_module:
        item.problem = why_module
        return _Verdict()
    verdict = decide_learner(item, notebook, learners, as_learner)
    item.learner, item.by_metadata_only = verdict.learner, verdict.by_metadata_only
    item.claimed_by = verdict.claimed_by
    item.problem = verdict.problem
    item.how = verdict.note or ""
    return verdict


def _settle(learner: str, slug: str, group: list[Returned], layout: Layout, batch: str,
            report: CollectReport) -> None:
    """Choose the notebook to file for one learner and module, and file it."""
    named = [item for item in group if not item.by_metadata_only]
    if named:
        for item in group:
            if item.by_metadata_only:
                _to_decide(item, f"only {item.claimed_by} names {learner}, whose notebook for {slug} came in this "
                                 "batch under their name", layout, batch, report)
        group = named
    newest = max(group, key=lambda r: (r.sort_time, r.label))
    target = layout.submission(learner, slug)
    filed_before = target.is_file() and target.read_bytes() == newest.original.read_bytes()
    for other in group:
        if other is not newest and filed_before:
            report.set_aside_before.append(other)
        elif other is not newest:
            report.set_aside.append((other, f"{learner} also returned {newest.label} for {slug}, which is newer; "
                                            f"kept in {other.original}"))
    _place(newest, layout, batch, report)


def _place(item: Returned, layout: Layout, batch: str, report: CollectReport) -> None:
    target = layout.submission(item.learner, item.slug)
    stamp = target.parent / "timestamp.txt"
    new = item.original.read_bytes()
    if target.exists():
        if target.read_bytes() == new:
            report.unchanged.append(item)
            return
        if item.by_metadata_only:
            _to_decide(item, f"only {item.claimed_by} names {item.learner}, who already has a different submission "
                             f"for {item.slug}; it was not filed over it", layout, batch, report)
            return
        previous = _read_timestamp(stamp)
        if previous and previous > item.sort_time:
            report.set_aside.append((item, f"the submission already in {target} is newer ({previous:%Y-%m-%d %H:%M})"))
            return
        replaced = layout.returned / batch / "replaced" / f"{item.learner}-{item.slug}.ipynb"
        replaced.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target, replaced)
        report.notes.append(f"replaced the earlier submission of {item.learner} for {item.slug} (kept in {replaced})")
    target.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(target, new)
    when = item.modified or dt.datetime.now(dt.UTC)
    _write_atomically(stamp, when.strftime(TIMESTAMP_FORMAT).encode("utf-8"))
    # The secret goes with the submission it came with: nbgrader's autograde and feedback carry it
    # on, and release_feedback needs it. A notebook sent by e-mail has none, so an old one goes.
    secret = target.parent / SUBMISSION_SECRET
    if item.secret:
        _write_atomically(secret, item.secret.encode("ascii"))
    else:
        secret.unlink(missing_ok=True)
    report.placed.append(item)


def _write_atomically(path: Path, data: bytes) -> None:
    """A reader (or a killed run) never sees half a file."""
    temporary = path.with_name(f".{path.name}.part")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _to_decide(item: Returned, why: str, layout: Layout, batch: str, report: CollectReport) -> None:
    """Keep a copy for the facilitator, with why, the likely learners and the command that files it."""
    folder = layout.workspace / "to-decide" / batch
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / f"{len(report.to_decide) + 1:03d}-{item.original.name}"
    shutil.copyfile(item.original, copy)
    if item.learner and not item.candidates:
        item.candidates = [item.learner]
    item.decide_copy = copy
    with (folder / "why.txt").open("a", encoding="utf-8") as notes:
        notes.write(f"{copy.name} ({item.label}): {why}\n")
        notes.writelines(f"  {line}\n" for line in confirm_lines(item))
    report.to_decide.append((item, f"{why}. Nothing was filed; a copy is in {copy}"))


def _read_timestamp(path: Path) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(path.read_text(encoding="utf-8").strip(), TIMESTAMP_FORMAT).replace(
            tzinfo=dt.UTC)
    except (FileNotFoundError, ValueError, UnicodeDecodeError):
        return None


def misnamed_submissions(layout: Layout) -> list[str]:
    """Notebooks in submitted/ whose content is another module's, or damaged (e.g. after an exchange collect)."""
    modules = module_cell_ids(layout)
    problems = []
    for path in sorted(layout.submitted.glob("*/*/*.ipynb")):
        slug = path.parent.name
        try:
            found, why = identify_module(read_notebook(path), modules)
        except Exception as exc:  # one damaged file never hides the others
            problems.append(f"{path}: {exc}")
            continue
        if found is None:
            problems.append(f"{path}: {why}")
        elif found != slug:
            problems.append(f"{path}: this is the notebook of module {found}, not {slug}")
    return problems
