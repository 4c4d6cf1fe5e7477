"""Feedback pages: one per learner and module, with results and explanations, and nothing they must not see."""

from __future__ import annotations

import json
import re

import pytest

from toolkit_course import content
from toolkit_course.grading import feedback, results

from .conftest_results import COHORT, REFLECTION_TEXT, cohort, graded_cohort  # noqa: F401


@pytest.fixture(scope="module")
def pages(cohort, tmp_path_factory):  # noqa: F811
    out = tmp_path_factory.mktemp("feedback")
    written = feedback.write_feedback(cohort, out)
    return out, written


def page(out, learner_id: str, slug: str) -> str:
    return (out / learner_id / f"{learner_id}-{slug}-feedback.html").read_text(encoding="utf-8")


def sections(html: str) -> list[str]:
    return re.findall(r'<section class="item".*?</section>', html, flags=re.S)


@pytest.mark.slow
def test_one_page_per_learner_and_graded_module(pages, cohort):  # noqa: F811
    out, written = pages
    submitted = [learner.id for learner in COHORT if learner.submits]
    assert sorted(p.relative_to(out).as_posix() for p in written) == sorted(
        f"{lid}/{lid}-{module.slug}-feedback.html" for lid in submitted for module in cohort.modules)
    assert not (out / "fatima06").exists()  # no submission, no page


@pytest.mark.slow
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


@pytest.mark.slow
def test_hand_grade_and_comment_shown_when_marked(pages, cohort):  # noqa: F811
    out, _ = pages
    html = page(out, "amal01", cohort.modules[0].slug)
    assert "Your facilitator gave 4 of 5 points" in html
    assert "Clear and respectful." in html
    assert "You passed this assessment." in html


@pytest.mark.slow
def test_waiting_for_facilitator_when_not_hand_graded(pages, cohort):  # noqa: F811
    out, _ = pages
    html = page(out, "chen03", cohort.modules[0].slug)
    assert "Waiting for your facilitator" in html
    assert "Your facilitator gave" not in html


@pytest.mark.slow
def test_renamed_answer_variable_gets_a_plain_message(pages, cohort):  # noqa: F811
    out, _ = pages
    module = cohort.modules[0]
    first = sections(page(out, "eli05", module.slug))[0]
    assert f"no longer sets {module.spec['items'][0]['variable']}" in first
    assert "NameError" not in first and "is not defined" not in first


@pytest.mark.slow
def test_never_shows_hidden_tests_rubric_or_other_learners(pages, cohort):  # noqa: F811
    out, written = pages
    for path in written:
        html = path.read_text(encoding="utf-8")
        owner = path.parent.name
        for secret in ("assert", "__class__", "HIDDEN TESTS", "BEGIN SOLUTION", "Marking rubric", "Traceback"):
            assert secret not in html, f"{path} shows {secret!r}"
        module = cohort.module(path.stem.removeprefix(f"{owner}-").removesuffix("-feedback"))
        for reflection in module.spec["reflections"]:
            assert reflection["rubric"].split("\n")[0].strip() not in html
        for other in COHORT:
            if other.id == owner:
                continue
            assert other.id not in html and other.name not in html and other.email not in html
            assert REFLECTION_TEXT.format(name=other.name) not in html
            if other.reflection:
                assert other.reflection[1] not in html


@pytest.mark.slow
def test_pages_are_self_contained(pages):
    _, written = pages
    for path in written:
        html = path.read_text(encoding="utf-8")
        assert "<style>" in html
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
        assert "<script" not in html and "<link" not in html


@pytest.mark.slow
def test_html_in_content_is_shown_as_text(cohort):  # noqa: F811
    module = cohort.modules[0]
    spec = dict(module.spec, items=[dict(module.spec["items"][0], explanation="<script>alert(1)</script>")])
    hostile = results.Module(module.slug, module.title, spec, module.pass_mark_percent)
    learner = cohort.learners[0]
    result = cohort.result(learner.id, module.slug)
    html = feedback._environment().get_template(feedback.TEMPLATE).render(
        feedback.page_context(cohort, learner, hostile, result, {}))
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.slow
def test_default_folder_is_nbgraders_feedback_folder_with_a_copy_named_by_the_learner(cohort, graded_cohort):  # noqa: F811
    written = feedback.write_feedback(cohort, learner_ids=["amal01"])
    module = cohort.modules[0]
    learner_folder = graded_cohort.workspace / "feedback" / "amal01"
    nbgraders = learner_folder / module.slug / f"{module.notebook_id}.html"
    named = learner_folder / f"amal01-{module.slug}-feedback.html"
    assert nbgraders in written and named in written
    assert nbgraders.read_text(encoding="utf-8") == named.read_text(encoding="utf-8")
    # nbgrader release_feedback releases every .html in the module's folder: only its own name is there.
    assert [p.name for p in (learner_folder / module.slug).glob("*.html")] == [f"{module.notebook_id}.html"]


@pytest.mark.slow
def test_without_correct_answers_no_page_names_or_explains_a_key(cohort):  # noqa: F811
    for module in cohort.modules:
        for learner_id in ("bruno02", "dara04"):  # learners with wrong answers
            learner = next(lr for lr in cohort.learners if lr.id == learner_id)
            hidden = feedback.render_page(cohort, learner, module, show_correct_answers=False)
            shown = feedback.render_page(cohort, learner, module, show_correct_answers=True)
            text = " ".join(re.sub(r"<[^>]+>", " ", hidden).split())
            assert "chosen not to show the right answers" in hidden
            assert "The right answer" not in hidden and "The right answer" in shown
            for item, section in zip(module.spec["items"], sections(hidden)):
                key_meaning = item["options"][item["answer"]]
                explained = " ".join(item["explanation"].split()[:6])
                assert key_meaning.replace("'", "&#39;") not in section and explained not in text
                assert item["source"].split(";")[0].replace("'", "&#39;") not in section
                if "Not correct" in section:
                    assert f"<code>{item['answer']}</code>" not in section
            assert "Explanation" not in hidden and "Source:" not in hidden
            assert "Explanation" in shown and "Source:" in shown


@pytest.mark.slow
def test_the_cohort_setting_chooses_whether_pages_show_correct_answers(cohort, graded_cohort, tmp_path):  # noqa: F811
    from toolkit_course.grading.cohort_settings import CohortSettings, save_settings, settings_path
    from toolkit_course.grading.layout import Layout

    where = Layout(graded_cohort.course_root, graded_cohort.workspace)
    assert not settings_path(where).exists()
    assert feedback.shows_correct_answers(cohort)
    try:
        save_settings(where, CohortSettings(show_correct_answers=False))
        assert not feedback.shows_correct_answers(cohort)
        [path] = feedback.write_feedback(cohort, tmp_path, ["bruno02"])[:1]
        html = path.read_text(encoding="utf-8")
        assert "chosen not to show the right answers" in html and "The right answer" not in html
    finally:
        settings_path(where).unlink()


@pytest.mark.slow
def test_feedback_command_writes_pages_named_by_the_learner(graded_cohort, tmp_path, capsys):  # noqa: F811
    from toolkit_course import cli

    code = cli.main(["feedback", "--course", str(graded_cohort.course_root), "--workspace",
                     str(graded_cohort.workspace), "--roster", str(graded_cohort.roster), "--out", str(tmp_path),
                     "--learner", "amal01"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"wrote {len(graded_cohort.slugs)} feedback pages to {tmp_path}\n" in out
    assert "the pages show the right answers" in out
    assert sorted(p.name for p in (tmp_path / "amal01").iterdir()) == sorted(
        f"amal01-{slug}-feedback.html" for slug in graded_cohort.slugs)


@pytest.mark.slow
def test_page_shows_the_learners_own_reflection(pages):  # noqa: F811
    out, written = pages
    for path in written:
        learner = next(lr for lr in COHORT if lr.id == path.parent.name)
        html = path.read_text(encoding="utf-8")
        assert f'<div class="learner-text">{REFLECTION_TEXT.format(name=learner.name)}</div>' in html


# ---------------------------------------------------------------- a hostile reflection, without a gradebook

HOSTILE_REFLECTION = ('Victims need *protection*.\n\n<img src=x onerror="alert(1)"> <script>alert(2)</script>\n'
                      '[link](javascript:alert(3)) <iframe srcdoc="x"></iframe> {{ 7*7 }} & done')


def _autograded(tmp_path, spec: dict, reflection_source: str, shown_as_text: bool):
    from toolkit_course.grading import sanitize

    cells = []
    for item in spec["items"]:
        cells.append({"cell_type": "code", "metadata": {"nbgrader": {"grade_id": f"{item['id']}-answer"}},
                      "source": f'{item["variable"]} = "<b>{item["answer"]}</b>"', "outputs": []})
    for reflection in spec["reflections"]:
        metadata = {"nbgrader": {"grade_id": reflection["id"]}}
        if shown_as_text:
            metadata[sanitize.MARKER_KEY] = {"shown_as_text": True}
        cells.append({"cell_type": "markdown", "metadata": metadata, "source": reflection_source})
    path = tmp_path / "autograded.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("sanitised", [True, False], ids=["sanitised copy", "copy graded before sanitising"])
def test_a_hostile_reflection_is_shown_as_the_learner_typed_it_and_never_as_html(tmp_path, sanitised):
    from toolkit_course.grading import sanitize

    slug = content.assessed_slugs()[0]
    spec = content.load(slug, "assessment")
    module = results.Module(slug, content.module_title(slug), spec, float(spec["pass_mark_percent"]))
    learner = results.Learner("dara05", "Dara <b>Okafor</b>")
    result = results.ModuleResult(slug, learner.id, tuple(
        results.ItemResult(item["id"], False, 0.0, float(item["points"]), False) for item in spec["items"]) + tuple(
        results.ItemResult(r["id"], True, 1.0, float(r["points"]), False, "<script>comment</script>")
        for r in spec["reflections"]))
    one = results.Cohort([learner], [module], {(learner.id, slug): result})
    source = sanitize.escape_markdown(HOSTILE_REFLECTION) if sanitised else HOSTILE_REFLECTION
    answers = feedback.read_learner_answers(_autograded(tmp_path, spec, source, sanitised), module)
    assert answers[spec["reflections"][0]["id"]].text == HOSTILE_REFLECTION.strip()
    html = feedback._environment().get_template(feedback.TEMPLATE).render(
        feedback.page_context(one, learner, module, result, answers))
    assert "<script" not in html and "<img" not in html and "<iframe" not in html and "javascript:alert" not in \
        re.sub(r">[^<]*<", "><", html)  # javascript: only as text, never in an attribute
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html and "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and "49" not in html  # learner text is not a template either
    assert "Dara &lt;b&gt;Okafor&lt;/b&gt;" in html and "&lt;script&gt;comment&lt;/script&gt;" in html
    assert "&lt;b&gt;" in html  # the answer typed with tags is shown as text too
