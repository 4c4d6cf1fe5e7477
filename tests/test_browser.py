"""The built book in a real browser: Debian's Chromium, driven by Playwright, against localhost.

Every test also checks that no request left localhost: the book must work offline.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from toolkit_course import content
from toolkit_course.components.checklist import rate

playwright = pytest.importorskip("playwright.sync_api")

REPO = Path(__file__).resolve().parents[1]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = [pytest.mark.browser, pytest.mark.slow]




@pytest.fixture
def page(browser, book_url):
    context = browser.new_context(accept_downloads=True)
    outside: list[str] = []

    def guard(route):
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost") or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()
    assert outside == [], f"the page tried to load from other hosts: {outside}"


def open_module(page, book_url, slug):
    page.goto(f"{book_url}/notebooks/{slug}.html")
    page.wait_for_selector("[data-tc-ready]", state="attached")


def open_first_quiz_question(page, book_url, slug):
    """Open a module's page; return its quiz's first question (fieldset) and a right and a wrong option id."""
    question = content.load(slug, "quiz")["questions"][0]
    right = next(o["id"] for o in question["options"] if o.get("correct"))
    wrong = next(o["id"] for o in question["options"] if not o.get("correct"))
    open_module(page, book_url, slug)
    return page.locator(f'section.tc-quiz fieldset[data-question="{question["id"]}"]'), right, wrong


def test_quiz_wrong_then_right(page, book_url):
    fieldset, right, wrong = open_first_quiz_question(page, book_url, "01-trafficking-and-smuggling")
    fieldset.locator(f'input[value="{wrong}"]').check()
    fieldset.get_by_role("button", name="Check answer").click()
    feedback = fieldset.locator(".tc-feedback-region")
    assert "Not quite." in feedback.inner_text()
    assert "(your answer)" in feedback.inner_text()
    assert "Source:" in feedback.inner_text()
    fieldset.locator(f'input[value="{right}"]').check()
    fieldset.get_by_role("button", name="Check answer").click()
    assert "Correct." in feedback.inner_text()
    quiz = page.locator("section.tc-quiz").filter(has=page.locator(f'fieldset[data-question="{fieldset.get_attribute("data-question")}"]'))
    assert "Score: 1 of" in quiz.locator(".tc-summary").inner_text()
    quiz.get_by_role("button", name="Try again").click()
    assert feedback.inner_text() == ""
    assert "Score: 0 of" in quiz.locator(".tc-summary").inner_text()


def test_quiz_can_be_answered_with_the_keyboard_alone(page, book_url):
    fieldset, right, _ = open_first_quiz_question(page, book_url, "00-orientation")
    fieldset.locator(f'input[value="{right}"]').focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    while "Check answer" not in focused:
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    assert "Correct." in fieldset.locator(".tc-feedback-region").inner_text()


def test_classifier_classifies_a_case(page, book_url):
    slug = "01-trafficking-and-smuggling"
    cards = content.load(slug, "cases")["cases"]
    card = next(c for c in cards if c["classification"] == "both")
    open_module(page, book_url, slug)
    classifier = page.locator("section.tc-classifier")
    classifier.get_by_label("Case to classify:").select_option(card["id"])
    assert card["facts"].split()[0] in classifier.locator(".tc-case-facts").inner_text()
    for element, shown in card["elements"].items():
        if shown:
            classifier.locator(f'input[value="{element}"]').check()
    classifier.get_by_role("button", name="Show the legal analysis").click()
    result = classifier.locator(".tc-result").inner_text()
    assert "On the elements you ticked: Both." in result
    assert "Model answer for this case: Both." in result


def test_scenario_can_be_walked_to_its_debrief(page, book_url):
    slug = "01-trafficking-and-smuggling"
    open_module(page, book_url, slug)
    scenario = page.locator("section.tc-scenario")
    steps = 0
    while scenario.locator(".tc-debrief").count() == 0:
        scenario.locator("button.tc-choice").first.click()
        steps += 1
        assert steps < 20, "the scenario never ended"
    assert "Debrief" in scenario.inner_text()
    assert scenario.locator(".tc-path li").count() == steps
    assert scenario.locator(".tc-consequence").count() == 1
    scenario.get_by_role("button", name="Play again").click()
    assert scenario.locator(".tc-path").count() == 0


def _checklist_answers(data: dict, pick: str) -> dict[str, int]:
    """'best' everywhere, 'first' everywhere, or 'harmful': the best everywhere except one answer that caps the level."""
    best = {q["id"]: max(range(len(q["options"])), key=lambda i: q["options"][i]["points"]) for q in data["questions"]}
    if pick == "first":
        return {qid: 0 for qid in best}
    if pick == "harmful":
        capping = [(q["id"], i) for q in data["questions"] for i, o in enumerate(q["options"]) if o.get("caps_level")]
        assert capping, "the checklist has no answer that caps the level"
        best[capping[0][0]] = capping[0][1]
    return best


@pytest.mark.parametrize("pick", ["best", "first", "harmful"])
def test_checklist_rating_matches_the_python_rule(page, book_url, pick):
    slug = "03-gender-equality"
    data = content.load(slug, "checklist")
    answers = _checklist_answers(data, pick)
    expected = rate(data, answers)
    open_module(page, book_url, slug)
    checklist = page.locator("section.tc-checklist")
    checklist.get_by_role("button", name="Rate this intervention").click()
    assert "Answer every question first" in checklist.locator(".tc-result").inner_text()
    for qid, index in answers.items():
        checklist.locator(f'fieldset[data-question="{qid}"] input[value="{index}"]').check()
    checklist.get_by_role("button", name="Rate this intervention").click()
    text = checklist.locator(".tc-result").inner_text()
    assert f"Rating: {expected.level['label']} ({expected.score} of {expected.max_score} points)" in text
    for gap in expected.gaps:
        assert gap.gap in text
    with page.expect_download() as download:
        checklist.get_by_role("button", name="Save the result as a report").click()
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert expected.level["label"] in report


def test_data_explorer_figures_have_alt_text(page, book_url):
    open_module(page, book_url, "03-gender-equality")
    images = page.locator("figure.tc-figure img")
    assert images.count() >= 2
    for index in range(images.count()):
        alt = images.nth(index).get_attribute("alt")
        assert alt.startswith("Bar chart.") and "%" in alt


# The current standard: WCAG 2.0 and 2.1, levels A and AA, plus axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def _book_pages() -> list[str]:
    """Every page in the table of contents, plus the search page the theme's search box opens."""
    import yaml

    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    stack = list(toc.get("parts", [])) + list(toc.get("chapters", []))
    while stack:
        entry = stack.pop(0)
        if "file" in entry:
            files.append(entry["file"])
        stack[:0] = entry.get("chapters", []) + entry.get("sections", [])
    return [f"{name}.html" for name in files] + ["search.html"]


@pytest.mark.parametrize("path", _book_pages())
def test_no_serious_accessibility_violations(page, book_url, path):
    """Every page, the theme's own controls included, and not one console error while it loads."""
    assert AXE.exists(), "axe-core is missing: run scripts/install-browser-deps.sh (make test does)"
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{book_url}/{path}", wait_until="networkidle")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations",
                               AXE_TAGS)
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
               for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{path}: {serious}"
    assert errors == [], f"{path}: console errors {errors}"


def test_the_pinned_axe_is_the_one_installed():
    """The check is only as current as the axe-core that runs it: package.json pins it, npm installs it."""
    import json

    pinned = json.loads((REPO / "package.json").read_text(encoding="utf-8"))["devDependencies"]["axe-core"]
    installed = json.loads((REPO / "node_modules" / "axe-core" / "package.json").read_text(encoding="utf-8"))["version"]
    assert installed == pinned, f"node_modules has axe-core {installed}, package.json pins {pinned}: run npm ci"


def test_keyboard_focus_is_visible_on_every_kind_of_control(page, book_url):
    open_module(page, book_url, "03-gender-equality")
    for selector in ("section.tc-checklist input[type=radio]", "section.tc-checklist button.tc-rate",
                     "section.tc-quiz button.tc-check", "section.tc-scenario button.tc-choice"):
        control = page.locator(selector).first
        control.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # focus arrives by keyboard, so :focus-visible applies
        outline = control.evaluate("e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth")
        assert outline.split()[0] != "none" and outline.split()[1] != "0px", f"{selector}: no visible focus ({outline})"
