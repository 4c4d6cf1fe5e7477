"""Hostile and broken submissions: each gets a grade and a clear message, or an error naming the file,
and none stops the batch. Code in an answer box is never run, so it cannot reach the answers, the
gradebook or other learners' work (tricks aimed at the old in-kernel grading: test_hostile_kernel.py).

One batch is graded once for the whole module; each test checks one case.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import nbformat
import pytest

from toolkit_course.grading import autograde

from .conftest import REPO, answer_key, answered, auto_total, score_of, submit, wrong_answers

pytestmark = pytest.mark.slow


def _edit(notebook, grade_id_suffix: str, new_source: str | None):
    """Replace (or delete, with None) every cell whose nbgrader id ends with the suffix."""
    kept = []
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id.endswith(grade_id_suffix) and cell.metadata["nbgrader"].get("grade"):
            if new_source is None:
                continue
            cell.source = new_source
        kept.append(cell)
    notebook.cells = kept
    return notebook


def _first_variable(slug):
    return next(iter(answer_key(slug)))


SANDBOX_ATTACK = '''
import glob, os, sqlite3
report = []
def attempt(what, action):
    try:
        action()
        report.append("LEAK " + what)
    except Exception as error:
        report.append("blocked " + what + ": " + type(error).__name__)
for path in {readable!r}:
    attempt("read " + path, lambda: open(path, "rb").read(1) if os.path.isfile(path) else os.listdir(path))
for path in {writable!r}:
    attempt("write " + path, lambda: open(path, "w").write("pwned"))
attempt("sql " + {gradebook!r}, lambda: sqlite3.connect({gradebook!r}).execute(
    "UPDATE grade SET auto_score = 99").connection.commit())
attempt("find answer key", lambda: (_ for _ in ()).throw(PermissionError()) if not glob.glob({key_glob!r}) else None)
open("scratch-file.txt", "w").write("mine")
try:
    open("/tmp/toolkit-pwned.txt", "w").write("private /tmp only")
except OSError:
    pass
print("\\n".join(report))
{variable} = ""
'''


@pytest.fixture(scope="module")
def graded_batch(tmp_path_factory):
    """Grade one batch holding every hostile case; return (layout, slug, report, expectations)."""
    monkeypatch = pytest.MonkeyPatch()
    from toolkit_course import content

    from .conftest import copy_course
    course = copy_course(tmp_path_factory.mktemp("hostile"), monkeypatch)
    slug = content.assessed_slugs()[0]
    right, wrong = answer_key(slug), wrong_answers(slug)
    first = _first_variable(slug)
    cases = {}

    def case(learner, notebook, expected=None):
        cases[learner] = (submit(course, learner, slug, notebook), expected)

    case("honest", answered(course, slug, right), score_of(right, slug))
    case("edited-tests", _edit(answered(course, slug, wrong), "", "pass"), 0.0)
    case("deleted-tests", _edit(answered(course, slug, wrong), "", None), 0.0)
    case("renamed-variable", answered(course, slug, right, extra_code={first: f'my_answer = "{right[first]}"'}),
         score_of({**right, first: None}, slug))
    case("always-equal", answered(course, slug, right, extra_code={first: (
        "class Anything:\n    def __eq__(self, other): return True\n"
        "    def __hash__(self): return 0\n"
        f"{first} = Anything()")}), score_of({**right, first: None}, slug))
    case("str-subclass", answered(course, slug, right, extra_code={first: (
        "class Sneaky(str):\n    def __eq__(self, other): return True\n"
        "    def lower(self): return self\n    def strip(self): return self\n"
        f"{first} = Sneaky('wrong')")}), score_of({**right, first: None}, slug))
    case("rebound-str", answered(course, slug, wrong, extra_code={first: (
        "class Yes(str):\n    def __eq__(self, other): return True\n"
        "    def __hash__(self): return 0\n"
        f"str = Yes\n{first} = Yes('x')")}), 0.0)
    case("custom-exc", answered(course, slug, wrong, extra_code={first: (
        "get_ipython().set_custom_exc((AssertionError,), lambda shell, etype, value, tb, tb_offset=None: None)\n"
        f"{first} = ''")}), 0.0)
    case("input-transformer", answered(course, slug, wrong, extra_code={first: (
        "def neutralise(lines):\n    return ['pass\\n'] if any('assert' in line for line in lines) else lines\n"
        "get_ipython().input_transformers_cleanup.append(neutralise)\n"
        "get_ipython().input_transformers_post.append(neutralise)\n"
        f"{first} = ''")}), 0.0)
    case("ast-transformer", answered(course, slug, wrong, extra_code={first: (
        "import ast\nclass DropAsserts(ast.NodeTransformer):\n"
        "    def visit_Assert(self, node): return ast.Pass()\n"
        "get_ipython().ast_transformers.append(DropAsserts())\n"
        f"{first} = ''")}), 0.0)
    case("infinite-loop", answered(course, slug, right, extra_code={first: "while True:\n    pass"}),
         score_of({**right, first: None}, slug))
    case("huge-output", answered(course, slug, right, extra_code={first: (
        f"print('x' * 20_000_000)\nfor i in range(100_000): print(i)\n{first} = {json.dumps(right[first])}")}),
         score_of(right, slug))
    case("exit-kernel", answered(course, slug, right, extra_code={first: "import os\nos._exit(1)"}),
         score_of({**right, first: None}, slug))
    case("kill-kernel", answered(course, slug, right, extra_code={first: "import os\nos.kill(os.getpid(), 9)"}),
         score_of({**right, first: None}, slug))
    case("corrupt-json", nbformat.writes(answered(course, slug, right))[:-50])
    case("not-a-notebook", b"%PDF-1.4 \x00\x01 not a notebook")
    other = student_of_other_module = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    other.cells[0].metadata["nbgrader"] = {"grade_id": "something-else", "grade": False, "solution": True,
                                           "locked": False, "schema_version": 3, "task": False}
    case("wrong-module", student_of_other_module)

    key_glob = str(course.source / "*" / "*.ipynb")
    attack = SANDBOX_ATTACK.format(
        readable=[str(course.source), str(course.content), str(course.gradebook), str(course.submitted / "honest"),
                  str(REPO / "solutions"), str(REPO / "content"), str(REPO / ".git")],
        writable=[str(course.workspace / "pwned.txt"), str(course.root / "pwned.txt"),
                  str(course.submitted / "honest" / slug / "pwned.txt")],
        gradebook=str(course.gradebook), key_glob=key_glob, variable=first)
    case("sandbox-attacker", answered(course, slug, right, extra_code={first: attack}),
         score_of({**right, first: None}, slug))
    report = autograde.autograde(course, [slug], progress=False)
    yield course, slug, report, cases
    monkeypatch.undo()


def _graded_cells(course, learner, slug):
    path = course.autograded / learner / slug / f"{slug}-assessment.ipynb"
    return nbformat.read(path, as_version=4).cells


def _outputs_text(cells) -> str:
    parts = []
    for cell in cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", "") + output.get("ename", "") + " " + output.get("evalue", ""))
    return "\n".join(parts)


@pytest.mark.parametrize("learner", ["honest", "edited-tests", "deleted-tests", "renamed-variable", "always-equal",
                                     "str-subclass", "rebound-str", "custom-exc", "input-transformer",
                                     "ast-transformer", "infinite-loop", "huge-output", "exit-kernel", "kill-kernel",
                                     "sandbox-attacker"])
def test_each_gets_the_grade_it_deserves(graded_batch, learner):
    course, slug, report, cases = graded_batch
    assert auto_total(course, learner, slug) == cases[learner][1]


def test_messages_say_what_went_wrong(graded_batch):
    course, slug, _, _ = graded_batch
    first = _first_variable(slug)
    renamed = _outputs_text(_graded_cells(course, "renamed-variable", slug))
    assert f"No answer was found for {first}" in renamed and "NameError" in renamed
    looping = _outputs_text(_graded_cells(course, "infinite-loop", slug))
    assert "Lines 1-2 of this box were ignored and not run" in looping
    huge = _outputs_text(_graded_cells(course, "huge-output", slug))
    assert len(huge) < 20_000 and "ignored and not run" in huge, "the print was never run"


def test_a_deleted_test_is_put_back_from_the_gradebook_and_marked(graded_batch):
    course, slug, _, _ = graded_batch
    graded_ids = {c.metadata.nbgrader["grade_id"] for c in _graded_cells(course, "deleted-tests", slug)
                  if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    assert graded_ids == set(answer_key_ids(slug))


def answer_key_ids(slug):
    from toolkit_course import content
    return [item["id"] for item in content.load(slug, "assessment")["items"]]


@pytest.mark.parametrize("learner, message", [("corrupt-json", "invalid JSON at line"),
                                              ("not-a-notebook", "is not a notebook"),
                                              ("wrong-module", "do not match any assessed module")])
def test_broken_files_get_an_error_naming_the_file(graded_batch, learner, message):
    course, slug, report, _ = graded_batch
    errors = [e for e in report.errors if str(course.submission(learner, slug)) in e]
    assert errors and message in errors[0]


def test_none_of_them_stops_the_batch(graded_batch):
    course, slug, report, cases = graded_batch
    graded = {job.learner for job in report.graded}
    assert {learner for learner, (_, expected) in cases.items() if expected is not None} <= graded


def test_code_in_an_answer_box_never_runs_so_it_reaches_nothing(graded_batch):
    course, slug, _, _ = graded_batch
    # The attack's targets exist and are readable by the grader, so only not running it protects them.
    assert course.gradebook.exists() and (REPO / "solutions").exists() and (course.submitted / "honest").exists()
    printed = _outputs_text(_graded_cells(course, "sandbox-attacker", slug))
    assert "LEAK" not in printed and "blocked" not in printed
    assert "ignored and not run" in printed
    for path in (course.workspace / "pwned.txt", course.root / "pwned.txt", Path("/tmp/toolkit-pwned.txt"),
                 course.submitted / "honest" / slug / "pwned.txt"):
        assert not path.exists()
    with sqlite3.connect(course.gradebook) as db:
        assert db.execute("SELECT COUNT(*) FROM grade WHERE auto_score = 99").fetchone()[0] == 0
    assert auto_total(course, "honest", slug) == score_of(answer_key(slug), slug)
