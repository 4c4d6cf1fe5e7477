"""Run one hidden test in the grading process, on plain values, and record it as nbgrader's Execute would.

The test's source is the course's own (read from the gradebook, never from the submission),
and the namespace holds only a deep copy of the learner's plain values (text, numbers,
booleans, lists and dicts), so nothing a learner wrote is ever run here and one test
cannot change what the next one sees.

The outputs follow a kernel's: text printed goes to a stream, the value of a final
expression becomes an execute_result (nbgrader reads a number there as partial credit),
and an exception becomes an error output with ename, evalue and traceback, which
nbgrader scores as 0.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import copy
import io
import linecache
import traceback

import nbformat

MAX_OUTPUT_CHARACTERS = 10_000


def run_hidden_test(source: str, values: dict[str, object], label: str) -> list[nbformat.NotebookNode]:
    """The outputs of running `source` with only `values` (and the built-ins) in its namespace."""
    filename = f"<hidden test {label}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace = {"__builtins__": builtins, "__name__": "__hidden_test__", **copy.deepcopy(values)}
    stdout, stderr = io.StringIO(), io.StringIO()
    outputs, result = [], None
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            body, last = _split_last_expression(ast.parse(source, filename))
            exec(compile(body, filename, "exec"), namespace)
            if last is not None:
                result = eval(compile(last, filename, "eval"), namespace)
    except Exception as error:  # the test failed: record it as the kernel would
        outputs = _streams(stdout, stderr) + [_error_output(error)]
    else:
        outputs = _streams(stdout, stderr)
        if result is not None:
            outputs.append(nbformat.v4.new_output("execute_result", data={"text/plain": _capped(repr(result))},
                                                  execution_count=None))
    return outputs


def _split_last_expression(module: ast.Module) -> tuple[ast.Module, ast.Expression | None]:
    """Like IPython: a final bare expression is evaluated for its value."""
    if module.body and isinstance(module.body[-1], ast.Expr):
        return ast.Module(module.body[:-1], type_ignores=[]), ast.Expression(module.body[-1].value)
    return module, None


def _streams(stdout: io.StringIO, stderr: io.StringIO) -> list[nbformat.NotebookNode]:
    return [nbformat.v4.new_output("stream", name=name, text=_capped(buffer.getvalue()))
            for name, buffer in (("stdout", stdout), ("stderr", stderr)) if buffer.getvalue()]


def _error_output(error: Exception) -> nbformat.NotebookNode:
    summary = traceback.TracebackException.from_exception(error)
    # Drop this module's own frame: the facilitator needs the test's lines only.
    summary.stack = traceback.StackSummary.from_list([f for f in summary.stack if f.filename != __file__])
    lines = [line.rstrip("\n") for line in summary.format()]
    return nbformat.v4.new_output("error", ename=type(error).__name__, evalue=_capped(str(error)),
                                  traceback=[_capped(line) for line in lines])


def _capped(text: str) -> str:
    return text if len(text) <= MAX_OUTPUT_CHARACTERS else text[:MAX_OUTPUT_CHARACTERS] + "\n... (cut)"
