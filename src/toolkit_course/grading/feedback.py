"""One self-contained HTML feedback page per learner and module.

nbgrader's own feedback is the autograded notebook, which shows the hidden tests.
These pages are built instead from three things only: the learner's grades in the
gradebook, the item texts in content/<slug>/assessment.yaml (prompt, explanation,
source; never the rubric or the answer key field), and the learner's own answers,
their written reflection and the *name* of the error their answer raised, read from
their autograded notebook. Test source, tracebacks and error messages are never
copied, because they quote the hidden test.

Learner text (answers, reflection) is only ever shown as text: the template
autoescapes it and it never goes through the markdown renderer, so a reflection that
holds HTML shows that HTML as characters on the page. (The autograded copy holds the
reflection backslash-escaped by sanitize.py; the page shows it as the learner typed it.)
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ..components.base import md
from .results import PASSED, WAITING, Cohort, Learner, Module, ModuleResult
from .sanitize import is_shown_as_text, unescape_markdown

TEMPLATE = "feedback.html.j2"
_ANSWER_SHOWN_MAX = 200
_REFLECTION_SHOWN_MAX = 10_000


@dataclass(frozen=True)
class LearnerAnswer:
    text: str | None  # what the learner typed, when it could be read as plain text
    error_name: str  # the exception class the hidden test met, "" if none


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("toolkit_course", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    # The course's one markdown renderer, which shows any HTML inside a content file as text.
    env.filters["markdown"] = lambda text: jinja2.utils.markupsafe.Markup(md(text))
    env.filters["points"] = lambda value: f"{value:g}"
    return env


def _grade_id(cell: dict) -> str:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta.get("grade_id", "") if isinstance(meta, dict) else ""


def _assigned_text(source: str, variable: str) -> str | None:
    """The string the learner assigned to the answer variable, without running their code."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    value = None
    for node in tree.body:
        if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == variable for t in node.targets)
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
            value = node.value.value
    return value[:_ANSWER_SHOWN_MAX] if value is not None else None


def _error_name(cell: dict) -> str:
    outputs = cell.get("outputs", [])
    for output in outputs if isinstance(outputs, list) else []:
        if isinstance(output, dict) and output.get("output_type") == "error":
            return str(output.get("ename", "Error"))[:60]
    return ""


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(part for part in source if isinstance(part, str)) if isinstance(source, list) else str(source)


def _reflection_text(cell: dict) -> str | None:
    """What the learner wrote in a reflection cell, as plain text; None if the cell is missing."""
    if not cell:
        return None
    text = _source(cell)
    if is_shown_as_text(cell):
        text = unescape_markdown(text)
    return text.strip()[:_REFLECTION_SHOWN_MAX]


def read_learner_answers(notebook_path: Path, module: Module) -> dict[str, LearnerAnswer]:
    """The learner's answers and reflections from their autograded notebook; empty if it cannot be read."""
    try:
        notebook = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
        cells = {_grade_id(cell): cell for cell in notebook["cells"]
                 if isinstance(cell, dict) and isinstance(cell.get("metadata", {}), dict)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return {}
    answers = {}
    for item in module.spec["items"]:
        answer_cell, test_cell = cells.get(f"{item['id']}-answer", {}), cells.get(item["id"], {})
        answers[item["id"]] = LearnerAnswer(_assigned_text(_source(answer_cell), item["variable"]),
                                            _error_name(test_cell))
    for reflection in module.spec["reflections"]:
        answers[reflection["id"]] = LearnerAnswer(_reflection_text(cells.get(reflection["id"], {})), "")
    return answers


def _problem(item: dict, answer: LearnerAnswer | None) -> str:
    """A plain sentence for an answer that could not be marked; never the test's own message."""
    if answer is None or not answer.error_name or answer.error_name == "AssertionError":
        return ""
    if answer.error_name == "NameError":
        return (f"Your answer box no longer sets {item['variable']} (was the name on the left of the = sign "
                "changed or deleted?), so this question could not be marked.")
    return (f"Your answer could not be marked (the check stopped with a {answer.error_name}). "
            "An answer must be one of the allowed words or letters, between quotes.")


def _summary(cohort: Cohort, learner: Learner, module: Module) -> str:
    status = cohort.status(learner.id, module.slug)
    if status == PASSED:
        return "You passed this assessment."
    if status == WAITING:
        return "Your written reflection is waiting for your facilitator, so this result is not final yet."
    return f"You have not reached the pass mark of {module.pass_mark_percent:g}% yet."


def page_context(cohort: Cohort, learner: Learner, module: Module, result: ModuleResult,
                 answers: dict[str, LearnerAnswer]) -> dict:
    questions = []
    for number, item in enumerate(module.spec["items"], start=1):
        graded = result.item(item["id"])
        answer = answers.get(item["id"])
        questions.append({
            "number": number, "prompt": item["prompt"], "points": item["points"],
            "score": graded.score if graded else 0.0, "correct": bool(graded and graded.correct),
            "answer": answer.text if answer else None,
            "answer_meaning": item["options"].get((answer.text or "").strip().lower()) if answer else None,
            "problem": _problem(item, answer),
            "explanation": item["explanation"], "source": item["source"],
        })
    reflections = []
    for reflection in module.spec["reflections"]:
        graded = result.item(reflection["id"])
        written = answers.get(reflection["id"])
        reflections.append({
            "prompt": reflection["prompt"], "points": reflection["points"],
            "text": written.text if written else None,
            "waiting": graded is None or graded.waiting,
            "score": graded.score if graded else 0.0, "comment": graded.comment if graded else "",
        })
    return {"learner": learner, "module": module, "result": result, "summary": _summary(cohort, learner, module),
            "questions": questions, "reflections": reflections}


def render_page(cohort: Cohort, learner: Learner, module: Module) -> str | None:
    result = cohort.result(learner.id, module.slug)
    if result is None:
        return None
    answers = read_learner_answers(autograded_notebook(cohort, learner.id, module), module)
    return _environment().get_template(TEMPLATE).render(page_context(cohort, learner, module, result, answers))


def autograded_notebook(cohort: Cohort, learner_id: str, module: Module) -> Path:
    coursedir = cohort.coursedir
    folder = coursedir.format_path(coursedir.autograded_directory, learner_id, module.slug)
    return Path(folder) / f"{module.notebook_id}.ipynb"


def default_folder(cohort: Cohort, learner_id: str, slug: str) -> Path:
    """nbgrader's feedback folder, so `nbgrader release_feedback` can hand the pages out."""
    coursedir = cohort.coursedir
    return Path(coursedir.format_path(coursedir.feedback_directory, learner_id, slug))


def write_feedback(cohort: Cohort, out: Path | None = None, learner_ids: list[str] | None = None) -> list[Path]:
    """Write every page that has a graded submission behind it; return the files written.

    With out, pages go to out/<learner id>/<module slug>.html; without it, to nbgrader's
    feedback folder as <notebook id>.html.
    """
    written = []
    for learner in cohort.learners:
        if learner_ids and learner.id not in learner_ids:
            continue
        for module in cohort.modules:
            page = render_page(cohort, learner, module)
            if page is None:
                continue
            path = (Path(out) / learner.id / f"{module.slug}.html" if out
                    else default_folder(cohort, learner.id, module.slug) / f"{module.notebook_id}.html")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(page, encoding="utf-8")
            written.append(path)
    return written
