"""Calibration checklist: answers place what is rated (a planned intervention, an operation plan, a
return decision) on the checklist's ordered scale and list gaps with suggested mitigations."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets as widgets

from .base import Component, component_id, json_for_script, md, md_inline, render, slots
from .strings import STRINGS


@dataclass(frozen=True)
class Gap:
    question: str
    answer: str
    gap: str
    mitigation: str


@dataclass(frozen=True)
class Rating:
    score: int
    max_score: int
    level: dict
    gaps: tuple[Gap, ...] = field(default_factory=tuple)
    capped_by: tuple[str, ...] = field(default_factory=tuple)


# The rule, stated once. Two tables, both computed here from the checklist's data:
# - level_for_score: for every possible score, the index of the highest level whose min_points it reaches;
# - ceiling: for every option, the index of the highest level an intervention can reach when that option is
#   chosen (the level named by its caps_level, or the top level when it has none).
# The rating is the lowest of the score's level and the ceilings of the chosen answers, so one harmful
# answer (for example "it restricts someone's rights") caps the level whatever the points add up to.
# rate() uses these tables, and Checklist.static_html() embeds the same tables for the page without a
# kernel, whose script only adds the points and takes the lowest index: it holds no thresholds of its own.

def max_score(data: dict) -> int:
    return sum(max(o["points"] for o in q["options"]) for q in data["questions"])


def level_for_score(data: dict) -> list[int]:
    return [max(i for i, lvl in enumerate(data["levels"]) if score >= lvl["min_points"])
            for score in range(max_score(data) + 1)]


def ceiling(data: dict, option: dict) -> int:
    order = [lvl["id"] for lvl in data["levels"]]
    return order.index(option["caps_level"]) if option.get("caps_level") else len(order) - 1


def rate(data: dict, answers: dict[str, int]) -> Rating:
    """Add the points of the chosen answers; the level is the one the score reaches, capped by any
    chosen answer that carries caps_level (see the tables above)."""
    missing = unanswered(data, answers)
    if missing:
        raise ValueError(STRINGS["answer_every_question"].format(missing=", ".join(map(str, missing))))
    chosen = [(question, question["options"][answers[question["id"]]]) for question in data["questions"]]
    score = sum(option["points"] for _, option in chosen)
    reached = level_for_score(data)[score]
    index = min([reached] + [ceiling(data, option) for _, option in chosen])
    # The answers that pulled the rating below what the points reached, so the learner sees why.
    capped_by = tuple(option["label"] for _, option in chosen if ceiling(data, option) < reached)
    gaps = tuple(Gap(question["text"], option["label"], option["gap"], option["mitigation"])
                 for question, option in chosen if option.get("gap"))
    return Rating(score, max_score(data), data["levels"][index], gaps, capped_by)


def unanswered(data: dict, answers: dict[str, int]) -> list[int]:
    """The numbers (1, 2, ...) of the questions not answered, as the learner sees them numbered."""
    return [number for number, q in enumerate(data["questions"], start=1) if q["id"] not in answers]


def labels(data: dict) -> dict[str, str]:
    """The words naming what is rated, for the widget, the page and the saved report alike."""
    subject = data.get("subject", "intervention")
    return {"name": f"{subject[:1].upper()}{subject[1:]}", "name_field": f"{subject[:1].upper()}{subject[1:]} you are rating:",
            "rate": f"Rate this {subject}",
            "report_file": STRINGS["report_file"].format(subject=re.sub(r"[^a-z0-9]+", "-", subject.lower()).strip("-"))}


def report_html(data: dict, intervention: str, answers: dict[str, int], rating: Rating, date: str | None = None) -> str:
    """The saved report. The book fills the same document in the browser (answers empty here, see static_html)."""
    chosen = [(q["id"], q["text"], q["options"][answers[q["id"]]]["label"] if q["id"] in answers else "")
              for q in data["questions"]]
    return render("checklist_report.html.j2", title=data["title"], intervention=intervention or STRINGS["not_named"],
                  date=dt.date.today().isoformat() if date is None else date, chosen=chosen, rating=rating,
                  source=data["source"], labels=labels(data))


def result_html(rating: Rating) -> str:
    return render("checklist_result.html.j2", rating=rating)


class Checklist(Component):
    def __init__(self, data: dict, item_id: str | None = None):
        self.data = data
        self.component_id = component_id("checklist", [q["id"] for q in data["questions"]], item_id)
        words = labels(data)
        self.name = widgets.Text(description=f"{words['name']}:", layout=widgets.Layout(width="min(100%, 40em)"),
                                 style={"description_width": "initial"})
        self.radios = {q["id"]: widgets.RadioButtons(options=[(o["label"], i) for i, o in enumerate(q["options"])],
                                                     value=None, layout=widgets.Layout(width="auto"))
                       for q in data["questions"]}
        rate_button = widgets.Button(description=words["rate"], button_style="primary",
                                     layout=widgets.Layout(width="auto"))
        rate_button.on_click(lambda _: self.rate())
        save_button = widgets.Button(description=STRINGS["save_report"], icon="save")
        save_button.on_click(lambda _: self.save_report())
        self.result = widgets.HTML()
        parts = [widgets.HTML(f"<h3>{md_inline(data['title'])}</h3>{md(data['intro'])}"), self.name]
        for number, question in enumerate(data["questions"], start=1):
            parts += [widgets.HTML(f"<strong>{number}.</strong> {md_inline(question['text'])}"), self.radios[question["id"]]]
        self.widget = widgets.VBox(parts + [rate_button, self.result, save_button])
        self.rating: Rating | None = None

    def answer(self, question_id: str, option_index: int) -> None:
        self.radios[question_id].value = option_index

    @property
    def answers(self) -> dict[str, int]:
        return {qid: radio.value for qid, radio in self.radios.items() if radio.value is not None}

    def rate(self) -> Rating | None:
        missing = unanswered(self.data, self.answers)
        if missing:
            self.result.value = render("status.html.j2", message=slots(STRINGS["answer_every_question"],
                                                                        missing=", ".join(map(str, missing))))
            return None
        self.rating = rate(self.data, self.answers)
        self.result.value = result_html(self.rating)
        return self.rating

    def save_report(self, path: str | Path | None = None) -> Path | None:
        if not self.rate():
            return None
        path = Path(path or labels(self.data)["report_file"])
        path.write_text(report_html(self.data, self.name.value, self.answers, self.rating), encoding="utf-8")
        self.result.value += render("status.html.j2", message=slots(STRINGS["report_saved_path"], path=str(path.resolve())))
        return path

    def static_html(self) -> str:
        # The page gets the rule's tables from Python (see level_for_score and ceiling), not a copy of it,
        # and every word it shows comes from the widget's templates, rendered here with empty values.
        data = {"questions": [{"id": q["id"],
                               "options": [{"label": o["label"], "points": o["points"], "gap": o.get("gap", ""),
                                            "mitigation": o.get("mitigation", ""), "ceiling": ceiling(self.data, o)}
                                           for o in q["options"]]}
                              for q in self.data["questions"]],
                "levels": [{"label": level["label"], "meaning": level["meaning"]} for level in self.data["levels"]],
                "level_for_score": level_for_score(self.data), "max_score": max_score(self.data)}
        empty = Rating(0, max_score(self.data), {"label": "", "meaning": ""})
        return render("checklist.html.j2", component_id=self.component_id, title=md_inline(self.data["title"]),
                      intro=md(self.data["intro"]), questions=self.data["questions"],
                      labels=labels(self.data), result_html=result_html(empty),
                      report_html=_for_script(report_html(self.data, "", {}, empty, date="")),
                      data_json=json_for_script(data))


def _for_script(document: str) -> str:
    """A whole HTML document, safe inside <script type="text/html">: only "</script" could end that element."""
    return document.replace("</script", "<\\/script")
