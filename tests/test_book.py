"""The built book: every module is there, nothing secret leaked, nothing loaded from elsewhere."""

from __future__ import annotations

import re

import pytest

from toolkit_course import content

PUBLISHED = content.published_slugs()
pytestmark = pytest.mark.slow


def _pages(built_book):
    return {p: p.read_text(encoding="utf-8") for p in built_book.rglob("*.html")}


def test_every_published_module_has_a_page_with_working_components(built_book):
    for slug in PUBLISHED:
        page = (built_book / "notebooks" / f"{slug}.html").read_text(encoding="utf-8")
        assert page.count('data-tc-component="quiz"') >= 1
        assert 'data-tc-component="scenario"' in page
        assert (built_book / "book" / "facilitator" / f"{slug}.html").exists()


def test_no_solution_hidden_test_or_answer_key_in_the_book(built_book):
    secrets = ["BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "Marking rubric", '"".__class__']
    for slug in content.gradable_slugs():  # the modules' assessments and the workshop's pre/post-tests
        spec = content.load(slug, "assessment")
        secrets += [r["rubric"].strip().splitlines()[0] for r in spec["reflections"]]
        secrets += [f'{i["variable"]} = "{i["answer"]}"' for i in spec["items"]]
        # An explanation's first line often restates a rule the lessons teach; its first two lines
        # together are specific to the item, so finding them means the feedback itself leaked.
        secrets += [" ".join(i["explanation"].split("\n")[:2]).strip() for i in spec["items"]]
    for path, html in _pages(built_book).items():
        text = " ".join(html.split())
        for secret in secrets:
            assert " ".join(secret.split()) not in text, f"{path.name} contains {secret!r}"


def test_pages_load_nothing_from_other_hosts(built_book):
    remote = re.compile(r'<(script|img|iframe|source|audio|video)[^>]+src="(https?:)?//|'
                        r'<link[^>]+href="(https?:)?//[^"]+"[^>]*rel="(stylesheet|preload|icon)"|'
                        r'<link[^>]+rel="(stylesheet|preload|icon)"[^>]+href="(https?:)?//')
    for path, html in _pages(built_book).items():
        match = remote.search(html)
        assert not match, f"{path.name} loads a remote asset: {match.group(0)[:120]}"


def test_widgets_are_not_left_as_unrenderable_views(built_book):
    for slug in PUBLISHED:
        page = (built_book / "notebooks" / f"{slug}.html").read_text(encoding="utf-8")
        assert "application/vnd.jupyter.widget-view+json" not in page
        assert "require.min.js" not in page and "embed-amd" not in page
