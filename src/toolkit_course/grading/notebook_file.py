"""Read one returned file as a notebook, or say plainly why it is not one; never crash, never recurse deeply.

A returned file is whatever a learner sent: damaged JSON, JSON nested 100,000 levels
deep, metadata that is text where nbformat expects a mapping. Each of these used to stop
a whole collect with a traceback. Here the depth is measured before parsing (without
recursion), the kinds of the values nbformat relies on are checked before nbformat sees
them, and the notebook must then pass nbformat's own validation. Every refusal is a
ValueError whose message completes "<file> ...".
"""

from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path

import nbformat

from .intake import MAX_FILE_BYTES

MAX_JSON_DEPTH = 64  # a notebook is about 8 levels deep; Python's JSON reader gives up near 1000
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")


def json_depth(text: str) -> int:
    """How deeply the JSON text nests, counted without parsing it (so without recursion)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(_STRING.sub('""', text)):
        depth += 1 if match.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def kind_of(value) -> str:
    return {str: "text", list: "a list", dict: "a mapping", bool: "true/false", type(None): "empty"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


def _shape_problem(data: dict) -> str | None:
    """The first place where the notebook's JSON has the wrong kind of value for nbformat to read it."""
    for key, kind in (("metadata", dict), ("nbformat", int), ("nbformat_minor", int), ("cells", list)):
        if key in data and (not isinstance(data[key], kind) or isinstance(data[key], bool)):
            return f"{key} is {kind_of(data[key])}"
    for index, cell in enumerate(data["cells"]):
        if not isinstance(cell, dict):
            return f"cells[{index}] is {kind_of(cell)} where a cell is expected"
        for key, kinds in (("metadata", (dict,)), ("outputs", (list,)), ("source", (str, list)),
                           ("attachments", (dict,)), ("cell_type", (str,))):
            if key in cell and not isinstance(cell[key], kinds):
                return f"cells[{index}].{key} is {kind_of(cell[key])}"
        for number, output in enumerate(cell.get("outputs", [])):
            if not isinstance(output, dict):
                return f"cells[{index}].outputs[{number}] is {kind_of(output)} where an output is expected"
    return None


def parse_notebook(raw: bytes):
    """The notebook in these bytes, or raise ValueError saying plainly what is wrong with them."""
    if len(raw) > MAX_FILE_BYTES:
        raise ValueError(f"is larger than {MAX_FILE_BYTES // 2 ** 20} MiB, too large for a notebook")
    if raw.startswith(b"PK\x03\x04"):
        raise ValueError("is itself a zip file; run collect on it separately")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("is not a notebook (not text)") from None
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"is not a notebook: its JSON is nested {depth} levels deep (a notebook needs fewer than "
                         f"{MAX_JSON_DEPTH})")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if not text.strip().startswith("{"):
            raise ValueError("is not a notebook (not JSON)") from None
        raise ValueError(f"is a damaged notebook: invalid JSON at line {exc.lineno}, column {exc.colno} "
                         f"({exc.msg}); ask the learner to send it again") from None
    except RecursionError:
        raise ValueError("is not a notebook: its JSON is nested too deeply") from None
    if not isinstance(data, dict) or "cells" not in data or "nbformat" not in data:
        raise ValueError("is JSON but not a notebook (no cells)")
    shape = _shape_problem(data)
    if shape:
        raise ValueError(f"is a damaged notebook: {shape}; ask the learner to send it again")
    captured: dict = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(json.dumps(data), as_version=4, capture_validation_error=captured)
    except Exception as exc:  # nbformat raises several kinds for malformed notebooks
        raise ValueError(f"is a damaged notebook: {str(exc)[:300]}") from None
    error = captured.get("ValidationError")
    if error is not None:
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
        raise ValueError(f"is a damaged notebook: {where.lstrip('.') or 'the notebook'}: {error.message[:200]}; "
                         "ask the learner to send it again")
    return notebook


def read_notebook(path: Path):
    """The notebook at path (never through a link), or raise ValueError saying what is wrong with the file."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise ValueError(f"could not be read ({exc.strerror})") from None
    with os.fdopen(descriptor, "rb") as handle:
        return parse_notebook(handle.read(MAX_FILE_BYTES + 1))
