"""Assessment validity (module standard): a pass must mean the learner can apply the module.

Every published module is checked; a module is checked as soon as content/modules.yaml marks it
published. The length and strategy rules apply to the graded assessment and to the formative quiz.
For the assessment, the test-wise strategies are also graded with real `nbgrader autograde`: one
submission per strategy, all graded in one run per module, scores read from nbgrader's gradebook.

The first tests check the checker itself on small made-up examples, so a broken check cannot pass
every module silently.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys

import pytest
import yaml

from toolkit_course import content, validity
from toolkit_course.assessment_notebook import fill_answers
from toolkit_course.validity import MAX_LENGTH_CUE_SHARE, MAX_LENGTH_RATIO, MAX_STRATEGY_SHARE, STRATEGIES, Question

PUBLISHED = content.published_slugs()
ASSESSED = content.assessed_slugs()


# ---------- The checker, on made-up examples ----------

def _q(qid: str, key: str, *texts: str, points: int = 1, prompt: str = "Which is right?") -> Question:
    return Question(qid, prompt, {chr(ord("a") + i): t for i, t in enumerate(texts)}, key, points)


def test_length_report_counts_keys_that_are_the_longest_option_and_ranks_ratios():
    questions = [_q("cued", "b", "short", "a much longer keyed option"),
                 _q("fair", "a", "the court", "the courts"),
                 _q("tie", "a", "twelve chars", "twelve chars")]
    report = validity.length_report(questions)
    assert (report.lettered, report.key_longest) == (3, 2)  # a tie for longest still points at the key
    assert report.ratios[0][0] == "cued" and report.over_limit == [("cued", report.ratios[0][1])]
    assert not report.cue_ok and not report.ratio_ok


def test_category_items_are_not_lettered_and_do_not_count_for_the_length_cue():
    category = Question("q5", "Which?", {"state": "the State's duty", "hrddp": "the UN policy on support"}, "hrddp")
    assert not category.lettered
    assert validity.length_report([category]).lettered == 0


def test_strategies_pick_by_length_position_and_overlap():
    question = _q("q", "c", "aa", "bbbbbbbb", "refugee status after interception", prompt="Is refugee status lost "
                  "after interception at sea?")
    assert validity.strategy_answer(question, "longest") == "c"
    assert validity.strategy_answer(question, "shortest") == "a"
    assert validity.strategy_answer(question, "always-b") == "b"
    assert validity.strategy_answer(question, "always-d") == "a"  # wraps round on a three-option item
    assert validity.strategy_answer(question, "most-overlap") == "c"
    two = Question("q6", "Type state or hrddp", {"state": "x", "hrddp": "yy"}, "hrddp")
    letters = [validity.strategy_answer(two, s) for s in ("always-a", "always-b", "always-c")]
    assert letters == ["state", "hrddp", "state"]


def test_strategy_points_follow_the_key_and_the_points():
    questions = [_q("q1", "b", "a", "longer", points=2), _q("q2", "a", "a", "longer", points=3)]
    points = validity.strategy_points(questions)
    assert points["longest"] == 2 and points["shortest"] == 3 and points["always-a"] == 3 and points["always-b"] == 2


def test_a_run_of_ten_shared_words_is_recall_and_nine_is_not():
    lesson = "Intro. States must protect the lives and safety of smuggled migrants at every stage of the journey."
    ten = "They must protect the lives and safety of smuggled migrants at every stage, says the court."
    nine = "They must protect the lives and safety of smuggled migrants today."
    assert validity.shared_runs(ten, validity.words(lesson)) == [
        "must protect the lives and safety of smuggled migrants at every stage"]
    assert validity.shared_runs(nine, validity.words(lesson)) == []


def _registry(*characters: dict, not_characters: tuple[str, ...] = ()) -> validity.Registry:
    return validity.Registry(list(characters), frozenset(not_characters), path=None)


def _text(slug: str, *passages: str) -> validity.ModuleText:
    return validity.ModuleText(slug, [(f"{slug} passage {i}", p) for i, p in enumerate(passages)])


def test_registry_check_finds_unregistered_names_and_ignores_ordinary_words():
    text = _text("05-prevention", "Joseph, 19, meets the Minister in Lagos.", "The minister agrees.")
    problems = validity.character_problems("05-prevention", text, _registry(not_characters=("Lagos",)),
                                           lowercase_words={"minister", "the", "agrees", "meets", "in"})
    assert len(problems) == 1 and "'Joseph'" in problems[0]


def test_registry_check_finds_a_name_reused_in_another_module_and_a_name_for_two_people():
    farid = {"name": "Farid", "modules": ["01-trafficking-and-smuggling"], "role": "man who pays a driver"}
    reused = validity.character_problems("05-prevention", _text("05-prevention", "Farid works at a port."),
                                         _registry(farid), lowercase_words=set())
    assert any("Farid appears here" in p for p in reused)
    twice = _registry(farid, {"name": "Farid", "modules": ["05-prevention"], "role": "port worker"})
    problems = validity.character_problems("05-prevention", _text("05-prevention", "Farid works at a port."),
                                           twice, lowercase_words=set())
    assert any("Farid names 2 different people" in p for p in problems)
    slug = "01-trafficking-and-smuggling"
    stale = validity.character_problems(slug, _text(slug, "No one."), _registry(farid), lowercase_words=set())
    assert any("does not appear" in p for p in stale)


def _write_module(root, quiz_options: list[list[tuple[str, bool]]]) -> None:
    """A throwaway content folder with one planned module and its quiz, for the CLI.

    The text is all lower case so that no word looks like a character's name.
    """
    (root / "schemas").mkdir(parents=True)
    for schema in (content.content_root() / "schemas").glob("*.yaml"):
        (root / "schemas" / schema.name).write_text(schema.read_text(encoding="utf-8"), encoding="utf-8")
    (root / "modules.yaml").write_text(yaml.safe_dump({"modules": [
        {"slug": "04-legislation", "title": "Legislation", "maps_to": "Tool 1.1", "status": "planned"}]}))
    (root / "characters.yaml").write_text("characters: []\nnot_characters: {}\n")
    questions = [{"id": f"q{n}", "prompt": "which is right?", "explanation": "because.", "source": "a source",
                  "options": [{"id": "abcd"[i], "text": text, "feedback": "because so.", "correct": ok}
                              for i, (text, ok) in enumerate(options)]}
                 for n, options in enumerate(quiz_options, start=1)]
    (root / "04-legislation").mkdir()
    (root / "04-legislation" / "quiz.yaml").write_text(yaml.safe_dump({"title": "quiz", "questions": questions}))


def test_cli_checks_a_planned_module_and_fails_on_a_length_cue(tmp_path):
    cued = [[("no", False), ("a clearly much longer right answer", True), ("never", False)]] * 3
    _write_module(tmp_path / "content", cued)
    result = subprocess.run([sys.executable, "-m", "toolkit_course.validity", "04-legislation"],
                            env={**os.environ, "TOOLKIT_COURSE_CONTENT": str(tmp_path / "content")},
                            capture_output=True, text=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "04-legislation (planned)" in result.stdout and "3 of 3 lettered items = 100%" in result.stdout
    assert "no content/04-legislation/assessment.yaml yet" in result.stdout


def test_cli_passes_a_module_without_cues_and_rejects_an_unknown_slug(tmp_path, monkeypatch, capsys):
    balanced = [[("the court may decide", k == 0), ("the state must act", k == 1), ("the officer decides", k == 2),
                 ("a judge may decide", k == 3)] for k in (0, 1, 2, 3, 2, 1)]
    _write_module(tmp_path / "content", balanced)
    monkeypatch.setenv("TOOLKIT_COURSE_CONTENT", str(tmp_path / "content"))
    assert validity.main(["04-legislation"]) == 0, capsys.readouterr().out
    assert validity.main(["99-nothing"]) == 2


# ---------- Every published module, from its content files ----------

@functools.cache
def _reports() -> dict[str, validity.ModuleReport]:
    return {r.slug: r for r in validity.check(PUBLISHED)}


def _worst(item_set: validity.ItemSetReport) -> str:
    return "; ".join(f"{q.id} ratio {r:.2f} ({validity.describe_item_lengths(q)})" for q, r in item_set.worst())


def _item_set(slug: str, kind: str) -> validity.ItemSetReport:
    report = _reports()[slug]
    item_set = getattr(report, kind)
    assert item_set is not None, f"{slug}: no usable content/{slug}/{kind}.yaml: {report.errors or 'file missing'}"
    return item_set


def _cue_message(slug: str, item_set: validity.ItemSetReport) -> str:
    longest = [q.id for q in item_set.questions if q.lettered and q.key_is_longest]
    return (f"{slug} {item_set.label}: the key is the longest option in {item_set.lengths.key_longest} of "
            f"{item_set.lengths.lettered} lettered items ({', '.join(longest)}); worst: {_worst(item_set)}")


@pytest.mark.parametrize("slug", ASSESSED)
def test_assessment_key_is_not_cued_by_length(slug):
    item_set = _item_set(slug, "assessment")
    assert item_set.lengths.share <= MAX_LENGTH_CUE_SHARE, _cue_message(slug, item_set)


@pytest.mark.parametrize("slug", ASSESSED)
def test_assessment_options_have_similar_lengths(slug):
    item_set = _item_set(slug, "assessment")
    assert not item_set.lengths.over_limit, (
        f"{slug} assessment: options differ by more than {MAX_LENGTH_RATIO}x in "
        f"{len(item_set.lengths.over_limit)} items; worst: {_worst(item_set)}")


@pytest.mark.parametrize("slug", PUBLISHED)
def test_quiz_key_is_not_cued_by_length(slug):
    item_set = _item_set(slug, "quiz")
    assert item_set.lengths.share <= MAX_LENGTH_CUE_SHARE, _cue_message(slug, item_set)


@pytest.mark.parametrize("slug", PUBLISHED)
def test_quiz_options_have_similar_lengths(slug):
    item_set = _item_set(slug, "quiz")
    assert not item_set.lengths.over_limit, (
        f"{slug} quiz: options differ by more than {MAX_LENGTH_RATIO}x in "
        f"{len(item_set.lengths.over_limit)} items; worst: {_worst(item_set)}")


@pytest.mark.parametrize("slug", PUBLISHED)
def test_no_test_wise_strategy_passes_the_quiz(slug):
    """Quizzes are not graded by nbgrader, so the strategies are scored against the key directly."""
    item_set = _item_set(slug, "quiz")
    assert item_set.total, f"{slug} quiz has no single-answer question"
    too_high = {s: f"{item_set.points[s]} of {item_set.total}" for s in item_set.failing_strategies}
    assert not too_high, f"{slug} quiz: strategies over {MAX_STRATEGY_SHARE:.0%} of the questions: {too_high}"


@pytest.mark.parametrize("slug", ASSESSED)
def test_assessment_options_do_not_repeat_the_lesson(slug):
    runs = _reports()[slug].verbatim
    assert not runs, f"{slug}: options share {validity.VERBATIM_RUN}+ words in a row with the lesson: " + "; ".join(
        f"{q} option {v}: \"{run}\"" for q, v, run in runs)


def test_character_registry_file_is_consistent():
    registry = validity.load_registry()
    assert registry.characters, "content/characters.yaml lists no character"
    assert validity.registry_file_problems(registry, {m["slug"] for m in content.modules()}) == []


@pytest.mark.parametrize("slug", PUBLISHED)
def test_every_character_is_registered_once_under_a_unique_name(slug):
    problems = _reports()[slug].characters
    assert not problems, f"{slug}:\n" + "\n".join(problems)


# ---------- Test-wise strategies graded by real nbgrader ----------

@pytest.fixture(scope="module")
def strategy_grades(scratch_course):
    """slug -> student -> auto-graded scores by item, for the key and every strategy in every assessed
    module, graded together in one `nbgrader autograde` run."""
    student_versions = scratch_course.release_all()
    submissions = {}
    for slug in ASSESSED:
        questions = validity.assessment_questions(content.load(slug, "assessment"))
        submissions[(slug, "key")] = fill_answers(student_versions[slug], {q.id: q.key for q in questions})
        for strategy in STRATEGIES:
            submissions[(slug, strategy)] = fill_answers(student_versions[slug],
                                                         validity.strategy_answers(questions, strategy))
    graded = scratch_course.autograde_all(submissions)

    def grade(slug: str) -> dict[str, dict[str, float]]:
        return {student: scores for (module, student), scores in graded.items() if module == slug}

    return grade


def _auto_graded_points(slug: str) -> int:
    return sum(item["points"] for item in content.load(slug, "assessment")["items"])


@pytest.mark.slow
@pytest.mark.parametrize("slug", ASSESSED)
def test_nbgrader_gives_the_key_full_marks(strategy_grades, slug):
    """The control: if grading broke and scored nothing, every strategy would pass trivially."""
    assert sum(strategy_grades(slug)["key"].values()) == _auto_graded_points(slug)


@pytest.mark.slow
@pytest.mark.parametrize("slug", ASSESSED)
def test_nbgrader_scores_match_the_scores_computed_from_the_key(strategy_grades, slug):
    questions = validity.assessment_questions(content.load(slug, "assessment"))
    expected = validity.strategy_points(questions)
    graded = {s: sum(strategy_grades(slug)[s].values()) for s in STRATEGIES}
    assert graded == expected


@pytest.mark.slow
@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("slug", ASSESSED)
def test_test_wise_strategy_fails_the_assessment(strategy_grades, slug, strategy):
    scores = strategy_grades(slug)[strategy]
    total = _auto_graded_points(slug)
    earned = sum(scores.values())
    credited = sorted(item for item, score in scores.items() if score)
    assert earned <= MAX_STRATEGY_SHARE * total, (
        f"{slug}: answering '{strategy}' earns {earned:g} of {total} auto-graded points "
        f"({earned / total:.0%} > {MAX_STRATEGY_SHARE:.0%}) under nbgrader; credited items: {', '.join(credited)}")
