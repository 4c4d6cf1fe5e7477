"""Collect: returned notebooks (folder or zip, any names) and nbgrader's exchange, into submitted/."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
import zipfile

import nbformat

from toolkit_course import cli
from toolkit_course.grading import collect, roster

from .conftest import COHORT, answer_key, answered, write_roster


def _learners(course, tmp_path):
    path = write_roster(tmp_path / "learners.csv", COHORT)
    people = roster.read_roster(path)
    roster.register(people, course, roster_path=path)
    return people


def _write(path, notebook, mtime=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(notebook) if not isinstance(notebook, str) else notebook, encoding="utf-8")
    if mtime:
        os.utime(path, (mtime, mtime))
    return path


def test_folder_with_any_names_is_matched_by_id_email_name_or_metadata(course, slug, tmp_path):
    people = _learners(course, tmp_path)
    inbox = tmp_path / "inbox"
    notebook = answered(course, slug, answer_key(slug))
    _write(inbox / "Assessment (Amina Diallo) final.ipynb", notebook)
    _write(inbox / "Re_ homework from bruno.costa@example.org.ipynb", notebook)
    tagged = answered(course, slug, answer_key(slug))
    tagged.metadata["toolkit_course"] = {"learner": "chen03"}
    _write(inbox / "Untitled1.ipynb", tagged)
    report = collect.collect_returned(inbox, course, people)
    assert sorted((r.learner, r.slug) for r in report.placed) == [
        ("amina01", slug), ("bruno02", slug), ("chen03", slug)]
    assert not report.problems
    placed = course.submission("amina01", slug)
    assert nbformat.read(placed, as_version=4).cells == notebook.cells
    assert (placed.parent / "timestamp.txt").exists()


def test_module_comes_from_the_cells_not_the_file_name(course, slug, second_module, tmp_path):
    people = _learners(course, tmp_path)
    inbox = tmp_path / "inbox"
    second = nbformat.read(course.release / second_module / f"{second_module}-assessment.ipynb", as_version=4)
    _write(inbox / f"amina01-{slug}-assessment.ipynb", second)  # named like module 1, content of the other
    report = collect.collect_returned(inbox, course, people)
    assert [(r.learner, r.slug) for r in report.placed] == [("amina01", second_module)]
    assert course.submission("amina01", second_module).exists()
    assert not course.submission("amina01", slug).exists()


def test_unmatched_damaged_and_foreign_files_are_reported_by_name_and_kept(course, slug, tmp_path):
    people = _learners(course, tmp_path)
    inbox = tmp_path / "inbox"
    notebook = answered(course, slug, answer_key(slug))
    _write(inbox / "stranger.ipynb", notebook)
    _write(inbox / "amina01.ipynb", nbformat.writes(notebook)[:-40])
    (inbox / "bruno02-scan.pdf").write_bytes(b"%PDF-1.4\n\x00\x01binary")
    _write(inbox / "chen03-lesson.ipynb", nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]))
    (inbox / "notes.json").write_text(json.dumps({"a": 1}), encoding="utf-8")
    report = collect.collect_returned(inbox, course, people)
    problems = {r.label: r.problem for r in report.problems}
    assert "contains no learner's id, e-mail or full name" in problems["stranger.ipynb"]
    assert "invalid JSON at line" in problems["amina01.ipynb"]
    assert "not a notebook" in problems["bruno02-scan.pdf"]
    assert "no nbgrader cells" in problems["chen03-lesson.ipynb"]
    assert "not a notebook" in problems["notes.json"]
    assert not report.placed
    kept = {p.name for p in course.returned.rglob("*") if p.is_file()}
    assert {"stranger.ipynb", "amina01.ipynb", "bruno02-scan.pdf", "chen03-lesson.ipynb", "notes.json"} <= kept


def test_two_submissions_from_one_learner_keep_the_newest_and_both_originals(course, slug, tmp_path):
    people = _learners(course, tmp_path)
    key = answer_key(slug)
    first_variable = next(iter(key))
    older = answered(course, slug, {**key, first_variable: "older"})
    newer = answered(course, slug, key)
    archive = tmp_path / "returned.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(zipfile.ZipInfo("amina01/first try.ipynb", (2026, 1, 2, 9, 0, 0)), nbformat.writes(older))
        bundle.writestr(zipfile.ZipInfo("amina01/second.ipynb", (2026, 1, 3, 9, 0, 0)), nbformat.writes(newer))
        bundle.writestr(zipfile.ZipInfo("__MACOSX/._second.ipynb", (2026, 1, 3, 9, 0, 0)), b"junk")
    report = collect.collect_returned(archive, course, people)
    assert [r.label for r in report.placed] == ["returned.zip:amina01/second.ipynb"]
    assert [r.label for r, _ in report.set_aside] == ["returned.zip:amina01/first try.ipynb"]
    assert "which is newer" in report.set_aside[0][1]
    kept = nbformat.read(course.submission("amina01", slug), as_version=4)
    assert any(cell.source == f'{first_variable} = "{key[first_variable]}"' for cell in kept.cells)
    assert {"first try.ipynb", "second.ipynb"} <= {p.name for p in course.returned.rglob("*.ipynb")}
    # A later batch with an older copy does not replace the newer submission.
    again = tmp_path / "again"
    _write(again / "amina01.ipynb", older, mtime=1_700_000_000)
    later = collect.collect_returned(again, course, people)
    assert not later.placed and "is newer" in later.set_aside[0][1]


def test_collect_command_end_to_end(course, slug, tmp_path, capsys):
    write_roster(tmp_path / "learners.csv", COHORT)
    ws = ["--workspace", str(course.workspace)]
    assert cli.main(["roster", str(tmp_path / "learners.csv"), *ws]) == 0
    inbox = tmp_path / "inbox"
    _write(inbox / "chen.wei@example.org.ipynb", answered(course, slug, answer_key(slug)))
    _write(inbox / "nobody.ipynb", answered(course, slug, answer_key(slug)))
    assert cli.main(["collect", str(inbox), *ws]) == 1
    out = capsys.readouterr().out
    assert f"placed chen.wei@example.org.ipynb -> chen03 / {slug}" in out
    assert "NOT MATCHED nobody.ipynb" in out


def submit_through_the_exchange(course, slug, tmp_path, *answer_sets: dict) -> tuple:
    """Release slug to a new exchange, then fetch it and submit it once per answer set, with nbgrader itself.

    nbgrader records the submitter's login name as the learner id; here that is the test's own user.
    Returns (exchange folder, learner id).
    """
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    common = [f"--Exchange.root={exchange}", "--CourseDirectory.course_id=toolkit"]
    nbgrader = [sys.executable, "-m", "nbgrader"]
    env = course.env()
    subprocess.run(nbgrader + ["release_assignment", slug, "--force", *common], cwd=course.root, env=env,
                   check=True, capture_output=True)
    home = tmp_path / "home"
    home.mkdir()
    subprocess.run(nbgrader + ["fetch_assignment", slug, *common], cwd=home, env=env, check=True, capture_output=True)
    fetched = home / slug / f"{slug}-assessment.ipynb"
    for answers in answer_sets:
        nbformat.write(answered(course, slug, answers), fetched)
        subprocess.run(nbgrader + ["submit", slug, *common], cwd=home, env=env, check=True, capture_output=True)
    return exchange, pwd.getpwuid(os.getuid()).pw_name


def test_collect_from_nbgrader_exchange(course, slug, tmp_path):
    exchange, learner = submit_through_the_exchange(course, slug, tmp_path, answer_key(slug))
    # The sender must be a learner in the roster: without one, nothing is filed.
    unregistered = collect.collect_exchange(slug, course, exchange_root=exchange, course_id="toolkit")
    assert unregistered.returncode == 1 and "who is not a learner in the roster" in unregistered.stdout
    assert not course.submission(learner, slug).exists()
    path = tmp_path / "learners.csv"
    path.write_text(f"id,name,email,sex,role\n{learner},Exchange Learner,learner@example.org,,learner\n",
                    encoding="utf-8")
    roster.register(roster.read_roster(path), course, roster_path=path)
    result = collect.collect_exchange(slug, course, exchange_root=exchange, course_id="toolkit")
    assert result.returncode == 0, result.stdout
    assert f"-> {learner} / {slug}" in result.stdout
    assert course.submission(learner, slug).exists()
    assert collect.misnamed_submissions(course) == []
    again = collect.collect_exchange(slug, course, exchange_root=exchange, course_id="toolkit")
    assert not again.placed and [r.learner for r in again.unchanged] == [learner]

    # nbgrader's submission secret comes along, so the learner can later fetch feedback through the
    # exchange: release_feedback addresses each page by a hash of it.
    inbound_secret = next((exchange / "toolkit" / "inbound").glob(f"{learner}+{slug}+*/submission_secret.txt"))
    filed_secret = course.submission(learner, slug).parent / "submission_secret.txt"
    assert filed_secret.read_text() == inbound_secret.read_text().strip()


def test_a_second_exchange_collect_does_not_set_aside_the_same_older_submission_again(course, slug, tmp_path):
    """nbgrader's exchange keeps every submission; the older one is set aside once, then only counted."""
    # First blank, then the real answers.
    exchange, learner = submit_through_the_exchange(course, slug, tmp_path, {}, answer_key(slug))
    path = tmp_path / "learners.csv"
    path.write_text(f"id,name,email,sex,role\n{learner},Exchange Learner,learner@example.org,,learner\n",
                    encoding="utf-8")
    roster.register(roster.read_roster(path), course, roster_path=path)

    first = collect.collect_exchange(slug, course, exchange_root=exchange, course_id="toolkit")
    assert [r.learner for r in first.placed] == [learner] and len(first.set_aside) == 1, first.stdout
    again = collect.collect_exchange(slug, course, exchange_root=exchange, course_id="toolkit")
    assert not again.placed and not again.set_aside, again.stdout
    assert [r.learner for r in again.unchanged] == [learner]
    assert [r.learner for r in again.set_aside_before] == [learner]
    assert "set aside" not in again.stdout.replace("set aside at an earlier collect", ""), again.stdout
