"""What each answer box of an assessment must hand back: read from the instructor notebook, never the submission.

assessment_notebook.py writes, on every answer cell of the instructor notebook (in
solutions/<slug>/), the cell metadata

    "toolkit_course": {"answer": "literal",  "names": {"answer_q1": "text"}}
    "toolkit_course": {"answer": "computed", "names": {"share_female": "number"}, "data_files": ["x.csv"]}
    "toolkit_course": {"answer": "plot"}      (a hand-graded plot: its code runs with the computed cells)

A submission carries the same metadata, but learners can edit it, so grading reads it
from the instructor notebook only and finds the learner's cell by nbgrader's grade id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..answer_checks import ANSWER_TYPES, fits_type

METADATA_KEY = "toolkit_course"
LITERAL, COMPUTED, PLOT = "literal", "computed", "plot"


@dataclass(frozen=True)
class AnswerCell:
    grade_id: str
    kind: str  # LITERAL, COMPUTED or PLOT
    names: dict[str, str]  # declared answer name -> type (a key of ANSWER_TYPES)
    data_files: tuple[str, ...] = ()


class DeclarationError(ValueError):
    """The instructor notebook declares something grading cannot use; the message names the file and cell."""


def read_declarations(source_notebook: Path) -> list[AnswerCell]:
    """Every declared answer cell of an instructor notebook, in notebook order."""
    try:
        cells = json.loads(Path(source_notebook).read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError) as error:
        raise DeclarationError(f"{source_notebook}: cannot read the instructor notebook ({error})") from None
    declared = []
    for cell in cells:
        spec = cell.get("metadata", {}).get(METADATA_KEY)
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if not spec:
            continue
        where = f"{source_notebook}: cell {grade_id!r}"
        if not grade_id or spec.get("answer") not in (LITERAL, COMPUTED, PLOT):
            raise DeclarationError(f"{where}: an answer cell needs an nbgrader grade id and answer "
                                   f"literal, computed or plot, not {spec!r}")
        names = spec.get("names", {})
        unknown = {name: kind for name, kind in names.items() if kind not in ANSWER_TYPES}
        files = tuple(spec.get("data_files", ()))
        if unknown or any(Path(f).name != f for f in files) or (spec["answer"] == LITERAL and len(names) != 1):
            raise DeclarationError(f"{where}: bad declaration {spec!r}")
        declared.append(AnswerCell(grade_id, spec["answer"], dict(names), files))
    return declared


def type_problem(name: str, value: object, kind: str) -> str:
    """'' when value has the declared type; otherwise one plain sentence saying what is wrong."""
    if fits_type(value, kind):
        return ""
    return f"{name} must be {ANSWER_TYPES[kind]}, but it is {_describe(value)}, so it cannot be marked."


def _describe(value: object) -> str:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    for kind, word in ((bool, "True or False"), (str, "text"), (int, "a whole number"), (float, "a number"),
                       (list, "a list"), (dict, "a dict")):
        if isinstance(value, kind):
            return f"{word} ({shown})"
    return f"a value of another kind ({shown})"
