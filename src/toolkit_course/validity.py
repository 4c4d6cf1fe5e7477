"""Assessment validity: can a module's questions be answered without reading the module?

The module standard ("Assessment validity") asks for four things that can be computed from the
content files alone, so they are computed here, once, for the CLI and for tests/test_validity.py:

- no length cue: the key is the longest option in at most 40% of an item set's lettered items, and
  the options of one item stay within about 1.5 times each other's length;
- no test-wise pass: answering by a rule that ignores the content (always the longest option, the
  shortest, always "a", "b", "c" or "d", the option sharing most words with the question) earns at most
  40% of the auto-graded points;
- no recognition from the lesson: no assessment option shares a run of 10 or more words with the
  module's lesson;
- one person, one name: every fictional character is in content/characters.yaml, once, with the
  modules that person appears in.

Scores here are computed from the answer key. tests/test_validity.py grades the same strategies with
real `nbgrader autograde` as well; the strategies' answers come from `strategy_answers` below, so the
two can never drift apart.

Run it while writing a module (it also works on a module that is still "planned"):

    .venv/bin/python -m toolkit_course.validity 04-legislation

Exit status: 0 when every rule holds, 1 when any fails, 2 when a slug is unknown.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import content
from .content import ContentError

MAX_LENGTH_CUE_SHARE = 0.40  # the key is the longest option in at most this share of lettered items
MAX_LENGTH_RATIO = 1.5  # longest option / shortest option, within one item
MAX_STRATEGY_SHARE = 0.40  # share of auto-graded points a content-blind strategy may earn
VERBATIM_RUN = 10  # words in a row shared with the lesson that count as recall
WORST_SHOWN = 5

LETTER_STRATEGIES = ("always-a", "always-b", "always-c", "always-d")
STRATEGIES = ("longest", "shortest", *LETTER_STRATEGIES, "most-overlap")

# Words that carry no content, left out when counting the words an option shares with its question.
# A short fixed list on purpose: function words only, never topic words.
STOPWORDS = frozenset("""
a an and are as at be because been but by can could did do does for from had has have he her him his
how i if in into is it its may might must no not of on or our she should so than that the their them
then there these they this those to under was we were what when where which who whom why will with
would you your
""".split())


# ---------- The questions, in one shape for assessments and quizzes ----------

@dataclass(frozen=True)
class Question:
    """One single-answer question: options in the order the learner sees them, and its key."""

    id: str
    prompt: str
    options: dict[str, str]  # the value the learner gives -> the text the learner reads
    key: str
    points: int = 1

    @property
    def lettered(self) -> bool:
        """Lettered items ("a", "b", ...) are the ones an item writer words freely, so length can cue them.

        Items answered with a category ("smuggling", "state") show a fixed set of labels instead.
        """
        return all(re.fullmatch(r"[a-z]", value) for value in self.options)

    def length(self, value: str) -> int:
        return len(" ".join(self.options[value].split()))

    @property
    def length_ratio(self) -> float:
        lengths = [self.length(v) for v in self.options]
        return max(lengths) / max(min(lengths), 1)

    @property
    def key_is_longest(self) -> bool:
        """True when no option is longer than the key (a tie for longest still points at the key)."""
        return self.length(self.key) >= max(self.length(v) for v in self.options)


def assessment_questions(spec: dict) -> list[Question]:
    return [Question(item["id"], item["prompt"], dict(item["options"]), item["answer"], item["points"])
            for item in spec["items"]]


def quiz_questions(spec: dict) -> tuple[list[Question], list[str]]:
    """The quiz's single-answer questions, and the ids of multiple-answer ones (which have no single key)."""
    single, multiple = [], []
    for question in spec["questions"]:
        if question.get("multiple"):
            multiple.append(question["id"])
            continue
        key = next(o["id"] for o in question["options"] if o.get("correct"))
        single.append(Question(question["id"], question["prompt"],
                               {o["id"]: o["text"] for o in question["options"]}, key))
    return single, multiple


# ---------- Length cue ----------

@dataclass(frozen=True)
class LengthReport:
    lettered: int
    key_longest: int
    ratios: list[tuple[str, float]]  # (question id, longest/shortest), worst first
    over_limit: list[tuple[str, float]]

    @property
    def share(self) -> float:
        return self.key_longest / self.lettered if self.lettered else 0.0

    @property
    def cue_ok(self) -> bool:
        return self.share <= MAX_LENGTH_CUE_SHARE

    @property
    def ratio_ok(self) -> bool:
        return not self.over_limit


def length_report(questions: Iterable[Question]) -> LengthReport:
    lettered = [q for q in questions if q.lettered]
    ratios = sorted(((q.id, q.length_ratio) for q in lettered), key=lambda pair: -pair[1])
    return LengthReport(lettered=len(lettered), key_longest=sum(q.key_is_longest for q in lettered),
                        ratios=ratios, over_limit=[(i, r) for i, r in ratios if r > MAX_LENGTH_RATIO])


def describe_item_lengths(question: Question) -> str:
    """'key d 268 chars; others 52-68' for a report line."""
    others = [question.length(v) for v in question.options if v != question.key]
    return f"key {question.key} {question.length(question.key)} chars; others {min(others)}-{max(others)}"


# ---------- Test-wise strategies ----------

def words(text: str) -> list[str]:
    """Lower-case words without markdown, punctuation or URLs, for comparing texts."""
    text = re.sub(r"https?://\S+", " ", text.replace("’", "'"))
    return re.findall(r"[a-z0-9]+", text.lower())


def _overlap(question: Question, value: str) -> int:
    prompt = set(words(question.prompt)) - STOPWORDS
    return len(prompt & (set(words(question.options[value])) - STOPWORDS))


def strategy_answer(question: Question, strategy: str) -> str:
    """The value a learner who follows `strategy` gives. Ties go to the option shown first.

    "always-c" takes the third option; on an item with fewer options it wraps round (the first of
    two), so a strategy always gives an allowed answer and is never scored down for a typo.
    """
    values = list(question.options)
    if strategy == "longest":
        return max(values, key=question.length)
    if strategy == "shortest":
        return min(values, key=question.length)
    if strategy in LETTER_STRATEGIES:
        position = "abcd".index(strategy[-1])
        return values[position % len(values)]
    if strategy == "most-overlap":
        return max(values, key=lambda v: _overlap(question, v))
    raise ValueError(f"unknown strategy '{strategy}'; expected one of {', '.join(STRATEGIES)}")


def strategy_answers(questions: Iterable[Question], strategy: str) -> dict[str, str]:
    return {q.id: strategy_answer(q, strategy) for q in questions}


def strategy_points(questions: list[Question]) -> dict[str, int]:
    """Points each strategy earns, scored against the key."""
    return {s: sum(q.points for q in questions if strategy_answer(q, s) == q.key) for s in STRATEGIES}


# ---------- Verbatim recall ----------

def lesson_markdown(slug: str) -> str | None:
    path = content.content_root().parent / "notebooks" / f"{slug}.ipynb"
    if not path.exists():
        return None
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (ValueError, KeyError) as exc:
        raise ContentError(path, "", f"not a readable notebook ({exc})") from None
    return "\n\n".join(_source(c) for c in cells if c.get("cell_type") == "markdown")


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def shared_runs(text: str, lesson_words: list[str], length: int = VERBATIM_RUN) -> list[str]:
    """Every longest run of `length` or more words that `text` shares, in order, with the lesson."""
    grams = {tuple(lesson_words[i:i + length]) for i in range(len(lesson_words) - length + 1)}
    option = words(text)
    hits = [i for i in range(len(option) - length + 1) if tuple(option[i:i + length]) in grams]
    runs: list[str] = []
    start = previous = None
    for i in hits + [None]:
        if start is not None and (i is None or i != previous + 1):
            runs.append(" ".join(option[start:previous + length]))
            start = None
        if i is not None and start is None:
            start = i
        previous = i
    return runs


def verbatim_runs(questions: Iterable[Question], lesson: str) -> list[tuple[str, str, str]]:
    """(question id, option value, shared run) for every option that repeats the lesson."""
    lesson_words = words(lesson)
    return [(q.id, value, run) for q in questions for value, text in q.options.items()
            for run in shared_runs(text, lesson_words)]


# ---------- Character registry ----------

NON_PROSE_KEYS = frozenset({"id", "variable", "answer", "next", "start", "classification", "category",
                            "source", "theme"})
CITATION_KEYS = frozenset({"source"})
_CLEAN = re.compile(r"```.*?```|https?://\S+|<[^>\s]*>|`[^`]*`|\]\([^)]*\)", re.S)
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


@dataclass
class ModuleText:
    """The prose of one module where a character could be named, and its citations."""

    slug: str
    passages: list[tuple[str, str]] = field(default_factory=list)  # (where, text)
    citations: list[str] = field(default_factory=list)


def _yaml_strings(node, where: str, in_citation: bool = False) -> Iterator[tuple[str, str, bool]]:
    """Every string in a content file, with where it is ("questions[focus].options[b].text")."""
    if isinstance(node, dict):
        if isinstance(node.get("id"), str) and where:
            where = f"{where}[{node['id']}]"
        for key, value in node.items():
            label = f"{where}.{key}" if where else str(key)
            if key in CITATION_KEYS:
                yield from _yaml_strings(value, label, True)
            elif key not in NON_PROSE_KEYS:
                yield from _yaml_strings(value, label, in_citation)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            named = isinstance(value, dict) and isinstance(value.get("id"), str)
            yield from _yaml_strings(value, where if named else f"{where}[{index}]", in_citation)
    elif isinstance(node, str):
        yield where, node, in_citation


def module_text(slug: str) -> ModuleText:
    """Lesson markdown, every content file's prose fields and the facilitator notes of one module."""
    root = content.content_root()
    text = ModuleText(slug)
    for kind in content.KINDS:
        path = content.module_path(slug, kind)
        if not path.exists():
            continue
        for where, string, is_citation in _yaml_strings(content.load(slug, kind), ""):
            if is_citation:
                text.citations.append(string)
            else:
                text.passages.append((f"content/{slug}/{kind}.yaml: {where}", string))
    notebook = root.parent / "notebooks" / f"{slug}.ipynb"
    if notebook.exists():
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            if cell.get("cell_type") != "markdown":
                continue
            source = _source(cell)
            # The sources list names authors, publishers and places: citations, not characters.
            if re.search(r"^#+\s*Sources", source, re.M):
                text.citations.append(source)
            else:
                text.passages.append((f"notebooks/{slug}.ipynb: cell {index}", source))
    notes = root.parent / "book" / "facilitator" / f"{slug}.md"
    if notes.exists():
        for number, line in enumerate(notes.read_text(encoding="utf-8").splitlines(), start=1):
            text.passages.append((f"book/facilitator/{slug}.md: line {number}", line))
    return text


def tokens(text: str) -> list[str]:
    """Word tokens, possessive "'s" removed (Samira's -> Samira), hyphenated words split."""
    return [re.sub(r"['’]s$", "", t) for t in _TOKEN.findall(_CLEAN.sub(" ", text))]


def _looks_like_a_name(token: str) -> bool:
    """Capitalised, not an acronym: "Samira", "McAdam"; not "UNODC", "the"."""
    return len(token) > 1 and token[0].isupper() and any(ch.islower() for ch in token)


@dataclass(frozen=True)
class Registry:
    characters: list[dict]
    not_characters: frozenset[str]
    path: Path

    def entries(self, name: str) -> list[dict]:
        return [c for c in self.characters if c["name"] == name]

    @property
    def names(self) -> set[str]:
        return {c["name"] for c in self.characters}


def registry_path() -> Path:
    return content.content_root() / "characters.yaml"


def load_registry() -> Registry:
    path = registry_path()
    data = content.load_file(path, "characters")
    words_ = frozenset(w for group in data["not_characters"].values() for w in group)
    return Registry(characters=data["characters"], not_characters=words_, path=path)


def registry_file_problems(registry: Registry, known_slugs: set[str]) -> list[str]:
    """Problems of the registry file itself, independent of any module's text."""
    problems = []
    for entry in registry.characters:
        for slug in entry["modules"]:
            if slug not in known_slugs:
                problems.append(f"{entry['name']}: module '{slug}' is not in content/modules.yaml")
        if entry["name"] in registry.not_characters:
            problems.append(f"{entry['name']}: listed both as a character and under not_characters")
    return problems


def _find(name: str, passages: list[tuple[str, str]]) -> list[str]:
    pattern = re.compile(rf"(?<![^\W\d_]){re.escape(name)}(?![^\W\d_])")
    return [where for where, text in passages if pattern.search(_CLEAN.sub(" ", text))]


def character_problems(slug: str, text: ModuleText, registry: Registry, lowercase_words: set[str]) -> list[str]:
    """Registry problems that concern one module.

    lowercase_words: every word that appears in lower case anywhere in the course's text; a
    capitalised word that also appears in lower case ("Toolkit"/"toolkit") is an ordinary word.
    """
    problems = []
    # One person, one name: a name registered for two people fails in every module involved.
    for name in sorted(registry.names):
        entries = registry.entries(name)
        if len(entries) > 1 and any(slug in e["modules"] for e in entries):
            people = "; ".join(f"{', '.join(e['modules'])}: {e['role']}" for e in entries)
            problems.append(f"{name} names {len(entries)} different people ({people})")
    for name in sorted(registry.names):
        registered_here = any(slug in e["modules"] for e in registry.entries(name))
        found = _find(name, text.passages)
        if found and not registered_here:
            modules = sorted({m for e in registry.entries(name) for m in e["modules"]})
            problems.append(f"{name} appears here ({_places(found)}) but is registered for {', '.join(modules)} "
                            f"only: choose a name no other module uses, or add {slug} to that character's "
                            "modules if it is the same person")
        if registered_here and not found:
            problems.append(f"{name} is registered for {slug} but does not appear in it: "
                            "update content/characters.yaml")
    citation_words = {t for c in text.citations for t in tokens(c)}
    unregistered: dict[str, list[str]] = defaultdict(list)
    for where, passage in text.passages:
        for token in tokens(passage):
            if (_looks_like_a_name(token) and token.lower() not in lowercase_words
                    and token not in registry.names and token not in registry.not_characters
                    and token not in citation_words and where not in unregistered[token]):
                unregistered[token].append(where)
    for token in sorted(unregistered):
        problems.append(f"'{token}' looks like a personal name but is not in content/characters.yaml "
                        f"({_places(unregistered[token])}): add it under characters, or under "
                        "not_characters if it is a place, organisation, author or ordinary word")
    return problems


def _places(found: list[str], shown: int = 3) -> str:
    more = f" and {len(found) - shown} more" if len(found) > shown else ""
    return "; ".join(found[:shown]) + more


def lowercase_vocabulary(texts: Iterable[ModuleText]) -> set[str]:
    return {t for text in texts for _, passage in text.passages for t in tokens(passage) if t.islower()}


# ---------- One module's report ----------

@dataclass
class ItemSetReport:
    """Length cue and strategies for one set of questions (an assessment or a quiz)."""

    label: str
    questions: list[Question]
    lengths: LengthReport
    points: dict[str, int]
    not_counted: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(q.points for q in self.questions)

    def share(self, strategy: str) -> float:
        return self.points[strategy] / self.total if self.total else 0.0

    @property
    def failing_strategies(self) -> list[str]:
        return [s for s in STRATEGIES if self.share(s) > MAX_STRATEGY_SHARE]

    def worst(self, limit: int = WORST_SHOWN) -> list[tuple[Question, float]]:
        by_id = {q.id: q for q in self.questions}
        return [(by_id[i], r) for i, r in self.lengths.ratios[:limit]]

    def failures(self) -> list[str]:
        found = []
        if not self.lengths.cue_ok:
            lengths = self.lengths
            found.append(f"{self.label}: key is the longest option in {lengths.key_longest} of {lengths.lettered} "
                         f"lettered items ({lengths.share:.0%} > {MAX_LENGTH_CUE_SHARE:.0%})")
        if not self.lengths.ratio_ok:
            items = ", ".join(f"{i} {r:.2f}" for i, r in self.lengths.over_limit)
            found.append(f"{self.label}: option lengths differ by more than {MAX_LENGTH_RATIO}x in {items}")
        for strategy in self.failing_strategies:
            found.append(f"{self.label}: strategy '{strategy}' earns {self.points[strategy]} of {self.total} points "
                         f"({self.share(strategy):.0%} > {MAX_STRATEGY_SHARE:.0%})")
        return found


def item_set_report(label: str, questions: list[Question], not_counted: list[str] | None = None) -> ItemSetReport:
    return ItemSetReport(label, questions, length_report(questions), strategy_points(questions), not_counted or [])


@dataclass
class ModuleReport:
    slug: str
    status: str
    assessment: ItemSetReport | None = None
    quiz: ItemSetReport | None = None
    categories: list[str] = field(default_factory=list)  # informational lines on sorters and case cards
    verbatim: list[tuple[str, str, str]] = field(default_factory=list)
    characters: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def failures(self) -> list[str]:
        found = list(self.errors)
        for item_set in (self.assessment, self.quiz):
            if item_set:
                found += item_set.failures()
        found += [f"assessment {q} option {v} repeats the lesson: \"{run}\"" for q, v, run in self.verbatim]
        found += [f"characters: {p}" for p in self.characters]
        return found


def _category_balance(label: str, keys: list[str]) -> str:
    counts = Counter(keys)
    top, count = counts.most_common(1)[0]
    spread = ", ".join(f"{k} {n}" for k, n in counts.most_common())
    return (f"{label}: {len(keys)} items sorted into fixed categories ({spread}); always answering "
            f"'{top}' gets {count} of {len(keys)} ({count / len(keys):.0%}). Not a lettered quiz, so the length "
            "rules do not apply.")


def check_module(slug: str, status: str, registry: Registry | None, lowercase_words: set[str],
                 text: ModuleText | None) -> ModuleReport:
    report = ModuleReport(slug, status)
    assessment_items: list[Question] = []
    for kind in ("assessment", "quiz", "cases", "sorter"):
        if not content.module_path(slug, kind).exists():
            if kind == "assessment" or (kind == "quiz" and slug not in content.WORKSHOP_TESTS):
                report.notes.append(f"no content/{slug}/{kind}.yaml yet")
            continue
        try:
            data = content.load(slug, kind)
        except ContentError as exc:
            report.errors.append(str(exc))
            continue
        if kind == "assessment":
            assessment_items = assessment_questions(data)
            report.assessment = item_set_report("assessment", assessment_items)
        elif kind == "quiz":
            single, multiple = quiz_questions(data)
            report.quiz = item_set_report("quiz", single, multiple)
        elif kind == "cases":
            report.categories.append(_category_balance("case cards", [c["classification"] for c in data["cases"]]))
        else:
            report.categories.append(_category_balance("sorter", [i["category"] for i in data["items"]]))
    try:
        lesson = course_lessons_markdown() if slug in content.WORKSHOP_TESTS else lesson_markdown(slug)
    except ContentError as exc:
        report.errors.append(str(exc))
        lesson = None
    if lesson is None:
        report.notes.append(f"no notebooks/{slug}.ipynb yet: verbatim recall not checked")
    elif assessment_items:
        report.verbatim = verbatim_runs(assessment_items, lesson)
    if registry is not None and text is not None:
        report.characters = character_problems(slug, text, registry, lowercase_words)
    return report


def course_lessons_markdown() -> str:
    """Every published lesson's text: a workshop test covers the whole course, so none of it may be recalled."""
    return "\n\n".join(text for slug in content.published_slugs() if (text := lesson_markdown(slug)))


def check(slugs: list[str] | None = None) -> list[ModuleReport]:
    """Reports for the named modules (any status) or workshop tests, or for every published module."""
    statuses = {m["slug"]: m["status"] for m in content.modules()}
    statuses.update({slug: "workshop test" for slug in content.workshop_test_slugs()})
    slugs = slugs or [s for s, status in statuses.items() if status == "published"]
    unknown = [s for s in slugs if s not in statuses]
    if unknown:
        raise ValueError(f"unknown module {', '.join(unknown)}; modules are listed in content/modules.yaml")
    # Lower-case words come from every published module as well as the ones checked, so that a
    # word's ordinary use anywhere in the course clears it.
    texts: dict[str, ModuleText] = {}
    text_errors: dict[str, str] = {}
    for slug in dict.fromkeys([*slugs, *(s for s, st in statuses.items() if st == "published")]):
        try:
            texts[slug] = module_text(slug)
        except ContentError as exc:
            text_errors[slug] = str(exc)
    lowercase_words = lowercase_vocabulary(texts.values())
    registry, registry_error = None, None
    try:
        registry = load_registry()
    except ContentError as exc:
        registry_error = str(exc)
    reports = []
    for slug in slugs:
        report = check_module(slug, statuses[slug], registry, lowercase_words, texts.get(slug))
        if registry_error:
            report.errors.append(registry_error)
        else:
            report.characters = registry_file_problems(registry, set(statuses)) + report.characters
        if slug in text_errors and text_errors[slug] not in report.errors:
            report.errors.append(text_errors[slug])
        reports.append(report)
    return reports


# ---------- Plain-text report and CLI ----------

def _flag(ok: bool) -> str:
    return "ok" if ok else "FAIL"


def _item_set_lines(item_set: ItemSetReport, points_word: str) -> list[str]:
    lengths = item_set.lengths
    lines = [f"  {item_set.label.capitalize()}: {len(item_set.questions)} single-answer items, "
             f"{item_set.total} {points_word}; {lengths.lettered} lettered"]
    if item_set.not_counted:
        lines.append(f"    multiple-answer questions not counted: {', '.join(item_set.not_counted)}")
    lines.append(f"    length cue: key is the longest option in {lengths.key_longest} of {lengths.lettered} "
                 f"lettered items = {lengths.share:.0%} (limit {MAX_LENGTH_CUE_SHARE:.0%})  {_flag(lengths.cue_ok)}")
    lines.append(f"    option length ratio, longest/shortest (limit {MAX_LENGTH_RATIO}): "
                 f"{len(lengths.over_limit)} items over  {_flag(lengths.ratio_ok)}")
    for question, ratio in item_set.worst():
        marker = "  over" if ratio > MAX_LENGTH_RATIO else ""
        lines.append(f"      {question.id:<22} {ratio:5.2f}  ({describe_item_lengths(question)}){marker}")
    lines.append(f"    test-wise strategies, share of {points_word} scored against the key "
                 f"(limit {MAX_STRATEGY_SHARE:.0%}):")
    for strategy in STRATEGIES:
        share = item_set.share(strategy)
        lines.append(f"      {strategy:<13} {item_set.points[strategy]:>3} of {item_set.total:<3} = {share:4.0%}"
                     f"  {_flag(share <= MAX_STRATEGY_SHARE)}")
    return lines


def format_report(report: ModuleReport) -> str:
    failures = report.failures()
    lines = [f"== {report.slug} ({report.status})"]
    lines += [f"  ERROR {e}" for e in report.errors]
    if report.assessment:
        lines += _item_set_lines(report.assessment, "auto-graded points")
    if report.quiz:
        lines += _item_set_lines(report.quiz, "questions")
    lines += [f"  {c}" for c in report.categories]
    if report.assessment:
        lines.append(f"  verbatim recall (assessment options sharing {VERBATIM_RUN}+ words in a row with the lesson): "
                     f"{len(report.verbatim) or 'none'}  {_flag(not report.verbatim)}")
        lines += [f"    {q} option {v}: \"{run}\"" for q, v, run in report.verbatim]
    lines.append(f"  character registry: {len(report.characters) or 'no'} problems  {_flag(not report.characters)}")
    lines += [f"    {p}" for p in report.characters]
    lines += [f"  note: {n}" for n in report.notes]
    lines.append(f"  RESULT: {'FAIL (' + str(len(failures)) + ' problems)' if failures else 'ok'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m toolkit_course.validity",
        description="Check modules against the module standard's 'Assessment validity' rules.")
    parser.add_argument("slugs", nargs="*", metavar="SLUG",
                        help="modules to check, published or planned (default: every published module)")
    args = parser.parse_args(argv)
    try:
        reports = check(args.slugs)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n\n".join(format_report(r) for r in reports))
    failing = [r.slug for r in reports if r.failures()]
    print(f"\n{len(reports) - len(failing)} of {len(reports)} modules pass"
          + (f"; failing: {', '.join(failing)}" if failing else ""))
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
