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

Each answer is read the way the grader reads it (static_answers.read_literal_answer, then
answer_checks.normalise_answer), so the page and the score always agree: a blank box says
"You left this blank.", an answer that is not an allowed option says so and lists the
options, and only an allowed answer is called correct or not correct.

Whether a page shows the right answer (and the explanation and source, which give it away)
is the cohort's show_correct_answers setting (cohort_settings.py): a certifying cohort may
reuse its questions.

Each page's file name carries the learner's id: <id>-<slug>-feedback.html. See
write_feedback() for nbgrader's feedback folder, where nbgrader needs its own name too.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ..answer_checks import normalise_answer
from ..components.base import md
from .results import PASSED, WAITING, Cohort, Learner, Module, ModuleResult, gradebook_path
from .sanitize import is_shown_as_text, unescape_markdown
from .static_answers import read_literal_answer

TEMPLATE = "feedback.html.j2"
_ANSWER_SHOWN_MAX = 200
_REFLECTION_SHOWN_MAX = 10_000
REFLECTION_STUB = "Write your answer here."  # nbgrader_config.py: what an untouched reflection box holds
_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9_.-]")

# What a question's answer box held, as the grader read it.
BLANK, NOT_ALLOWED, NOT_FOUND, ALLOWED = "blank", "not allowed", "not found", "allowed"


@dataclass(frozen=True)
class LearnerAnswer:
    text: str | None  # what the learner typed (a reflection, or an answer shown as typed); None if none was found
    error_name: str  # the exception class the hidden test met, "" if none
    unreadable: str = ""  # why the answer box could not be read at all, in plain words
    value: object = None  # the value the grader read from the answer box (text, number, ...)


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


def _typed_answer(source: str, variable: str) -> LearnerAnswer:
    """The answer in a box, read as the grader reads it: statically, never run."""
    read = read_literal_answer(source, variable)
    if read.unreadable:
        return LearnerAnswer(None, "", unreadable=read.unreadable)
    if not read.found:
        return LearnerAnswer(None, "")
    shown = read.value if isinstance(read.value, str) else repr(read.value)
    return LearnerAnswer(shown[:_ANSWER_SHOWN_MAX], "", value=read.value)


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
    text = text.strip()
    return "" if text == REFLECTION_STUB else text[:_REFLECTION_SHOWN_MAX]


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
        typed = _typed_answer(_source(answer_cell), item["variable"])
        answers[item["id"]] = LearnerAnswer(typed.text, _error_name(test_cell), typed.unreadable, typed.value)
    for reflection in module.spec["reflections"]:
        answers[reflection["id"]] = LearnerAnswer(_reflection_text(cells.get(reflection["id"], {})), "")
    return answers


def answer_state(item: dict, answer: LearnerAnswer | None) -> str:
    """BLANK, NOT_ALLOWED, NOT_FOUND or ALLOWED, by the same rule as the learner's check and the grader."""
    if answer is None or answer.unreadable or answer.text is None:
        return NOT_FOUND
    value = normalise_answer(answer.value)
    if value == "":
        return BLANK
    return ALLOWED if isinstance(value, str) and value in item["options"] else NOT_ALLOWED


def _problem(item: dict, answer: LearnerAnswer | None) -> str:
    """A plain sentence for an answer box grading could not read; never the test's own message."""
    example = f'{item["variable"]} = "your answer"'
    if answer is not None and answer.unreadable:
        return (f"Your answer box could not be read ({answer.unreadable}), so this question could not be marked. "
                f"Write the answer on one line, like this: {example}")
    return (f"Your answer box no longer sets {item['variable']} (was the name on the left of the = sign "
            f"changed or deleted?), so this question could not be marked. It should read like this: {example}")


def _summary(cohort: Cohort, learner: Learner, module: Module) -> str:
    status = cohort.status(learner.id, module.slug)
    if status == PASSED:
        return "You passed this assessment."
    if status == WAITING:
        return "Your written reflection is waiting for your facilitator, so this result is not final yet."
    return f"You have not reached the pass mark of {module.pass_mark_percent:g}% yet."


def page_context(cohort: Cohort, learner: Learner, module: Module, result: ModuleResult,
                 answers: dict[str, LearnerAnswer], show_correct_answers: bool = True) -> dict:
    """What the template shows. With show_correct_answers false, nothing that names or explains a key:
    no right answer, no option meanings, no explanation and no source (the source can point to the key)."""
    questions = []
    for number, item in enumerate(module.spec["items"], start=1):
        graded = result.item(item["id"])
        answer = answers.get(item["id"])
        state = answer_state(item, answer)
        correct = bool(graded and graded.correct)
        chosen = normalise_answer(answer.value) if state == ALLOWED else None
        questions.append({
            "number": number, "prompt": item["prompt"], "points": item["points"],
            "score": graded.score if graded else 0.0, "correct": correct, "state": state,
            "answer": answer.text if answer else None,
            "chosen": chosen,
            "answer_meaning": item["options"].get(chosen) if show_correct_answers and chosen else None,
            "allowed": ", ".join(item["options"]),
            "problem": _problem(item, answer) if state == NOT_FOUND else "",
            "right_answer": item["answer"] if show_correct_answers and not correct else None,
            "right_meaning": item["options"].get(item["answer"]) if show_correct_answers else None,
            "explanation": item["explanation"] if show_correct_answers else None,
            "source": item["source"] if show_correct_answers else None,
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
            "questions": questions, "reflections": reflections, "show_correct_answers": show_correct_answers}


def render_page(cohort: Cohort, learner: Learner, module: Module,
                show_correct_answers: bool | None = None) -> str | None:
    """The learner's page for one module (None without a graded submission); by default, the right answers
    are shown as the cohort's settings say."""
    result = cohort.result(learner.id, module.slug)
    if result is None:
        return None
    if show_correct_answers is None:
        show_correct_answers = shows_correct_answers(cohort)
    answers = read_learner_answers(autograded_notebook(cohort, learner.id, module), module)
    return _environment().get_template(TEMPLATE).render(
        page_context(cohort, learner, module, result, answers, show_correct_answers))


def autograded_notebook(cohort: Cohort, learner_id: str, module: Module) -> Path:
    coursedir = cohort.coursedir
    folder = coursedir.format_path(coursedir.autograded_directory, learner_id, module.slug)
    return Path(folder) / f"{module.notebook_id}.ipynb"


def default_folder(cohort: Cohort, learner_id: str, slug: str) -> Path:
    """nbgrader's feedback folder, so `nbgrader release_feedback` can hand the pages out."""
    coursedir = cohort.coursedir
    return Path(coursedir.format_path(coursedir.feedback_directory, learner_id, slug))


def page_name(learner_id: str, slug: str) -> str:
    """The page's file name, which carries the learner's id: "<id>-<slug>-feedback.html"."""
    return f"{_UNSAFE_IN_FILE_NAME.sub('_', learner_id)}-{slug}-feedback.html"


def shows_correct_answers(cohort: Cohort) -> bool:
    """The cohort's show_correct_answers setting (cohort.yaml in the workspace); True without a workspace."""
    if cohort.coursedir is None:
        return True
    from .cohort_settings import load_settings
    from .layout import Layout

    return load_settings(Layout(Path(cohort.coursedir.root), gradebook_path(cohort.coursedir).parent)
                         ).show_correct_answers


# `nbgrader release_feedback` reads these beside each page: when it was submitted, and the secret
# that addresses the page to the learner who submitted it through the exchange.
RELEASE_FILES = ("timestamp.txt", "submission_secret.txt")


def _copy_release_files(cohort: Cohort, learner_id: str, slug: str, folder: Path) -> None:
    graded = Path(cohort.coursedir.format_path(cohort.coursedir.autograded_directory, learner_id, slug))
    folder.mkdir(parents=True, exist_ok=True)
    for name in RELEASE_FILES:
        source = graded / name
        if source.is_file() and not source.is_symlink():
            shutil.copyfile(source, folder / name)
        else:
            (folder / name).unlink(missing_ok=True)


def write_feedback(cohort: Cohort, out: Path | None = None, learner_ids: list[str] | None = None,
                   show_correct_answers: bool | None = None) -> list[Path]:
    """Write every page that has a graded submission behind it; return the files written.

    With out, pages go to out/<learner id>/<learner id>-<slug>-feedback.html.

    Without it, they go to nbgrader's feedback folder, where `nbgrader release_feedback` needs
    the name <notebook id>.html in feedback/<learner id>/<slug>/: every .html file there is
    released as a page of a notebook of that name, and the learner's `fetch_feedback` saves it
    under the notebook's name anyway. So that file keeps nbgrader's name (its folder carries
    the id), and a copy named by the learner's id goes one level up, in
    feedback/<learner id>/, where release_feedback does not look.

    show_correct_answers defaults to the cohort's setting.
    """
    if show_correct_answers is None:
        show_correct_answers = shows_correct_answers(cohort)
    written = []
    for learner in cohort.learners:
        if learner_ids and learner.id not in learner_ids:
            continue
        for module in cohort.modules:
            page = render_page(cohort, learner, module, show_correct_answers)
            if page is None:
                continue
            if out:
                paths = [Path(out) / learner.id / page_name(learner.id, module.slug)]
            else:
                folder = default_folder(cohort, learner.id, module.slug)
                paths = [folder / f"{module.notebook_id}.html", folder.parent / page_name(learner.id, module.slug)]
                _copy_release_files(cohort, learner.id, module.slug, folder)
            for path in paths:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(page, encoding="utf-8")
                written.append(path)
    return written
