"""Learner text is never trusted as HTML: the cleaning of autograded copies, checked without a browser.

The browser test (test_formgrader_xss.py) proves nothing runs in Formgrader; these fast tests
pin down each rule: what markdown becomes, which outputs are kept, which metadata survives.
Each hostile page is also rendered *without* the cleaning, to show the checks would catch it.
"""

from __future__ import annotations

import base64
import html
import re
from collections import Counter
from html.parser import HTMLParser

import nbformat
import pytest
from markdown_it import MarkdownIt
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from toolkit_course.grading import sanitize

PAYLOAD = "window.pwned=1"
HOSTILE_MARKDOWN = "\n\n".join([
    "My reflection: victims must be *protected*.",
    f'<img src=x onerror="{PAYLOAD}">',
    f"<script>{PAYLOAD}</script>",
    f'<svg onload="{PAYLOAD}"><circle r=4 /></svg>',
    f"[click me](javascript:{PAYLOAD})",
    f'<a href="javascript:{PAYLOAD}">click</a>',
    f'<iframe srcdoc="&lt;script&gt;parent.{PAYLOAD}&lt;/script&gt;"></iframe>',
    f"<javascript:{PAYLOAD}>",
    "![beacon](http://127.0.0.1:9/beacon.png)",
    "[ref]: javascript:alert(1)\n\n[ref]",
    "```\n</code><script>" + PAYLOAD + "</script>\n```",
    "# base_url\n\nSetext title\n===",
    "&lt;b&gt; entity and a <!-- comment --> and <style>body{display:none}</style>",
    "Math $\\href{javascript:alert(1)}{x}$ and a pipe | and 5 > 3 & 2 < 4",
])
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 16).decode()

_RUNS_OR_LOADS = {"script", "iframe", "frame", "object", "embed", "svg", "math", "img", "image", "video", "audio",
                  "source", "link", "meta", "base", "form", "style", "input", "button", "textarea", "select"}


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {name: value or "" for name, value in attrs}))


def dangerous(markup: str, allowed_images: bool = False) -> list[str]:
    """Every element or attribute in markup that could run code, load something, or act on a click."""
    parser = _Elements()
    parser.feed(markup)
    problems = []
    for tag, attrs in parser.found:
        if tag == "img" and allowed_images and re.match(r"data:image/(png|jpeg);base64,[A-Za-z0-9+/=\s]*$",
                                                        attrs.get("src", "")):
            continue
        if tag in _RUNS_OR_LOADS:
            problems.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on") or name in ("srcdoc", "formaction", "style"):
                problems.append(f"<{tag} {name}>")
            if re.match(r"\s*(javascript|vbscript|data):", html.unescape(value), re.I) and name != "src":
                problems.append(f"<{tag} {name}={value[:30]}>")
            if name == "src" and re.match(r"\s*(https?:)?//", value):
                problems.append(f"<{tag} {name}={value[:30]}>")  # loads from a host as soon as the page opens
        # A plain web link (GFM turns bare URLs into links) runs nothing and goes nowhere unless clicked.
        if tag == "a" and "href" in attrs and not re.match(r"(https?|mailto):", attrs["href"]):
            problems.append(f"<a href={attrs['href'][:30]}>")
    return problems


def text_of(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


RENDERERS = {
    "nbconvert (Formgrader)": markdown2html_mistune,
    "markdown-it (CommonMark)": MarkdownIt("commonmark", {"html": True}).render,
    "markdown-it (GFM-like)": MarkdownIt("gfm-like", {"html": True}).render,
}


@pytest.mark.parametrize("renderer", sorted(RENDERERS))
def test_hostile_learner_markdown_renders_to_harmless_text(renderer):
    render = RENDERERS[renderer]
    assert dangerous(render(HOSTILE_MARKDOWN)), "the unescaped markdown must be dangerous, or this test proves nothing"
    escaped = sanitize.escape_markdown(HOSTILE_MARKDOWN)
    rendered = render(escaped)
    assert dangerous(rendered) == []
    shown = " ".join(text_of(rendered).split())
    for visible in ('onerror="window.pwned=1"', "<script>window.pwned=1</script>", "[click me](javascript:",
                    "<iframe srcdoc=", "![beacon](http://127.0.0.1:9/beacon.png)", "# base_url", "5 > 3 & 2 < 4"):
        assert visible in shown, f"{visible!r} is not shown to the facilitator as text"
    assert not re.search(r"<h[1-6]", rendered)  # no heading, so no anchor id from a learner


def test_escaping_is_undone_exactly():
    for text in (HOSTILE_MARKDOWN, "plain", "back\\slash \\\\ and \\< already escaped", ""):
        assert sanitize.unescape_markdown(sanitize.escape_markdown(text)) == text


def test_emphasis_and_lists_still_render():
    rendered = markdown2html_mistune(sanitize.escape_markdown("Victims need *protection*.\n\n* one\n* two"))
    assert "<em>protection</em>" in rendered and "<li>one</li>" in rendered


def test_outputs_keep_only_plain_text_and_checked_images():
    hostile = [
        {"output_type": "display_data", "metadata": {"image/png": {"width": '1" onerror="x'}},
         "data": {"text/html": f"<b>Result</b><script>{PAYLOAD}</script>", "application/javascript": PAYLOAD,
                  "image/svg+xml": f"<svg onload='{PAYLOAD}'/>",
                  "application/vnd.jupyter.widget-view+json": {"model_id": "x"}, "text/markdown": "[x](javascript:1)",
                  "text/latex": "$x$"}},
        {"output_type": "execute_result", "execution_count": "1 onclick", "metadata": {},
         "data": {"text/plain": "42", "image/png": PNG, "image/jpeg": '" onerror="alert(1)'}},
        {"output_type": "stream", "name": "stdout\" onclick=\"x", "text": ["a", "b"]},
        {"output_type": "error", "ename": "E", "evalue": "<b>v</b>", "traceback": ["<script>", 7]},
        {"output_type": "something-new", "data": {"text/html": "<script>"}},
        "not even a mapping",
    ]
    cleaned = [sanitize.clean_output(output) for output in hostile]
    assert cleaned[0].data == {"text/plain": (
        "Result\n[text/html, application/javascript, image/svg+xml, application/vnd.jupyter.widget-view+json, "
        "text/markdown, text/latex output not shown: only plain text and PNG or JPEG images from a learner's code "
        "are shown to the facilitator]")}
    assert cleaned[0].metadata == {}
    assert cleaned[1].data == {"text/plain": "42", "image/png": PNG} and cleaned[1].execution_count is None
    assert cleaned[2] == {"output_type": "stream", "name": "stdout", "text": "ab"}
    assert cleaned[3].traceback == ["<script>", ""] and cleaned[3].evalue == "<b>v</b>"  # shown escaped by viewers
    assert cleaned[4].output_type == cleaned[5].output_type == "stream"
    for output in cleaned:
        nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[output])]))


def _hostile_notebook():
    course_cell = nbformat.v4.new_markdown_cell("## Question 1\n\nSee [the Protocol](https://example.org) and `code`.",
                                                metadata={"nbgrader": {"grade_id": "q1-prompt", "locked": True}})
    reflection = nbformat.v4.new_markdown_cell(HOSTILE_MARKDOWN, metadata={
        "nbgrader": {"grade": True, "solution": True, "grade_id": "reflection", "points": 5, "locked": False,
                     "schema_version": 3, "checksum": "abc123", "evil": "<script>"},
        "tags": ['" onmouseover="x'], "toolkit_course_sanitize": {"shown_as_text": False}})
    reflection.attachments = {"x.svg": {"image/svg+xml": base64.b64encode(b"<svg onload='x'/>").decode()}}
    code = nbformat.v4.new_code_cell("answer_q1 = 'b'", outputs=[nbformat.v4.new_output(
        "display_data", data={"text/html": f"<img src=x onerror='{PAYLOAD}'>"})])
    code.metadata = {"nbgrader": {"grade_id": 'q1" onfocus="x', "solution": True}}
    raw = nbformat.v4.new_raw_cell(f"<script>{PAYLOAD}</script>", metadata={"raw_mimetype": "text/html"})
    notebook = nbformat.v4.new_notebook(cells=[course_cell, reflection, code, raw])
    notebook.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                         "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}},
                         "language_info": {"name": "python\" onload=\"x"}}
    return notebook


def formgrader_html(notebook) -> str:
    """The page Formgrader serves for a submission: nbconvert with nbgrader's formgrade template."""
    from nbgrader.server_extensions.formgrader import handlers

    exporter = HTMLExporter(template_name="formgrade", extra_template_basedirs=[handlers.template_path])
    resources = {"assignment_id": "m", "notebook_id": "m-assessment", "submission_id": "s1", "index": 0, "total": 1,
                 "base_url": "", "student": "amina01", "first_name": "Amina", "last_name": "Diallo",
                 "notebook_path": "x.ipynb"}
    body, _ = exporter.from_notebook_node(notebook, resources=resources)
    return body.split('id="notebook-container">', 1)[1]


def learner_made(notebook) -> list[str]:
    """The dangerous things in Formgrader's page for this notebook beyond those nbgrader's template adds itself
    (its score buttons and comment boxes), found by rendering the same cells with harmless text."""
    harmless = nbformat.from_dict(notebook)
    for cell in harmless.cells:
        cell.source = "x"
        cell.pop("outputs", None) if cell.cell_type != "code" else cell.update(outputs=[])
    found, baseline = Counter(dangerous(formgrader_html(notebook), True)), Counter(
        dangerous(formgrader_html(harmless), True))
    return sorted((found - baseline).elements())


def test_sanitised_copy_shows_nothing_that_runs_in_formgraders_page():
    assert learner_made(_hostile_notebook()), "the hostile notebook must be dangerous unsanitised"
    notebook, _ = sanitize.SanitizeLearnerContent().preprocess(_hostile_notebook(), {})
    nbformat.validate(notebook)
    page = formgrader_html(notebook)
    # The course's own cells are trusted only when the gradebook vouches for them; without one, everything is text.
    assert learner_made(notebook) == []
    assert "onerror" in text_of(page) and "window.pwned=1" in text_of(page)  # readable, not run
    assert notebook.metadata == {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    reflection, code, raw = notebook.cells[1], notebook.cells[2], notebook.cells[3]
    assert reflection.metadata["nbgrader"] == {"grade": True, "solution": True, "grade_id": "reflection", "points": 5,
                                               "locked": False, "schema_version": 3, "checksum": "abc123"}
    assert "attachments" not in reflection and "tags" not in reflection.metadata
    assert sanitize.is_shown_as_text(reflection)
    assert sanitize.unescape_markdown(reflection.source) == HOSTILE_MARKDOWN
    assert "nbgrader" not in code.metadata and code.source == "answer_q1 = 'b'"
    assert raw.cell_type == "markdown" and sanitize.is_shown_as_text(raw)


def test_course_markdown_vouched_for_by_the_gradebook_is_left_as_written():
    notebook = _hostile_notebook()
    course_text = notebook.cells[0].source
    cleaned = sanitize.clean_notebook(notebook, trusted_markdown={course_text})
    assert cleaned.cells[0].source == course_text and not sanitize.is_shown_as_text(cleaned.cells[0])
    assert sanitize.is_shown_as_text(cleaned.cells[1])
