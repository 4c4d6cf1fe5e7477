"""A learner's answers are kept on their own device: they survive a reload and a return visit, a
"Clear my answers on this device" control empties them, and nothing is sent anywhere.

The built book is opened from file:// (as from the USB bundle, no server). Every request that is not
a local file is blocked and fails the test, so no answer can leave the device.
Set TOOLKIT_BOOK_HTML to an existing build to skip rebuilding.
"""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import urlparse

import pytest

from toolkit_course import content
from toolkit_course.components.strings import STRINGS

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.slow]

STORE_PREFIX = "toolkit-course:"




@pytest.fixture
def device(browser, built_book):
    """One learner's browser (one profile): tabs share its storage, and nothing may leave it."""
    context = browser.new_context(accept_downloads=True)
    requested: list[str] = []
    outside: list[str] = []

    def guard(route):
        requested.append(route.request.url)
        if urlparse(route.request.url).scheme in ("file", "data", "blob"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)

    def open_page(slug):
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        tab.goto((built_book / "notebooks" / f"{slug}.html").as_uri())
        tab.wait_for_selector("[data-tc-ready]", state="attached")
        return tab

    yield open_page
    context.close()
    assert requested, "the guard saw no request at all, so it guarded nothing"
    assert outside == [], f"the page tried to reach the network: {outside}"


def reload(tab):
    tab.reload()
    tab.wait_for_selector("[data-tc-ready]", state="attached")


def saved_keys(tab, component_id: str) -> list[str]:
    return [k for k in tab.evaluate("Object.keys(localStorage)") if k.startswith(STORE_PREFIX) and k.endswith("#" + component_id)]


def clear_answers(section):
    section.get_by_role("button", name=STRINGS["clear_answers"]).click()
    assert STRINGS["cleared"] in section.locator(".tc-cleared").inner_text()


def test_quiz_answers_survive_a_reload_and_a_return_visit_until_cleared(device):
    slug = "01-trafficking-and-smuggling"
    first, second = content.load(slug, "quiz")["questions"][:2]
    wrong = next(o["id"] for o in first["options"] if not o.get("correct"))
    right = next(o["id"] for o in second["options"] if o.get("correct"))
    tab = device(slug)
    quiz = tab.locator("section.tc-quiz").filter(has=tab.locator(f'fieldset[data-question="{first["id"]}"]'))
    quiz_id = quiz.get_attribute("id")
    q1 = quiz.locator(f'fieldset[data-question="{first["id"]}"]')
    q2 = quiz.locator(f'fieldset[data-question="{second["id"]}"]')
    q1.locator(f'input[value="{wrong}"]').check()
    q1.get_by_role("button", name=STRINGS["check_answer"]).click()
    q2.locator(f'input[value="{right}"]').check()  # chosen, not yet checked
    assert saved_keys(tab, quiz_id), "nothing was saved on the device"

    reload(tab)
    assert q1.locator(f'input[value="{wrong}"]').is_checked()
    assert STRINGS["not_quite"] in q1.locator(".tc-feedback-region").inner_text()
    assert q2.locator(f'input[value="{right}"]').is_checked()
    assert q2.locator(".tc-feedback-region").inner_text() == ""

    tab.close()
    tab = device(slug)  # a return visit: a new tab in the same browser
    quiz = tab.locator(f"section#{quiz_id}")
    q1 = quiz.locator(f'fieldset[data-question="{first["id"]}"]')
    assert q1.locator(f'input[value="{wrong}"]').is_checked()
    assert STRINGS["not_quite"] in q1.locator(".tc-feedback-region").inner_text()

    clear_answers(quiz)
    assert quiz.locator("input:checked").count() == 0
    reload(tab)
    assert saved_keys(tab, quiz_id) == []
    assert quiz.locator("input:checked").count() == 0
    assert q1.locator(".tc-feedback-region").inner_text() == ""


def test_checklist_ratings_survive_a_reload_until_cleared(device):
    slug = "03-gender-equality"
    data = content.load(slug, "checklist")
    tab = device(slug)
    checklist = tab.locator("section.tc-checklist")
    checklist_id = checklist.get_attribute("id")
    checklist.locator(".tc-name").fill("Outreach in the port district")
    for q in data["questions"]:
        checklist.locator(f'fieldset[data-question="{q["id"]}"] input[value="0"]').check()
    checklist.locator("button.tc-rate").click()
    rating = checklist.locator(".tc-result").inner_text()
    assert rating.startswith("Rating:")

    reload(tab)
    assert checklist.locator(".tc-name").input_value() == "Outreach in the port district"
    for q in data["questions"]:
        assert checklist.locator(f'fieldset[data-question="{q["id"]}"] input[value="0"]').is_checked()
    assert checklist.locator(".tc-result").inner_text() == rating

    clear_answers(checklist)
    reload(tab)
    assert saved_keys(tab, checklist_id) == []
    assert checklist.locator(".tc-name").input_value() == ""
    assert checklist.locator("input[type=radio]:checked").count() == 0
    assert checklist.locator(".tc-result").inner_text() == ""


def test_scenario_path_survives_a_reload_until_cleared(device):
    slug = "01-trafficking-and-smuggling"
    tab = device(slug)
    scenario = tab.locator("section.tc-scenario")
    scenario_id = scenario.get_attribute("id")
    opening = scenario.locator(".tc-stage").inner_text()
    scenario.locator("button.tc-choice").first.click()
    scenario.locator("button.tc-choice").last.click()
    where = scenario.locator(".tc-stage").inner_text()
    assert where != opening

    reload(tab)
    assert scenario.locator(".tc-stage").inner_text() == where
    steps = 2
    while scenario.locator(".tc-debrief").count() == 0:
        scenario.locator("button.tc-choice").first.click()
        steps += 1
        assert steps < 20, "the scenario never ended"
    reload(tab)
    assert scenario.locator(".tc-path li").count() == steps, "the path in the debrief was not kept"

    clear_answers(scenario)
    reload(tab)
    assert saved_keys(tab, scenario_id) == []
    assert scenario.locator(".tc-stage").inner_text() == opening


def test_the_words_next_to_the_clear_control_say_nothing_leaves_the_device(device):
    tab = device("03-gender-equality")
    for section in tab.locator("section.tc-quiz, section.tc-checklist, section.tc-scenario").all():
        note = section.locator(".tc-device-note")
        assert note.inner_text() == STRINGS["device_note"]
        assert "Nothing is sent anywhere" in note.inner_text() and "only in this browser" in note.inner_text()
        assert section.get_by_role("button", name=STRINGS["clear_answers"]).is_visible()


def _ids_in_a_fresh_process(slug: str, *made_before: str) -> dict[str, str]:
    # Other components are made first, in a different order each time: an id must not depend on what came before.
    code = ("import json, sys; from toolkit_course import show; s = sys.argv[1]; "
            "[getattr(show, kind)(s) for kind in sys.argv[2:]]; "
            "print(json.dumps({'quiz': show.quiz(s).component_id, 'scenario': show.scenario(s).component_id}))")
    result = subprocess.run([sys.executable, "-c", code, slug, *made_before], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_component_ids_come_from_the_content_so_a_rebuild_keeps_saved_answers(device):
    """The ids key the saved answers: the built page, and any later build, must give the same ones."""
    slug = "01-trafficking-and-smuggling"
    first = _ids_in_a_fresh_process(slug)
    again = _ids_in_a_fresh_process(slug, "classifier", "case_cards")
    assert first == again
    tab = device(slug)
    assert tab.locator(f'section#{first["quiz"]}[data-tc-component="quiz"]').count() == 1
    assert tab.locator(f'section#{first["scenario"]}[data-tc-component="scenario"]').count() == 1


def test_a_scenario_can_be_played_and_cleared_with_the_keyboard_alone(device):
    tab = device("01-trafficking-and-smuggling")
    scenario = tab.locator("section.tc-scenario")
    scenario.locator("button.tc-choice").first.focus()

    def tab_to(class_name):
        for _ in range(40):
            if tab.evaluate("c => document.activeElement.classList.contains(c)", class_name):
                return
            tab.keyboard.press("Tab")
        raise AssertionError(f"Tab never reached a .{class_name} control")

    steps = 0
    while scenario.locator(".tc-debrief").count() == 0:
        tab_to("tc-choice")
        tab.keyboard.press("Enter")
        assert tab.evaluate("document.activeElement.classList.contains('tc-stage')"), "focus did not follow the story"
        steps += 1
        assert steps < 20, "the scenario never ended"
    assert scenario.locator(".tc-path li").count() == steps
    tab_to("tc-clear-answers")
    tab.keyboard.press("Enter")
    assert STRINGS["cleared"] in scenario.locator(".tc-cleared").inner_text()
    assert scenario.locator(".tc-debrief").count() == 0
