"""Intervention calibration checklist: answers place a planned intervention on the WHO
gender-responsiveness scale and list gaps with suggested mitigations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets as widgets

from .base import Component, json_for_script, md, md_inline, render, unique_id


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


def rate(data: dict, answers: dict[str, int]) -> Rating:
    """The rule, stated once: add the points of the chosen answers; the level is the highest
    whose min_points the score reaches. toolkit-components.js applies the same rule to the same data."""
    missing = [q["id"] for q in data["questions"] if q["id"] not in answers]
    if missing:
        raise ValueError(f"answer every question first; not answered: {', '.join(missing)}")
    score, gaps = 0, []
    for question in data["questions"]:
        option = question["options"][answers[question["id"]]]
        score += option["points"]
        if option.get("gap"):
            gaps.append(Gap(question["text"], option["label"], option["gap"], option["mitigation"]))
    level = [lvl for lvl in data["levels"] if score >= lvl["min_points"]][-1]
    max_score = sum(max(o["points"] for o in q["options"]) for q in data["questions"])
    return Rating(score, max_score, level, tuple(gaps))


def report_html(data: dict, intervention: str, answers: dict[str, int], rating: Rating) -> str:
    chosen = [(q["text"], q["options"][answers[q["id"]]]["label"]) for q in data["questions"]]
    return render("checklist_report.html.j2", title=data["title"], intervention=intervention or "(not named)",
                  date=dt.date.today().isoformat(), chosen=chosen, rating=rating, source=data["source"])


class Checklist(Component):
    def __init__(self, data: dict):
        self.data = data
        self.name = widgets.Text(description="Intervention:", placeholder="e.g. training for border officials",
                                 layout=widgets.Layout(width="min(100%, 40em)"))
        self.radios = {q["id"]: widgets.RadioButtons(options=[(o["label"], i) for i, o in enumerate(q["options"])],
                                                     value=None, layout=widgets.Layout(width="auto"))
                       for q in data["questions"]}
        rate_button = widgets.Button(description="Rate this intervention", button_style="primary")
        rate_button.on_click(lambda _: self.rate())
        save_button = widgets.Button(description="Save the result as a report", icon="save")
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
        try:
            self.rating = rate(self.data, self.answers)
        except ValueError as problem:
            self.result.value = f"<p role='status'>{problem}</p>"
            return None
        self.result.value = render("checklist_result.html.j2", rating=self.rating, md=md)
        return self.rating

    def save_report(self, path: str | Path = "intervention-rating.html") -> Path | None:
        if not self.rate():
            return None
        path = Path(path)
        path.write_text(report_html(self.data, self.name.value, self.answers, self.rating), encoding="utf-8")
        self.result.value += f"<p role='status'>Report saved as <code>{path.resolve()}</code>.</p>"
        return path

    def static_html(self) -> str:
        component_id = unique_id("checklist")
        data = {"title": self.data["title"], "source": self.data["source"],
                "questions": [{"id": q["id"], "text": q["text"],
                               "options": [{"label": o["label"], "points": o["points"], "gap": o.get("gap", ""),
                                            "mitigation": o.get("mitigation", "")} for o in q["options"]]}
                              for q in self.data["questions"]],
                "levels": [{"label": l["label"], "min_points": l["min_points"], "meaning": l["meaning"]}
                           for l in self.data["levels"]]}
        return render("checklist.html.j2", component_id=component_id, title=md_inline(self.data["title"]),
                      intro=md(self.data["intro"]), questions=self.data["questions"], md_inline=md_inline,
                      data_json=json_for_script(data))
