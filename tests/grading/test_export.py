"""Grade exports: per module, overall, and the Moodle and Canvas import files."""

from __future__ import annotations

import csv

import pytest
from nbgrader.api import Gradebook

from toolkit_course.grading import export

from .conftest_results import cohort, graded_cohort  # noqa: F401


@pytest.fixture(scope="module")
def exported(cohort, tmp_path_factory):  # noqa: F811
    out = tmp_path_factory.mktemp("exports")
    export.write_exports(cohort, out)
    return out


def read(path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_module_csv_has_every_item_and_the_total(exported, cohort):  # noqa: F811
    for module in cohort.modules:
        rows = {row["learner_id"]: row for row in read(exported / f"{module.slug}.csv")}
        assert set(rows) == {"amal01", "bruno02", "chen03", "dara04", "eli05", "fatima06"}
        amal, bruno, chen = rows["amal01"], rows["bruno02"], rows["chen03"]
        assert [amal[i] for i in module.item_ids] == ["2"] * 10 + ["4"]
        assert (amal["score"], amal["max_score"], amal["percent"], amal["status"]) == ("24", "25", "96.0", "passed")
        items = module.spec["items"]
        assert bruno[items[2]["id"]] == "0" and bruno[items[5]["id"]] == "0" and bruno["score"] == "19"
        assert chen["reflection"] == "" and chen["hand_grading"] == "waiting"
        assert chen["status"] == "waiting for hand grading"
        assert rows["dara04"]["status"] == "below the pass mark"
        assert rows["fatima06"]["status"] == "not submitted" and rows["fatima06"]["score"] == ""


@pytest.mark.slow
def test_scores_are_exactly_nbgraders(exported, cohort, graded_cohort):  # noqa: F811
    with Gradebook(f"sqlite:///{graded_cohort.workspace / 'gradebook.db'}") as gradebook:
        for module in cohort.modules:
            for row in read(exported / f"{module.slug}.csv"):
                if row["score"]:
                    notebook = gradebook.find_submission_notebook(module.notebook_id, module.slug, row["learner_id"])
                    assert float(row["score"]) == notebook.score


@pytest.mark.slow
def test_overall_counts_passed_modules(exported, cohort):  # noqa: F811
    rows = {row["learner_id"]: row for row in read(exported / export.OVERALL_FILE)}
    modules = str(len(cohort.modules))
    assert rows["amal01"]["modules_passed"] == modules and rows["amal01"]["modules_assessed"] == modules
    assert rows["dara04"]["modules_passed"] == "0"
    assert rows["amal01"][f"{cohort.modules[0].slug} percent"] == "96.0"


@pytest.mark.slow
def test_moodle_file_maps_by_email_and_holds_only_final_grades(exported, cohort):  # noqa: F811
    raw = (exported / export.MOODLE_FILE).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = read(exported / export.MOODLE_FILE)
    assert list(rows[0])[:3] == ["Email address", "ID number", "Full name"]
    by_email = {row["Email address"]: row for row in rows}
    title = cohort.modules[0].title
    assert by_email["dara@example.org"][title] == "15"
    assert by_email["chen@example.org"][title] == ""  # reflection not marked yet: not final
    assert by_email["fatima@example.org"][title] == ""


@pytest.mark.slow
def test_canvas_file_has_the_required_columns_and_points_possible(exported, cohort):  # noqa: F811
    with (exported / export.CANVAS_FILE).open(encoding="utf-8", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert table[0][5:] == [module.title for module in cohort.modules]
    assert table[1][0] == "Points Possible" and table[1][5:] == ["25"] * len(cohort.modules)
    amal = next(row for row in table if row[2] == "amal01")
    assert amal[0] == "Amal Haddad" and amal[3] == "amal@example.org" and amal[5] == "24"


def test_names_cannot_become_spreadsheet_formulas():
    assert export.safe_text("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert export.safe_text("+1") == "'+1" and export.safe_text("@SUM") == "'@SUM"
    assert export.safe_text("Amal Haddad") == "Amal Haddad"
