"""The workshop's pre-test and post-test: graded like a module's assessment, never counted as a module.

The answer-key tests grade real submissions with nbgrader's own `autograde` in a scratch course, as
tests/test_assessments.py does for the modules. The parallel-forms simulation has its own file,
tests/test_parallel_forms.py.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from toolkit_course import assessment_notebook, content, validity

REPO = Path(__file__).resolve().parents[1]
TESTS = ("pre-test", "post-test")
RUN = 10  # words in a row that count as a repeated passage (the module standard's verbatim rule)


def _items(slug: str) -> list[dict]:
    return content.load(slug, "assessment")["items"]


def test_the_tests_are_gradable_but_are_not_course_modules():
    assert content.workshop_test_slugs() == list(TESTS)
    assert [s for s in content.gradable_slugs() if s in TESTS] == list(TESTS)
    # Not a module: not in the book's module list, not required for "the course" certificate.
    assert not set(TESTS) & set(content.published_slugs())
    assert not set(TESTS) & set(content.assessed_slugs())
    assert content.module_title("pre-test") == "Workshop pre-test"


@pytest.mark.parametrize("slug", TESTS)
def test_each_form_has_twelve_auto_graded_items_and_balanced_keys(slug):
    spec = content.load(slug, "assessment")
    assert len(spec["items"]) == 12
    assert spec["reflections"] == [] and not spec.get("computed"), "graded the moment it is handed in"
    assert all(set(item["options"]) == {"a", "b", "c", "d"} for item in spec["items"])
    assert Counter(item["answer"] for item in spec["items"]) == Counter({"a": 3, "b": 3, "c": 3, "d": 3})


@pytest.mark.parametrize("slug", TESTS)
def test_each_form_meets_the_assessment_validity_rules(slug):
    [report] = validity.check([slug])
    assert report.assessment is not None and len(report.assessment.questions) == 12
    assert report.failures() == []


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def _runs(text: str) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[i:i + RUN]) for i in range(len(words) - RUN + 1)}


def _module_item_text() -> list[tuple[str, str]]:
    """Every prompt and option of every module's assessment and quiz, with where it is."""
    found = []
    for slug in content.published_slugs():
        for item in content.load(slug, "assessment")["items"]:
            found += [(f"{slug} assessment {item['id']}", item["prompt"])]
            found += [(f"{slug} assessment {item['id']}", text) for text in item["options"].values()]
        if content.module_path(slug, "quiz").exists():
            for question in content.load(slug, "quiz")["questions"]:
                found += [(f"{slug} quiz {question['id']}", question["prompt"])]
                found += [(f"{slug} quiz {question['id']}", option.get("text", "")) for option in question["options"]]
    return found


def test_no_item_reuses_a_module_quiz_or_assessment_item():
    module_runs = {}
    for where, text in _module_item_text():
        for run in _runs(text):
            module_runs.setdefault(run, where)
    for slug in TESTS:
        for item in _items(slug):
            for text in [item["prompt"], *item["options"].values()]:
                shared = [(module_runs[r], " ".join(r)) for r in _runs(text) if r in module_runs]
                assert not shared, f"{slug} {item['id']} repeats {shared[0][0]}: \"{shared[0][1]}\""


def test_the_two_forms_share_no_case_or_option():
    """Twins may share a question stem ("What should the prosecutor do first?"), never a case or an option."""
    pre = {text for item in _items("pre-test") for text in [item["prompt"], *item["options"].values()]}
    post = {text for item in _items("post-test") for text in [item["prompt"], *item["options"].values()]}
    assert not pre & post
    for twin_a, twin_b in zip(_items("pre-test"), _items("post-test")):
        case_a = twin_a["prompt"].split("?")[0].rsplit(".", 1)[0]  # the case, without the closing question
        case_b = twin_b["prompt"].split("?")[0].rsplit(".", 1)[0]
        assert not _runs(case_a) & _runs(case_b), (twin_a["id"], twin_b["id"])
    options_a = set().union(*(_runs(o) for item in _items("pre-test") for o in item["options"].values()))
    assert not options_a & set().union(*(_runs(o) for item in _items("post-test") for o in item["options"].values()))


@pytest.mark.parametrize("slug", TESTS)
def test_solution_notebook_and_student_version_are_up_to_date(slug):
    committed = assessment_notebook.solution_path(REPO, slug).read_text(encoding="utf-8")
    assert committed == assessment_notebook.render_text(slug), f"solutions/{slug} is stale: run `make release`"
    text = (REPO / "exercises" / slug / assessment_notebook.notebook_name(slug)).read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text and "assert" not in text
    for item in _items(slug):
        assert f'{item["variable"]} = \\"{item["answer"]}\\"' not in text


@pytest.mark.parametrize("slug", TESTS)
def test_the_student_version_says_it_is_a_workshop_test(slug):
    cells = json.loads((REPO / "exercises" / slug / assessment_notebook.notebook_name(slug))
                       .read_text(encoding="utf-8"))["cells"]
    first = "".join(cells[0]["source"])
    assert "all marked automatically" in first and "reflection" not in first.lower()
    assert "course certificate" in first


# ---------- The answer key is honest, checked through nbgrader's real autograde ----------

def _wrong(item: dict) -> str:
    return next(value for value in item["options"] if value != item["answer"])


@pytest.fixture(scope="module")
def graded(make_scratch_course):
    course = make_scratch_course()
    scores = {}
    for slug in TESTS:
        student_nb = course.release(slug)
        items = _items(slug)
        submissions = {
            "solution": nbformat.read(course.root / "solutions" / slug / assessment_notebook.notebook_name(slug),
                                      as_version=4),
            "untouched": student_nb,
            "key": assessment_notebook.fill_answers(student_nb, {i["id"]: i["answer"] for i in items}),
            "all-wrong": assessment_notebook.fill_answers(student_nb, {i["id"]: _wrong(i) for i in items}),
        }
        for item in items:
            submissions[f"only-{item['id']}"] = assessment_notebook.fill_answers(
                student_nb, {i["id"]: _wrong(i) for i in items} | {item["id"]: item["answer"]})
        scores[slug] = course.autograde(slug, submissions)
    return scores


@pytest.mark.slow
@pytest.mark.parametrize("slug", TESTS)
def test_the_key_scores_full_marks_and_wrong_answers_score_zero(graded, slug):
    full = sum(item["points"] for item in _items(slug))
    assert full == 12
    assert sum(graded[slug]["solution"].values()) == full
    assert sum(graded[slug]["key"].values()) == full
    assert sum(graded[slug]["untouched"].values()) == 0
    assert sum(graded[slug]["all-wrong"].values()) == 0


@pytest.mark.slow
@pytest.mark.parametrize("slug", TESTS)
def test_exactly_one_right_answer_scores_exactly_that_items_point(graded, slug):
    for item in _items(slug):
        scores = graded[slug][f"only-{item['id']}"]
        assert scores[item["id"]] == item["points"], f"{slug} {item['id']} not credited"
        assert sum(scores.values()) == item["points"], f"{slug}: answering only {item['id']} scored {scores}"


# ---------- The book's three agendas (content/workshops/agendas/), as the workshop report reads them ----------

AGENDAS = {"half-day": 210, "one-day": 510, "three-day-tot": None}


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return 60 * int(hours) + int(minutes)


@pytest.mark.parametrize("name", AGENDAS)
def test_each_agenda_is_timed_without_gaps_or_overlaps_and_names_real_modules(name):
    from toolkit_course.grading import workshop_inputs

    agenda = workshop_inputs.read_agenda(name)  # refuses a module slug that does not exist
    by_day: dict[int, list[dict]] = {}
    for session in agenda.sessions:
        by_day.setdefault(session.get("day", 1), []).append(session)
    for day, sessions in by_day.items():
        for before, after in zip(sessions, sessions[1:]):
            assert _minutes(before["start"]) + before["minutes"] == _minutes(after["start"]), (name, day, after)
    if AGENDAS[name]:
        assert sum(s["minutes"] for s in agenda.sessions) == AGENDAS[name]
    titles = " ".join(s["title"] for s in agenda.sessions)
    assert "Pre-test" in titles and "Post-test" in titles and "Evaluation form" in titles


def test_the_training_of_trainers_covers_every_module():
    from toolkit_course.grading import workshop_inputs

    covered = {slug for s in workshop_inputs.read_agenda("three-day-tot").sessions for slug in s.get("modules", [])}
    assert covered == set(content.published_slugs())


# ---------- The book's workshop pages agree with the code, and never show the tests' questions ----------

BOOK = REPO / "book" / "workshop"


def test_the_evaluation_template_is_what_the_report_reads():
    from toolkit_course.grading import workshop_inputs

    template = BOOK / "evaluation-template.csv"
    assert template.read_text(encoding="utf-8").splitlines()[0].split(",") == list(workshop_inputs.EVALUATION_COLUMNS)
    assert workshop_inputs.read_evaluations(template).forms == 0
    form = (BOOK / "evaluation-form.md").read_text(encoding="utf-8")
    for question in workshop_inputs.EVALUATION_QUESTIONS:
        assert f"`{question}`" in form


def test_the_book_lists_every_category_the_roster_accepts():
    from toolkit_course.grading import roster

    page = (BOOK / "tests-and-evaluation.md").read_text(encoding="utf-8")
    for category in (*roster.SEX_CATEGORIES, *roster.PROFESSIONS):
        assert f"`{category}`" in page, category
    assert "Prefers not to say\" is an answer, not a gap" in page


def test_the_book_never_shows_a_test_question_or_its_explanation():
    pages = " ".join(" ".join(p.read_text(encoding="utf-8").split()) for p in BOOK.glob("*.md"))
    for slug in TESTS:
        for item in _items(slug):
            for text in (item["prompt"], item["explanation"], *item["options"].values()):
                first_line = " ".join(text.strip().splitlines()[0].split())
                assert first_line not in pages, (slug, item["id"])
