"""Fairness to a learner's slips: one rule reads a typed answer, for the learner's check and for the grader.

A harmless slip ("b)", "b.", " B ", "more facts needed" for "more-facts-needed") is accepted
by the check under the answer box and earns the points when graded; anything else is refused
by both. Feedback says plainly what happened to each answer: read and marked, not one of the
allowed answers (and which those are), or left blank. Grading goes through real nbgrader and
the course's pipeline.
"""

from __future__ import annotations

import json
import re

import pytest

from toolkit_course import assessment_notebook, content
from toolkit_course.answer_checks import check_answer, normalise_answer
from toolkit_course.grading import autograde, feedback, results
from toolkit_course.grading.hidden_tests import run_hidden_test

from .conftest import answered, copy_course, submit

LETTERS = ["a", "b", "c", "d"]
WORDS = ["trafficking", "smuggling", "both", "neither", "more-facts-needed"]

ACCEPTED = [  # (typed, allowed answers, read as)
    ("b)", LETTERS, "b"), ("b.", LETTERS, "b"), ("(b)", LETTERS, "b"), ("b:", LETTERS, "b"),
    (" b ", LETTERS, "b"), ("B", LETTERS, "b"), ("  B)  ", LETTERS, "b"), ("\tc.\n", LETTERS, "c"),
    ("more facts needed", WORDS, "more-facts-needed"), ("More Facts Needed", WORDS, "more-facts-needed"),
    ("  more   facts  needed ", WORDS, "more-facts-needed"), ("MORE-FACTS-NEEDED", WORDS, "more-facts-needed"),
    ("Smuggling", WORDS, "smuggling"), (" both ", WORDS, "both"),
]
REFUSED = [  # typed text that is not one of the allowed answers, however read
    ("e", LETTERS), ("bb", LETTERS), ("b c", LETTERS), ("b or c", LETTERS), ("b)c", LETTERS), ("b).", LETTERS),
    ("answer b", LETTERS), ("2", LETTERS), ("more facts", WORDS), ("more_facts_needed", WORDS),
    ("smuggling.", WORDS), ("trafficking and smuggling", WORDS),
]


@pytest.mark.parametrize("typed, allowed, read", ACCEPTED, ids=[repr(case[0]) for case in ACCEPTED])
def test_a_harmless_slip_is_accepted_by_the_check_and_marked_right_by_the_grader(typed, allowed, read, capsys):
    assert normalise_answer(typed) == read
    check_answer("answer_q1", typed, allowed)
    assert capsys.readouterr().out.startswith(f'✓ answer_q1 = "{read}" is one of the allowed answers')
    hidden = f"from toolkit_course.answer_checks import normalise_answer\nassert normalise_answer(answer_q1) == {read!r}"
    assert run_hidden_test(hidden, {"answer_q1": typed}, "q1") == []


@pytest.mark.parametrize("typed, allowed", REFUSED, ids=[repr(case[0]) for case in REFUSED])
def test_anything_else_is_refused_by_the_check_and_by_the_grader(typed, allowed, capsys):
    assert normalise_answer(typed) not in allowed
    check_answer("answer_q1", typed, allowed)
    printed = capsys.readouterr().out
    assert printed.startswith(f'✗ "{typed}" is not one of the allowed answers') and printed.count("\n") == 1
    for option in allowed:  # whatever the key, the grader does not give the points
        hidden = (f"from toolkit_course.answer_checks import normalise_answer\n"
                  f"assert normalise_answer(answer_q1) == {option!r}")
        assert [o.ename for o in run_hidden_test(hidden, {"answer_q1": typed}, "q1")] == ["AssertionError"]


# ---------------------------------------------------------------- through nbgrader, and the feedback page

def _slip_module() -> str:
    """An assessed module with a lettered item and an item whose key is hyphenated (the issue's two slips)."""
    for slug in content.assessed_slugs():
        keys = [item["answer"] for item in content.load(slug, "assessment")["items"]]
        if any("-" in key for key in keys) and any(key in LETTERS for key in keys):
            return slug
    pytest.skip("no assessed module has both a lettered and a hyphenated key")


def _slip(key: str) -> str:
    """The key as a hurried learner types it: "b)" for "b", "More facts needed" for "more-facts-needed"."""
    return f"{key.upper()})" if key in LETTERS else key.replace("-", " ").capitalize()


def _page(out, learner_id: str) -> str:
    """The one page written for a learner under out (whatever its name; test_feedback.py checks the names)."""
    pages = list((out / learner_id).glob("*.html"))
    assert len(pages) == 1, pages
    return pages[0].read_text(encoding="utf-8")


def _sections(html: str) -> list[str]:
    return re.findall(r'<section class="item".*?</section>', html, flags=re.S)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Three learners of one module, graded once by nbgrader through the course's pipeline."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        course = copy_course(tmp_path_factory.mktemp("slips"), monkeypatch)
        yield _grade_three(course)


def _grade_three(course):
    slug = _slip_module()
    items = content.load(slug, "assessment")["items"]
    slips = {item["variable"]: _slip(item["answer"]) for item in items}
    not_allowed = {items[0]["variable"]: "e" if items[0]["answer"] in LETTERS else "not sure"}
    submit(course, "slips01", slug, answered(course, slug, slips))
    submit(course, "blank02", slug, answered(course, slug, {}))  # every box left as released: ""
    submit(course, "other03", slug, answered(course, slug, not_allowed))
    report = autograde.autograde(course, [slug], progress=False)
    assert len(report.graded) == 3 and not report.errors, report.lines()
    cohort = results.load_cohort(course.root, course.workspace, None, [slug])
    return slug, items, slips, cohort


@pytest.mark.slow
def test_slips_earn_full_marks_and_the_page_says_so(graded, tmp_path):
    slug, items, slips, cohort = graded
    result = cohort.result("slips01", slug)
    assert {item.item_id: item.score for item in result.items if not item.manual} == {
        item["id"]: float(item["points"]) for item in items}
    assert any(value.endswith(")") for value in slips.values()) and any(" " in v for v in slips.values())
    feedback.write_feedback(cohort, tmp_path, ["slips01"])
    html = _page(tmp_path, "slips01")
    for item, section in zip(items, _sections(html)):
        assert f"Correct: {item['points']} of {item['points']} points" in section
        assert "Not correct" not in section and "was not one of the allowed answers" not in section


@pytest.mark.slow
def test_a_blank_answer_says_you_left_this_blank(graded, tmp_path):
    slug, items, _, cohort = graded
    feedback.write_feedback(cohort, tmp_path, ["blank02"])
    html = _page(tmp_path, "blank02")
    questions = _sections(html)[:len(items)]
    assert all("You left this blank." in section for section in questions)
    assert "could be read" not in html and "Not correct" not in html
    # nbgrader scores an untouched reflection 0 by itself: the page must not say the facilitator did.
    reflections = _sections(html)[len(items):]
    assert reflections
    for section in reflections:
        assert "Your facilitator gave" not in section and "because the box was left blank" in section


@pytest.mark.slow
def test_an_answer_that_is_not_allowed_is_named_with_the_allowed_answers(graded, tmp_path):
    slug, items, _, cohort = graded
    feedback.write_feedback(cohort, tmp_path, ["other03"])
    html = _page(tmp_path, "other03")
    first = _sections(html)[0]
    typed = "e" if items[0]["answer"] in LETTERS else "not sure"
    allowed = ", ".join(items[0]["options"])
    assert f"Your answer \"{typed}\" was not one of the allowed answers ({allowed})." in first
    assert f"0 of {items[0]['points']} points" in first
    assert "Not correct" not in first
    # The other boxes were left as released.
    assert all("You left this blank." in section for section in _sections(html)[1:len(items)])


def test_feedback_reads_an_answer_as_the_grader_does(tmp_path):
    """Without nbgrader: the page's reading of each box agrees with normalise_answer, never runs the box."""
    slug = content.assessed_slugs()[0]
    spec = content.load(slug, "assessment")
    item = spec["items"][0]
    options = list(item["options"])
    boxes = {"typed slip": f'{item["variable"]} = " {options[1].upper()}) "',
             "blank": f'{item["variable"]} = ""',
             "a number": f"{item['variable']} = 3",
             "code": f'{item["variable"]} = __import__("os").getcwd()',
             "unreadable": f'{item["variable"]} = = "b"'}
    expected = {"typed slip": feedback.ALLOWED, "blank": feedback.BLANK, "a number": feedback.NOT_ALLOWED,
                "code": feedback.NOT_FOUND, "unreadable": feedback.NOT_FOUND}
    module = results.Module(slug, content.module_title(slug), spec, float(spec["pass_mark_percent"]))
    for case, source in boxes.items():
        cells = [{"cell_type": "code", "metadata": {"nbgrader": {"grade_id": f"{item['id']}-answer"}},
                  "source": source, "outputs": [], "execution_count": None}]
        path = tmp_path / f"{case}.ipynb"
        path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
        answer = feedback.read_learner_answers(path, module)[item["id"]]
        assert feedback.answer_state(item, answer) == expected[case], case


# ---------------------------------------------------------------- check cells, run in a real kernel

@pytest.mark.slow
def test_each_check_cell_prints_one_sentence_and_nothing_else(course, slug):
    """The learner's view: the student notebook run top to bottom in a real Jupyter kernel."""
    from nbclient import NotebookClient

    items = content.load(slug, "assessment")["items"]
    typed = ["", "e"] + [_slip(item["answer"]) for item in items[2:]]  # blank, not allowed, then slips
    notebook = assessment_notebook.fill_answers(
        answered(course, slug, {item["variable"]: value for item, value in zip(items, typed)}), {},
        about_you="learner07")
    # A busy kernel may send one print's text and its newline as two stream messages; JupyterLab shows them
    # as one output, and coalesce_streams joins them the same way, so the learner's view is what is checked.
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=False, coalesce_streams=True).execute()
    checks = {cell.metadata["nbgrader"]["grade_id"]: cell for cell in notebook.cells
              if cell.metadata.get("nbgrader", {}).get("grade_id", "").endswith("-check")}
    assert len(checks) == len(items)
    for item, value in zip(items, typed):
        outputs = checks[f"{item['id']}-check"].outputs
        assert [(o.output_type, o.get("name")) for o in outputs] == [("stream", "stdout")], outputs
        sentence = outputs[0].text
        assert sentence.count("\n") == 1 and sentence.endswith(".\n"), sentence
        assert "True" not in sentence and "False" not in sentence
        assert ". " not in sentence.strip(), f"more than one sentence: {sentence}"
        expected = {"": "…", "e": "✗"}.get(value, "✓")
        assert sentence.startswith(expected), (value, sentence)
    for cell in notebook.cells:  # the About-you box and the answer boxes show nothing
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if cell.cell_type == "code" and (grade_id == "about-you" or grade_id.endswith("-answer")):
            assert cell.outputs == [], grade_id
