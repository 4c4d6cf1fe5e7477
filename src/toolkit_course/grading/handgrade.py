"""Hand grades without a browser: what is waiting, what the learner wrote, and saving a score as Formgrader does.

The terminal session (handgrade_cli.py) and the CSV import (handgrade_csv.py) both end in
save_grade(), which leaves nbgrader's gradebook in the state Formgrader's own API leaves it
(nbgrader/server_extensions/formgrader/apihandlers.py, GradeHandler.put and CommentHandler.put):

    grade.manual_score = the score
    grade.extra_credit = unchanged (Formgrader sends back what its form shows)
    grade.needs_manual_grade = False (True only if neither a manual nor an auto score exists)
    comment.manual_comment = the comment

and commits at once, so every later command (export, report, certify, feedback) sees the grade,
and a session stopped half-way resumes at the first grade still waiting.

The learner's text is read from the autograded copy in the grading workspace (never run) and
made safe for a terminal before anyone prints it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from .. import content
from .layout import Layout, notebook_name
from .terminal_text import safe_for_terminal


class HandgradeError(ValueError):
    """Input handgrade cannot use; the message names the file or the item and what is wrong."""


@dataclass(frozen=True)
class WaitingGrade:
    """One hand-graded item of one learner's submission that has no hand grade yet."""

    learner: str
    learner_name: str
    slug: str
    item_id: str
    max_score: float


@dataclass(frozen=True)
class Rubric:
    prompt: str
    rubric: str
    kind: str  # "reflection" or "chart"


def notebook_id(slug: str) -> str:
    return notebook_name(slug)[: -len(".ipynb")]


def open_gradebook(where: Layout) -> Gradebook:
    # Opening a missing file would make nbgrader create an empty gradebook and hide the mistake.
    if not where.gradebook.exists():
        raise HandgradeError(f"{where.gradebook}: no gradebook here; grade the submissions first "
                             "(toolkit-course autograde), or give the right --workspace")
    return Gradebook(where.db_url)


# ---------------------------------------------------------------- the rubric, from content/<slug>/assessment.yaml


def rubrics(slug: str) -> dict[str, Rubric]:
    """Every hand-graded item of a module: reflections and chart questions, in the order of the assessment."""
    spec = content.load(slug, "assessment")
    found = {}
    for computed in spec.get("computed", []):
        if "plot" in computed:
            plot = computed["plot"]
            found[f"{computed['id']}-plot"] = Rubric(plot["prompt"].strip(), plot["rubric"].strip(), "chart")
    for reflection in spec["reflections"]:
        found[reflection["id"]] = Rubric(reflection["prompt"].strip(), reflection["rubric"].strip(), "reflection")
    return found


def item_order(slug: str) -> list[str]:
    """Every graded item id of a module, in the order the learner meets them."""
    spec = content.load(slug, "assessment")
    ids = [item["id"] for item in spec["items"]]
    for computed in spec.get("computed", []):
        ids += [computed["id"]] + ([f"{computed['id']}-plot"] if "plot" in computed else [])
    return ids + [reflection["id"] for reflection in spec["reflections"]]


# ---------------------------------------------------------------- what is waiting


def check_module(slug: str, gradebook: Gradebook) -> None:
    assessed = content.assessed_slugs()
    if slug not in assessed:
        raise HandgradeError(f"no assessed module called '{slug}'; choose from {', '.join(assessed)}")
    if slug not in {assignment.name for assignment in gradebook.assignments}:
        raise HandgradeError(f"module '{slug}' has no graded submission yet; run `toolkit-course autograde {slug}`")


def check_learner(learner: str, gradebook: Gradebook) -> None:
    try:
        gradebook.find_student(learner)
    except MissingEntry:
        raise HandgradeError(f"no learner '{learner}' in the gradebook; register them with "
                             "`toolkit-course roster` and grade their work first") from None


def _name(student) -> str:
    return safe_for_terminal(" ".join(p for p in (student.first_name, student.last_name) if p) or student.id, 200)


def waiting_grades(gradebook: Gradebook, slug: str | None = None, learner: str | None = None) -> list[WaitingGrade]:
    """Every hand grade still waiting, by module, then learner, then the item's place in the assessment."""
    assessed = content.assessed_slugs()
    if slug is not None:
        check_module(slug, gradebook)
    if learner is not None:
        check_learner(learner, gradebook)
    slugs = [slug] if slug else [a.name for a in gradebook.assignments if a.name in assessed]
    waiting = []
    for module in sorted(slugs, key=assessed.index):
        order = item_order(module)
        for submission in sorted(gradebook.find_assignment(module).submissions, key=lambda s: s.student.id):
            if learner is not None and submission.student.id != learner:
                continue
            grades = [grade for notebook in submission.notebooks for grade in notebook.grades
                      if grade.needs_manual_grade]
            grades.sort(key=lambda g: order.index(g.name) if g.name in order else len(order))
            waiting += [WaitingGrade(submission.student.id, _name(submission.student), module, grade.name,
                                     float(grade.max_score)) for grade in grades]
    return waiting


# ---------------------------------------------------------------- the learner's answer, never run


def learner_answer(where: Layout, learner: str, slug: str, item_id: str) -> str:
    """What the learner wrote for this item, from the autograded copy, safe to print in a terminal."""
    from .notebook_file import read_notebook
    from .sanitize import is_shown_as_text, unescape_markdown

    path = where.autograded_notebook(learner, slug)
    try:
        notebook = read_notebook(path)
    except ValueError as error:
        return f"[the autograded notebook {path} {error}; run `toolkit-course autograde {slug}` again]"
    for cell in notebook.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") != item_id:
            continue
        source = cell.get("source", "")
        if cell.get("cell_type") == "markdown":
            text = unescape_markdown(source) if is_shown_as_text(cell) else source
            return safe_for_terminal(text.strip()) or "[left blank]"
        return safe_for_terminal(source.strip() + _outputs_as_text(cell, path)) or "[left blank]"
    return f"[no cell '{item_id}' in {path}]"


def _outputs_as_text(cell, path: Path) -> str:
    shown = []
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if any(kind.startswith("image/") for kind in data):
            shown.append(f"[a chart: open {path} in JupyterLab, or use Formgrader, to see it]")
        elif "text/plain" in data:
            shown.append(str(data["text/plain"]))
        elif output.get("output_type") == "stream":
            shown.append(str(output.get("text", "")))
    return ("\n\n--- what it showed ---\n" + "\n".join(shown)) if shown else ""


# ---------------------------------------------------------------- scores and saving


def parse_score(text: str, max_score: float) -> float:
    """A score typed by a facilitator; raises HandgradeError saying what is wrong with it."""
    typed = text.strip()
    # Many facilitators write decimals with a comma (2,5).
    number = typed.replace(",", ".") if typed.count(",") == 1 and "." not in typed else typed
    try:
        score = float(number)
    except ValueError:
        raise HandgradeError(f"'{safe_for_terminal(typed, 40)}' is not a number") from None
    if not math.isfinite(score):
        raise HandgradeError(f"'{safe_for_terminal(typed, 40)}' is not a number")
    if score < 0:
        raise HandgradeError(f"{typed} is below 0")
    if score > max_score:
        raise HandgradeError(f"{typed} is more than the item's maximum of {max_score:g} points")
    return score


def clean_comment(text: str) -> str:
    return safe_for_terminal(text, 5_000).strip()


def save_grade(gradebook: Gradebook, learner: str, slug: str, item_id: str, score: float,
               comment: str | None = None) -> None:
    """Record a hand grade exactly as Formgrader's API does, and commit it now."""
    name = notebook_id(slug)
    grade = gradebook.find_grade(item_id, name, slug, learner)
    # GradeHandler.put: manual_score and extra_credit from the form (its extra-credit box shows the
    # stored value, so extra credit stays as it is), then needs_manual_grade from whether any score exists.
    grade.manual_score = score
    grade.needs_manual_grade = grade.manual_score is None and grade.auto_score is None
    if comment:
        # CommentHandler.put: the comment of the same cell (a reflection is both graded and answered).
        try:
            gradebook.find_comment(item_id, name, slug, learner).manual_comment = comment
        except MissingEntry:
            gradebook.db.rollback()
            raise HandgradeError(f"item '{item_id}' of {slug} takes no comment (it is not an answer cell)") from None
    gradebook.db.commit()
