"""Legal-elements classifier: the learner ticks the elements a case shows and reads the analysis."""

from __future__ import annotations

import ipywidgets as widgets

from .. import content, legal_analysis
from ..legal_analysis import SMUGGLING_ELEMENTS, TRAFFICKING_ELEMENTS
from .base import Component, component_id, json_for_script, md, md_inline, render
from .quiz import CLASSIFICATIONS
from .strings import STRINGS

TRAFFICKING_FLAGS = TRAFFICKING_ELEMENTS + ("child",)


class Classifier(Component):
    def __init__(self, cases: dict | None = None, item_id: str | None = None):
        self.definitions = content.legal_elements()
        self.cases = {c["id"]: c for c in (cases or {}).get("cases", [])}
        self.component_id = component_id("classifier", list(self.cases), item_id)
        self.boxes = {e["id"]: widgets.Checkbox(description=e["label"], indent=False,
                                                layout=widgets.Layout(width="auto"))
                      for d in self.definitions.values() for e in d["elements"]}
        self.result = widgets.HTML()
        self.case_facts = widgets.HTML()
        analyse = widgets.Button(description=STRINGS["analyse"], button_style="primary")
        analyse.on_click(lambda _: self.analyse())
        parts = [widgets.HTML(f"<h3>{STRINGS['classifier_title']}</h3><p>{STRINGS['classifier_intro']}</p>")]
        if self.cases:
            self.case_picker = widgets.Dropdown(options=[(STRINGS["choose_a_case"], None)] +
                                                [(c["title"], cid) for cid, c in self.cases.items()],
                                                description=STRINGS["case_to_classify"],
                                                style={"description_width": "initial"})
            self.case_picker.observe(lambda change: self.pick_case(change["new"]), names="value")
            parts += [self.case_picker, self.case_facts]
        for definition in self.definitions.values():
            parts.append(widgets.HTML(f"<strong>{definition['name']}</strong> ({definition['source']})"))
            parts += [self.boxes[e["id"]] for e in definition["elements"]]
        self.widget = widgets.VBox(parts + [analyse, self.result])

    def tick(self, **elements: bool) -> None:
        unknown = set(elements) - set(self.boxes)
        if unknown:
            raise ValueError(f"unknown elements {sorted(unknown)}; elements are {sorted(self.boxes)}")
        for name, value in elements.items():
            self.boxes[name].value = bool(value)

    def pick_case(self, case_id: str | None) -> None:
        self.case_id = case_id
        self.case_facts.value = md(self.cases[case_id]["facts"]) if case_id else ""
        self.tick(**{name: False for name in self.boxes})
        self.result.value = ""

    @property
    def ticked(self) -> dict[str, bool]:
        return {name: box.value for name, box in self.boxes.items()}

    def analyse(self) -> dict:
        ticked = self.ticked
        outcome = {
            "trafficking": legal_analysis.analyse_trafficking(*(ticked[k] for k in TRAFFICKING_FLAGS)),
            "smuggling": legal_analysis.analyse_smuggling(*(ticked[k] for k in SMUGGLING_ELEMENTS)),
            "classification": legal_analysis.classify(ticked),
        }
        case = self.cases.get(getattr(self, "case_id", None))
        self.result.value = render("classifier_result.html.j2", outcome=outcome, labels=CLASSIFICATIONS,
                                   model=self._model_answer(case))
        return outcome

    def _model_answer(self, case: dict | None) -> dict | None:
        if not case:
            return None
        return {"classification": CLASSIFICATIONS[case["classification"]],
                "elements": [e["label"] for d in self.definitions.values() for e in d["elements"]
                             if case["elements"][e["id"]]],
                "reasoning": md(case["reasoning"]), "source": md_inline(case["source"])}

    def static_html(self) -> str:
        # Every combination is analysed here, in Python, so the page's script only looks answers up;
        # the words around them come from the widget's templates, rendered into the page.
        data = {"outcomes": legal_analysis.every_outcome(),
                "order": {"trafficking": list(TRAFFICKING_FLAGS), "smuggling": list(SMUGGLING_ELEMENTS),
                          "classification": list(legal_analysis.ALL_FLAGS)},
                "labels": CLASSIFICATIONS}
        models = {cid: {"facts": md(c["facts"]), **self._model_answer(c)} for cid, c in self.cases.items()}
        return render("classifier.html.j2", component_id=self.component_id, definitions=self.definitions,
                      cases=self.cases, models=models, labels=CLASSIFICATIONS,
                      result_html=render("classifier_result.html.j2", outcome=None, labels=CLASSIFICATIONS, model=None),
                      data_json=json_for_script(data))
