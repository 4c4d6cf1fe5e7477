"""Runs a learner's code cells inside the sandbox and hands back the declared answers.

This file is copied into the sandbox (read-only, as /job/runner.py) and started there by
sandbox.py; it is never imported by the grader. It uses only the standard library, because
inside the sandbox there is nothing else until it has set itself up.

Nothing here is a security boundary. Once the learner's first cell runs, the learner owns this
process and can change anything in it, including the answers and notes it sends back. The
boundary is outside: bubblewrap's namespaces and read-only mounts, the resource limits set
below (a process cannot raise its own hard limits), and the grader's checks on everything that
comes back. The steps before the first cell (dropping to the sandbox's user id, setting the
limits) are trustworthy because no learner code has run yet.

Protocol on the result channel (file descriptor 3), lengths as 8-byte big-endian numbers:
  b"R"                                   the sandbox is set up; learner code starts now
  b"A" + length + 2-byte name length + name + JSON text     one answer
  b"N" + length + JSON list                                 notes, structured ({"kind": ...});
                                                            the grader turns them into sentences
  b"F" + length + PNG bytes                                 one figure
  b"E"                                                      the end
Small frames, each with its own cap, let the grader refuse an oversized part before reading it
and never parse more than one answer's worth of JSON at a time.
"""

import builtins
import json
import os
import resource
import sys
import traceback

JOB = "/job/job.json"
RESULT_FD = 3
# Exit statuses of this runner before any learner code has run (the grader reports them as a
# sandbox failure, not as the learner's fault; learner code cannot reach this point first).
EXIT_SETUP_FAILED = 70
MAX_DEPTH = 32          # nesting of lists/dicts in an answer
MAX_ITEMS = 100_000     # scalars in one answer
MAX_NOTES = 100


def main() -> None:
    with open(JOB, encoding="utf-8") as handle:
        job = json.load(handle)
    limits = job["limits"]
    try:
        _drop_privileges(job.get("uid"))
        _set_limits(limits)
        os.dup2(job["result_fd"], RESULT_FD)
        if job["result_fd"] != RESULT_FD:
            os.close(job["result_fd"])
        # The interpreter starts with -S so that no site-packages code runs before the drop;
        # now load the Python environment (the venv's packages) as the learner will use it.
        import site
        site.main()
    except Exception:
        traceback.print_exc()
        os._exit(EXIT_SETUP_FAILED)
    _send(b"R")
    notes, namespace = _run_cells(job["sources"])
    values = _collect_values(job["names"], namespace, limits["answer_bytes"], notes)
    figures = _collect_figures(limits, notes)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    for name, text in values.items():
        encoded = name.encode()
        _send(_frame(b"A", len(encoded).to_bytes(2, "big") + encoded + text.encode()))
    _send(_frame(b"N", json.dumps(notes[:MAX_NOTES]).encode()))
    for png in figures:
        _send(_frame(b"F", png))
    _send(b"E")
    # Leave at once: no atexit handlers, no waiting for the learner's threads. Whatever is still
    # running dies with the sandbox's PID namespace.
    os._exit(0)


def _drop_privileges(uid) -> None:
    """Run as root (grader started as root, no user namespace): become the per-run user id
    with no capabilities, then prove it. As an ordinary user, bubblewrap already did this."""
    if uid is not None and os.getuid() == 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    status = open("/proc/self/status", encoding="ascii").read()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    for name in ("CapPrm", "CapEff", "CapAmb"):
        if int(fields[name].strip(), 16) != 0:
            raise RuntimeError(f"the sandbox still holds capabilities ({name})")
    if fields["NoNewPrivs"].strip() != "1" or os.getuid() == 0 or os.geteuid() == 0:
        raise RuntimeError("the sandbox is not running as an unprivileged user")


def _set_limits(limits) -> None:
    # Soft and hard limits alike: without CAP_SYS_RESOURCE no process can raise them again.
    def both(kind, value):
        resource.setrlimit(kind, (value, value))
    both(resource.RLIMIT_AS, limits["memory_bytes"])
    both(resource.RLIMIT_NPROC, limits["processes"])
    both(resource.RLIMIT_FSIZE, limits["file_bytes"])
    both(resource.RLIMIT_NOFILE, limits["open_files"])
    both(resource.RLIMIT_CORE, 0)
    both(resource.RLIMIT_MEMLOCK, 0)
    both(resource.RLIMIT_MSGQUEUE, 0)
    # SIGXCPU at the soft limit (Python dies of it unless the learner catches it), SIGKILL one
    # second later whatever the learner did.
    cpu = limits["cpu_seconds"]
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def _frame(kind: bytes, body: bytes) -> bytes:
    return kind + len(body).to_bytes(8, "big") + body


def _send(data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(RESULT_FD, view)
        view = view[written:]


def _without_jupyter_commands(source: str, cell: int, notes: list):
    """Jupyter's % and ! lines are not Python; skip them (keeping line numbers) and say so."""
    lines = source.split("\n")
    skipped = []
    for number, line in enumerate(lines, start=1):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            lines[number - 1] = line[: len(line) - len(stripped)] + "pass"
            skipped.append(number)
    if skipped:
        notes.append({"kind": "jupyter-command", "cell": cell, "lines": skipped[:20]})
    return "\n".join(lines)


def _display(*objects, **_ignored) -> None:
    """Stand-in for Jupyter's display(): prints the text form; figures are collected at the end."""
    for item in objects:
        if type(item).__module__.startswith("matplotlib"):
            continue
        print(repr(item))


def _run_cells(sources):
    namespace = {"__name__": "__main__", "__builtins__": builtins, "display": _display}
    notes = []
    own_pid = os.getpid()
    for cell, source in enumerate(sources, start=1):
        try:
            code = compile(_without_jupyter_commands(source, cell, notes), f"<cell {cell}>", "exec")
            exec(code, namespace)
        except BaseException as error:  # noqa: BLE001 - a notebook shows every error and goes on
            if os.getpid() != own_pid:
                os._exit(0)
            try:  # as a notebook shows it: from the cell down, without this runner's frame
                traceback.print_exception(type(error), error, error.__traceback__.tb_next)
            except BaseException:
                pass
            notes.append({"kind": "cell-error", "cell": cell, "type": type(error).__name__,
                          "message": _short(error)})
        if os.getpid() != own_pid:  # a child the learner forked came back here: it must not report
            os._exit(0)
    return notes, namespace


def _short(error) -> str:
    try:
        return str(error)[:300]
    except BaseException:
        return ""


def _plain(value, depth=0, counter=None):
    """The value as plain JSON data (numpy scalars and tuples converted), or raise TypeError."""
    counter = counter if counter is not None else [0]
    counter[0] += 1
    if counter[0] > MAX_ITEMS or depth > MAX_DEPTH:
        raise TypeError("nested too deeply or too big")
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise TypeError("not a finite number")
        return value
    if kind.__module__ == "numpy" and hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        return _plain(value.item(), depth, counter)
    if kind in (list, tuple):
        return [_plain(item, depth + 1, counter) for item in value]
    if kind is dict:
        if not all(type(key) is str for key in value):
            raise TypeError("a dict whose keys are not all text")
        return {key: _plain(item, depth + 1, counter) for key, item in value.items()}
    raise TypeError(f"of type {kind.__name__}")


def _collect_values(names, namespace, answer_bytes, notes):
    values = {}
    for name in names:
        if name not in namespace:
            notes.append({"kind": "undefined", "name": name})
            continue
        value = namespace[name]
        if type(value) is str and len(value) > answer_bytes:
            notes.append({"kind": "too-large", "name": name})
            continue
        try:
            text = json.dumps(_plain(value), allow_nan=False)
        except (TypeError, ValueError, RecursionError) as why:
            notes.append({"kind": "not-plain", "name": name, "why": _short(why)})
            continue
        except MemoryError:
            notes.append({"kind": "too-large", "name": name})
            continue
        if len(text) > answer_bytes:
            notes.append({"kind": "too-large", "name": name})
            continue
        values[name] = text
    return values


def _collect_figures(limits, notes):
    """PNG images of the matplotlib figures left open, if the learner used matplotlib."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return []
    import io
    figures = []
    try:
        numbers = list(pyplot.get_fignums())
    except BaseException:
        return []
    if len(numbers) > limits["figures"]:
        notes.append({"kind": "too-many-figures", "count": len(numbers)})
    for number in numbers[: limits["figures"]]:
        try:
            buffer = io.BytesIO()
            pyplot.figure(number).savefig(buffer, format="png", dpi=100)
            data = buffer.getvalue()
        except BaseException as error:  # noqa: BLE001
            notes.append({"kind": "figure-error", "figure": number, "type": type(error).__name__})
            continue
        if len(data) > limits["figure_bytes"]:
            notes.append({"kind": "figure-too-large", "figure": number})
            continue
        figures.append(data)
    return figures


if __name__ == "__main__":
    main()
