"""One render path: the book's kernel-free components show what the Jupyter widgets show, from the same templates.

The book page's script may only show, hide, clone and look things up. The first tests read the script
and fail if it builds markup or carries words of its own. The others render one component both ways
from Python (the widget's HTML, and the book's static HTML driven by the real script in Chromium), do
the same thing in each, and compare the text a learner reads.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from toolkit_course import content, show
from toolkit_course.components.strings import STRINGS

REPO = Path(__file__).resolve().parents[1]
STATIC = REPO / "src" / "toolkit_course" / "static"
SCRIPT = STATIC / "toolkit-components.js"

# Ways a script builds markup. Comments are removed first, so a comment may name them.
MARKUP_BUILDING = {
    "innerHTML": r"\.innerHTML\b",
    "outerHTML assignment": r"\.outerHTML\s*=",
    "insertAdjacentHTML": r"\binsertAdjacentHTML\b",
    "document.write": r"\bdocument\.write(ln)?\b",
    "createElement": r"\bcreateElement(NS)?\b",
    "createContextualFragment": r"\bcreateContextualFragment\b",
    "a tag in a string": r"""["'`]\s*<\s*[A-Za-z/!]""",
}


def _script_code(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"(?m)^\s*//.*$|\s//[^\"'\n]*$", "", text)


def markup_building(code: str) -> list[str]:
    return [f"{name}: {match.group(0)!r}" for name, pattern in MARKUP_BUILDING.items()
            for match in re.finditer(pattern, _script_code(code))]


def test_the_detector_finds_each_way_of_building_markup():
    """Guards the guard: each forbidden form in a small script is reported."""
    bad = ('box.innerHTML = "<p>x</p>"; el.outerHTML = s; el.insertAdjacentHTML("beforeend", s);'
           'document.write(s); var d = document.createElement("div"); var t = \'<li>\';'
           'range.createContextualFragment(s);')
    found = {line.split(":")[0] for line in markup_building(bad)}
    assert found == set(MARKUP_BUILDING)
    assert markup_building("// innerHTML in a comment\nfill(node, 'x', value);") == []


def test_the_book_script_builds_no_markup():
    problems = markup_building(SCRIPT.read_text(encoding="utf-8"))
    assert problems == [], f"{SCRIPT.name} builds markup; render it in a template instead: {problems}"


def test_the_book_script_carries_no_words_of_its_own():
    """Every user-facing string lives in components/strings.py and reaches the page through the templates."""
    code = _script_code(SCRIPT.read_text(encoding="utf-8"))
    literals = re.findall(r'"((?:[^"\\\n]|\\.)*)"', code) + re.findall(r"'((?:[^'\\\n]|\\.)*)'", code)
    words = [s for s in literals if re.search(r"[A-Za-z]{3,}\s+[A-Za-z]{2,}", s) and s != "use strict"]
    assert words == [], f"{SCRIPT.name} has sentences in it; put them in components/strings.py: {words}"
    for key, value in STRINGS.items():
        fixed = max(re.split(r"\{\w+\}", value), key=len).strip()
        copies = [s for s in literals if len(fixed) > 3 and (s.strip() == fixed or (" " in fixed and fixed in s))]
        assert copies == [], f"{SCRIPT.name} repeats the string '{key}' ({fixed!r})"


# ---------- The same text in the widget and in the book ----------

playwright = pytest.importorskip("playwright.sync_api")




@pytest.fixture
def book_view(browser, tmp_path):
    """Opens a component's book HTML, with the real script and styles, as a file:// page."""
    for name in ("toolkit-components.js", "toolkit-components.css"):
        shutil.copy(STATIC / name, tmp_path / name)
    context = browser.new_context(accept_downloads=True)
    outside: list[str] = []

    def guard(route):
        if urlparse(route.request.url).scheme in ("file", "data", "blob"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    errors: list[str] = []

    def open_component(component):
        page_file = tmp_path / "page.html"
        page_file.write_text('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Component</title>'
                             '<link rel="stylesheet" href="toolkit-components.css"></head><body><main>'
                             f'{component.static_html()}</main><script src="toolkit-components.js"></script>'
                             '</body></html>', encoding="utf-8")
        tab = context.new_page()
        tab.set_default_timeout(10_000)
        tab.on("pageerror", lambda error: errors.append(str(error)))
        tab.goto(page_file.as_uri())
        tab.wait_for_selector("[data-tc-ready]", state="attached")
        tab.evaluate("localStorage.clear()")
        tab.reload()
        tab.wait_for_selector("[data-tc-ready]", state="attached")
        return tab

    yield open_component
    context.close()
    assert errors == [], f"the script failed: {errors}"
    assert outside == [], f"the page tried to reach the network: {outside}"


def seen(tab, html: str) -> str:
    """The text a learner reads in the widget's HTML, laid out by the same browser and stylesheet."""
    return squash(tab.evaluate("""html => {
        const holder = document.createElement('section');
        holder.className = 'tc-component';
        holder.innerHTML = html;
        document.body.appendChild(holder);
        const text = holder.innerText;
        holder.remove();
        return text;
    }""", html))


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_quiz_feedback_and_score_read_the_same(book_view):
    slug = "01-trafficking-and-smuggling"
    question = content.load(slug, "quiz")["questions"][0]
    wrong = next(o["id"] for o in question["options"] if not o.get("correct"))
    widget = show.quiz(slug)
    tab = book_view(show.quiz(slug))
    fieldset = tab.locator(f'fieldset[data-question="{question["id"]}"]')

    widget.check(question["id"])
    fieldset.get_by_role("button", name=STRINGS["check_answer"]).click()
    assert squash(fieldset.locator(".tc-feedback-region").inner_text()) == seen(tab, widget.feedback_text[question["id"]])

    widget.choose(question["id"], wrong)
    widget.check(question["id"])
    fieldset.locator(f'input[value="{wrong}"]').check()
    fieldset.get_by_role("button", name=STRINGS["check_answer"]).click()
    book_feedback = squash(fieldset.locator(".tc-feedback-region").inner_text())
    assert book_feedback == seen(tab, widget.feedback_text[question["id"]])
    assert STRINGS["not_quite"] in book_feedback and STRINGS["your_answer"] in book_feedback
    assert squash(tab.locator(".tc-summary").inner_text()) == seen(tab, widget.summary.value)


def test_case_cards_read_the_same(book_view):
    slug = "01-trafficking-and-smuggling"
    card = content.load(slug, "cases")["cases"][0]
    widget = show.case_cards(slug)
    tab = book_view(show.case_cards(slug))
    widget.choose(card["id"], card["classification"])
    widget.check(card["id"])
    fieldset = tab.locator(f'fieldset[data-question="{card["id"]}"]')
    fieldset.locator(f'input[value="{card["classification"]}"]').check()
    fieldset.get_by_role("button", name=STRINGS["check_answer"]).click()
    book_feedback = squash(fieldset.locator(".tc-feedback-region").inner_text())
    assert book_feedback == seen(tab, widget.feedback_text[card["id"]])
    assert STRINGS["correct"] in book_feedback


def test_checklist_result_and_report_read_the_same(book_view):
    slug = "03-gender-equality"
    data = content.load(slug, "checklist")
    capping = next((q["id"], i) for q in data["questions"] for i, o in enumerate(q["options"]) if o.get("caps_level"))
    answers = {q["id"]: 0 for q in data["questions"]}
    answers[capping[0]] = capping[1]
    widget = show.checklist(slug)
    tab = book_view(show.checklist(slug))
    section = tab.locator("section.tc-checklist")
    rate_button = section.locator("button.tc-rate")

    widget.rate()
    rate_button.click()
    assert squash(section.locator(".tc-result").inner_text()) == seen(tab, widget.result.value)

    for qid, index in answers.items():
        widget.answer(qid, index)
        section.locator(f'fieldset[data-question="{qid}"] input[value="{index}"]').check()
    widget.name.value = "Shelter <b>outreach</b>"
    section.locator(".tc-name").fill("Shelter <b>outreach</b>")
    widget.rate()
    rate_button.click()
    book_result = squash(section.locator(".tc-result").inner_text())
    assert book_result == seen(tab, widget.result.value)
    assert STRINGS["capped"] in book_result

    with tab.expect_download() as download:
        section.locator("button.tc-save").click()
    from toolkit_course.components.checklist import labels, report_html
    assert download.value.suggested_filename == labels(data)["report_file"] == "intervention-rating.html"
    book_report = Path(download.value.path()).read_text(encoding="utf-8")
    assert "<b>outreach" not in book_report, "the learner's text went into the report unescaped"
    date = re.search(r'data-slot="date">([^<]*)<', book_report).group(1)
    kernel_report = report_html(widget.data, widget.name.value, widget.answers, widget.rating, date=date)
    assert seen(tab, _body(book_report)) == seen(tab, _body(kernel_report))


def _body(document: str) -> str:
    return re.search(r"<body>(.*)</body>", document, re.S).group(1)


def test_scenario_steps_and_debrief_read_the_same(book_view):
    slug = "01-trafficking-and-smuggling"
    widget = show.scenario(slug)
    tab = book_view(show.scenario(slug))
    section = tab.locator("section.tc-scenario")
    assert squash(section.locator(".tc-stage").inner_text()) == seen(tab, widget.text)
    steps = 0
    while not widget.run.finished:
        widget.choose(len(widget.run.choices()) - 1)
        section.locator("button.tc-choice").last.click()
        assert squash(section.locator(".tc-stage").inner_text()) == seen(tab, widget.text)
        steps += 1
        assert steps < 20, "the scenario never ended"
    assert STRINGS["debrief"] in section.locator(".tc-stage").inner_text()


def test_classifier_analysis_and_model_answer_read_the_same(book_view):
    slug = "01-trafficking-and-smuggling"
    card = next(c for c in content.load(slug, "cases")["cases"] if c["classification"] == "trafficking")
    widget = show.classifier(slug)
    tab = book_view(show.classifier(slug))
    section = tab.locator("section.tc-classifier")
    widget.case_picker.value = card["id"]
    section.locator("select.tc-case-picker").select_option(card["id"])
    assert squash(section.locator(".tc-case-facts").inner_text()) == seen(tab, widget.case_facts.value)
    ticks = {name: bool(shown) for name, shown in card["elements"].items() if name in widget.boxes}
    widget.tick(**ticks)
    for name, shown in ticks.items():
        if shown:
            section.locator(f'input[value="{name}"]').check()
    widget.analyse()
    section.locator("button.tc-analyse").click()
    book_result = squash(section.locator(".tc-result").inner_text())
    assert book_result == seen(tab, widget.result.value)
    assert STRINGS["model_answer"] in book_result
