"""One call per interactive element in a lesson: `show.quiz("01-trafficking-and-smuggling")`.

Each returns a component that displays as a live widget in Jupyter and as a
working kernel-free page element in the book. Its id is named after the module and kind, so a
learner's answers saved in the browser still find it after an author edits the questions.
"""

from __future__ import annotations

from . import content
from .components.checklist import Checklist
from .components.classifier import Classifier
from .components.data_explorer import DataExplorer
from .components.quiz import Quiz, from_cases, from_sorter
from .components.scenario import Scenario


def quiz(slug: str) -> Quiz:
    return Quiz(content.load(slug, "quiz"), item_id=f"{slug}-quiz")


def case_cards(slug: str) -> Quiz:
    return Quiz(from_cases(content.load(slug, "cases")), kind="cases", item_id=f"{slug}-cases")


def sorter(slug: str) -> Quiz:
    return Quiz(from_sorter(content.load(slug, "sorter")), kind="sorter", item_id=f"{slug}-sorter")


def classifier(slug: str | None = None) -> Classifier:
    """The elements classifier; with a slug, the module's case cards can be loaded into it."""
    return Classifier(content.load(slug, "cases") if slug else None)


def scenario(slug: str) -> Scenario:
    return Scenario(content.load(slug, "scenario"), item_id=f"{slug}-scenario")


def checklist(slug: str) -> Checklist:
    return Checklist(content.load(slug, "checklist"), item_id=f"{slug}-checklist")


def data_explorer(view: str = "sex-age") -> DataExplorer:
    return DataExplorer(view)
