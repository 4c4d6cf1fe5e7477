"""The cohort report: charts with alt text, item analysis, who has not passed, breakdown by sex."""

from __future__ import annotations

import base64
import re

import pytest

from toolkit_course.grading import cohort_report, results

from .conftest_results import cohort, graded_cohort  # noqa: F401


@pytest.fixture(scope="module")
def report(cohort):  # noqa: F811
    return cohort_report.render_report(cohort)


@pytest.mark.slow
def test_every_chart_is_an_embedded_png_with_alt_text(report, cohort):  # noqa: F811
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)">', report)
    # two charts per module, plus pass rate by sex
    assert len(images) == 2 * len(cohort.modules) + 1
    for data, alt in images:
        assert base64.b64decode(data).startswith(b"\x89PNG")
        assert len(alt) > 40
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", report)


@pytest.mark.slow
def test_lists_exactly_the_learners_who_have_not_passed(report):
    table = report.split("Learners who have not yet passed")[1].split("</table>")[0]
    for learner_id in ("chen03", "dara04", "fatima06"):
        assert f"<td>{learner_id}</td>" in table
    for learner_id in ("amal01", "bruno02", "eli05"):
        assert f"<td>{learner_id}</td>" not in table
    assert "waiting for hand grading" in table and "below the pass mark" in table and "not submitted" in table


@pytest.mark.slow
def test_breaks_down_by_sex_from_the_roster(report, cohort):  # noqa: F811
    assert "Pass rate by sex" in report
    assert {"female", "male", "not recorded"} == set(cohort_report.groups(cohort))
    by_sex = report.split("<h3>By sex</h3>")[1].split("</table>")[0]
    assert "<td>female (fewer than 5: read with care)</td><td>3</td><td>2</td>" in by_sex


@pytest.mark.slow
def test_item_analysis_explains_itself_and_has_a_row_per_item(report, cohort):  # noqa: F811
    assert "share of learners who got an item right" in report and "point-biserial" in report
    for module in cohort.modules:
        stats = cohort_report.item_statistics(cohort, module)
        assert [s.item_id for s in stats] == module.item_ids
        assert stats[4].difficulty == 1.0 and stats[4].discrimination is None  # everyone right: not measurable


@pytest.mark.slow
def test_without_sex_recorded_there_is_no_breakdown(graded_cohort):  # noqa: F811
    plain = results.load_cohort(graded_cohort.course_root, graded_cohort.workspace)
    assert not plain.breakdown_available
    assert "Pass rate by sex" not in cohort_report.render_report(plain)


def _synthetic(pattern: dict[str, list[int]]) -> tuple[results.Cohort, results.Module]:
    """A cohort of learners with one 1-point item per entry; 1 = right."""
    items = [{"id": f"q{i}", "points": 1} for i in range(1, len(next(iter(pattern.values()))) + 1)]
    module = results.Module("m", "M", {"items": items, "reflections": []}, 50)
    learners = [results.Learner(lid, lid) for lid in pattern]
    result = {(lid, "m"): results.ModuleResult("m", lid, tuple(
        results.ItemResult(f"q{i}", False, float(v), 1.0, False) for i, v in enumerate(row, start=1)))
        for lid, row in pattern.items()}
    return results.Cohort(learners, [module], result), module


def test_discrimination_rewards_items_that_separate_strong_from_weak():
    cohort, module = _synthetic({  # noqa: F811
        "a": [1, 1, 1, 1, 0], "b": [1, 1, 1, 0, 0], "c": [1, 1, 0, 0, 1], "d": [1, 0, 0, 0, 1],
    })
    q1, q2, _, _, q5 = cohort_report.item_statistics(cohort, module)
    assert q1.difficulty == 1.0 and q1.discrimination is None
    assert q2.difficulty == 0.75 and q2.discrimination > 0.3
    assert q5.discrimination < 0 and "check the item" in q5.advice


def test_prefers_not_to_say_is_a_group_of_its_own_read_from_the_roster(tmp_path):
    """The roster's categories become the report's groups: "prefers not to say" is an answer, counted as
    its own group, and is not merged with the learners whose sex the roster does not record."""
    from toolkit_course.grading import roster

    path = tmp_path / "learners.csv"
    path.write_text("id,name,email,sex,role\n"
                    "a,A,a@example.org,Female,learner\nb,B,b@example.org,Prefer not to say,learner\n"
                    "c,C,c@example.org,,learner\nd,D,d@example.org,M,learner\n"
                    "e,E,e@example.org,prefers not to say,learner\nf,F,f@example.org,female,facilitator\n",
                    encoding="utf-8")
    learners = roster.read_learners(path)
    module = results.Module("m", "M", {"items": [{"id": "q1", "points": 1}], "reflections": []}, 50)
    outcome = {(lr.id, "m"): results.ModuleResult("m", lr.id, (results.ItemResult("q1", False, 1.0, 1.0, False),))
               for lr in learners}
    group_cohort = results.Cohort(learners, [module], outcome)
    assert group_cohort.breakdown_available
    assert cohort_report.groups(group_cohort) == ["female", "male", "prefers not to say", "not recorded"]
    summary = {row["group"]: row["members"] for row in cohort_report.group_summary(group_cohort, module)}
    assert summary == {"female": 1, "male": 1, "prefers not to say": 2, "not recorded": 1}
