"""Hand grades through a spreadsheet: a template of every grade waiting, and an import of the filled file.

The template has the columns the import reads (learner, module, item, score, comment) and,
to mark from, the item's maximum, the learner's name and their answer. The import checks
every row on its own: a bad row is reported with the file, its line and the problem, and
the good rows are still saved (through handgrade.save_grade, as Formgrader would save them).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import MissingEntry

from .. import content
from . import handgrade
from .export import safe_text
from .layout import Layout
from .terminal_text import safe_for_terminal

# A formula start at the start of any piece a spreadsheet could make a cell of: the value's start, or after a
# separator or line break, spaces between. A spreadsheet set to semicolons or tabs reads only its own separator,
# so "rights;=HYPERLINK(...)" or a line break inside a quoted answer starts a cell there (the comma writer
# quotes neither the semicolon nor the tab).
_FORMULA_IN_A_PIECE = re.compile(r"(^|[,;\t\r\n])([ \u00a0]*)(?=[=+\-@\uff1d\uff0b\uff0d\uff20])")
REQUIRED = ("learner", "module", "item", "score")
COLUMNS = (*REQUIRED, "comment", "max_score", "name", "answer")


@dataclass
class ImportReport:
    path: Path
    applied: list[tuple[str, str, str, float]] = field(default_factory=list)
    blank: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self, still_waiting: int) -> str:
        problems = f"{len(self.errors)} row(s) had a problem (listed above); " if self.errors else ""
        return (f"{self.path}: saved {len(self.applied)} grade(s); {self.blank} row(s) had no score and were "
                f"left for later; {problems}{still_waiting} hand grade(s) still waiting")


def inert(text: str) -> str:
    """Text no spreadsheet runs as a formula, whatever separator it splits the file on: an apostrophe goes before
    each formula start (shown as text; the import never reads these columns)."""
    return _FORMULA_IN_A_PIECE.sub(r"\1\2'", text)


def write_template(where: Layout, out: Path, slug: str | None = None, learner: str | None = None) -> int:
    """Write a CSV of every grade still waiting; returns how many rows it has."""
    with handgrade.open_gradebook(where) as gradebook:
        waiting = handgrade.waiting_grades(gradebook, slug, learner)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # utf-8-sig: spreadsheets need the BOM to read accented names; the import accepts either.
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for grade in waiting:
            answer = handgrade.learner_answer(where, grade.learner, grade.slug, grade.item_id)
            writer.writerow([safe_text(grade.learner), grade.slug, grade.item_id, "", "", f"{grade.max_score:g}",
                             inert(safe_text(grade.learner_name)), inert(safe_text(answer))])
    return len(waiting)


def _open_rows(path: Path):
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise handgrade.HandgradeError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise handgrade.HandgradeError(f"{path}: not UTF-8 text; save it from the spreadsheet as "
                                       "'CSV UTF-8'") from None
    first_line = text.split("\n", 1)[0]
    try:
        # Spreadsheets in many countries save CSV with semicolons. Only the delimiter is taken from
        # the sniffer: from a header without quotes it would also guess that "" is not an escaped
        # quote, and break every answer that quotes someone.
        delimiter = csv.Sniffer().sniff(first_line, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    return csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)


def _shown(value: str) -> str:
    return safe_for_terminal(value, 60)


def import_csv(where: Layout, path: Path) -> ImportReport:
    """Check every row and save each good one; a bad row never stops the others."""
    path = Path(path)
    report = ImportReport(path)
    reader = _open_rows(path)
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise handgrade.HandgradeError(f"{path}, line 1: the header lacks the column(s) {', '.join(missing)}; "
                                       f"it needs {', '.join(REQUIRED)} and optionally comment "
                                       "(toolkit-course handgrade --template writes such a file)")
    column = {name: header.index(name) for name in (*REQUIRED, "comment") if name in header}
    seen: dict[tuple[str, str, str], int] = {}
    with handgrade.open_gradebook(where) as gradebook:
        learners = {student.id for student in gradebook.students}
        modules = {assignment.name for assignment in gradebook.assignments}
        line = reader.line_num
        for row in reader:
            start, line = line + 1, reader.line_num
            values = {name: (row[index].strip() if index < len(row) else "") for name, index in column.items()}
            if not any(values.values()):
                continue
            problem = _row_problem(gradebook, values, learners, modules)
            key = (values["learner"], values["module"], values["item"])
            if problem is None and key in seen:
                problem = f"the same grade is also on line {seen[key]}; only that line was used"
            if problem is None and not values["score"]:
                report.blank += 1
                continue
            score = None
            if problem is None:
                max_score = float(gradebook.find_grade(values["item"], handgrade.notebook_id(values["module"]),
                                                       values["module"], values["learner"]).max_score)
                try:
                    score = handgrade.parse_score(values["score"], max_score)
                except handgrade.HandgradeError as error:
                    problem = f"score {error}"
            if problem is not None:
                report.errors.append(f"{path}, line {start}: {problem}")
                continue
            seen[key] = start
            handgrade.save_grade(gradebook, *key, score, handgrade.clean_comment(values.get("comment", "")))
            report.applied.append((*key, score))
    return report


def _row_problem(gradebook, values: dict, learners: set[str], modules: set[str]) -> str | None:
    learner, slug, item = values["learner"], values["module"], values["item"]
    if not learner:
        return "the learner column is empty"
    if learner not in learners:
        return f"no learner '{_shown(learner)}' in the gradebook"
    if slug not in content.assessed_slugs():
        return f"no assessed module '{_shown(slug)}'"
    if slug not in modules:
        return f"module '{slug}' has no graded submission yet"
    if item not in handgrade.item_order(slug):
        return f"module '{slug}' has no item '{_shown(item)}'"
    if item not in handgrade.rubrics(slug):
        return f"item '{item}' of '{slug}' is marked by the autograder, not by hand"
    try:
        gradebook.find_grade(item, handgrade.notebook_id(slug), slug, learner)
    except MissingEntry:
        return f"learner '{learner}' has no graded submission of '{slug}'"
    return None
