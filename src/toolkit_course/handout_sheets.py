"""Paper versions of the course's components: a question sheet for learners and an answer block for
the facilitator, built from the same content files the book's components are built from.

One job: content data in, two HTML fragments out. handouts.py decides where they go on the page.
The fragments are rendered by the components' shared Jinja environment (components.base.render) from
templates/print_<component>_sheet.html.j2 and templates/print_<component>_answers.html.j2; every word
on them lives in components/strings.py (the "print_" strings, plus a few the book's components share).
The markup is styled by static/toolkit-print.css (classes tc-print-*). Content markdown goes through
the components' own md()/md_inline(), which escape any raw HTML in content.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from . import content
from .components.base import md, md_inline, render
from .components.checklist import labels as checklist_labels
from .components.checklist import max_score
from .components.quiz import CLASSIFICATIONS, from_cases, from_sorter
from .components.strings import STRINGS, text

LETTERS = string.ascii_uppercase


def letter(index: int) -> str:
    return LETTERS[index] if index < len(LETTERS) else str(index + 1)


@dataclass(frozen=True)
class PrintedComponent:
    """A component on paper: its question sheet (replaces it in the page) and its answers (last page)."""
    kind: str
    title: str
    sheet_html: str
    answers_html: str


def _render(name: str, **context) -> str:
    """One print template (templates/print_<name>.html.j2). `letter` is passed with the context, not made a
    global of the shared environment, because only the paper versions number their options A, B, C."""
    return render(f"print_{name}.html.j2", letter=letter, **context)


class SheetError(ValueError):
    """A component on a page has no matching content; the message names what is missing."""


def _quiz_sources(slug: str) -> list[tuple[str, dict]]:
    """Every quiz-shaped content of a module, as the book shows it (quiz, case cards, sorter)."""
    sources = []
    for kind, convert in (("quiz", None), ("cases", from_cases), ("sorter", from_sorter)):
        if content.module_path(slug, kind).exists():
            data = content.load(slug, kind)
            sources.append((kind, convert(data) if convert else data))
    return sources


def quiz(slug: str, question_ids: list[str], number_label: str) -> PrintedComponent:
    """A quiz, case-card set or sorter, found by the question ids the page shows, in the page's order."""
    for kind, data in _quiz_sources(slug):
        by_id = {q["id"]: q for q in data["questions"]}
        if question_ids and set(question_ids) <= set(by_id):
            questions = [by_id[qid] for qid in question_ids]
            right = {q["id"]: ", ".join(letter(i) for i, o in enumerate(q["options"]) if o.get("correct"))
                     for q in questions}
            context = dict(kind=kind, title=md_inline(data["title"]), intro=md(data.get("intro", "")),
                           questions=questions, right=right, number_label=number_label)
            return PrintedComponent(kind, data["title"], _render("quiz_sheet", **context),
                                    _render("quiz_answers", **context))
    raise SheetError(f"content/{slug}: no quiz, cases or sorter file has the questions {question_ids}")


def checklist(slug: str, number_label: str) -> PrintedComponent:
    data = content.load(slug, "checklist")
    context = dict(data=data, number_label=number_label, field_label=checklist_labels(data)["name_field"],
                   max_points=max_score(data), level_names={lvl["id"]: lvl["label"] for lvl in data["levels"]})
    return PrintedComponent("checklist", data["title"], _render("checklist_sheet", **context),
                            _render("checklist_answers", **context))


def _step_order(data: dict) -> list[str]:
    """The scenario's steps in the order a reader meets them (breadth first from the start)."""
    order, queue = [], [data["start"]]
    while queue:
        name = queue.pop(0)
        if name in order:
            continue
        order.append(name)
        queue += [c["next"] for c in data["steps"][name].get("choices", [])]
    return order


def scenario(slug: str, number_label: str) -> PrintedComponent:
    data = content.load(slug, "scenario")
    context = dict(data=data, start=data["steps"][data["start"]], order=_step_order(data), number_label=number_label)
    return PrintedComponent("scenario", data["title"], _render("scenario_sheet", **context),
                            _render("scenario_answers", **context))


def classifier(slug: str, number_label: str, facts_elsewhere: bool = False) -> PrintedComponent:
    """The elements as a grid of boxes, one column per case card. facts_elsewhere: the same page prints
    the case cards, so the classifier lists the cases by title instead of printing their facts twice."""
    cases = content.load(slug, "cases")["cases"] if content.module_path(slug, "cases").exists() else []
    columns = [text("print_case_column", number=i) for i in range(1, len(cases) + 1)] or [STRINGS["print_your_case"]]
    context = dict(definitions=content.legal_elements(), cases=cases, columns=columns,
                   classes=CLASSIFICATIONS, number_label=number_label, facts_elsewhere=facts_elsewhere and bool(cases))
    return PrintedComponent("classifier", STRINGS["print_classifier"], _render("classifier_sheet", **context),
                            _render("classifier_answers", **context))
