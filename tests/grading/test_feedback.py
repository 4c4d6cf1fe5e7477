"""Feedback pages: one per learner and module, with results and explanations, and nothing they must not see."""

from __future__ import annotations

import re

import pytest

from toolkit_course.grading import feedback, results

from .conftest_results import COHORT, REFLECTION_TEXT, cohort, graded_cohort  # noqa: F401

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pages(cohort, tmp_path_factory):  # noqa: F811
    out = tmp_path_factory.mktemp("feedback")
    written = feedback.write_feedback(cohort, out)
    return out, written


def page(out, learner_id: str, slug: str) -> str:
    return (out / learner_id / f"{slug}.html").read_text(encoding="utf-8")


def sections(html: str) -> list[str]:
    return re.findall(r'<section class="item".*?</section>', html, flags=re.S)


def test_one_page_per_learner_and_graded_module(pages, cohort):  # noqa: F811
    out, written = pages
    submitted = [learner.id for learner in COHORT if learner.submits]
    assert sorted(p.relative_to(out).as_posix() for p in written) == sorted(
        f"{lid}/{module.slug}.html" for lid in submitted for module in cohort.modules)
    assert not (out / "fatima06").exists()  # no submission, no page


def test_page_shows_result_points_explanation_and_source_for_every_item(pages, cohort):  # noqa: F811
    out, _ = pages
    for module in cohort.modules:
        html = page(out, "bruno02", module.slug)
        questions = sections(html)[:len(module.spec["items"])]
        for index, (item, section) in enumerate(zip(module.spec["items"], questions)):
            wrong = index in (2, 5)
            expected = f"Not correct: 0 of {item['points']} points" if wrong else \
                f"Correct: {item['points']} of {item['points']} points"
            assert expected in section
            first_words = " ".join(item["explanation"].split()[:6])
            assert first_words in " ".join(re.sub(r"<[^>]+>", " ", section).split())
            assert item["source"].split(";")[0].replace("'", "&#39;") in section
        assert "Your score:</span> 19 of 25 points" in html


def test_hand_grade_and_comment_shown_when_marked(pages, cohort):  # noqa: F811
    out, _ = pages
    html = page(out, "amal01", cohort.modules[0].slug)
    assert "Your facilitator gave 4 of 5 points" in html
    assert "Clear and respectful." in html
    assert "You passed this assessment." in html


def test_waiting_for_facilitator_when_not_hand_graded(pages, cohort):  # noqa: F811
    out, _ = pages
    html = page(out, "chen03", cohort.modules[0].slug)
    assert "Waiting for your facilitator" in html
    assert "Your facilitator gave" not in html


def test_renamed_answer_variable_gets_a_plain_message(pages, cohort):  # noqa: F811
    out, _ = pages
    module = cohort.modules[0]
    first = sections(page(out, "eli05", module.slug))[0]
    assert f"no longer sets {module.spec['items'][0]['variable']}" in first
    assert "NameError" not in first and "is not defined" not in first


def test_never_shows_hidden_tests_rubric_or_other_learners(pages, cohort):  # noqa: F811
    out, written = pages
    for path in written:
        html = path.read_text(encoding="utf-8")
        owner = path.parent.name
        for secret in ("assert", "__class__", "HIDDEN TESTS", "BEGIN SOLUTION", "Marking rubric", "Traceback"):
            assert secret not in html, f"{path} shows {secret!r}"
        module = cohort.module(path.stem)
        for reflection in module.spec["reflections"]:
            assert reflection["rubric"].split("\n")[0].strip() not in html
        for other in COHORT:
            if other.id == owner:
                continue
            assert other.id not in html and other.name not in html and other.email not in html
            assert REFLECTION_TEXT.format(name=other.name) not in html
            if other.reflection:
                assert other.reflection[1] not in html


def test_pages_are_self_contained(pages):
    _, written = pages
    for path in written:
        html = path.read_text(encoding="utf-8")
        assert "<style>" in html
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
        assert "<script" not in html and "<link" not in html


def test_html_in_content_is_shown_as_text(cohort):  # noqa: F811
    module = cohort.modules[0]
    spec = dict(module.spec, items=[dict(module.spec["items"][0], explanation="<script>alert(1)</script>")])
    hostile = results.Module(module.slug, module.title, spec, module.pass_mark_percent)
    learner = cohort.learners[0]
    result = cohort.result(learner.id, module.slug)
    html = feedback._environment().get_template(feedback.TEMPLATE).render(
        feedback.page_context(cohort, learner, hostile, result, {}))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_default_folder_is_nbgraders_feedback_folder(cohort, graded_cohort):  # noqa: F811
    written = feedback.write_feedback(cohort, learner_ids=["amal01"])
    module = cohort.modules[0]
    assert graded_cohort.workspace / "feedback" / "amal01" / module.slug / f"{module.notebook_id}.html" in written
