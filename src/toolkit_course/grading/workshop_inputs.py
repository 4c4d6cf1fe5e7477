"""The workshop report's inputs, read and checked in one place. Each problem names the file, row and column.

Formats (the book's facilitator chapter shows an example of each):

- Pre/post scores: either the gradebook (two graded assignments, `pre-test` and `post-test` by
  default), or a CSV with the columns
      learner,pre,post
  where learner is the roster id and pre/post are scores from 0 to the maximum (100 unless
  --max-score says otherwise). An empty cell means the participant did not take that test.
- Evaluations: a CSV, one row per completed form, with the columns
      relevance,quality,confidence,comment
  relevance, quality and confidence are 1 (lowest) to 5 (highest), empty if not answered;
  comment is free text. The form is anonymous: no column names the participant.
- The agenda delivered: a YAML file (content/schemas/workshop-agenda.schema.yaml), the name of
  one in content/workshops/agendas/ (e.g. `one-day`), or a plain-text file.
- Certificates: the register that `toolkit-course certify` keeps (<workspace>/certificates/register.jsonl).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from .. import content

EVALUATION_QUESTIONS = ("relevance", "quality", "confidence")
EVALUATION_COLUMNS = (*EVALUATION_QUESTIONS, "comment")
RATINGS = (1, 2, 3, 4, 5)
SCORE_COLUMNS = ("learner", "pre", "post")
AGENDA_SCHEMA = "workshop-agenda"
AGENDA_SUFFIXES = (".yaml", ".yml")


def agenda_folder() -> Path:
    return content.content_root() / "workshops" / "agendas"


class WorkshopInputError(ValueError):
    """An input file the workshop report cannot use: which file, where, and what is wrong."""

    def __init__(self, path: Path | str, problem: str, row: int | None = None, column: str | None = None):
        where = [str(path)] + ([f"row {row}"] if row is not None else []) + ([f"column '{column}'"] if column else [])
        super().__init__(": ".join(where) + f": {problem}")


# ---------------------------------------------------------------- CSV files


def _csv_rows(path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[tuple[int, dict]]:
    """(row number, values) for every non-empty row; the header must hold `required` columns."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheets often add a byte-order mark
    except FileNotFoundError:
        raise WorkshopInputError(path, "file not found") from None
    except UnicodeDecodeError as exc:
        raise WorkshopInputError(path, f"not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8'") from None
    # newline="": a quoted comment keeps its line breaks (str.splitlines would cut it at each one, even at
    # Unicode separators, and glue the pieces together).
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _checked_rows(path, reader, required, optional)
    except csv.Error as exc:  # a field past the csv module's limit, a quote left open, ...
        # line_num counts the lines read before the row that failed, which starts on the next one.
        raise WorkshopInputError(path, f"cannot be read as CSV ({exc})", row=reader.line_num + 1) from None


def _checked_rows(path: Path, reader: csv.DictReader, required: tuple[str, ...],
                  optional: tuple[str, ...]) -> list[tuple[int, dict]]:
    columns = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    if not columns:
        raise WorkshopInputError(path, f"the file is empty; the first row must name the columns {', '.join(required)}",
                                 row=1)
    missing = [name for name in required if name not in columns]
    if missing:
        raise WorkshopInputError(path, f"this column is missing (the header has: {', '.join(columns)})",
                                 row=1, column=missing[0])
    unknown = [name for name in columns if name not in required + optional]
    if unknown:
        raise WorkshopInputError(path, f"unexpected column; the columns are {', '.join(required + optional)}",
                                 row=1, column=unknown[0])
    reader.fieldnames = columns
    rows = []
    for row in reader:
        number = reader.line_num  # the line a row ends on: a quoted comment may span several
        if None in row:
            raise WorkshopInputError(path, "this row has more values than the header has columns", row=number)
        if any((value or "").strip() for value in row.values()):
            rows.append((number, {key: (value or "").strip() for key, value in row.items()}))
    return rows


# ---------------------------------------------------------------- pre- and post-test scores


@dataclass(frozen=True)
class Scores:
    """Each participant's pre- and post-test scores as percentages (0-100); missing = did not take it."""

    pre: dict[str, float]
    post: dict[str, float]
    source: str  # in words, for the report: a file name, never a full path


def read_scores_csv(path: Path, participant_ids: set[str], max_score: float = 100.0) -> Scores:
    """The scores of participants on the roster (people with a learner's role)."""
    pre, post, seen = {}, {}, {}
    for number, row in _csv_rows(path, SCORE_COLUMNS):
        learner = row["learner"]
        if not learner:
            raise WorkshopInputError(path, "is empty", row=number, column="learner")
        if learner not in participant_ids:
            raise WorkshopInputError(path, f"'{learner}' is not the id of a participant on the roster", row=number,
                                     column="learner")
        if learner in seen:
            raise WorkshopInputError(path, f"'{learner}' is already listed in row {seen[learner]}", row=number,
                                     column="learner")
        seen[learner] = number
        for column, target in (("pre", pre), ("post", post)):
            if row[column]:
                target[learner] = 100.0 * _score(path, number, column, row[column], max_score) / max_score
    return Scores(pre, post, Path(path).name)  # the name only: a full path can name the facilitator


def _score(path: Path, row: int, column: str, text: str, max_score: float) -> float:
    try:
        value = float(text.replace(",", "."))  # a decimal comma, as many spreadsheets write it
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 <= value <= max_score:
        raise WorkshopInputError(path, f"'{text}' is not a score from 0 to {max_score:g}; leave the cell empty "
                                 "if the participant did not take the test", row=row, column=column)
    return value


def scores_from_gradebook(course: Path | None, workspace: Path | None, roster: Path | None,
                          pre_slug: str, post_slug: str) -> Scores:
    """The two tests' scores from nbgrader's gradebook, through the one reader of graded results."""
    from . import results

    try:
        cohort = results.load_cohort(course, workspace, roster, [pre_slug, post_slug])
    except results.ResultsError as error:
        raise WorkshopInputError(
            "gradebook", f"cannot read the tests '{pre_slug}' and '{post_slug}' ({error}); give the scores as a "
            "CSV with --scores (columns learner,pre,post), or name the tests with --pre-test and --post-test") from None
    pre = {lr.id: r.percent for lr in cohort.learners if (r := cohort.result(lr.id, pre_slug))}
    post = {lr.id: r.percent for lr in cohort.learners if (r := cohort.result(lr.id, post_slug))}
    return Scores(pre, post, f"gradebook ({pre_slug}, {post_slug})")


# ---------------------------------------------------------------- evaluations


@dataclass(frozen=True)
class Evaluations:
    forms: int
    ratings: dict[str, list[int]]  # question -> the ratings given (unanswered left out)
    comments: list[str] = field(default_factory=list)  # non-empty comments, as written


def read_evaluations(path: Path) -> Evaluations:
    rows = _csv_rows(path, EVALUATION_QUESTIONS, ("comment",))
    ratings = {question: [] for question in EVALUATION_QUESTIONS}
    comments = []
    for number, row in rows:
        for question in EVALUATION_QUESTIONS:
            text = row[question]
            if not text:
                continue
            if text not in {str(r) for r in RATINGS}:
                raise WorkshopInputError(path, f"'{text}' is not a rating: use a whole number from 1 to 5, or leave "
                                         "the cell empty", row=number, column=question)
            ratings[question].append(int(text))
        if row.get("comment"):
            comments.append(row["comment"])
    return Evaluations(len(rows), ratings, comments)


# ---------------------------------------------------------------- the agenda


@dataclass(frozen=True)
class Agenda:
    source: str
    title: str
    details: dict  # audience, duration, notes (each may be missing)
    sessions: list[dict]  # from a YAML agenda
    text: str = ""  # a plain-text agenda, shown as it is


def read_agenda(value: str) -> Agenda:
    """An agenda from a YAML file, the name of one in content/workshops/agendas/, or a text file."""
    path = Path(value)
    named = agenda_folder() / f"{value}.yaml"
    if not path.exists() and path.suffix == "" and named.exists():
        path = named
    if not path.exists():
        raise WorkshopInputError(path, "no such agenda file; give a YAML or text file, or the name of an agenda in "
                                 f"{agenda_folder()}")
    if path.suffix.lower() in AGENDA_SUFFIXES:
        try:
            data = content.load_file(path, AGENDA_SCHEMA)
        except content.ContentError as error:
            raise WorkshopInputError(path, f"not a valid agenda: {error.item}: {error.problem}") from None
        known = set(content.published_slugs())
        for number, session in enumerate(data["sessions"], start=1):
            for slug in session.get("modules") or []:
                if slug not in known:
                    raise WorkshopInputError(path, f"session {number} ('{session['title']}'): there is no module "
                                             f"'{slug}'; the modules are {', '.join(sorted(known))}")
        return Agenda(str(path), data["title"], {k: data.get(k) for k in ("audience", "duration", "notes")},
                      data["sessions"])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise WorkshopInputError(path, f"not UTF-8 text (byte {exc.start})") from None
    return Agenda(str(path), path.stem.replace("-", " ").capitalize(), {}, [], text)


# ---------------------------------------------------------------- certificates


def certified_ids(register: Path) -> set[str] | None:
    """Learner ids that hold a certificate in the register (revoked ones do not count); None if there is none."""
    from . import certificates

    if not Path(register).exists():
        return None
    try:
        return {entry["learner_id"] for entry in certificates.read_register(register) if not entry.get("revoked")}
    except certificates.CertificateError as error:
        raise WorkshopInputError(register, str(error)) from None
