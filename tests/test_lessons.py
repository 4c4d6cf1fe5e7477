"""Every published module meets the module standard's structure: lesson, quiz, scenario, facilitator notes."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

from toolkit_course import content

REPO = Path(__file__).resolve().parents[1]
PUBLISHED = content.published_slugs()
LESSON_SECTIONS = ["Learning objectives", "Why it matters", "Check your understanding", "Scenario exercise",
                   "Key takeaways", "Sources and further reading"]
FACILITATOR_SECTIONS = ["Session plan", "Activities", "Discussion prompts", "Materials",
                        "Adapting the session to participants' roles", "Safeguarding"]


def _lesson(slug: str) -> nbformat.NotebookNode:
    return nbformat.read(REPO / "notebooks" / f"{slug}.ipynb", as_version=4)


def _headings(nb) -> list[str]:
    return [line[3:].strip() for cell in nb.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if line.startswith("## ")]


def _bullets_after(nb, heading: str) -> list[str]:
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    section = text.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if re.match(r"\s*([-*]|\d+\.)\s", line)]


def test_every_module_in_the_list_is_either_published_or_planned():
    lessons = {p.stem for p in (REPO / "notebooks").glob("*.ipynb")}
    assert lessons == set(PUBLISHED), "a lesson exists for exactly the published modules"


@pytest.mark.parametrize("slug", PUBLISHED)
def test_lesson_has_the_standard_sections_in_order(slug):
    headings = _headings(_lesson(slug))
    positions = [headings.index(s) if s in headings else -1 for s in LESSON_SECTIONS]
    assert -1 not in positions, f"missing: {[s for s, p in zip(LESSON_SECTIONS, positions) if p == -1]}"
    assert positions == sorted(positions), f"sections out of order: {headings}"
    assert positions[2] - positions[1] > 1, "content sections come between 'Why it matters' and the quiz"


@pytest.mark.parametrize("slug", PUBLISHED)
def test_objectives_and_takeaways_have_the_right_number_of_points(slug):
    nb = _lesson(slug)
    assert 3 <= len(_bullets_after(nb, "Learning objectives")) <= 5
    assert 3 <= len(_bullets_after(nb, "Key takeaways")) <= 6


@pytest.mark.parametrize("slug", PUBLISHED)
def test_lesson_uses_its_quiz_scenario_and_another_interactive_element(slug):
    code = [c.source for c in _lesson(slug).cells if c.cell_type == "code"]
    assert f'show.quiz("{slug}")' in code
    assert f'show.scenario("{slug}")' in code
    others = [c for c in code if c.startswith("show.") and c not in (f'show.quiz("{slug}")', f'show.scenario("{slug}")')]
    assert others, "at least one more interactive element"
    assert len(content.load(slug, "quiz")["questions"]) >= 6


@pytest.mark.parametrize("slug", PUBLISHED)
def test_lesson_is_committed_without_outputs(slug):
    for cell in _lesson(slug).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("slug", PUBLISHED)
def test_scenario_has_decisions_with_consequences_and_several_endings(slug):
    steps = content.load(slug, "scenario")["steps"]
    assert sum(1 for s in steps.values() if s.get("choices")) >= 2
    assert sum(1 for s in steps.values() if s.get("ending")) >= 2


@pytest.mark.parametrize("slug", PUBLISHED)
def test_facilitator_notes_have_the_standard_sections(slug):
    text = (REPO / "book" / "facilitator" / f"{slug}.md").read_text(encoding="utf-8")
    headings = [line[3:].strip() for line in text.splitlines() if line.startswith("## ")]
    for section in FACILITATOR_SECTIONS:
        assert section in headings, f"facilitator notes for {slug} lack '{section}'"


def test_table_of_contents_lists_the_modules_in_course_order():
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    lessons = [f.split("/", 1)[1] for f in files if f.startswith("notebooks/")]
    assert lessons == PUBLISHED
    facilitator = [s["file"] for part in toc["parts"] for c in part["chapters"] for s in c.get("sections", [])]
    for slug in PUBLISHED:
        assert f"book/facilitator/{slug}" in facilitator


def _learner_texts():
    for folder, pattern in (("content", "**/*.yaml"), ("notebooks", "*.ipynb"), ("book", "**/*.md")):
        yield from (REPO / folder).glob(pattern)


def test_no_stigmatising_language():
    for path in _learner_texts():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            # Quoting the term in order to correct it is fine; using it to describe people is not.
            unquoted = re.sub(r"[\"“‘']illegal (im)?migrants?[\"”’']", "", line, flags=re.I)
            assert not re.search(r"illegal (im)?migrants?\b", unquoted, re.I), (
                f"{path.relative_to(REPO)}:{number} uses 'illegal migrant' as a description")
