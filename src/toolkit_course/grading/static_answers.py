"""Read a learner's answer from the text of an answer box, without running anything.

An answer box is learner text, and may hold anything. Grading reads only top-level lines
of the form

    answer_q1 = "b"            (or  answer_q1: str = "b")

where the name is the item's declared answer name and the value is a plain value: text,
a number, True or False, or a list or dict of those. Only the value is evaluated, with
ast.literal_eval, which builds constants and never calls anything. When several such
lines set the name, the last one counts, as it would if the box were run. Every other
line is ignored and never run, and the learner is told so, in plain words.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

MAX_ANSWER_CHARACTERS = 10_000  # far above any real answer; keeps a pasted book out of the gradebook


@dataclass(frozen=True)
class LiteralAnswer:
    name: str
    found: bool = False
    value: object = None
    ignored_lines: tuple[int, ...] = ()
    unreadable: str = ""  # why the box could not be read at all, in plain words

    def message(self) -> str:
        """What grading did with this box, for the learner and the facilitator (one to three sentences)."""
        example = f'{self.name} = "your answer"'
        if self.unreadable:
            return (f"This answer box could not be read ({self.unreadable}), so no answer was found for "
                    f"{self.name}. Write the answer on one line, like this: {example}")
        parts = [f"Read for grading: {self.name} = {self.value!r}." if self.found
                 else f"No answer was found for {self.name}: grading looks for one line like this: {example}"]
        if self.ignored_lines:
            verb = "was" if len(self.ignored_lines) == 1 else "were"
            parts.append(f"{_lines(self.ignored_lines)} of this box {verb} ignored and not run: grading reads "
                         f"only a line that sets {self.name} to a plain value (text in quotes, a number, "
                         "True or False), and runs no other code.")
        return " ".join(parts)


def read_literal_answer(source: str, name: str) -> LiteralAnswer:
    """The value the box assigns to `name`, read statically; see the module's docstring."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return LiteralAnswer(name, unreadable=f"Python cannot read line {error.lineno}" if error.lineno
                             else "Python cannot read it")
    except (ValueError, MemoryError, RecursionError):  # null bytes, absurd nesting
        return LiteralAnswer(name, unreadable="it is not ordinary text")
    found, value, ignored = False, None, []
    for statement in tree.body:
        node = _assigned_value(statement, name)
        readable, literal = _plain_literal(node) if node is not None else (False, None)
        if readable:
            found, value = True, literal
        else:
            ignored.extend(range(statement.lineno, (statement.end_lineno or statement.lineno) + 1))
    return LiteralAnswer(name, found, value, tuple(sorted(set(ignored))))


def _assigned_value(statement: ast.stmt, name: str) -> ast.expr | None:
    """The value node of `name = <value>` or `name: T = <value>`; None for any other statement."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        if isinstance(target, ast.Name) and target.id == name:
            return statement.value
    if isinstance(statement, ast.AnnAssign) and statement.value is not None and statement.simple:
        if isinstance(statement.target, ast.Name) and statement.target.id == name:
            return statement.value
    return None


def _plain_literal(node: ast.expr) -> tuple[bool, object]:
    if (node.end_col_offset is not None and node.end_lineno == node.lineno
            and node.end_col_offset - node.col_offset > MAX_ANSWER_CHARACTERS):
        return False, None
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None
    if not is_plain(value) or len(repr(value)) > MAX_ANSWER_CHARACTERS:
        return False, None
    return True, value


def is_plain(value: object, depth: int = 0) -> bool:
    """Text, a number, True or False, or a list or dict (with text keys) of those; nothing else."""
    if depth > 20:
        return False
    if isinstance(value, (str, bool, int, float)):
        return True
    if isinstance(value, list):
        return all(is_plain(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and is_plain(item, depth + 1) for key, item in value.items())
    return False


def _lines(numbers: tuple[int, ...]) -> str:
    """(1, 2, 3, 5) -> "Lines 1-3 and 5"."""
    ranges, start = [], numbers[0]
    for previous, current in zip(numbers, numbers[1:] + (None,)):
        if current != previous + 1:
            ranges.append(str(start) if start == previous else f"{start}-{previous}")
            start = current
    words = ranges[0] if len(ranges) == 1 else ", ".join(ranges[:-1]) + " and " + ranges[-1]
    return f"{'Line' if numbers == (numbers[0],) else 'Lines'} {words}"
