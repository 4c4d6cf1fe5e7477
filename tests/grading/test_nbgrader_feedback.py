"""nbgrader's own feedback pages (generate_feedback, Formgrader's button) never show a hidden test or the key.

nbgrader makes them from the autograded notebook, which holds every hidden test; the course's
nbgrader_config.py makes its exporter write the course's own page instead (formgrader_feedback.py),
and puts HideHiddenTests first in GenerateFeedback's preprocessors, so that even nbconvert's HTML
exporter, set back by hand, shows no test. The control run, with nbgrader's stock exporter and
preprocessors, shows that the search below does find the tests when they are there.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys

import pytest

from toolkit_course import content
from toolkit_course.grading import autograde, feedback, results

from .conftest import answer_key, answered, submit, wrong_answers

pytestmark = pytest.mark.slow
HTML_EXPORTER = ["--GenerateFeedback.exporter_class=nbconvert.exporters.HTMLExporter"]
STOCK_FEEDBACK = HTML_EXPORTER + ["--GenerateFeedback.preprocessors=nbgrader.preprocessors.GetGrades",
                                  "--GenerateFeedback.preprocessors=nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]


def _key_texts(course, slug) -> list[str]:
    """Text that only the hidden tests hold: each test's assert line (which states the expected answer)."""
    import nbformat
    notebook = nbformat.read(course.source / slug / f"{slug}-assessment.ipynb", as_version=4)
    lines = [line.strip() for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")
             and cell.cell_type == "code" for line in cell.source.splitlines() if line.strip().startswith("assert")]
    assert len(lines) == len(content.load(slug, "assessment")["items"])
    return lines + ["BEGIN HIDDEN TESTS", "normalise_answer("]


def _feedback(course, slug, *flags) -> str:
    result = subprocess.run([sys.executable, "-m", "nbgrader", "generate_feedback", slug, "--force", *flags],
                            cwd=course.root, env=course.env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    pages = sorted((course.workspace / "feedback").glob(f"*/{slug}/*.html"))
    assert len(pages) == 2, pages
    return "\n".join(_text(page.read_text(encoding="utf-8")) for page in pages)


def _text(page: str) -> str:
    """What a reader of the page sees: code highlighting splits code into tags, and quotes become entities."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_generate_feedback_pages_hold_no_hidden_test(course, slug, monkeypatch):
    submit(course, "right", slug, answered(course, slug, answer_key(slug)))
    submit(course, "wrong", slug, answered(course, slug, wrong_answers(slug)))
    report = autograde.autograde(course, [slug], progress=False)
    assert len(report.graded) == 2
    key = _key_texts(course, slug)

    pages = _feedback(course, slug)
    assert [text for text in key if text in pages] == []
    cohort = results.load_cohort(course.root, course.workspace, slugs=[slug])
    for learner in ("right", "wrong"):  # the course's own page, as `toolkit-course feedback` writes it
        page = course.workspace / "feedback" / learner / slug / f"{slug}-assessment.html"
        person = next(person for person in cohort.learners if person.id == learner)
        assert page.read_text(encoding="utf-8") == feedback.render_page(cohort, person, cohort.module(slug))

    exported = _feedback(course, slug, *HTML_EXPORTER)  # nbconvert's export of the notebook, tests taken out
    assert [text for text in key if text in exported] == []
    assert "hidden test, which is not shown" in exported

    # Formgrader's "Generate Feedback" button: nbgrader's API, configured as Formgrader configures it.
    from nbgrader.apps import NbGrader, NbGraderAPI
    monkeypatch.chdir(course.root)
    app = NbGrader()
    app.load_config_file()  # nbgrader_config.py in the course folder, as Formgrader loads it
    assert NbGraderAPI(config=app.config).generate_feedback(slug, "wrong")["success"]
    page = _text(next((course.workspace / "feedback").glob(f"wrong/{slug}/*.html")).read_text(encoding="utf-8"))
    assert [text for text in key if text in page] == []

    # Control: nbgrader's stock feedback writes the tests into the page, and the search finds them.
    stock_pages = _feedback(course, slug, *STOCK_FEEDBACK)
    assert [text for text in key if text in stock_pages] == key
