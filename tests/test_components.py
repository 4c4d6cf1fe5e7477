"""Each component driven through its Python API, as a learner's clicks would drive it."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from toolkit_course import content, legal_analysis, show
from toolkit_course.components.checklist import Checklist, rate
from toolkit_course.components.quiz import Quiz
from toolkit_course.components.scenario import Scenario

QUIZ = {
    "title": "Practice",
    "questions": [
        {"id": "single", "prompt": "Is consent relevant once a means is used?", "explanation": "Art. 3(b).",
         "source": "Trafficking in Persons Protocol, art. 3(b)",
         "options": [{"id": "a", "text": "Yes", "feedback": "No: art. 3(b) makes it irrelevant."},
                     {"id": "b", "text": "No", "correct": True, "feedback": "Right: art. 3(b)."}]},
        {"id": "multi", "prompt": "Which are means?", "multiple": True, "explanation": "Art. 3(a).",
         "source": "Trafficking in Persons Protocol, art. 3(a)",
         "options": [{"id": "a", "text": "Deception", "correct": True, "feedback": "A means."},
                     {"id": "b", "text": "Abduction", "correct": True, "feedback": "A means."},
                     {"id": "c", "text": "Crossing a border", "feedback": "Not a means."}]},
    ],
}


def test_quiz_gives_feedback_on_a_wrong_then_a_right_answer():
    quiz = Quiz(QUIZ)
    quiz.choose("single", "a")
    wrong = quiz.check("single")
    assert not wrong.correct
    assert "Not quite" in quiz.feedback_text["single"]
    assert "No: art. 3(b) makes it irrelevant." in quiz.feedback_text["single"]
    assert "Right: art. 3(b)." in quiz.feedback_text["single"], "every option's feedback is shown"
    assert "Trafficking in Persons Protocol, art. 3(b)" in quiz.feedback_text["single"]
    quiz.choose("single", "b")
    assert quiz.check("single").correct
    assert "Correct." in quiz.feedback_text["single"]
    assert "1 of 2 correct" in re.sub(r"<[^>]+>", "", quiz.summary.value)


def test_multiple_answer_questions_need_every_right_option():
    quiz = Quiz(QUIZ)
    quiz.choose("multi", "a")
    assert not quiz.check("multi").correct
    quiz.choose("multi", "a", "b")
    assert quiz.check("multi").correct


def test_checking_without_an_answer_asks_for_one_and_retry_clears_everything():
    quiz = Quiz(QUIZ)
    assert quiz.check("single") is None
    assert "Choose an answer first" in quiz.feedback_text["single"]
    quiz.choose("single", "b")
    quiz.check("single")
    quiz.retry()
    assert quiz.session.score == (0, 2)
    assert quiz.feedback_text["single"] == ""
    assert quiz._choices["single"].value is None


@pytest.mark.parametrize("act, means, purpose, child, established, missing", [
    (True, True, True, False, True, ()),
    (True, False, True, False, False, ("means",)),
    (True, False, True, True, True, ()),          # the child rule, art. 3(c)
    (True, True, False, True, False, ("purpose",)),
    (False, False, False, False, False, ("act", "means", "purpose")),
])
def test_trafficking_analysis_applies_article_3(act, means, purpose, child, established, missing):
    analysis = legal_analysis.analyse_trafficking(act, means, purpose, child)
    assert analysis.established is established
    assert analysis.missing == missing
    if child and established:
        assert "3(c)" in analysis.conclusion


def test_smuggling_without_benefit_is_not_established_and_says_why():
    analysis = legal_analysis.analyse_smuggling(True, True, False)
    assert not analysis.established
    assert analysis.missing == ("benefit",)
    assert "family or humanitarian" in analysis.conclusion


def test_classifier_widget_shows_the_analysis_of_what_was_ticked():
    classifier = show.classifier()
    classifier.tick(procurement=True, illegal_entry=True, benefit=True, act=True, means=True, purpose=True)
    outcome = classifier.analyse()
    assert outcome["classification"] == "both"
    assert "Both" in classifier.result.value
    with pytest.raises(ValueError, match="unknown elements"):
        classifier.tick(profit=True)


def test_static_classifier_carries_the_same_analysis_for_every_combination():
    outcomes = legal_analysis.every_outcome()
    assert len(outcomes["trafficking"]) == 16 and len(outcomes["smuggling"]) == 8
    assert len(outcomes["classification"]) == 128
    assert outcomes["trafficking"]["1011"]["established"], "act + purpose + child is trafficking"
    assert not outcomes["trafficking"]["1010"]["established"], "act + purpose for an adult is not"


SCENARIO = {
    "id": "s", "title": "Test", "setting": "A fictional place.", "start": "one",
    "steps": {
        "one": {"text": "First decision.", "choices": [
            {"label": "Listen", "consequence": "She speaks.", "next": "good", "rights_respected": True},
            {"label": "Deport", "consequence": "She is sent back.", "next": "bad", "rights_respected": False}]},
        "good": {"text": "A good end.", "ending": True},
        "bad": {"text": "A bad end.", "ending": True},
    },
    "debrief": {"text": "What matters here.", "links": [{"label": "Tool 1.3", "source": "Toolkit Tool 1.3"}]},
}


def test_scenario_walks_to_its_debrief_and_shows_the_path():
    scenario = Scenario(SCENARIO)
    assert [b.description for b in scenario.buttons.children] == ["Listen", "Deport"]
    decision = scenario.choose(1)
    assert decision.consequence == "She is sent back."
    assert scenario.run.finished
    assert "Debrief" in scenario.text and "Tool 1.3" in scenario.text
    assert "puts rights at risk" in scenario.text
    with pytest.raises(ValueError, match="has ended"):
        scenario.run.choose(0)
    scenario.restart()
    assert scenario.run.path == [] and scenario.run.current == "one"


CHECKLIST = {
    "title": "Calibration", "intro": "Rate it.", "source": "WHO Gender Responsive Assessment Scale",
    "questions": [
        {"id": "consulted", "text": "Were women and men consulted?", "options": [
            {"label": "No", "points": 0, "gap": "Nobody affected was consulted.", "mitigation": "Consult them."},
            {"label": "Yes", "points": 2}]},
        {"id": "causes", "text": "Does it address causes?", "options": [
            {"label": "No", "points": 0, "gap": "Causes ignored.", "mitigation": "Address them."},
            {"label": "Yes", "points": 2}]},
    ],
    "levels": [{"id": "gender-unequal", "label": "Gender-unequal", "min_points": 0, "meaning": "m1"},
               {"id": "gender-blind", "label": "Gender-blind", "min_points": 1, "meaning": "m2"},
               {"id": "gender-sensitive", "label": "Gender-sensitive", "min_points": 2, "meaning": "m3"},
               {"id": "gender-specific", "label": "Gender-specific", "min_points": 3, "meaning": "m4"},
               {"id": "gender-transformative", "label": "Gender-transformative", "min_points": 4, "meaning": "m5"}],
}


def test_checklist_rates_lists_gaps_and_saves_a_report(tmp_path):
    checklist = Checklist(CHECKLIST)
    assert checklist.rate() is None and "Answer every question first" in checklist.result.value
    checklist.answer("consulted", 1)
    checklist.answer("causes", 0)
    rating = checklist.rate()
    assert (rating.score, rating.level["label"]) == (2, "Gender-sensitive")
    assert [g.gap for g in rating.gaps] == ["Causes ignored."]
    assert "Address them." in checklist.result.value
    report = checklist.save_report(tmp_path / "report.html").read_text()
    assert "Gender-sensitive" in report and "Causes ignored." in report


def test_checklist_full_marks_reach_the_top_level():
    assert rate(CHECKLIST, {"consulted": 1, "causes": 1}).level["id"] == "gender-transformative"


def test_data_explorer_figure_has_alt_text_with_every_figure_and_the_caveat():
    explorer = show.data_explorer("sex-age")
    html = explorer.static_html()
    alt = re.search(r'alt="([^"]+)"', html).group(1)
    for figure in ("women 46%", "girls 22%", "boys 17%", "GLOTIP 2024 (2022 data)"):
        assert figure in alt
    assert "not measure how many people are trafficked" in html
    explorer.show("forms")
    assert "forced labour 42%" in explorer.figure.value


def test_one_display_call_offers_the_live_widget_and_the_static_page():
    bundle = show.classifier()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert 'data-tc-component="classifier"' in bundle["text/html"]


def test_case_cards_from_content_say_what_a_wrong_classification_would_need():
    slug = "01-trafficking-and-smuggling"
    cards = show.case_cards(slug)
    card = content.load(slug, "cases")["cases"][0]
    wrong = next(c for c in ("trafficking", "smuggling", "both", "neither") if c != card["classification"])
    cards.choose(card["id"], wrong)
    assert not cards.check(card["id"]).correct
    assert card["reasoning"].split()[0] in cards.feedback_text[card["id"]]
    cards.choose(card["id"], card["classification"])
    assert cards.check(card["id"]).correct


def test_sorter_from_content_marks_each_item_against_its_category():
    sorter = show.sorter("00-orientation")
    for item in content.load("00-orientation", "sorter")["items"]:
        sorter.choose(item["id"], item["category"])
        assert sorter.check(item["id"]).correct
    right, total = sorter.session.score
    assert right == total


# ---------- A harmful answer caps the checklist's rating, in every checklist of the course ----------

def _checklists() -> list[tuple[str, dict]]:
    return [(slug, content.load(slug, "checklist")) for slug in content.published_slugs()
            if content.module_path(slug, "checklist").exists()]


def _capping_options() -> list[tuple[str, dict, str, int]]:
    """Every (slug, data, question id, option index) whose option carries caps_level, read from the content."""
    return [(slug, data, question["id"], index)
            for slug, data in _checklists()
            for question in data["questions"]
            for index, option in enumerate(question["options"]) if option.get("caps_level")]


def _best_answers(data: dict) -> dict[str, int]:
    return {q["id"]: max(range(len(q["options"])), key=lambda i: q["options"][i]["points"]) for q in data["questions"]}


def test_the_gender_checklist_flags_its_harmful_answers():
    # Guards the data: if the flags were deleted, the cap test below would have nothing to check.
    flagged = [(slug, qid) for slug, _, qid, _ in _capping_options()]
    assert ("03-gender-equality", "do-no-harm") in flagged


@pytest.mark.parametrize("slug, data, question_id, option_index", _capping_options(),
                         ids=lambda value: value if isinstance(value, (str, int)) else "")
def test_a_harmful_answer_caps_the_level_whatever_the_other_answers(slug, data, question_id, option_index):
    option = next(q for q in data["questions"] if q["id"] == question_id)["options"][option_index]
    order = [level["id"] for level in data["levels"]]
    cap = order.index(option["caps_level"])
    answers = _best_answers(data) | {question_id: option_index}
    rating = rate(data, answers)
    assert order.index(rating.level["id"]) <= cap, (
        f"{slug}: '{option['label']}' with the best answer everywhere else rates {rating.level['id']} "
        f"({rating.score} of {rating.max_score}), above its cap {option['caps_level']}")
    assert option["label"] in rating.capped_by, "the result names the answer that capped it"
    # The cap never raises a rating: with every answer at its worst, the level is the lowest anyway.
    worst = {q["id"]: min(range(len(q["options"])), key=lambda i: q["options"][i]["points"]) for q in data["questions"]}
    assert rate(data, worst | {question_id: option_index}).level["id"] == order[0]


def test_a_cap_in_the_small_checklist_holds_and_shows_in_the_result():
    capped = {**CHECKLIST, "questions": [
        {"id": "harm", "text": "Does it restrict rights?", "options": [
            {"label": "Yes", "points": 0, "caps_level": "gender-unequal", "gap": "It restricts rights.",
             "mitigation": "Redesign it."},
            {"label": "No", "points": 2}]},
        *CHECKLIST["questions"]]}
    assert rate(capped, {"harm": 1, "consulted": 1, "causes": 1}).level["id"] == "gender-transformative"
    rating = rate(capped, {"harm": 0, "consulted": 1, "causes": 1})
    assert (rating.score, rating.level["id"], rating.capped_by) == (4, "gender-unequal", ("Yes",))
    checklist = Checklist(capped)
    for qid, index in {"harm": 0, "consulted": 1, "causes": 1}.items():
        checklist.answer(qid, index)
    checklist.rate()
    assert "Gender-unequal" in checklist.result.value
    assert re.search(r"caps the rating:</strong> <span data-slot=\"capped-by\">Yes</span></p>", checklist.result.value), \
        "the learner is told which answer capped it"


def test_the_checklist_page_without_a_kernel_carries_the_python_rule_as_data():
    # The kernel-free page must not hold its own thresholds or caps: it gets Python's tables.
    checklist = show.checklist("03-gender-equality")
    data = json.loads(re.search(r'<script type="application/json" class="tc-data">(.*?)</script>',
                                checklist.static_html(), re.S).group(1))
    order = [level["id"] for level in checklist.data["levels"]]
    assert len(data["level_for_score"]) == rate(checklist.data, _best_answers(checklist.data)).max_score + 1
    for score, level_index in enumerate(data["level_for_score"]):
        reached = [level["id"] for level in checklist.data["levels"] if score >= level["min_points"]][-1]
        assert order[level_index] == reached, f"score {score}"
    for question, embedded in zip(checklist.data["questions"], data["questions"]):
        for option, carried in zip(question["options"], embedded["options"]):
            expected = order.index(option["caps_level"]) if option.get("caps_level") else len(order) - 1
            assert carried["ceiling"] == expected


def test_a_checklist_can_rate_on_its_own_scale_and_name_what_it_rates(tmp_path):
    # A return decision or an operation plan is not rated on the WHO gender scale: the levels and the
    # words naming what is rated come from the data file.
    decision = {"title": "Return risk", "intro": "Rate the plan.", "source": "A source", "subject": "return plan",
                "levels": [{"id": "do-not-return", "label": "Do not return now", "min_points": 0, "meaning": "Stop."},
                           {"id": "proceed", "label": "Proceed", "min_points": 2, "meaning": "Go ahead."}],
                "questions": [{"id": "risk", "text": "Was the risk assessed?", "options": [
                                  {"label": "Yes", "points": 2},
                                  {"label": "No", "points": 0, "caps_level": "do-not-return",
                                   "gap": "No risk assessment.", "mitigation": "Assess the risk first."}]},
                              {"id": "consent", "text": "Did the person agree?", "options": [
                                  {"label": "Yes", "points": 2}, {"label": "No", "points": 0, "gap": "No consent.",
                                                                  "mitigation": "Ask."}]}]}
    path = tmp_path / "checklist.yaml"
    path.write_text(yaml.safe_dump(decision), encoding="utf-8")
    data = content.load_file(path, "checklist")
    # Answers are option indices: risk 0 = "Yes" (2 points), risk 1 = "No" (0 points, caps the level).
    assert rate(data, {"risk": 1, "consent": 1}).level["id"] == "do-not-return"
    assert rate(data, {"risk": 1, "consent": 0}).level["id"] == "do-not-return", "the cap holds at 2 points"
    assert rate(data, {"risk": 0, "consent": 1}).level["id"] == "proceed"
    page = Checklist(data).static_html()
    assert "Rate this return plan" in page and "Return plan you are rating:" in page
    assert "intervention" not in page.lower()


def test_a_cap_that_names_no_level_of_its_checklist_is_rejected(tmp_path):
    broken = {**CHECKLIST, "questions": [{"id": "harm", "text": "Harm?", "options": [
        {"label": "Yes", "points": 0, "caps_level": "no-such-level", "gap": "g", "mitigation": "m"},
        {"label": "No", "points": 2}]}, *CHECKLIST["questions"]]}
    path = tmp_path / "checklist.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    with pytest.raises(content.ContentError, match=r"questions\[0\] \(id 'harm'\).*caps_level 'no-such-level'"):
        content.load_file(path, "checklist")
