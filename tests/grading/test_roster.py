"""Roster: reading the CSV, clear errors, registering learners in nbgrader's gradebook."""

from __future__ import annotations

import pytest
from nbgrader.api import Gradebook

from toolkit_course import cli
from toolkit_course.grading import roster

from .conftest import COHORT, write_roster


def test_reads_every_person_with_role_and_sex(tmp_path):
    people = roster.read_roster(write_roster(tmp_path / "learners.csv", COHORT))
    assert [p.id for p in people] == [row[0] for row in COHORT]
    assert people[0].sex == "female" and people[0].role == "learner"
    assert [p.id for p in people if p.is_learner] == ["amina01", "bruno02", "chen03"]
    assert [p.id for p in roster.read_learners(tmp_path / "learners.csv")] == ["amina01", "bruno02", "chen03"]


def test_sex_column_is_optional_and_spellings_become_categories(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,name,email,sex,role\nx1,Ana Bell,ana@example.org,F,learner\n"
                    "x2,Bo Li,bo@example.org, Male ,learner\nx3,Cy Ray,cy@example.org,Prefer not to say,learner\n"
                    "x4,Di Poe,di@example.org,,learner\n", encoding="utf-8")
    assert [p.sex for p in roster.read_roster(path)] == ["female", "male", "prefers not to say", ""]
    path.write_text("id,name,email,role\nx1,Ana Bell,ana@example.org,learner\n", encoding="utf-8")
    assert roster.read_roster(path)[0].sex == ""


def test_prefers_not_to_say_is_a_category_not_a_missing_value(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,name,email,sex,role\nx1,Ana Bell,ana@example.org,prefers not to say,learner\n"
                    "x2,Bo Li,bo@example.org,,learner\n", encoding="utf-8")
    said, unsaid = roster.read_roster(path)
    assert said.sex == roster.PREFERS_NOT_TO_SAY and said.sex in roster.SEX_CATEGORIES and said.sex
    assert unsaid.sex == roster.SEX_NOT_RECORDED and unsaid.sex not in roster.SEX_CATEGORIES


def test_old_rosters_with_a_gender_column_are_read_as_sex(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text("id,name,email,gender,role\nx1,Ana Bell,ana@example.org,woman,learner\n"
                    "x2,Bo Li,bo@example.org,M,learner\n", encoding="utf-8")
    assert [p.sex for p in roster.read_roster(path)] == ["female", "male"]
    path.write_text("id,name,email,gender,role\nx1,Ana Bell,ana@example.org,unknown,learner\n", encoding="utf-8")
    with pytest.raises(roster.RosterError) as error:
        roster.read_roster(path)
    assert str(error.value) == (f"{path}: row 2: column 'gender': 'unknown' (read as 'sex') is not one of: female, "
                                "male, prefers not to say; leave the cell empty if it is not recorded")


def test_one_learner_record_for_the_roster_and_the_results():
    from toolkit_course.grading import results

    assert results.Learner is roster.Learner
    assert not hasattr(results, "read_roster")  # one roster reader: roster.read_roster / read_learners


@pytest.mark.parametrize("text, expected", [
    ("id,name,role\na1,Ana,learner\n", "row 1: column 'email': this column is missing"),
    ("id,name,email,role\na1,Ana,,learner\n", "row 2: column 'email': is empty"),
    ("id,name,email,role\na1,Ana,ana@example.org,learner\nb 2,Bo,bo@example.org,learner\n",
     "row 3: column 'id': 'b 2' may only use"),
    ("id,name,email,role\na1,Ana,ana@example.org,learner\nA1,Bo,bo@example.org,learner\n",
     "row 3: column 'id': 'a1' is already used in row 2"),
    ("id,name,email,role\na1,Ana,not-an-address,learner\n", "row 2: column 'email': 'not-an-address' is not"),
    ("id,name,email,role\na1,Ana,ana@example.org,learner,extra\n", "row 2: this row has more values"),
    ("id,name,email,sex,gender,role\n", "row 1: column 'gender': 'gender' is the old name of the 'sex' column"),
    ("id,name,email,sex,role\na1,Ana,ana@example.org,other,learner\n",
     "row 2: column 'sex': 'other' is not one of: female, male, prefers not to say"),
    ("", "the file is empty"),
])
def test_errors_name_the_file_row_and_column(tmp_path, text, expected):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(roster.RosterError) as error:
        roster.read_roster(path)
    assert str(error.value).startswith(str(path))
    assert expected in str(error.value)


def test_register_puts_only_learners_in_the_gradebook(course, tmp_path):
    path = write_roster(tmp_path / "learners.csv", COHORT)
    roster.register(roster.read_roster(path), course, roster_path=path)
    with Gradebook(course.db_url) as gradebook:
        students = {s.id: s for s in gradebook.students}
        assert set(students) == {"amina01", "bruno02", "chen03"}
        assert (students["amina01"].first_name, students["amina01"].last_name) == ("Amina", "Diallo")
        assert students["chen03"].email == "chen.wei@example.org"
    assert roster.registered_roster(course)[3].role == "facilitator"


def test_roster_command_end_to_end(course, tmp_path, capsys):
    path = write_roster(tmp_path / "learners.csv", COHORT)
    assert cli.main(["roster", str(path), "--workspace", str(course.workspace)]) == 0
    assert "registered 3 learner(s)" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,email,role\na1,Ana,,learner\n", encoding="utf-8")
    assert cli.main(["roster", str(bad), "--workspace", str(course.workspace)]) == 2
    assert "bad.csv: row 2: column 'email'" in capsys.readouterr().err
