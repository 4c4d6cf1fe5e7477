"""Branching scenario: decisions lead to consequences, ending in a debrief and the learner's path."""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets

from .base import Component, component_id, json_for_script, md, md_inline, render
from .strings import STRINGS


@dataclass(frozen=True)
class Decision:
    step: str
    choice: str
    consequence: str
    rights_respected: bool | None


class ScenarioRun:
    """Where the learner is in the scenario and how they got there."""

    def __init__(self, data: dict):
        self.data = data
        self.restart()

    def restart(self) -> None:
        self.current = self.data["start"]
        self.path: list[Decision] = []

    @property
    def step(self) -> dict:
        return self.data["steps"][self.current]

    @property
    def finished(self) -> bool:
        return bool(self.step.get("ending"))

    def choices(self) -> list[str]:
        return [c["label"] for c in self.step.get("choices", [])]

    def choose(self, index: int) -> Decision:
        if self.finished:
            raise ValueError("the scenario has ended; restart to play again")
        options = self.step["choices"]
        if not 0 <= index < len(options):
            raise ValueError(f"choice {index} does not exist here; there are {len(options)} choices")
        choice = options[index]
        decision = Decision(self.current, choice["label"], choice["consequence"], choice.get("rights_respected"))
        self.path.append(decision)
        self.current = choice["next"]
        return decision


class Scenario(Component):
    def __init__(self, data: dict, item_id: str | None = None):
        self.data = data
        self.component_id = component_id("scenario", list(data["steps"]), item_id)
        self.run = ScenarioRun(data)
        self.display = widgets.HTML()
        self.buttons = widgets.VBox()
        self.widget = widgets.VBox([
            widgets.HTML(f"<h3>{md_inline(data['title'])}</h3>{md(data['setting'])}"),
            self.display, self.buttons])
        self._last: Decision | None = None
        self._show()

    def choose(self, index: int) -> Decision:
        self._last = self.run.choose(index)
        self._show()
        return self._last

    def restart(self) -> None:
        self.run.restart()
        self._last = None
        self._show()

    @property
    def text(self) -> str:
        return self.display.value

    def _show(self) -> None:
        self.display.value = render("scenario_step.html.j2", step=self.run.step, last=self._last,
                                    finished=self.run.finished, path=self.run.path,
                                    debrief=self.data["debrief"])
        if self.run.finished:
            again = widgets.Button(description=STRINGS["play_again"], icon="refresh")
            again.on_click(lambda _: self.restart())
            self.buttons.children = [again]
            return
        buttons = []
        for index, label in enumerate(self.run.choices()):
            button = widgets.Button(description=label, tooltip=label, layout=widgets.Layout(width="auto"))
            button.on_click(lambda _, i=index: self.choose(i))
            buttons.append(button)
        self.buttons.children = buttons

    def static_html(self) -> str:
        # The script needs only the story's shape (where each choice leads); every step, consequence and
        # the debrief are rendered into the page by the same templates as the widget's.
        shape = {name: {"ending": bool(step.get("ending")), "next": [c["next"] for c in step.get("choices", [])]}
                 for name, step in self.data["steps"].items()}
        return render("scenario.html.j2", component_id=self.component_id, title=md_inline(self.data["title"]),
                      setting=md(self.data["setting"]), steps=self.data["steps"], debrief=self.data["debrief"],
                      data_json=json_for_script({"start": self.data["start"], "steps": shape}))
