"""Content files: every published file is valid, and bad files fail with a message naming file, item and field."""

from __future__ import annotations

import re
import textwrap

import pytest

from toolkit_course import content, legal_analysis
from toolkit_course.components import data_explorer

PUBLISHED = content.published_slugs()


def test_modules_list_is_in_course_order_with_numbered_slugs():
    # The list itself is the source of truth for how many modules there are; this checks its shape,
    # so adding a module means adding one entry, not editing a count here.
    slugs = [m["slug"] for m in content.modules()]
    assert len(slugs) == len(set(slugs)), "a slug appears twice in content/modules.yaml"
    numbers = [slug.split("-", 1)[0] for slug in slugs]
    assert numbers == [f"{n:02d}" for n in range(len(slugs))], "slugs are numbered 00, 01, ... in course order"


@pytest.mark.parametrize("slug", PUBLISHED)
def test_every_content_file_of_a_published_module_is_valid(slug):
    files = [kind for kind in content.KINDS if content.module_path(slug, kind).exists()]
    assert {"quiz", "scenario", "assessment"} <= set(files), f"{slug} lacks a quiz, scenario or assessment"
    for kind in files:
        assert content.load(slug, kind)


@pytest.mark.parametrize("slug", [s for s in PUBLISHED if content.module_path(s, "cases").exists()])
def test_case_cards_agree_with_the_legal_analysis(slug):
    """A card's classification must follow from the elements it says the facts show."""
    for card in content.load(slug, "cases")["cases"]:
        established = legal_analysis.classify(card["elements"])
        expected = "neither" if card["classification"] == "more-facts-needed" else card["classification"]
        assert established == expected, f"{slug} card {card['id']}: elements establish {established}"


@pytest.mark.parametrize("slug", [s for s in PUBLISHED if content.module_path(s, "cases").exists()])
def test_generic_case_card_feedback_never_claims_a_crime_the_facts_do_not_establish(slug):
    """Feedback on a wrong classification is generic, so it must hold on every card it is shown on.

    On a card whose facts establish no crime (a 'more facts needed' card), feedback for picking
    'neither' once told the learner the facts showed every element of a crime: the opposite of the card.
    """
    from toolkit_course.components.quiz import from_cases

    cards = {c["id"]: c for c in content.load(slug, "cases")["cases"]}
    for question in from_cases(content.load(slug, "cases"))["questions"]:
        if legal_analysis.classify(cards[question["id"]]["elements"]) != "neither":
            continue
        for option in question["options"]:
            if not option["correct"]:
                assert not re.search(r"facts (do )?show every element", option["feedback"], re.I), (
                    f"{slug} card {question['id']}, option {option['id']}: feedback claims the facts prove a crime")


def _write(tmp_path, text: str):
    path = tmp_path / "quiz.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


GOOD_QUESTION = """
    title: T
    questions:
      - id: q1
        prompt: Which one?
        options:
          - {id: a, text: One, correct: true, feedback: Because it is.}
          - {id: b, text: Two, feedback: Because it is not.}
        explanation: The reason.
        source: A source
"""


def test_a_valid_file_loads(tmp_path):
    assert content.load_file(_write(tmp_path, GOOD_QUESTION), "quiz")["questions"][0]["id"] == "q1"


@pytest.mark.parametrize("broken, item, words", [
    (GOOD_QUESTION.replace("feedback: Because it is not.", "feedbak: Because it is not."),
     "questions[0] (id 'q1')", "options[1]"),
    (GOOD_QUESTION.replace("        source: A source\n", ""), "questions[0] (id 'q1')", "'source' is a required property"),
    (GOOD_QUESTION.replace("correct: true, ", ""), "questions[0] (id 'q1')", "no option is marked correct"),
    (GOOD_QUESTION.replace("prompt: Which one?", "prompt: [unclosed"), "", "not valid YAML: line"),
])
def test_a_broken_quiz_names_file_item_and_field(tmp_path, broken, item, words):
    path = _write(tmp_path, broken)
    with pytest.raises(content.ContentError) as raised:
        content.load_file(path, "quiz")
    message = str(raised.value)
    assert str(path) in message
    assert item in message
    assert words in message


def test_a_scenario_with_a_dangling_choice_is_rejected(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent("""
        id: s
        title: S
        setting: A fictional setting.
        start: one
        steps:
          one:
            text: What now?
            choices:
              - {label: Go, consequence: Something happens., next: two}
              - {label: Stay, consequence: Something else., next: nowhere}
          two: {text: The end., ending: true}
        debrief: {text: What we learned here., links: [{label: Tool 1.3, source: Toolkit}]}
    """), encoding="utf-8")
    with pytest.raises(content.ContentError, match=r"steps\.one: choices\[1\]\.next: 'nowhere'"):
        content.load_file(path, "scenario")


def test_an_assessment_answer_must_be_one_of_its_options(tmp_path):
    source = (content.module_path("01-trafficking-and-smuggling", "assessment")).read_text(encoding="utf-8")
    path = tmp_path / "assessment.yaml"
    path.write_text(source.replace("answer: smuggling", "answer: smugling", 1), encoding="utf-8")
    with pytest.raises(content.ContentError, match=r"items\[0\] \(id 'q1'\): answer: 'smugling' is not one of"):
        content.load_file(path, "assessment")


def test_a_data_file_with_a_bad_figure_names_the_row(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "glotip-forms-of-exploitation.csv").write_text(
        "edition,published,data_year,group,percent,found_in\nGLOTIP 2020,2021,2018,forced labour,lots,S57\n")
    monkeypatch.setenv("TOOLKIT_COURSE_CONTENT", str(tmp_path))
    with pytest.raises(content.ContentError, match=r"row 2: percent: 'lots' is not a number"):
        data_explorer.load_rows("forms")
