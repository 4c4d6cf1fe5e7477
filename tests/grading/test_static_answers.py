"""The pure logic of grading, without nbgrader: reading answers, running a hidden test, the checks, declarations."""

from __future__ import annotations

import json

import pytest

from toolkit_course.answer_checks import check_answer, check_values, matches, normalise_answer
from toolkit_course.grading.declarations import DeclarationError, read_declarations, type_problem
from toolkit_course.grading.hidden_tests import run_hidden_test
from toolkit_course.grading.static_answers import read_literal_answer

# ---------------------------------------------------------------- reading an answer box


@pytest.mark.parametrize("source, value", [
    ('answer_q1 = "b"', "b"),
    ('# a comment\nanswer_q1 = ""\nanswer_q1 = "c"', "c"),  # the last plain assignment counts, as if run
    ('answer_q1: str = "d"', "d"),
    ("answer_q1 = 3", 3),
    ("answer_q1 = -2.5", -2.5),
    ("answer_q1 = True", True),
    ('answer_q1 = ["a", {"b": 1}]', ["a", {"b": 1}]),
])
def test_a_plain_value_is_read(source, value):
    answer = read_literal_answer(source, "answer_q1")
    assert answer.found and answer.value == value and answer.ignored_lines == ()
    assert "Read for grading" in answer.message()


@pytest.mark.parametrize("source", [
    'answer_q1 = "b".upper()',          # a call
    'answer_q1 = "b" if True else "a"',  # an expression
    "answer_q1 = None",                  # not a plain answer value
    "answer_q1 = (1, 2)",                # tuple
    "answer_q1 = {1, 2}",                # set
    "answer_q1 = b'b'",                  # bytes
    "answer_q1 = 1j",                    # complex
    "answer_q1 = {1: 'a'}",              # dict keys must be text
    'x = answer_q1 = "b"',               # several targets
    'a, answer_q1 = "x", "b"',           # unpacking
    'my_answer = "b"',                   # another name
    'answer_q1 = "' + "x" * 20_000 + '"',  # absurdly long
])
def test_anything_else_is_ignored_and_never_run(source):
    answer = read_literal_answer(source, "answer_q1")
    assert not answer.found and answer.ignored_lines == (1,)
    assert "No answer was found for answer_q1" in answer.message()


def test_code_around_the_answer_is_ignored_and_named_by_line():
    source = 'import os\nos.system("rm -rf /")\n\nanswer_q1 = "b"\nprint(\n  "x")\n'
    answer = read_literal_answer(source, "answer_q1")
    assert answer.found and answer.value == "b" and answer.ignored_lines == (1, 2, 5, 6)
    assert answer.message().startswith("Read for grading: answer_q1 = 'b'. Lines 1-2 and 5-6 of this box were "
                                       "ignored and not run")


def test_a_box_python_cannot_read_has_no_answer_and_says_where():
    answer = read_literal_answer('answer_q1 = "b"\nanswer_q1 = = "c"', "answer_q1")
    assert not answer.found and "Python cannot read line 2" in answer.message()
    assert not read_literal_answer("x = 1\0", "answer_q1").found
    assert not read_literal_answer("[" * 500 + "]" * 500, "answer_q1").found


# ---------------------------------------------------------------- one rule for a typed answer

@pytest.mark.parametrize("typed, read", [
    ("b", "b"), ("  B ", "b"), ("b)", "b"), ("(b)", "b"), ("b.", "b"), ("B:", "b"),
    ("More facts needed", "more-facts-needed"), ("  more   facts needed ", "more-facts-needed"),
    ("gender-blind", "gender-blind"), ("25", "25"), (3, 3), ("", ""),
])
def test_normalise_answer_tolerates_harmless_slips(typed, read):
    assert normalise_answer(typed) == read


def test_the_check_prints_one_sentence_and_returns_nothing(capsys):
    allowed = ["a", "b", "c", "more-facts-needed"]
    for typed, start in [("B)", "✓"), ("more facts needed", "✓"), ("", "…"), ("e", "✗"), (2, "✗")]:
        assert check_answer("answer_q1", typed, allowed) is None
        printed = capsys.readouterr().out
        assert printed.startswith(start) and printed.count("\n") == 1, (typed, printed)


def test_the_check_and_the_grader_agree_on_every_accepted_slip(capsys):
    for typed in ("b", " B ", "b)", "(B)", "b."):
        check_answer("answer_q1", typed, ["a", "b"])
        assert capsys.readouterr().out.startswith("✓")
        test = 'from toolkit_course.answer_checks import normalise_answer\nassert normalise_answer(answer_q1) == "b"'
        assert run_hidden_test(test, {"answer_q1": typed}, "q1") == []


def test_check_values_says_what_is_missing_or_of_the_wrong_kind(capsys):
    assert check_values({"share": 0.5, "label": 3}, {"share": "number", "label": "text", "count": "integer"}) is None
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("✓ share") and lines[1].startswith("✗ label must be text")
    assert lines[2].startswith("… count is not set")


@pytest.mark.parametrize("value, expected, tolerance, result", [
    (8.004, 8, 0.01, True), (8.02, 8, 0.01, False), (True, 1, 0.5, False), (1, True, 0, False),
    ("Forced Labour", "forced labour", 0, True), ([1, 2.001], [1, 2], 0.01, True),
    ({"a": 1}, {"a": 1, "b": 2}, 0, False),
    (float("nan"), 1, 10, False), ("8", 8, 0, False),
])
def test_matches(value, expected, tolerance, result):
    assert matches(value, expected, tolerance) is result


# ---------------------------------------------------------------- a hidden test in the grader's process

def test_a_passing_test_leaves_no_output_and_a_failing_one_an_error():
    test = "assert answer_q1 == 'b'"
    assert run_hidden_test(test, {"answer_q1": "b"}, "q1") == []
    failed = run_hidden_test(test, {"answer_q1": "a"}, "q1")
    assert [o.output_type for o in failed] == ["error"] and failed[0].ename == "AssertionError"
    assert any("hidden test q1" in line for line in failed[0].traceback)
    missing = run_hidden_test(test, {}, "q1")
    assert missing[0].ename == "NameError"


def test_the_namespace_holds_only_the_values_and_tests_cannot_change_them():
    values = {"answer_q1": ["b"]}
    shown = run_hidden_test("sorted(k for k in globals() if not k.startswith('__'))", values, "q1")
    assert json.loads(shown[0].data["text/plain"].replace("'", '"')) == ["answer_q1"]
    assert run_hidden_test("answer_q1.append('x')", values, "q1") == [] and values == {"answer_q1": ["b"]}


def test_prints_and_a_final_value_are_recorded_as_a_kernel_would():
    outputs = run_hidden_test("print('hello')\n0.5", {}, "q1")
    assert outputs[0].output_type == "stream" and outputs[0].text == "hello\n"
    assert outputs[1].output_type == "execute_result" and outputs[1].data["text/plain"] == "0.5"


# ---------------------------------------------------------------- declarations and types

def test_type_problem_names_the_kind_wanted_and_found():
    assert type_problem("share", 0.5, "number") == ""
    assert type_problem("share", True, "number") == ("share must be a number, but it is True or False (True), "
                                                     "so it cannot be marked.")
    assert "must be text between quotes" in type_problem("answer_q1", 2, "text")


def test_declarations_come_from_the_instructor_notebook_and_bad_ones_are_named(tmp_path):
    def notebook(spec):
        cell = {"cell_type": "code", "source": "", "outputs": [], "execution_count": None,
                "metadata": {"nbgrader": {"grade_id": "q1-answer"}, "toolkit_course": spec}}
        path = tmp_path / "n.ipynb"
        path.write_text(json.dumps({"cells": [cell]}), encoding="utf-8")
        return path

    [declared] = read_declarations(notebook({"answer": "literal", "names": {"answer_q1": "text"}}))
    assert (declared.grade_id, declared.kind, declared.names) == ("q1-answer", "literal", {"answer_q1": "text"})
    for bad in ({"answer": "magic"}, {"answer": "computed", "names": {"x": "bytes"}},
                {"answer": "computed", "names": {}, "data_files": ["../secret.csv"]}):
        with pytest.raises(DeclarationError, match="q1-answer"):
            read_declarations(notebook(bad))
