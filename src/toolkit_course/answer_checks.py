"""Answer checks shared by the learner's notebook and the grader.

normalise_answer() is the one rule for reading a typed answer: the visible check under
each answer box uses it, and so does every hidden test, so a harmless slip the check
accepts is never marked wrong.

check_answer() and check_values() are the visible checks. They say only whether an
answer has an allowed form, never whether it is right, so running them gives nothing
away. Each prints one sentence, on one line, per answer and returns None, so the notebook
shows no bare True or False.

matches() compares a computed value with the expected one, within a tolerance; the
hidden tests of computed items use it.
"""

from __future__ import annotations

import json
import math
import re

_LETTER_WITH_MARK = re.compile(r"^\(?([a-z])[).:]?$")  # "b)", "(b)", "b." or "b:" -> "b"


def normalise_answer(value: object) -> object:
    """The answer as it is compared with the key: text is trimmed, lower case, with single hyphens for spaces.

    Tolerated slips: spaces around the answer, capitals, "b)" or "b." for "b", and
    "more facts needed" for "more-facts-needed". Anything that is not text is returned
    unchanged (so it matches no option).
    """
    if not isinstance(value, str):
        return value
    text = " ".join(value.split()).lower()
    letter = _LETTER_WITH_MARK.match(text)
    if letter:
        return letter.group(1)
    return text.replace(" ", "-")


def check_answer(name: str, value: object, allowed: list[str]) -> None:
    """Say whether `value` is one of the allowed answers (not whether it is right)."""
    choices = ", ".join(f'"{option}"' for option in allowed)
    if not isinstance(value, str):
        print(f'✗ {name} must be text between quotes, for example {name} = "{allowed[0]}", '
              f"but at the moment it is {value!r}.")
        return
    answer = normalise_answer(value)
    if answer == "":
        print(f"… {name} is still empty: type one of {choices} between the quotes, then run both boxes again.")
    elif answer not in allowed:
        # json.dumps keeps what was typed on one line (a typed line break shows as \n).
        print(f"✗ {json.dumps(value, ensure_ascii=False)} is not one of the allowed answers for {name}: "
              f"please type one of {choices}.")
    else:
        print(f'✓ {name} = "{answer}" is one of the allowed answers, and it will be marked when your assessment '
              "is graded.")


# The kinds of value a computed answer may be declared as, and how each is named to a learner.
ANSWER_TYPES = {"text": "text between quotes", "number": "a number", "integer": "a whole number",
                "boolean": "True or False", "list": "a list", "mapping": "a dict"}


def fits_type(value: object, kind: str) -> bool:
    """value is of the declared kind (True and False are not numbers; a number must be finite)."""
    if kind in ("number", "integer") and isinstance(value, bool):
        return False
    if kind == "number":
        return isinstance(value, (int, float)) and math.isfinite(value)
    return isinstance(value, {"text": str, "integer": int, "boolean": bool, "list": list, "mapping": dict}[kind])


def check_values(namespace: dict, declared: dict[str, str]) -> None:
    """Say, for each declared answer name, whether the code has set it to a value of the right kind."""
    for name, kind in declared.items():
        if name not in namespace:
            print(f"… {name} is not set yet: run the box above after writing code that sets {name}.")
        elif not fits_type(namespace[name], kind):
            print(f"✗ {name} must be {ANSWER_TYPES[kind]}, but at the moment it is {namespace[name]!r}.")
        else:
            print(f"✓ {name} is {ANSWER_TYPES[kind]}, and it will be marked when your assessment is graded.")


def matches(value: object, expected: object, tolerance: float = 0.0) -> bool:
    """value equals expected; numbers may differ by tolerance, text by normalise_answer's slips.

    Lists and dicts match when every element matches. True is not taken for 1.
    """
    if isinstance(expected, bool) or isinstance(value, bool):
        return value is expected
    if isinstance(expected, (int, float)):
        return (isinstance(value, (int, float)) and math.isfinite(value)
                and abs(value - expected) <= tolerance)
    if isinstance(expected, str):
        return isinstance(value, str) and normalise_answer(value) == normalise_answer(expected)
    if isinstance(expected, list):
        return (isinstance(value, list) and len(value) == len(expected)
                and all(matches(v, e, tolerance) for v, e in zip(value, expected)))
    if isinstance(expected, dict):
        return (isinstance(value, dict) and set(value) == set(expected)
                and all(matches(value[key], item, tolerance) for key, item in expected.items()))
    return False
