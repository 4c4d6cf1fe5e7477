"""`make handouts`: one PDF per module, printed by Debian's Chromium from the built book's own pages.

Each PDF is read back with pdftotext (poppler-utils), as a facilitator's printer would see it: the
module's title, every question of every exercise before the answer page, the answers only after it,
and none of the book's navigation.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from toolkit_course import content, handouts
from toolkit_course.components.base import md
from toolkit_course.components.quiz import from_cases, from_sorter

pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.slow]

ANSWERS_HEADING = "Answers and feedback (for the facilitator)"


def plain(text: str) -> str:
    """Text as pdftotext gives it back, made comparable: one space between words, ligatures undone, and no
    hyphens (pdftotext drops the hyphen of a word like "passer-by" when the line breaks at it)."""
    text = unicodedata.normalize("NFKC", html.unescape(text)).replace("\u00ad", "")
    return re.sub(r"\s+", " ", re.sub(r"[-\u2010\u2011]", "", text)).strip()


def plain_markdown(text: str) -> str:
    return plain(BeautifulSoup(md(text), "html.parser").get_text())


def blocks(text: str) -> list[str]:
    """The paragraphs and list items of a markdown text, each as plain text (a printed list's numbers
    are drawn by the browser, so a whole text with a list in it never matches as one string)."""
    soup = BeautifulSoup(md(text), "html.parser")
    return [plain(block.get_text()) for block in soup.find_all(["p", "li"]) if not block.find(["p", "li"])]


def pdf_pages(pdf: Path) -> list[str]:
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True)
    return [plain(page) for page in result.stdout.split("\f")]


@pytest.fixture(scope="module")
def printed(built_book, tmp_path_factory):
    """Every published module printed once, into a scratch folder."""
    assert shutil.which("pdftotext"), "pdftotext is missing: apt-get install poppler-utils"
    out = tmp_path_factory.mktemp("handouts")
    made, errors = handouts.make_handouts(built_book, out, report=lambda line: None)
    assert errors == []
    return {handout.slug: handout for handout in made}


def questions_of(slug: str) -> list[tuple[list[str], list[str]]]:
    """(stem, answer explanation) of every question-shaped item the module's page shows, as text blocks."""
    items = []
    for kind, convert in (("quiz", None), ("cases", from_cases), ("sorter", from_sorter)):
        if content.module_path(slug, kind).exists():
            data = content.load(slug, kind)
            data = convert(data) if convert else data
            items += [(blocks(q["prompt"]), blocks(q["explanation"])) for q in data["questions"]]
    return items


def stems_of(slug: str) -> list[str]:
    stems = [block for stem, _ in questions_of(slug) for block in stem]
    if content.module_path(slug, "checklist").exists():
        stems += [plain_markdown(q["text"]) for q in content.load(slug, "checklist")["questions"]]
    if content.module_path(slug, "scenario").exists():
        scenario = content.load(slug, "scenario")
        stems += blocks(scenario["steps"][scenario["start"]]["text"])
    return stems


def navigation_words(built_book: Path, slug: str) -> list[str]:
    """The sidebar's and the previous/next links' entries that the article itself does not contain."""
    soup = BeautifulSoup((built_book / "notebooks" / f"{slug}.html").read_text(encoding="utf-8"), "html.parser")
    article = plain(soup.select_one("article").get_text(" "))
    entries = {plain(a.get_text(" ")) for a in soup.select(".bd-sidebar-primary a, .prev-next-area a .prev-next-title")}
    return sorted(e for e in entries if e and e not in article)


@pytest.mark.parametrize("slug", content.published_slugs())
def test_handout_has_the_questions_then_an_answer_page(printed, built_book, slug):
    handout = printed[slug]
    pages = pdf_pages(handout.pdf)
    text = " ".join(pages)
    assert plain(content.module_title(slug)) in text
    answer_pages = [n for n, page in enumerate(pages) if ANSWERS_HEADING in page]
    assert answer_pages, f"{slug}: no answer page"
    first_answer_page = answer_pages[0]
    assert pages[first_answer_page].startswith(ANSWERS_HEADING), f"{slug}: the answer page does not start a new page"
    questions_part = " ".join(pages[:first_answer_page])
    answers_part = " ".join(pages[first_answer_page:])
    stems = stems_of(slug)
    assert stems
    for stem in stems:
        assert stem in questions_part, f"{slug}: question not printed before the answer page: {stem[:80]}"
    for _, explanation in questions_of(slug):
        for block in explanation:
            assert block in answers_part, f"{slug}: answer missing from the answer page: {block[:80]}"
        longest = max(explanation, key=len)
        assert longest not in questions_part, f"{slug}: an answer is printed next to its question: {longest[:80]}"


@pytest.mark.parametrize("slug", content.published_slugs())
def test_handout_has_no_navigation(printed, built_book, slug):
    text = " ".join(pdf_pages(printed[slug].pdf))
    words = navigation_words(built_book, slug)
    assert len(words) >= 3, "the page's navigation was not found, so this test would prove nothing"
    for word in ["Search the course", "Ctrl + K", *words]:
        assert word not in text, f"{slug}: navigation printed: {word!r}"


def test_scenario_and_checklist_answers_are_on_the_answer_page(printed):
    slug = "03-gender-equality"
    pages = pdf_pages(printed[slug].pdf)
    first_answer_page = next(n for n, page in enumerate(pages) if ANSWERS_HEADING in page)
    questions_part, answers_part = " ".join(pages[:first_answer_page]), " ".join(pages[first_answer_page:])
    scenario = content.load(slug, "scenario")
    consequence = plain_markdown(scenario["steps"][scenario["start"]]["choices"][0]["consequence"])
    assert consequence in answers_part and consequence not in questions_part
    checklist = content.load(slug, "checklist")
    meaning = plain_markdown(checklist["levels"][-1]["meaning"])
    assert meaning in answers_part


def test_pdfs_are_tagged_and_figures_keep_their_alt_text(printed):
    """A screen reader reads a tagged PDF's structure; Chromium writes each image's alt text as /Alt."""
    for slug, handout in printed.items():
        info = subprocess.run(["pdfinfo", str(handout.pdf)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"^Tagged:\s+yes", info, re.M), f"{slug}: the PDF is not tagged"
    assert b"/Alt (Bar chart." in printed["03-gender-equality"].pdf.read_bytes()


def test_the_printable_copy_carries_no_answers_or_scripts_and_keeps_alt_text(built_book):
    page = built_book / "notebooks" / "03-gender-equality.html"
    copy, _, printed = handouts.handout_html(page, "03-gender-equality")
    soup = BeautifulSoup(copy, "html.parser")
    answers = soup.select_one(".tc-print-answers")
    questions_part = BeautifulSoup(copy.split('class="tc-print-answers"')[0], "html.parser")
    assert soup.find("script") is None
    assert soup.select("[data-tc-component]") == []
    assert len(printed) == len(answers.select("[data-tc-print-answers]")) >= 3
    figures = questions_part.select("figure.tc-figure img")
    assert figures and all(img.get("alt", "").startswith("Bar chart.") for img in figures)
    assert "Rating:" not in questions_part.get_text() and "Correct." not in questions_part.get_text()
    # The book is not changed.
    assert "tc-print-answers" not in page.read_text(encoding="utf-8")


def test_a_missing_book_is_reported_clearly(tmp_path):
    with pytest.raises(handouts.HandoutError, match="make book"):
        handouts.make_handouts(tmp_path / "html", tmp_path / "out", ["00-orientation"], report=lambda line: None)


def test_a_component_with_no_paper_version_names_the_page(tmp_path):
    book = tmp_path / "html"
    (book / "notebooks").mkdir(parents=True)
    (book / "index.html").write_text("<html></html>", encoding="utf-8")
    (book / "notebooks" / "00-orientation.html").write_text(
        '<html><body><article class="bd-article"><h1>T</h1><section data-tc-component="jukebox"></section>'
        "</article></body></html>", encoding="utf-8")
    lines = []
    made, errors = handouts.make_handouts(book, tmp_path / "out", ["00-orientation"], report=lines.append)
    assert made == [] and len(errors) == 1
    assert "00-orientation" in errors[0] and "jukebox" in errors[0]
