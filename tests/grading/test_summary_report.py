"""The anonymous summary report (`toolkit-course report --summary`): aggregates only, small groups hidden.

The expected figures are worked out by hand below from the synthetic cohort's definition.
"""

from __future__ import annotations

import re

import pytest

from toolkit_course import cli
from toolkit_course.grading import results, summary_report

from .conftest_results import COHORT, FACILITATOR_ROW, cohort, graded_cohort  # noqa: F401

ITEMS = 4
PASS_MARK = 50
# Per learner: (sex, number of the 4 items right, or None = did not submit).
DESIGN = {
    "female": [4, 4, 3, 3, 2, 1, None, None],
    "male": [4, 3, 3, 2, 2, 2, 1],
    "prefers not to say": [4, 1, None],
}
SECRET_COMMENT = "FACILITATOR-COMMENT-ABOUT-THIS-LEARNER"


def synthetic_cohort() -> results.Cohort:
    items = [{"id": f"q{i}", "points": 1} for i in range(1, ITEMS + 1)]
    module = results.Module("01-demo", "Module demo", {"items": items, "reflections": []}, PASS_MARK)
    learners, outcome = [], {}
    for sex, scores in DESIGN.items():
        for right in scores:
            n = len(learners)
            learner = results.Learner(f"zq-{n:03d}", f"Zelda{n} Quartermaine{n}", f"zelda{n}@mail.example", sex=sex)
            learners.append(learner)
            if right is not None:
                outcome[(learner.id, module.slug)] = results.ModuleResult(module.slug, learner.id, tuple(
                    results.ItemResult(f"q{i}", False, float(i <= right), 1.0, False, SECRET_COMMENT)
                    for i in range(1, ITEMS + 1)))
    return results.Cohort(learners, [module], outcome)


def table_rows(html: str) -> dict[str, list[str]]:
    body = html.split("<caption>Results by sex</caption>")[1].split("</table>")[0]
    rows = {}
    for row in re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", body):
        rows[row[0]] = re.findall(r"<td class=\"number\">(.*?)</td>", row[1])
    return rows


def headline(html: str) -> list[str]:
    return re.findall(r"<li><strong>(.*?)</strong>", html)


def test_headline_figures_and_the_breakdown_by_sex_with_suppression():
    html = summary_report.render_summary(synthetic_cohort())
    # By hand. Pass mark 50% = 2 of 4 items. Outcomes (passed, submitted not passed, did not submit):
    #   female 5, 1, 2 (8)   male 6, 1, 0 (7)   prefers not to say 1, 1, 1 (3)   totals 12, 3, 3 (18)
    # Primary (< 5): female 1 and 2; male 1 and 0; all of "prefers not to say" and its total 3;
    # the column totals 3 and 3.
    # Secondary: the row totals (8, 7, <5) add up to 18 with one hidden -> hide the next smallest, 7 (male).
    # Column "passed" (5, 6, <5 | 12) has one hidden -> hide 5 (female).
    # Means (of those who submitted): female 100,100,75,75,50,25 -> 70.8%; male's size is hidden, so
    # its mean is hidden; "prefers not to say" has 2 submitters (< 5). Overall: 975 / 15 = 65%.
    assert table_rows(html) == {
        #       learners  passed  not passed  no submit  submitted  passed %  mean
        "female": ["8", "hidden", "&lt;5", "&lt;5", "hidden", "hidden", "71%"],
        "male": ["hidden", "6", "&lt;5", "&lt;5", "hidden", "hidden", "hidden"],
        # Its share passed and its mean read "hidden", never "<5", which would read as a value.
        "prefers not to say": ["&lt;5"] * 4 + ["hidden"] * 3,
    }
    # Learners 18; submitted = 18 - (hidden 3) cannot be shown; passed 12 = 67% of 18; mean 65%.
    assert headline(html) == ["18", "hidden", "12", "65%"]
    assert "12</strong> passed (67% of learners" in html


def test_item_difficulty_is_the_share_right_of_those_who_submitted():
    html = summary_report.render_summary(synthetic_cohort())
    # Item i is right for everyone with at least i right. Submitted scores: 4,4,3,3,2,1, 4,3,3,2,2,2,1, 4,1 (15).
    submitted = [s for scores in DESIGN.values() for s in scores if s is not None]
    expected = [f"{100 * sum(s >= i for s in submitted) / len(submitted):.0f}%" for i in range(1, ITEMS + 1)]
    assert expected == ["100%", "80%", "53%", "27%"]  # 15, 12, 8 and 4 of 15
    found = re.findall(r"<tr><th scope=\"row\">Q\d</th><td class=\"number\">(.*?)</td></tr>", html)
    assert found == expected


def test_no_name_id_email_or_comment_reaches_the_summary():
    cohort_ = synthetic_cohort()
    html = summary_report.render_summary(cohort_)
    for learner in cohort_.learners:
        for value in (learner.id, learner.email, *learner.name.split()):
            assert value not in html
    assert "Zelda" not in html and "zq-" not in html and "mail.example" not in html
    assert SECRET_COMMENT not in html


def test_the_threshold_is_configurable():
    html = summary_report.render_summary(synthetic_cohort(), threshold=2)
    rows = table_rows(html)
    assert rows["prefers not to say"][:4] == ["3", "&lt;2", "&lt;2", "&lt;2"]
    assert 'shown as "&lt;2"' in html


def test_without_sex_in_the_roster_there_is_no_breakdown():
    cohort_ = synthetic_cohort()
    plain = results.Cohort([results.Learner(lr.id, lr.name, lr.email) for lr in cohort_.learners],
                           cohort_.modules, cohort_.results)
    html = summary_report.render_summary(plain)
    assert "Results by sex" not in html
    assert headline(html) == ["18", "hidden", "12", "65%"]


@pytest.mark.slow
def test_report_summary_command_on_a_graded_cohort(graded_cohort, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "summary.html"
    code = cli.main(["report", "--summary", "--course", str(graded_cohort.course_root),
                     "--workspace", str(graded_cohort.workspace), "--roster", str(graded_cohort.roster),
                     "--out", str(out)])
    assert code == 0 and f"wrote {out}" in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    people = [*COHORT, FACILITATOR_ROW]
    for person in COHORT:
        for value in (person.id, person.email, *person.name.split()):
            assert value not in html, value
    for value in (FACILITATOR_ROW["name"], FACILITATOR_ROW["email"]):
        assert value not in html
    assert len(people) == 7
    # Six learners: 3 female, 2 male, 1 not recorded: every group is below 5, so each shows "<5".
    rows = table_rows(html)
    assert set(rows) == {"female", "male", "not recorded"}
    assert all(row[0] == "&lt;5" for row in rows.values())
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
