"""A workshop's scope: every command acts on the cohort's modules, never on modules nobody took.

Issue 12, item 1: `autograde` with no module added every assessed module to the gradebook; then
certify refused everyone ("not submitted"), the report showed 0% and empty charts, and export wrote
empty module files. Graded here by real nbgrader in a scratch copy of the course.
"""

from __future__ import annotations

import json

import pytest
from nbgrader.api import Gradebook

from toolkit_course import cli, content
from toolkit_course.grading import autograde, cohort_settings, results
from toolkit_course.grading.nbgrader_run import ensure_assignment

from .conftest import answer_key, answered, submit

pytestmark = pytest.mark.slow

LEARNERS = ("amina01", "bruno02", "chen03")


def hand_in(course, slug, learners=LEARNERS) -> None:
    for learner in learners:
        submit(course, learner, slug, answered(course, slug, answer_key(slug)))


def assignments_in_gradebook(course) -> set[str]:
    with Gradebook(course.db_url) as gradebook:
        return {assignment.name for assignment in gradebook.assignments}


def test_autograde_without_a_module_grades_only_the_submitted_modules(course, slug):
    hand_in(course, slug)
    report = autograde.autograde(course, progress=False)
    # The other modules were not added to the gradebook: nothing can report them as "not submitted".
    assert assignments_in_gradebook(course) == {slug}
    assert sorted(job.learner for job in report.graded) == sorted(LEARNERS)
    assert report.modules == [slug] and report.lines()[0] == f"modules: {slug}"


def test_autograde_follows_the_modules_set_in_cohort_yaml(course, slug, second_module):
    hand_in(course, slug)
    hand_in(course, second_module, LEARNERS[:1])
    cohort_settings.save_settings(course, cohort_settings.CohortSettings(modules=(second_module,)))
    report = autograde.autograde(course, progress=False)
    assert report.modules == [second_module] and report.outside_cohort == [slug]
    assert [job.learner for job in report.graded] == [LEARNERS[0]]
    assert assignments_in_gradebook(course) == {second_module}
    assert any(line.startswith(f"not graded: {slug} has submissions but is not one of this cohort's modules")
               for line in report.lines())
    # Naming a module still grades it, whatever the cohort says.
    named = autograde.autograde(course, [slug], progress=False)
    assert sorted(job.learner for job in named.graded) == sorted(LEARNERS)


def write_rule(path, **settings):
    rule = {"course_title": "Test course", "facilitator": "Farah Haddad", "required_modules": "all",
            "require_hand_grading_complete": False, **settings}
    path.write_text(json.dumps(rule), encoding="utf-8")
    return path


def test_report_export_and_certify_use_only_the_cohorts_modules(course, slug, second_module, tmp_path, capsys):
    hand_in(course, slug)
    autograde.autograde(course, [slug], progress=False)
    # What the old `autograde` with no module left behind: another module in the gradebook, with no submission.
    ensure_assignment(course, second_module)
    assert second_module in assignments_in_gradebook(course)

    cohort = results.load_cohort(course.root, course.workspace)
    assert [module.slug for module in cohort.modules] == [slug]

    where = ["--course", str(course.root), "--workspace", str(course.workspace)]
    assert cli.main(["export", *where, "--out", str(tmp_path / "exports")]) == 0
    written = sorted(path.name for path in (tmp_path / "exports").iterdir())
    assert f"{slug}.csv" in written and f"{second_module}.csv" not in written
    assert second_module not in (tmp_path / "exports" / "overall.csv").read_text(encoding="utf-8-sig")

    assert cli.main(["report", *where, "--out", str(tmp_path / "report.html")]) == 0
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert content.module_title(slug) in page and content.module_title(second_module) not in page

    assert cli.main(["keygen", "--out", str(tmp_path / "fac.pem")]) == 0
    capsys.readouterr()
    assert cli.main(["certify", *where, "--key", str(tmp_path / "fac.pem"), "--rules",
                     str(write_rule(tmp_path / "rule.yaml")), "--out", str(tmp_path / "certs")]) == 0
    out = capsys.readouterr().out
    assert "3 issued" in out and "not submitted" not in out


def test_modules_set_in_cohort_yaml_are_the_scope_even_before_anyone_submits(course, slug, second_module):
    hand_in(course, slug)
    autograde.autograde(course, [slug], progress=False)
    cohort_settings.save_settings(course, cohort_settings.CohortSettings(modules=(second_module, slug)))
    cohort = results.load_cohort(course.root, course.workspace)
    # In course order; the module nobody handed in yet is in scope, since the workshop says it covers it.
    assert [module.slug for module in cohort.modules] == [s for s in content.assessed_slugs()
                                                          if s in (slug, second_module)]
    assert all(cohort.status(learner, second_module) == results.MISSING for learner in LEARNERS)


def test_cohort_command_sets_and_shows_the_settings(course, slug, second_module, capsys):
    where = ["--workspace", str(course.workspace)]
    assert cli.main(["cohort", *where]) == 0
    assert "not set, so the modules that have submissions" in capsys.readouterr().out
    assert cli.main(["cohort", *where, "--modules", slug[:2], second_module, "--show-correct-answers", "no"]) == 0
    shown = capsys.readouterr().out
    assert f"  {slug}  ({content.module_title(slug)})" in shown
    assert "show correct answers in feedback: no" in shown
    settings = cohort_settings.load_settings(course)
    assert settings.modules == (slug, second_module) and settings.show_correct_answers is False
    assert cli.main(["cohort", *where, "--modules", "99"]) == 2
    assert "'99' is not an assessed module" in capsys.readouterr().err
    assert cohort_settings.load_settings(course).modules == (slug, second_module)  # a bad command changes nothing
    assert cli.main(["cohort", *where, "--modules", "submitted"]) == 0
    assert cohort_settings.load_settings(course) == cohort_settings.CohortSettings(show_correct_answers=False)


def test_a_cohort_yaml_naming_an_unknown_module_is_a_clear_error(course):
    cohort_settings.settings_path(course).write_text("modules: [99-not-a-module]\n", encoding="utf-8")
    with pytest.raises(cohort_settings.CohortSettingsError, match=r"cohort.yaml: modules: '99-not-a-module' is not"):
        cohort_settings.load_settings(course)
