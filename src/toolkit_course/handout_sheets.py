"""Paper versions of the course's components: a question sheet for learners and an answer block for
the facilitator, built from the same content files the book's components are built from.

One job: content data in, two HTML fragments out. handouts.py decides where they go on the page.
The markup is styled by static/toolkit-print.css (classes tc-print-*). Content markdown goes through
the components' own md()/md_inline(), which escape any raw HTML in content.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import jinja2

from . import content
from .components.base import md, md_inline
from .components.checklist import labels as checklist_labels
from .components.checklist import max_score
from .components.quiz import CLASSIFICATIONS, from_cases, from_sorter

# Every user-facing word of the handouts, in one place.
WORDS = {
    "quiz": "Questions",
    "cases": "Case cards",
    "sorter": "Sorting exercise",
    "checklist": "Checklist",
    "scenario": "Scenario",
    "classifier": "Legal-elements classifier",
    "choose_one": "Tick one box.",
    "choose_many": "Tick every box that applies.",
    "why": "Why? Write your reasons:",
    "scenario_note": "Your facilitator has the rest of the story and will tell you what happens after your choice.",
    "classifier_intro": "For each case, tick the elements the facts show. An element you cannot see in the facts "
                        "counts as not shown. Then write your classification: trafficking, smuggling, both, "
                        "neither, or more facts needed.",
    "classifier_facts_elsewhere": "The facts of each case are on the case cards in this handout, in the same order.",
    "your_case": "Your case",
    "your_classification": "Your classification",
    "your_rating": "Your rating, and what you would change:",
    "answers_title": "Answers and feedback (for the facilitator)",
    "answers_intro": "This page holds the answers to the exercises in this handout. Hand it out after the "
                     "learners have answered, or keep it for the discussion.",
}

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


_TEMPLATES = {
    "quiz_sheet": """
<div class="tc-print-sheet" data-tc-print="{{ kind }}">
  <p class="tc-print-kind">{{ number_label }} · {{ words[kind] }}</p>
  <h3>{{ title|safe }}</h3>
  {{ intro|safe }}
  {% for q in questions %}
  <div class="tc-print-item" data-question="{{ q.id }}">
    <p><strong>Question {{ loop.index }}.</strong></p>
    <div class="tc-print-prompt">{{ md(q.prompt)|safe }}</div>
    <p class="tc-print-note">{{ words.choose_many if q.multiple else words.choose_one }}</p>
    <ol class="tc-print-options">
    {% for o in q.options %}
      <li><span class="tc-print-letter">{{ letter(loop.index0) }}.</span><span class="tc-print-box" aria-hidden="true"></span><span>{{ md_inline(o.text)|safe }}</span></li>
    {% endfor %}
    </ol>
  </div>
  {% endfor %}
</div>""",
    "quiz_answers": """
<div class="tc-print-item" data-tc-print-answers="{{ kind }}">
  <h3>{{ number_label }} · {{ title|safe }}</h3>
  {% for q in questions %}
  <div class="tc-print-item">
    <p><strong>Question {{ loop.index }}. Answer: {{ right[q.id] }}</strong></p>
    {% if kind == 'quiz' %}<ul>
    {% for o in q.options %}
      <li><strong>{{ letter(loop.index0) }}.</strong> {{ 'Right' if o.correct else 'Not right' }}: {{ md_inline(o.feedback)|safe }}</li>
    {% endfor %}
    </ul>{% endif %}
    <div><strong>Why:</strong> {{ md(q.explanation)|safe }}</div>
    <p><strong>Source:</strong> {{ md_inline(q.source)|safe }}</p>
  </div>
  {% endfor %}
</div>""",
    "checklist_sheet": """
<div class="tc-print-sheet" data-tc-print="checklist">
  <p class="tc-print-kind">{{ number_label }} · {{ words.checklist }}</p>
  <h3>{{ md_inline(data.title)|safe }}</h3>
  {{ md(data.intro)|safe }}
  <p>{{ field_label }} <span class="tc-print-field"></span></p>
  {% for q in data.questions %}
  <div class="tc-print-item" data-question="{{ q.id }}">
    <p><strong>{{ loop.index }}. {{ md_inline(q.text)|safe }}</strong></p>
    <ol class="tc-print-options">
    {% for o in q.options %}
      <li><span class="tc-print-letter">{{ letter(loop.index0) }}.</span><span class="tc-print-box" aria-hidden="true"></span><span>{{ md_inline(o.label)|safe }}</span></li>
    {% endfor %}
    </ol>
  </div>
  {% endfor %}
  <p>{{ words.your_rating }}</p>
  <div class="tc-print-lines">{% for _ in range(3) %}<div class="tc-print-line"></div>{% endfor %}</div>
</div>""",
    "checklist_answers": """
<div class="tc-print-item" data-tc-print-answers="checklist">
  <h3>{{ number_label }} · {{ md_inline(data.title)|safe }}</h3>
  <p>Add the points of the boxes ticked (at most {{ max_points }}). The rating is the highest level whose
    minimum the total reaches, but an answer marked "caps the rating" limits it to that level, whatever the total.</p>
  {% for q in data.questions %}
  <p><strong>{{ loop.index }}. {{ md_inline(q.text)|safe }}</strong></p>
  <ul>
  {% for o in q.options %}
    <li><strong>{{ letter(loop.index0) }}.</strong> {{ o.points }} point{{ '' if o.points == 1 else 's' }}{% if o.caps_level %}; caps the rating at <em>{{ level_names[o.caps_level] }}</em>{% endif %}{% if o.gap %}. Gap: {{ md_inline(o.gap)|safe }} What to do: {{ md_inline(o.mitigation)|safe }}{% endif %}</li>
  {% endfor %}
  </ul>
  {% endfor %}
  <table class="tc-print-grid">
    <caption>Levels</caption>
    <thead><tr><th scope="col">Level</th><th scope="col">From</th><th scope="col">Meaning</th></tr></thead>
    <tbody>{% for level in data.levels %}<tr><th scope="row">{{ level.label }}</th><td>{{ level.min_points }} points</td><td>{{ md_inline(level.meaning)|safe }}</td></tr>{% endfor %}</tbody>
  </table>
  <p><strong>Source:</strong> {{ md_inline(data.source)|safe }}</p>
</div>""",
    "scenario_sheet": """
<div class="tc-print-sheet" data-tc-print="scenario">
  <p class="tc-print-kind">{{ number_label }} · {{ words.scenario }}</p>
  <h3>{{ md_inline(data.title)|safe }}</h3>
  {{ md(data.setting)|safe }}
  <div class="tc-print-item">
    {{ md(start.text)|safe }}
    <ol class="tc-print-options">
    {% for c in start.choices %}
      <li><span class="tc-print-letter">{{ letter(loop.index0) }}.</span><span class="tc-print-box" aria-hidden="true"></span><span>{{ md_inline(c.label)|safe }}</span></li>
    {% endfor %}
    </ol>
    <p>{{ words.why }}</p>
    <div class="tc-print-lines">{% for _ in range(3) %}<div class="tc-print-line"></div>{% endfor %}</div>
    <p class="tc-print-note">{{ words.scenario_note }}</p>
  </div>
</div>""",
    "scenario_answers": """
<div class="tc-print-item" data-tc-print-answers="scenario">
  <h3>{{ number_label }} · {{ md_inline(data.title)|safe }}</h3>
  <p>Read the story aloud, one step at a time. Each choice says what happens and which step comes next.</p>
  {% for name in order %}{% set step = data.steps[name] %}
  <div class="tc-print-item">
    <p><strong>Step {{ loop.index }}{{ ' (the end)' if not step.choices else '' }}.</strong></p>
    {{ md(step.text)|safe }}
    {% if step.choices %}<ul>
    {% for c in step.choices %}
      <li><strong>{{ letter(loop.index0) }}. {{ md_inline(c.label)|safe }}</strong>
        {% if c.rights_respected is true %}(respects rights){% elif c.rights_respected is false %}(puts rights at risk){% endif %}
        {{ md(c.consequence)|safe }} <em>Next: step {{ order.index(c.next) + 1 }}.</em></li>
    {% endfor %}
    </ul>{% endif %}
  </div>
  {% endfor %}
  <h4>Debrief</h4>
  {{ md(data.debrief.text)|safe }}
  <ul>{% for link in data.debrief.links %}<li>{{ md_inline(link.label)|safe }} ({{ md_inline(link.source)|safe }})</li>{% endfor %}</ul>
</div>""",
    "classifier_sheet": """
<div class="tc-print-sheet" data-tc-print="classifier">
  <p class="tc-print-kind">{{ number_label }} · {{ words.classifier }}</p>
  <h3>{{ words.classifier }}</h3>
  <p>{{ words.classifier_intro }}</p>
  {% if facts_elsewhere %}
  <p>{{ words.classifier_facts_elsewhere }}</p>
  <p>{% for case in cases %}Case {{ loop.index }}: {{ case.title }}.{{ '<br>'|safe if not loop.last }}{% endfor %}</p>
  {% else %}{% for case in cases %}
  <div class="tc-print-item"><p><strong>Case {{ loop.index }}: {{ case.title }}.</strong></p>{{ md(case.facts)|safe }}</div>
  {% endfor %}{% endif %}
  <table class="tc-print-grid">
    <thead><tr><th scope="col">Element</th>{% for case in columns %}<th scope="col">{{ case }}</th>{% endfor %}</tr></thead>
    <tbody>
    {% for key, definition in definitions.items() %}
      <tr><th scope="rowgroup" colspan="{{ columns|length + 1 }}">{{ definition.name }} ({{ definition.source }})</th></tr>
      {% for e in definition.elements %}
      <tr><td>{{ e.label }}</td>{% for _ in columns %}<td class="tc-print-cell"><span class="tc-print-box" aria-hidden="true"></span></td>{% endfor %}</tr>
      {% endfor %}
    {% endfor %}
      <tr><th scope="row">{{ words.your_classification }}</th>{% for _ in columns %}<td class="tc-print-cell"></td>{% endfor %}</tr>
    </tbody>
  </table>
</div>""",
    "classifier_answers": """
<div class="tc-print-item" data-tc-print-answers="classifier">
  <h3>{{ number_label }} · {{ words.classifier }}</h3>
  {% if cases %}
  <table class="tc-print-grid">
    <thead><tr><th scope="col">Element shown by the facts</th>{% for case in cases %}<th scope="col">Case {{ loop.index }}</th>{% endfor %}</tr></thead>
    <tbody>
    {% for key, definition in definitions.items() %}{% for e in definition.elements %}
      <tr><td>{{ e.label }}</td>{% for case in cases %}<td class="tc-print-cell">{{ 'yes' if case.elements[e.id] else '—' }}</td>{% endfor %}</tr>
    {% endfor %}{% endfor %}
      <tr><th scope="row">Model answer</th>{% for case in cases %}<td>{{ classes[case.classification] }}</td>{% endfor %}</tr>
    </tbody>
  </table>
  {% for case in cases %}
  <p><strong>Case {{ loop.index }}: {{ case.title }}.</strong> Model answer: {{ classes[case.classification] }}.</p>
  {{ md(case.reasoning)|safe }}
  <p><strong>Source:</strong> {{ md_inline(case.source)|safe }}</p>
  {% endfor %}
  {% else %}
  <p>Learners apply the elements to a case of their own; discuss each ticked element against the facts.</p>
  {% endif %}
</div>""",
}


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.DictLoader(_TEMPLATES), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.globals.update(md=md, md_inline=md_inline, letter=letter, words=WORDS)
    return env


_ENV = _env()


def _render(name: str, **context) -> str:
    return _ENV.get_template(name).render(**context)


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
    columns = [f"Case {i}" for i in range(1, len(cases) + 1)] or [WORDS["your_case"]]
    context = dict(definitions=content.legal_elements(), cases=cases, columns=columns,
                   classes=CLASSIFICATIONS, number_label=number_label, facts_elsewhere=facts_elsewhere and bool(cases))
    return PrintedComponent("classifier", WORDS["classifier"], _render("classifier_sheet", **context),
                            _render("classifier_answers", **context))
