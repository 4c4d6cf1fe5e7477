"""Every built page is light enough for a slow link, loads nothing missing and logs no console error.

Each page is opened in Debian's Chromium with an empty cache, from a local server, and its
transfer is summed: the same build always sends the same bytes, so the limits are exact.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from toolkit_course import book_weight
from toolkit_course.book_theme import icons

pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.slow]

KB = 1024
LESSON_LIMIT = 1200 * KB  # issue 13: a lesson page's first load is at most 1.2 MB in all
OTHER_LIMIT = 900 * KB  # every other page is lighter than a lesson


@pytest.fixture(scope="module")
def weights(built_book) -> list[book_weight.PageWeight]:
    return book_weight.weigh_book(built_book)


def _describe(weight: book_weight.PageWeight) -> str:
    largest = ", ".join(f"{url} {size / KB:.0f} KB" for url, size in weight.largest())
    return f"{weight.path}: {weight.total / KB:.0f} KB in {weight.requests} requests; largest: {largest}"


def test_every_page_is_weighed(weights, built_book):
    lessons = [w for w in weights if w.kind == "lesson"]
    assert len(lessons) == len(list((built_book / "notebooks").glob("*.html"))) > 0
    assert all(w.total > 0 and w.requests > 0 for w in weights)


def test_every_page_is_within_its_weight_limit(weights):
    too_heavy = [_describe(w) for w in weights
                 if w.total > (LESSON_LIMIT if w.kind == "lesson" else OTHER_LIMIT)]
    assert too_heavy == [], "\n".join(too_heavy)


def test_no_page_asks_for_a_missing_file(weights):
    failed = {w.path: w.failed for w in weights if w.failed}
    assert failed == {}


def test_no_page_logs_a_console_error(weights):
    errors = {w.path: w.console_errors for w in weights if w.console_errors}
    assert errors == {}


def test_the_theme_icon_script_and_the_widget_state_are_gone(weights, built_book):
    for weight in weights:
        assert not any("fontawesome.js" in url or url.endswith((".woff2", ".ttf")) for url in weight.resources), \
            _describe(weight)
    for page in (built_book / "notebooks").glob("*.html"):
        assert "application/vnd.jupyter.widget-state+json" not in page.read_text(encoding="utf-8"), page.name


def test_a_page_loads_only_the_extension_files_its_markup_uses(weights, built_book):
    for weight in weights:
        html = (built_book / weight.path).read_text(encoding="utf-8")
        if not re.search(r'class="[^"]*\bsd-', html):
            assert not any("sphinx-design" in url or "design-tabs" in url for url in weight.resources), weight.path
        if "<pre" not in html:
            assert not any("copybutton" in url or "clipboard" in url for url in weight.resources), weight.path


def _theme_icon_rules() -> dict[str, str]:
    """Icon class -> its glyph, from the theme's stylesheet as installed (before the build slims it)."""
    import pydata_sphinx_theme

    css = (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static" / icons.THEME_CSS)
    rules = {}
    for selectors, glyph in icons.ICON_RULE.findall(css.read_text(encoding="utf-8")):
        for selector in selectors.rstrip(",").split(","):
            rules[selector[1:-len(":before")]] = glyph
    return rules


def test_every_icon_shown_still_has_its_glyph(built_book):
    from fontTools.ttLib import TTFont

    theme_rules = _theme_icon_rules()
    static = built_book / "_static"
    built_css = (static / icons.THEME_CSS).read_text(encoding="utf-8")
    glyphs = {style: set(TTFont(static / icons.FONTS / f"{font}{icons.SUBSET_SUFFIX}").getBestCmap() or ())
              for style, font in (("solid", "fa-solid-900"), ("regular", "fa-regular-400"), ("brands", "fa-brands-400"))}
    missing = []
    for page in built_book.rglob("*.html"):
        for classes in re.findall(r'<i class="([^"]*\bfa-[^"]*)"', page.read_text(encoding="utf-8")):
            names = classes.split()
            style = "brands" if {"fab", "fa-brands"} & set(names) else "regular" if {"far", "fa-regular"} & set(names) else "solid"
            for name in (n for n in names if n in theme_rules):
                if f".{name}:before" not in built_css:
                    missing.append(f"{page.name}: {name} has no stylesheet rule")
                codepoint = theme_rules[name].lstrip("\\")
                if len(codepoint) > 1 and int(codepoint, 16) not in glyphs[style]:
                    missing.append(f"{page.name}: {name} (U+{codepoint}) is not in the {style} icon font")
    assert missing == [], sorted(set(missing))[:20]


def test_icons_are_drawn_from_the_slim_font(weights, built_book):
    from playwright.sync_api import sync_playwright

    lesson = next(w for w in weights if w.kind == "lesson")
    assert any(url.endswith("fa-solid-900" + icons.SUBSET_SUFFIX) for url in lesson.resources), _describe(lesson)
    with book_weight.serve(built_book) as base_url, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=book_weight.CHROMIUM, args=book_weight.CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{base_url}/{lesson.path}", wait_until="networkidle")
        loaded = page.evaluate("""async () => { await document.fonts.ready;
            return [...document.fonts].filter(f => f.family.includes('Font Awesome') && f.status === 'loaded')
                                      .map(f => f.weight); }""")
        search_icon_width = page.evaluate(
            "() => document.querySelector('.search-button__button i.fa-magnifying-glass').getBoundingClientRect().width")
        browser.close()
    assert "900" in loaded
    assert search_icon_width > 4, "the search icon has no width: its glyph did not draw"


def test_search_still_works_without_the_index_on_every_page(built_book):
    """Lesson pages no longer load the search index; the search box hands the query to search.html, which does."""
    from playwright.sync_api import sync_playwright

    with book_weight.serve(built_book) as base_url, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=book_weight.CHROMIUM, args=book_weight.CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{base_url}/notebooks/01-trafficking-and-smuggling.html")
        page.keyboard.press("Control+k")
        page.keyboard.type("smuggling")
        page.keyboard.press("Enter")
        page.wait_for_selector("ul.search li", timeout=30_000)
        results = page.locator("ul.search li").count()
        browser.close()
    assert results > 0
