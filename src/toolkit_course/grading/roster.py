"""The learners' roster: one CSV file the facilitator fills in, read in one place.

Columns: id, name, email, role, and optionally sex and profession. Only people whose role is a
learner's are registered in nbgrader's gradebook; facilitators and observers may
be listed too. Everything that needs the learners (collect, the results commands,
certificates) reads them through read_roster() and gets the one Learner record.

Sex is recorded for the sex-disaggregated cohort report only. Its categories are
"female", "male" and "prefers not to say"; "prefers not to say" is an answer the
learner gave, counted as its own group, and is not the same as an empty cell,
which means "not recorded". Rosters made before the column was called "sex" have
a "gender" column; it is read as the sex column, with the same categories.

Profession is optional too: the participant's professional group, for the workshop report's
breakdown "by role" in the donor's sense (the "role" column is the person's role in the course:
participant, facilitator, observer). Its categories are PROFESSIONS; "prefers not to say" is one of
them, and an empty cell means "not recorded", reported as its own group and never dropped.
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
SEX_COLUMN = "sex"
OLD_SEX_COLUMN = "gender"  # the column's name in rosters made before it was renamed
LEARNER_ROLES = {"learner", "participant", "student"}

FEMALE, MALE, PREFERS_NOT_TO_SAY = "female", "male", "prefers not to say"
SEX_CATEGORIES = (FEMALE, MALE, PREFERS_NOT_TO_SAY)
SEX_NOT_RECORDED = ""  # an empty cell: the roster does not say
# What facilitators type, lower-cased with single spaces, and the category it means.
_SEX_SPELLINGS = {
    "female": FEMALE, "f": FEMALE, "woman": FEMALE,
    "male": MALE, "m": MALE, "man": MALE,
    "prefers not to say": PREFERS_NOT_TO_SAY, "prefer not to say": PREFERS_NOT_TO_SAY,
    "prefers not to answer": PREFERS_NOT_TO_SAY, "prefer not to answer": PREFERS_NOT_TO_SAY,
}

PROFESSION_COLUMN = "profession"
PROFESSIONS = (
    "police", "border or immigration official", "prosecutor", "judge", "lawyer", "labour inspector",
    "service provider or NGO staff", "policy maker", "UN or international organisation staff", "other",
    PREFERS_NOT_TO_SAY,
)
PROFESSION_NOT_RECORDED = ""  # an empty cell: the roster does not say
# Lower-cased spellings with single spaces -> category; a few common variants besides the categories.
_PROFESSION_SPELLINGS = {category.lower(): category for category in PROFESSIONS} | {
    "prefer not to say": PREFERS_NOT_TO_SAY, "police officer": "police",
    "border official": "border or immigration official", "immigration official": "border or immigration official",
    "service provider": "service provider or NGO staff", "ngo staff": "service provider or NGO staff",
    "policymaker": "policy maker",
}

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
    """A person on the roster, or someone graded in the gradebook but missing from it (on_roster False)."""

    id: str
    name: str
    email: str = ""
    role: str = "learner"
    sex: str = SEX_NOT_RECORDED  # one of SEX_CATEGORIES, or SEX_NOT_RECORDED
    profession: str = PROFESSION_NOT_RECORDED  # one of PROFESSIONS, or PROFESSION_NOT_RECORDED
    on_roster: bool = True

    @property
    def is_learner(self) -> bool:
        return self.role in LEARNER_ROLES

    @property
    def first_and_last_name(self) -> tuple[str, str]:
        parts = self.name.rsplit(" ", 1)
        return (parts[0], parts[1]) if len(parts) == 2 else (self.name, "")


def sex_category(value: str) -> str | None:
    """The category a roster cell means, SEX_NOT_RECORDED for an empty cell, None if it is not one."""
    spelled = " ".join((value or "").lower().split())
    if not spelled:
        return SEX_NOT_RECORDED
    return _SEX_SPELLINGS.get(spelled)


def profession_category(value: str) -> str | None:
    """The category a profession cell means, PROFESSION_NOT_RECORDED for an empty cell, None if it is not one."""
    spelled = " ".join((value or "").lower().split())
    if not spelled:
        return PROFESSION_NOT_RECORDED
    return _PROFESSION_SPELLINGS.get(spelled)


def read_roster(path: Path | str) -> list[Learner]:
    """Everybody in the roster; raise RosterError at the first problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheets often add a byte-order mark
    except FileNotFoundError:
        raise RosterError(path, None, None, "file not found") from None
    except UnicodeDecodeError as exc:
        raise RosterError(path, None, None, f"not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8'") from None
    reader = csv.DictReader(text.splitlines())
    sex_column = _check_header(path, reader.fieldnames)
    people, seen_ids, seen_emails = [], {}, {}
    for row_number, row in enumerate(reader, start=2):  # row 1 is the header
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        person = _person(path, row_number, row, sex_column)
        for key, seen, column in ((person.id.lower(), seen_ids, "id"), (person.email.lower(), seen_emails, "email")):
            if key in seen:
                raise RosterError(path, row_number, column, f"'{key}' is already used in row {seen[key]}")
            seen[key] = row_number
        people.append(person)
    if not people:
        raise RosterError(path, None, None, "the roster lists nobody")
    return people


def read_learners(path: Path | str) -> list[Learner]:
    """Only the learners in the roster (not facilitators or observers)."""
    return [person for person in read_roster(path) if person.is_learner]


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
    if SEX_COLUMN in columns and OLD_SEX_COLUMN in columns:
        raise RosterError(path, 1, OLD_SEX_COLUMN, f"'{OLD_SEX_COLUMN}' is the old name of the '{SEX_COLUMN}' "
                          "column; keep only the 'sex' column")
    for column in (SEX_COLUMN, OLD_SEX_COLUMN):
        if column in columns:
            return column
    return None


def _person(path: Path, row: int, values: dict, sex_column: str | None) -> Learner:
    if None in values:
        raise RosterError(path, row, None, "this row has more values than the header has columns")

    def field(name: str) -> str:
        value = (values.get(name) or "").strip()
        if not value and name in REQUIRED_COLUMNS:
            raise RosterError(path, row, name, "is empty")
        return value

    sex = SEX_NOT_RECORDED
    if sex_column:
        sex = sex_category(field(sex_column))
        if sex is None:
            read_as = f" (read as '{SEX_COLUMN}')" if sex_column == OLD_SEX_COLUMN else ""
            raise RosterError(path, row, sex_column, f"'{field(sex_column)}'{read_as} is not one of: "
                              f"{', '.join(SEX_CATEGORIES)}; leave the cell empty if it is not recorded")
    profession = profession_category(field(PROFESSION_COLUMN))
    if profession is None:
        raise RosterError(path, row, PROFESSION_COLUMN, f"'{field(PROFESSION_COLUMN)}' is not one of: "
                          f"{', '.join(PROFESSIONS)}; leave the cell empty if it is not recorded")
    person = Learner(id=field("id"), name=" ".join(field("name").split()), email=field("email"),
                     role=field("role").lower(), sex=sex, profession=profession)
    if not _ID_PATTERN.match(person.id):
        raise RosterError(path, row, "id", f"'{person.id}' may only use letters, digits, '.', '_' and '-' "
                          "(it becomes a folder name), start with a letter or digit, and be at most 64 long")
    if not _EMAIL_PATTERN.match(person.email):
        raise RosterError(path, row, "email", f"'{person.email}' is not an e-mail address")
    return person


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
    return roster_copy_in(layout.workspace)


def roster_copy_in(workspace: Path) -> Path:
    return Path(workspace) / "roster.csv"


def registered_roster(layout: Layout) -> list[Learner]:
    path = roster_copy(layout)
    return read_roster(path) if path.exists() else []
