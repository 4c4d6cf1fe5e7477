"""The "About you" box, and matching e-mailed notebooks to learners with it.

Every assessment notebook asks, under its introduction, for the learner id or e-mail the
facilitator gave out. collect reads that box as text (never runs it) and cross-checks it with
the file's name: agreement files the notebook; only one of them naming a learner files it and
says so; disagreement or doubt sets it aside, with the likely learners and the exact command
that files it for one of them. The cases are the issue's own file names.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import nbformat
import pytest

from toolkit_course import assessment_notebook, cli, content
from toolkit_course.grading import collect, roster

from .conftest import answer_key, answered

PEOPLE = [
    ("amina01", "Amina Diallo", "amina.diallo@example.org", "female", "learner"),
    ("bruno02", "Bruno Costa", "bruno.costa@example.org", "male", "learner"),
    ("jose03", "José Martínez", "jmartinez@example.org", "male", "learner"),
    ("ines04", "Ines Garcia", "igarcia@example.org", "female", "learner"),
    ("rana05", "Rana Haddad", "rhaddad@example.org", "female", "learner"),
    ("chen06", "Chen Wei", "cwei@example.org", "female", "learner"),
    ("fac01", "Farah Nasser", "farah@example.org", "female", "facilitator"),
]


# ---------------------------------------------------------------- the box in every assessment notebook

@pytest.mark.parametrize("slug", content.assessed_slugs())
def test_every_assessment_asks_about_you_under_its_introduction_and_does_not_grade_it(slug):
    notebook = assessment_notebook.build(slug)
    ids = [cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells]
    assert ids[:3] == ["introduction", "about-you-prompt", "about-you"]
    prompt, box = notebook.cells[1], notebook.cells[2]
    assert prompt.cell_type == "markdown" and "About you (not graded)" in prompt.source
    assert "learner id or your e-mail" in prompt.source and "match this notebook to you" in prompt.source
    assert box.cell_type == "code"
    assert box.metadata["nbgrader"]["solution"] and not box.metadata["nbgrader"]["grade"]
    assert "points" not in box.metadata["nbgrader"] and "toolkit_course" not in box.metadata  # nothing to grade
    assert f'{assessment_notebook.ABOUT_YOU_VARIABLE} = ""' in box.source


def test_the_student_version_keeps_an_empty_box_to_type_in(course, slug):
    student = nbformat.read(course.release / slug / f"{slug}-assessment.ipynb", as_version=4)
    box = next(cell for cell in student.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "about-you")
    assert box.source.splitlines()[1] == f'{assessment_notebook.ABOUT_YOU_VARIABLE} = ""'
    assert "BEGIN SOLUTION" not in box.source and "Instructor" not in box.source


# ---------------------------------------------------------------- collect

def _register(course, tmp_path) -> list:
    path = tmp_path / "learners.csv"
    path.write_text("id,name,email,sex,role\n" + "".join(",".join(row) + "\n" for row in PEOPLE), encoding="utf-8")
    people = roster.read_roster(path)
    roster.register(people, course, roster_path=path)
    return [person for person in people if person.is_learner]


def _notebook(course, slug, about_you: str | None):
    return assessment_notebook.fill_answers(answered(course, slug, answer_key(slug)), {}, about_you=about_you)


def _put(folder: Path, name: str, notebook) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(nbformat.writes(notebook), encoding="utf-8")
    return folder / name


def test_the_issues_file_names_are_matched_with_the_about_you_box(course, slug, tmp_path, capsys):
    _register(course, tmp_path)
    inbox = tmp_path / "inbox"
    _put(inbox, "Jose Martinez.ipynb", _notebook(course, slug, None))                  # accents left out
    _put(inbox, "INÉS GARCÍA - assessment.ipynb", _notebook(course, slug, "ines04"))   # accents added, capitals
    _put(inbox, "Copy of assessment (2).ipynb", _notebook(course, slug, " Amina.Diallo@Example.org "))
    _put(inbox, "rana_final.ipynb", _notebook(course, slug, ""))                        # first name only, box empty
    _put(inbox, "bruno02 assessment.ipynb", _notebook(course, slug, "chen06"))         # name and box disagree
    workspace = ["--workspace", str(course.workspace)]
    assert cli.main(["collect", str(inbox), *workspace]) == 1  # something is left to decide
    out = capsys.readouterr().out

    # The name alone, accents and case ignored; the report says the box was empty.
    assert f"placed Jose Martinez.ipynb -> jose03 / {slug} (found by its name only: its About you box is empty)" in out
    # Name and box agree: filed, nothing more to say.
    assert f"placed INÉS GARCÍA - assessment.ipynb -> ines04 / {slug}\n" in out
    # Only the box names a learner: filed, and the report says so.
    assert (f"placed Copy of assessment (2).ipynb -> amina01 / {slug} (found by its About you box only: its name "
            "names no learner, and its About you box says 'Amina.Diallo@Example.org')") in out
    # Part of a name is only a suggestion: set aside, with the learner and the command.
    assert "TO DECIDE rana_final.ipynb: its name and About you box name no learner in full" in out
    assert "  likely learner: rana05 (Rana Haddad)" in out
    # Name and box disagree: set aside, both learners listed, nothing filed for either.
    assert "TO DECIDE bruno02 assessment.ipynb: its name says bruno02, but its About you box says 'chen06'" in out
    assert "  likely learners: bruno02 (Bruno Costa), chen06 (Chen Wei)" in out
    for learner in ("jose03", "ines04", "amina01"):
        assert course.submission(learner, slug).exists()
    for learner in ("rana05", "bruno02", "chen06"):
        assert not course.submission(learner, slug).exists()
    assert "2 to decide" in out

    # The printed command, run as printed (with the right id), files the set-aside copy.
    command = next(line for line in out.splitlines() if "rana_final" in line and "--as" in line)
    argv = shlex.split(command.split(": ", 1)[1].split("  (put the right id")[0])
    assert argv[:3] == ["toolkit-course", "collect", "--workspace"] and "--as" in argv
    assert Path(argv[-1]).parent.parent == course.workspace / "to-decide"
    assert cli.main(argv[1:]) == 0
    assert f"-> rana05 / {slug} (as you decided with --as)" in capsys.readouterr().out
    assert course.submission("rana05", slug).exists()
    why = next((course.workspace / "to-decide").rglob("why.txt")).read_text(encoding="utf-8")
    assert "bruno02 assessment.ipynb" in why and "--as" in why

    # A second collect of the same files changes nothing and says so.
    assert cli.main(["collect", str(inbox), *workspace]) == 1
    again = capsys.readouterr().out
    for name, learner in (("Jose Martinez.ipynb", "jose03"), ("Copy of assessment (2).ipynb", "amina01")):
        assert f"unchanged {name}: identical to the submission of {learner} for {slug} already filed" in again
    assert not any(line.startswith("placed") for line in again.splitlines()) and "replaced" not in again


def test_an_unknown_learner_for_as_is_refused(course, slug, tmp_path, capsys):
    _register(course, tmp_path)
    path = _put(tmp_path / "inbox", "x.ipynb", _notebook(course, slug, None))
    assert cli.main(["collect", "--as", "nobody9", str(path), "--workspace", str(course.workspace)]) == 2
    assert "'nobody9' is not a learner in the roster" in capsys.readouterr().err
    assert not any(course.submitted.rglob("*.ipynb"))


def test_the_box_is_read_as_text_never_run_and_printed_safely(course, slug, tmp_path):
    learners = _register(course, tmp_path)
    marker = tmp_path / "ran"
    inbox = tmp_path / "inbox"
    code = _notebook(course, slug, None)
    box = next(cell for cell in code.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "about-you")
    box.source = f'my_learner_id = __import__("pathlib").Path({str(marker)!r}).write_text("x") or "amina01"'
    _put(inbox, "Untitled.ipynb", code)
    _put(inbox, "Untitled2.ipynb", _notebook(course, slug, "\x1b[2J\x1b]0;owned\x07bruno02\u202e"))
    report = collect.collect_returned(inbox, course, learners)
    assert not marker.exists()
    lines = "\n".join(report.lines())
    assert "\x1b" not in lines and "\x07" not in lines and "\u202e" not in lines
    problems = {item.label: item.problem for item in report.problems}
    assert "its About you box is empty" in problems["Untitled.ipynb"]  # the code line is not an answer
    assert "?[2J?]0;owned?bruno02?" in problems["Untitled2.ipynb"]
    assert not any(course.submitted.rglob("*.ipynb"))


def test_a_box_alone_never_replaces_a_learners_submission(course, slug, tmp_path):
    learners = _register(course, tmp_path)
    first = tmp_path / "first"
    _put(first, "amina01.ipynb", _notebook(course, slug, "amina01"))
    assert [r.learner for r in collect.collect_returned(first, course, learners).placed] == ["amina01"]
    before = course.submission("amina01", slug).read_bytes()
    other = _notebook(course, slug, "amina01")
    other.cells[-1].source = "Another reflection."
    report = collect.collect_returned(_put(tmp_path / "second", "Untitled.ipynb", other).parent, course, learners)
    assert not report.placed and course.submission("amina01", slug).read_bytes() == before
    (item, why), = report.to_decide
    assert "only its About you box names amina01, who already has a different submission" in why
    assert any("--as amina01" in line for line in report.lines())
