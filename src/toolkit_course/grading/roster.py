"""Read the learners' roster (a CSV file) and register the learners in nbgrader's gradebook.

Columns: id, name, email, role, and optionally sex or gender. Only people whose
role is a learner are registered; facilitators and observers may be listed too.
"""

from __future__ import annotations

import csv
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook

from .layout import Layout

REQUIRED_COLUMNS = ("id", "name", "email", "role")
GENDER_COLUMNS = ("sex", "gender")
LEARNER_ROLES = {"learner", "participant", "student"}
# nbgrader uses the id as a folder name, so it must be safe as one.
_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class RosterError(ValueError):
    """A problem in the roster, naming the file, the row and the column."""

    def __init__(self, path: Path | str, row: int | None, column: str | None, problem: str):
        where = [str(path)]
        if row is not None:
            where.append(f"row {row}")
        if column:
            where.append(f"column '{column}'")
        super().__init__(": ".join(where) + f": {problem}")


@dataclass(frozen=True)
class Learner:
    id: str
    name: str
    email: str
    role: str
    gender: str = ""

    @property
    def is_learner(self) -> bool:
        return self.role in LEARNER_ROLES

    @property
    def first_and_last_name(self) -> tuple[str, str]:
        parts = self.name.rsplit(" ", 1)
        return (parts[0], parts[1]) if len(parts) == 2 else (self.name, "")


def read_roster(path: Path | str) -> list[Learner]:
    """All people in the roster; raise RosterError at the first problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheets often add a byte-order mark
    except FileNotFoundError:
        raise RosterError(path, None, None, "file not found") from None
    except UnicodeDecodeError as exc:
        raise RosterError(path, None, None, f"not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8'") from None
    reader = csv.DictReader(text.splitlines())
    gender_column = _check_header(path, reader.fieldnames)
    people, seen_ids, seen_emails = [], {}, {}
    for row_number, row in enumerate(reader, start=2):  # row 1 is the header
        if not any((value or "").strip() for value in row.values()):
            continue
        person = _learner(path, row_number, row, gender_column)
        for key, seen, column in ((person.id.lower(), seen_ids, "id"), (person.email.lower(), seen_emails, "email")):
            if key in seen:
                raise RosterError(path, row_number, column, f"'{key}' is already used in row {seen[key]}")
            seen[key] = row_number
        people.append(person)
    if not people:
        raise RosterError(path, None, None, "the roster lists nobody")
    return people


def _check_header(path: Path, fieldnames: list[str] | None) -> str | None:
    if not fieldnames:
        raise RosterError(path, 1, None, "the file is empty; the first row must name the columns "
                          + ", ".join(REQUIRED_COLUMNS))
    columns = [name.strip().lower() for name in fieldnames]
    if columns != fieldnames:
        raise RosterError(path, 1, None, "column names must be lower case without spaces around them: "
                          + ", ".join(REQUIRED_COLUMNS))
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise RosterError(path, 1, missing[0], f"this column is missing (the header has: {', '.join(columns)})")
    genders = [name for name in GENDER_COLUMNS if name in columns]
    if len(genders) > 1:
        raise RosterError(path, 1, genders[1], "use either 'sex' or 'gender', not both")
    return genders[0] if genders else None


def _learner(path: Path, row: int, values: dict, gender_column: str | None) -> Learner:
    if None in values:
        raise RosterError(path, row, None, "this row has more values than the header has columns")

    def field(name: str) -> str:
        value = (values.get(name) or "").strip()
        if not value and name in REQUIRED_COLUMNS:
            raise RosterError(path, row, name, "is empty")
        return value

    learner = Learner(id=field("id"), name=" ".join(field("name").split()), email=field("email"),
                      role=field("role").lower(), gender=field(gender_column) if gender_column else "")
    if not _ID_PATTERN.match(learner.id):
        raise RosterError(path, row, "id", f"'{learner.id}' may only use letters, digits, '.', '_' and '-' "
                          "(it becomes a folder name), start with a letter or digit, and be at most 64 long")
    if not _EMAIL_PATTERN.match(learner.email):
        raise RosterError(path, row, "email", f"'{learner.email}' is not an e-mail address")
    return learner


def register(people: list[Learner], layout: Layout, roster_path: Path | None = None) -> list[Learner]:
    """Create or update each learner in the gradebook; keep a copy of the roster in the workspace.

    Returns the people registered (learners only).
    """
    learners = [person for person in people if person.is_learner]
    with Gradebook(layout.db_url) as gradebook:
        for learner in learners:
            first, last = learner.first_and_last_name
            gradebook.update_or_create_student(learner.id, first_name=first, last_name=last, email=learner.email)
    if roster_path is not None and Path(roster_path).resolve() != roster_copy(layout).resolve():
        shutil.copyfile(roster_path, roster_copy(layout))
    return learners


def roster_copy(layout: Layout) -> Path:
    """The roster last registered; collect and the results commands read it from here."""
    return layout.workspace / "roster.csv"


def registered_roster(layout: Layout) -> list[Learner]:
    path = roster_copy(layout)
    return read_roster(path) if path.exists() else []
