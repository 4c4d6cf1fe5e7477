"""Load the course's plain-text content files and check them against their schemas.

Every question, case, scenario, checklist and assessment item lives in one YAML
file under ``content/``. Anything that shows it (a lesson widget, a book page, an
nbgrader notebook) is rendered from what this module returns, so a mistake in a
file is reported here, once, naming the file, the item and the field.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import jsonschema
import yaml

KINDS = ("quiz", "cases", "scenario", "assessment", "checklist", "sorter")


class ContentError(ValueError):
    """A content file is missing, unreadable or does not match its schema."""

    def __init__(self, path: Path | str, item: str, problem: str):
        self.path, self.item, self.problem = str(path), item, problem
        where = f"{self.path}: {item}: " if item else f"{self.path}: "
        super().__init__(where + problem)


def content_root() -> Path:
    """The content folder: $TOOLKIT_COURSE_CONTENT, else the checkout this package sits in."""
    override = os.environ.get("TOOLKIT_COURSE_CONTENT")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "content"


def _schema_path(name: str) -> Path:
    return content_root() / "schemas" / f"{name}.schema.yaml"


# Parsing and validating is the slow part (displaying the classifier asks for legal-elements.yaml
# hundreds of times), so each file is parsed and validated once per process and then served from
# here for as long as its bytes and its schema's bytes are unchanged. Reading a small file to
# compare is cheap, and unlike a modification time it also sees an edit made within one clock tick.
_loaded: dict[tuple[str, str], tuple[bytes, bytes, Any]] = {}


def load_file(path: Path, schema_name: str) -> dict[str, Any]:
    """Read one YAML file and validate it; raise ContentError on any problem.

    Returns a fresh copy each time, so a caller that changes what it got cannot change what
    the next caller gets.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ContentError(path, "", "file not found") from None
    schema_raw = _schema_path(schema_name).read_bytes()
    key = (str(path.resolve()), schema_name)
    cached = _loaded.get(key)
    if cached is None or cached[0] != raw or cached[1] != schema_raw:
        cached = _loaded[key] = (raw, schema_raw, _parse_and_validate(path, raw, schema_name, schema_raw))
    return copy.deepcopy(cached[2])


def _parse_and_validate(path: Path, raw: bytes, schema_name: str, schema_raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(path, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContentError(path, "", f"not valid YAML: {where}{problem}") from None
    validator = jsonschema.Draft202012Validator(yaml.safe_load(schema_raw.decode("utf-8")))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        item, field = _locate(data, list(error.absolute_path))
        raise ContentError(path, item, f"{field}: {error.message}" if field else error.message)
    _SEMANTIC_CHECKS.get(schema_name, lambda d, p: None)(data, path)
    return data


def _locate(data: Any, error_path: list) -> tuple[str, str]:
    """Split a schema error path into the item it belongs to and the field inside it.

    Authors think in items ("question q3"), not in list indices, so the item is
    named by its id when it has one.
    """
    node, consumed = data, []
    for index, key in enumerate(error_path):
        consumed.append(key)
        node = node[key] if isinstance(node, (dict, list)) and _has(node, key) else None
        if isinstance(key, int) and isinstance(node, dict):
            label = f"{error_path[index - 1] if index else 'item'}[{key}]"
            if "id" in node:
                label += f" (id '{node['id']}')"
            return label, _dotted(error_path[index + 1:])
    return "", _dotted(error_path)


def _has(node: Any, key: Any) -> bool:
    return key in node if isinstance(node, dict) else isinstance(key, int) and key < len(node)


def _dotted(parts: list) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _item_label(kind: str, index: int, item: dict) -> str:
    return f"{kind}[{index}] (id '{item.get('id', '?')}')"


def _unique_ids(items: list[dict], kind: str, path: Path) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item["id"] in seen:
            raise ContentError(path, _item_label(kind, index, item), f"id: '{item['id']}' is used twice")
        seen.add(item["id"])


def _check_quiz(data: dict, path: Path) -> None:
    _unique_ids(data["questions"], "questions", path)
    for index, question in enumerate(data["questions"]):
        label = _item_label("questions", index, question)
        correct = [o for o in question["options"] if o.get("correct")]
        if not correct:
            raise ContentError(path, label, "options: no option is marked correct: true")
        if len(correct) > 1 and not question.get("multiple"):
            raise ContentError(path, label, "options: several options are correct but multiple is not true")
        option_ids = [o["id"] for o in question["options"]]
        if len(set(option_ids)) != len(option_ids):
            raise ContentError(path, label, "options: two options share an id")


def _check_cases(data: dict, path: Path) -> None:
    _unique_ids(data["cases"], "cases", path)


def _check_scenario(data: dict, path: Path) -> None:
    steps = data["steps"]
    if data["start"] not in steps:
        raise ContentError(path, "start", f"'{data['start']}' is not one of the steps")
    for name, step in steps.items():
        if step.get("ending") == bool(step.get("choices")):
            raise ContentError(path, f"steps.{name}", "a step needs either choices or ending: true, not both")
        for index, choice in enumerate(step.get("choices", [])):
            if choice["next"] not in steps:
                raise ContentError(path, f"steps.{name}", f"choices[{index}].next: '{choice['next']}' is not one of the steps")
    if not any(step.get("ending") for step in steps.values()):
        raise ContentError(path, "steps", "no step has ending: true, so the scenario can never reach its debrief")


def _check_assessment(data: dict, path: Path) -> None:
    _unique_ids(data["items"] + data["reflections"], "items", path)
    variables: set[str] = set()
    for index, item in enumerate(data["items"]):
        label = _item_label("items", index, item)
        if item["answer"] not in item["options"]:
            raise ContentError(path, label, f"answer: '{item['answer']}' is not one of the options {sorted(item['options'])}")
        if item["variable"] in variables:
            raise ContentError(path, label, f"variable: '{item['variable']}' is used by two items")
        variables.add(item["variable"])
        for value in item["options"]:
            if value != value.strip().lower():
                raise ContentError(path, label, f"options: '{value}' must be lower case without spaces at either end")


def _check_checklist(data: dict, path: Path) -> None:
    _unique_ids(data["questions"], "questions", path)
    thresholds = [level["min_points"] for level in data["levels"]]
    if thresholds != sorted(thresholds) or len(set(thresholds)) != len(thresholds) or thresholds[0] != 0:
        raise ContentError(path, "levels", "min_points must start at 0 and rise strictly from one level to the next")
    level_ids = [level["id"] for level in data["levels"]]
    if len(set(level_ids)) != len(level_ids):
        raise ContentError(path, "levels", "two levels share an id")
    for index, question in enumerate(data["questions"]):
        for option in question["options"]:
            if option.get("caps_level") and option["caps_level"] not in level_ids:
                raise ContentError(path, _item_label("questions", index, question),
                                   f"option '{option['label']}': caps_level '{option['caps_level']}' is not one of "
                                   f"the levels {level_ids}")
        best = max(option["points"] for option in question["options"])
        for option in question["options"]:
            if option["points"] < best and not (option.get("gap") and option.get("mitigation")):
                raise ContentError(path, _item_label("questions", index, question),
                                   f"option '{option['label']}': an answer below the best needs a gap and a mitigation")


def _check_sorter(data: dict, path: Path) -> None:
    _unique_ids(data["items"], "items", path)
    categories = {c["id"] for c in data["categories"]}
    for index, item in enumerate(data["items"]):
        if item["category"] not in categories:
            raise ContentError(path, _item_label("items", index, item),
                               f"category: '{item['category']}' is not one of {sorted(categories)}")


_SEMANTIC_CHECKS = {
    "quiz": _check_quiz,
    "cases": _check_cases,
    "scenario": _check_scenario,
    "assessment": _check_assessment,
    "checklist": _check_checklist,
    "sorter": _check_sorter,
}


def module_path(slug: str, kind: str) -> Path:
    return content_root() / slug / f"{kind}.yaml"


def load(slug: str, kind: str) -> dict[str, Any]:
    """Load one kind of content for one module, e.g. load("01-trafficking-and-smuggling", "quiz")."""
    if kind not in KINDS:
        raise ValueError(f"unknown content kind '{kind}'; expected one of {', '.join(KINDS)}")
    return load_file(module_path(slug, kind), kind)


def modules() -> list[dict[str, Any]]:
    return load_file(content_root() / "modules.yaml", "modules")["modules"]


def published_slugs() -> list[str]:
    return [m["slug"] for m in modules() if m["status"] == "published"]


# The workshop's pre-test and post-test (book/workshop/): graded notebooks made from
# content/<slug>/assessment.yaml like a module's assessment, but not modules of the course. They are
# listed here, and only here, so that release, collect and autograde handle them
# (gradable_slugs) while certificates and the book's module list never see them (assessed_slugs).
WORKSHOP_TESTS = {"pre-test": "Workshop pre-test", "post-test": "Workshop post-test"}


def module_title(slug: str) -> str:
    if slug in WORKSHOP_TESTS:
        return WORKSHOP_TESTS[slug]
    for module in modules():
        if module["slug"] == slug:
            return module["title"]
    raise ContentError(content_root() / "modules.yaml", slug, "no module has this slug")


def legal_elements() -> dict[str, Any]:
    return load_file(content_root() / "legal-elements.yaml", "legal-elements")


def assessed_slugs() -> list[str]:
    """Published modules that have a graded assessment."""
    return [slug for slug in published_slugs() if module_path(slug, "assessment").exists()]


def workshop_test_slugs() -> list[str]:
    """The workshop tests that have an assessment file (see WORKSHOP_TESTS)."""
    return [slug for slug in WORKSHOP_TESTS if module_path(slug, "assessment").exists()]


def gradable_slugs() -> list[str]:
    """Everything released and graded through nbgrader: the modules' assessments, then the workshop tests."""
    return assessed_slugs() + workshop_test_slugs()
