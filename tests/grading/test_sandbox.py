"""The grading sandbox against hostile learners: each test hands in a hostile code cell, runs it
through run_cells for real (bubblewrap, no mocks) and asserts the exact outcome.

After every test, no process of any sandbox may be left on the machine (autouse fixture).
"""

from __future__ import annotations

import io
import json
import os
import platform
import pwd
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import zlib
from pathlib import Path

import pytest

from toolkit_course.grading import sandbox
from toolkit_course.grading.sandbox import SandboxLimits, SandboxUnavailable, error_message, run_cells

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src"
MARKER = "toolkit-g2-survivor-" + secrets.token_hex(4)
QUICK = SandboxLimits(wall_seconds=20)


_runs: list[tuple[int | None, int | None]] = []   # (PID namespace, host uid) of every run in a test


def _run(cells, names, **kwargs):
    result = run_cells([textwrap.dedent(cell) for cell in cells], names, **kwargs)
    _runs.append((result.pid_namespace, result.host_uid))
    return result


def _host_processes():
    """(pid, uid, pid namespace, cmdline) of every process on the machine."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as handle:
                status = handle.read()
            if "\nState:\tZ" in status:
                continue
            uid = int(status.split("\nUid:\t", 1)[1].split()[0])
            namespace = os.readlink(f"/proc/{entry}/ns/pid")
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        found.append((int(entry), uid, namespace, cmdline))
    return found


def _sandbox_leftovers(runs):
    """Processes left of the given runs: in one of their PID namespaces, with one of their per-run
    user ids (as root; otherwise the id is the grader's own), or marked by a hostile cell."""
    namespaces = {f"pid:[{namespace}]" for namespace, _ in runs if namespace}
    uids = {uid for _, uid in runs if uid is not None and uid != os.getuid()}
    return [process for process in _host_processes()
            if MARKER in process[3] or process[2] in namespaces or process[1] in uids]


@pytest.fixture(autouse=True)
def nothing_left_behind():
    """No process of any sandbox this test ran is left once run_cells has returned."""
    _runs.clear()
    yield
    assert all(namespace is not None and uid is not None for namespace, uid in _runs)
    assert _sandbox_leftovers(_runs) == []


@pytest.fixture(scope="module", autouse=True)
def sandbox_works():
    try:
        sandbox.check_available()
    except SandboxUnavailable as why:
        pytest.skip(f"the sandbox cannot run on this machine: {why}")


class Listener:
    """A TCP service on the host's 127.0.0.1 that, like Jupyter's IOPub, talks to whoever connects."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.settimeout(0.2)
        self.udp_port = self.udp.getsockname()[1]
        self.abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.abstract_name = "\0toolkit-g2-" + secrets.token_hex(4)
        self.abstract.bind(self.abstract_name)
        self.abstract.listen()
        self.connections, self.received = 0, b""
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            with connection:
                connection.sendall(b"SECRET hidden tests")
                connection.settimeout(1)
                try:
                    self.received += connection.recv(65536)
                except OSError:
                    pass

    def datagrams(self) -> bytes:
        try:
            return self.udp.recv(65536)
        except OSError:
            return b""

    def close(self):
        for sock in (self.server, self.udp, self.abstract):
            sock.close()


@pytest.fixture
def listener():
    service = Listener()
    # The service really is reachable from the host: only the sandbox can make the tests pass.
    with socket.create_connection(("127.0.0.1", service.port), timeout=5) as probe:
        assert probe.recv(6) == b"SECRET"
    service.connections = 0
    yield service
    service.close()


ATTEMPT = """
import errno, socket
outcome = {}
def attempt(label, action):
    try:
        action()
        outcome[label] = "succeeded"
    except OSError as error:
        outcome[label] = errno.errorcode.get(error.errno, str(error.errno))
"""


# ------------------------------------------------------------------ network

def test_exfiltration_over_the_network_fails(listener):
    cell = ATTEMPT + f"""
def send(address):
    with socket.create_connection(address, timeout=3) as connection:
        connection.sendall(b"answer key")
        connection.recv(100)
attempt("host 127.0.0.1", lambda: send(("127.0.0.1", {listener.port})))
attempt("non-routable", lambda: send(("10.255.255.1", 80)))
attempt("documentation range", lambda: send(("192.0.2.1", 443)))
attempt("name lookup", lambda: socket.getaddrinfo("grader.invalid", 80))
attempt("udp to host 127.0.0.1", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(
    b"answer key", ("127.0.0.1", {listener.udp_port})))
interfaces = [name for _, name in socket.if_nameindex()]
"""
    result = _run([cell], ["outcome", "interfaces"], limits=QUICK)
    assert result.error is None
    assert result.values["interfaces"] == ["lo"]  # no interface but the sandbox's own loopback
    outcome = result.values["outcome"]
    assert outcome["host 127.0.0.1"] == "ECONNREFUSED"  # the sandbox's 127.0.0.1 is not the host's
    assert outcome["non-routable"] == "ENETUNREACH"
    assert outcome["documentation range"] == "ENETUNREACH"
    assert outcome["name lookup"] != "succeeded"
    # The datagram went to the sandbox's own loopback, where nobody listens.
    assert outcome["udp to host 127.0.0.1"] == "succeeded"
    assert listener.connections == 0 and listener.received == b"" and listener.datagrams() == b""


def test_iopub_of_a_real_kernel_and_loopback_services_are_unreachable(listener, tmp_path):
    from jupyter_client import KernelManager

    unix_path = tmp_path / "service.sock"
    unix_service = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix_service.bind(str(unix_path))
    unix_service.listen()
    kernel = KernelManager()
    kernel.start_kernel(extra_arguments=["--HistoryManager.enabled=False"])
    client = kernel.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        info = kernel.get_connection_info()
        assert info["ip"] == "127.0.0.1"
        ports = {name: info[name] for name in ("iopub_port", "shell_port", "control_port", "stdin_port", "hb_port")}
        for port in ports.values():  # reachable from the host: the kernel really listens there
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        cell = ATTEMPT + f"""
for name, port in {ports!r}.items():
    attempt(name, lambda: socket.create_connection(("127.0.0.1", port), timeout=3).recv(100))
attempt("listener", lambda: socket.create_connection(("127.0.0.1", {listener.port}), timeout=3).recv(100))
def unix(address):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(address)
attempt("abstract unix socket", lambda: unix({listener.abstract_name!r}))
attempt("unix socket file", lambda: unix({str(unix_path)!r}))
"""
        result = _run([cell], ["outcome"], limits=QUICK)
    finally:
        client.stop_channels()
        kernel.shutdown_kernel(now=True)
        unix_service.close()
    assert result.error is None
    assert result.values["outcome"] == {**{name: "ECONNREFUSED" for name in ports}, "listener": "ECONNREFUSED",
                                        "abstract unix socket": "ECONNREFUSED", "unix socket file": "ENOENT"}
    assert listener.connections == 0


# ------------------------------------------------------------------ processes

def test_no_process_survives_the_run():
    cell = f"""
import os, signal, sys, threading, time
namespace, uid = os.readlink("/proc/self/ns/pid"), os.getuid()
def sleeper():
    os.execv(sys.executable, [sys.executable, "-S", "-c",
             "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
             "signal.signal(signal.SIGHUP, signal.SIG_IGN); time.sleep(600)", "{MARKER}"])
# A new session, then a grandchild: the classic daemon.
child = os.fork()
if child == 0:
    os.setsid()
    if os.fork() == 0:
        sleeper()
    os._exit(0)
os.waitpid(child, 0)
# A child in its own process group that ignores SIGTERM and SIGHUP.
if os.fork() == 0:
    os.setpgid(0, 0)
    sleeper()
# A non-daemon thread that would keep the interpreter alive.
threading.Thread(target=time.sleep, args=(600,), daemon=False).start()
def marked():
    count = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                count += "{MARKER}" in open(f"/proc/{{pid}}/cmdline").read()
            except OSError:
                pass
    return count
for _ in range(400):
    if marked() == 2:
        break
    time.sleep(0.05)
running = marked()
"""
    result = _run([cell], ["namespace", "uid", "running"], limits=QUICK)
    assert result.error is None
    assert result.values["running"] == 2  # both sleepers were alive when the notebook ended
    # What the code saw from inside is what the grader recorded, and nothing of it is left.
    assert result.values["namespace"] == f"pid:[{result.pid_namespace}]"
    assert result.host_uid == (result.values["uid"] if os.geteuid() == 0 else os.getuid())
    assert _sandbox_leftovers([(result.pid_namespace, result.host_uid)]) == []


def test_the_sandbox_dies_with_the_grader():
    cell = (f"import os, sys\nif os.fork() == 0:\n    os.setsid()\n"
            f"    os.execv(sys.executable, [sys.executable, '-S', '-c', 'import time; time.sleep(600)', '{MARKER}'])\n"
            f"os.execv(sys.executable, [sys.executable, '-S', '-c', 'import time; time.sleep(600)', '{MARKER}'])")
    script = f"from toolkit_course.grading.sandbox import run_cells\nrun_cells({[cell]!r}, ['x'])"
    grader = subprocess.Popen([sys.executable, "-c", script])
    try:
        def runners():
            return [process for process in _host_processes() if MARKER in process[3] and process[1] != 0]
        # The runner and its child in a session of its own are running when the grader dies.
        assert _wait_for(lambda: len(runners()) == 2, True)
        runs = [(int(namespace[5:-1]), uid) for _, uid, namespace, _ in runners()]
    finally:
        grader.kill()
        grader.wait()
    assert _wait_for(lambda: _sandbox_leftovers(runs), False) == []


def _wait_for(probe, wanted: bool, attempts: int = 200):
    """Poll until probe() is truthy (wanted=True) or falsy (wanted=False); return its last value."""
    for _ in range(attempts):
        value = probe()
        if bool(value) == wanted:
            return value
        threading.Event().wait(0.1)
    return value


def test_fork_bomb_meets_the_process_limit():
    cell = """
import os, time
forks = 0
while True:
    child = os.fork()
    if child == 0:
        time.sleep(600)
        os._exit(0)
    forks += 1
"""
    limits = SandboxLimits(processes=16, wall_seconds=20)
    result = _run([cell, "after = 'the notebook went on'"], ["forks", "after"], limits=limits)
    assert result.error is None
    assert result.notes == ["Cell 1 stopped with BlockingIOError: [Errno 11] Resource temporarily unavailable"]
    assert 0 < result.values["forks"] < limits.processes
    assert result.values["after"] == "the notebook went on"


def test_fork_bomb_that_never_stops_ends_at_the_time_limit():
    cell = """
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
"""
    limits = SandboxLimits(processes=16, wall_seconds=3, cpu_seconds=120)
    result = _run([cell], ["x"], limits=limits)
    assert result.error == error_message("time", limits)
    assert result.values == {}


# ------------------------------------------------------------------ files

@pytest.fixture
def other_courses(tmp_path):
    """Copies of a course, with solutions and an assessment file, where a machine may keep them."""
    made = [Path("/root") / f"g2-other-course-{secrets.token_hex(4)}", Path("/srv") / f"g2-work-{secrets.token_hex(4)}"]
    roots = [tmp_path / "other-course", made[0], made[1] / "main"]
    secrets_found = []
    for root in roots:
        (root / "solutions").mkdir(parents=True)
        for name in ("solutions/answers.ipynb", "assessment.yaml", "roster.csv"):
            (root / name).write_text("SECRET answer key\n")
            secrets_found.append(str(root / name))
    yield roots, secrets_found
    for folder in made:
        shutil.rmtree(folder)


def test_other_course_copies_and_the_machine_are_invisible(other_courses):
    roots, files = other_courses
    real_course = [str(path) for path in (REPO / "solutions", REPO / "content", REPO / "nbgrader_config.py")]
    for path in files + real_course:
        assert Path(path).exists()  # readable from the host: only the sandbox can hide them
    bound = [inside for _, inside in sandbox._python_paths()]
    cell = ATTEMPT + f"""
import os
for path in {files + [str(root) for root in roots] + real_course!r}:
    attempt(path, lambda: open(path).read() if os.path.isfile(path) else os.listdir(path))
    attempt(path + " (stat)", lambda: os.stat(path))
visible = []
for folder, subfolders, names in os.walk("/"):
    if folder in {bound!r} or folder in ("/proc", "/dev"):
        subfolders[:] = []
        continue
    visible += [os.path.join(folder, name) for name in subfolders + names]
try:
    import toolkit_course
    package = "importable"
except ImportError as error:
    package = type(error).__name__
"""
    result = _run([cell], ["outcome", "visible", "package"], data_files={"data.csv": b"a,b\n"}, limits=QUICK)
    assert result.error is None
    assert set(result.values["outcome"].values()) == {"ENOENT"}
    assert len(result.values["outcome"]) == 2 * (len(files) + len(roots) + len(real_course))
    # Everything visible is on the allow-list: Python's own paths, their parent folders, the
    # working folder with its data file, the runner's job folder, /proc and /dev.
    expected = set(bound) | {"/proc", "/dev", "/sandbox", "/sandbox/data.csv", "/job", "/job/runner.py",
                             "/job/job.json"}
    expected |= {str(parent) for path in bound for parent in Path(path).parents if str(parent) != "/"}
    assert set(result.values["visible"]) == expected
    # A checkout (and so its Python environment) may itself live under /tmp or /home: that folder then
    # shows as the empty, read-only parent of the bound environment, and nothing else in it is visible
    # (the other course copies above are ENOENT).
    parents_of_python = {str(parent) for path in bound for parent in Path(path).parents}
    hidden = {"/home", "/tmp", "/etc", "/srv", "/var", "/opt"} - parents_of_python
    assert hidden.isdisjoint(result.values["visible"])
    assert result.values["package"] == "ModuleNotFoundError"  # not even the course's own code


def test_inherited_descriptors_are_not_reachable(tmp_path):
    secret = tmp_path / "gradebook.db"
    secret.write_text("SECRET gradebook")
    opened = os.open(secret, os.O_RDONLY)  # no O_CLOEXEC: a careless grader would pass it on
    number = os.dup2(opened, 47, inheritable=True)
    os.set_inheritable(opened, True)
    try:
        cell = f"""
import os
fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
targets = {{}}
for fd in fds:
    try:
        targets[str(fd)] = os.readlink(f"/proc/self/fd/{{fd}}").split(":")[0]
    except OSError:
        targets[str(fd)] = "closed"   # the descriptor listdir itself used
read = []
for fd in range(3, 1024):
    try:
        read.append(os.pread(fd, 100, 0).decode(errors="replace"))
    except OSError:
        pass
try:
    os.fstat({number})
    parent = "open"
except OSError as error:
    import errno
    parent = errno.errorcode[error.errno]
"""
        result = _run([cell], ["targets", "read", "parent"], limits=QUICK)
    finally:
        os.close(opened)
        os.close(number)
    assert result.error is None
    targets = result.values["targets"]
    assert targets["0"] == "/dev/null" and targets["1"] == "pipe" and targets["2"] == "pipe"
    assert targets["3"] == "pipe"  # the one result channel
    assert set(targets) <= {"0", "1", "2", "3", "4"} and targets.get("4", "closed") == "closed"
    assert result.values["read"] == []
    assert result.values["parent"] == "EBADF"


def test_writes_outside_the_working_folder_fail():
    site_packages = next(inside for _, inside in sandbox._python_paths() if inside.endswith("-packages"))
    stdlib = os.path.dirname(os.__file__)
    targets = {"root": "/pwned", "tmp": "/tmp/pwned", "site-packages": f"{site_packages}/pwned.py",
               "stdlib": f"{stdlib}/pwned.py", "dev-shm": "/dev/shm/pwned", "job": "/job/pwned",
               "data file": "/sandbox/data.csv", "proc": "/proc/pwned"}
    cell = ATTEMPT + f"""
for label, path in {targets!r}.items():
    attempt(label, lambda: open(path, "w").write("pwned"))
attempt("working folder", lambda: open("/sandbox/mine.txt", "w").write("mine"))
def write(name, size):
    with open(name, "wb") as handle:
        handle.write(b"x" * size)
attempt("file over the size limit", lambda: write("big.bin", 8 * 2**20 + 1))
def fill():
    for index in range(100):
        write(f"fill-{{index}}.bin", 4 * 2**20)
attempt("working folder over its size", fill)
"""
    limits = SandboxLimits(file_bytes=8 * 2**20, disk_bytes=32 * 2**20, wall_seconds=20)
    result = _run([cell], ["outcome"], data_files={"data.csv": b"a,b\n1,2\n"}, limits=limits)
    assert result.error is None
    # /tmp exists inside only as the read-only parent of a Python environment that lives under /tmp.
    parents_of_python = {str(parent) for _, inside in sandbox._python_paths() for parent in Path(inside).parents}
    tmp = "EROFS" if "/tmp" in parents_of_python else "ENOENT"
    assert result.values["outcome"] == {
        "root": "EROFS", "tmp": tmp, "site-packages": "EROFS", "stdlib": "EROFS", "dev-shm": "EROFS",
        "job": "EROFS", "data file": "EROFS", "proc": "ENOENT", "working folder": "succeeded",
        "file over the size limit": "EFBIG", "working folder over its size": "ENOSPC"}
    for path in (Path("/pwned"), Path("/tmp/pwned"), Path(site_packages) / "pwned.py", Path(stdlib) / "pwned.py"):
        assert not path.exists()


# ------------------------------------------------------------------ shared memory

SHARED_MEMORY = """
import ctypes, errno
from multiprocessing import shared_memory
libc = ctypes.CDLL(None, use_errno=True)
libc.shmget.restype = ctypes.c_int
segment = libc.shmget(0, 512 * 2**20, 0o1000 | 0o600)   # IPC_PRIVATE, IPC_CREAT
sysv = errno.errorcode[ctypes.get_errno()] if segment < 0 else "created"
inside = [line.split()[3] for line in open("/proc/sysvipc/shm").read().splitlines()[1:]]
try:
    shared_memory.SharedMemory(create=True, size=512 * 2**20, name="toolkit-g2")
    posix = "created"
except OSError as error:
    posix = errno.errorcode[error.errno]
"""


def _host_shared_memory() -> set[tuple[str, str]]:
    lines = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return {(line.split()[1], line.split()[3]) for line in lines}


def test_shared_memory_is_refused():
    before = _host_shared_memory()
    result = _run([SHARED_MEMORY], ["sysv", "posix", "inside"], limits=QUICK)
    assert result.error is None
    assert result.values == {"sysv": "EPERM", "posix": "EROFS", "inside": []}
    assert _host_shared_memory() == before
    assert not Path("/dev/shm/toolkit-g2").exists()


def test_shared_memory_does_not_outlive_the_run_even_without_the_filter(monkeypatch):
    # The IPC namespace alone must be enough: switch the system-call filter off for this run.
    monkeypatch.setattr(sandbox, "_syscall_filter", lambda: None)
    before = _host_shared_memory()
    result = _run([SHARED_MEMORY], ["sysv", "inside"], limits=QUICK)
    assert result.error is None
    assert result.values == {"sysv": "created", "inside": [str(512 * 2**20)]}  # it existed, inside
    assert _host_shared_memory() == before
    assert str(512 * 2**20) not in {size for _, size in _host_shared_memory() - before}


def test_system_calls_that_escape_limits_are_refused_and_threads_still_work():
    table = sandbox._SYSCALLS[platform.machine()][1]
    cell = f"number = {table!r}\n" + """
import ctypes, errno, os, threading
libc = ctypes.CDLL(None, use_errno=True)
def call(name, *arguments):
    function = getattr(libc, name)
    function.restype = ctypes.c_long
    return "allowed" if function(*arguments) >= 0 else errno.errorcode[ctypes.get_errno()]
refused = {
    "unshare a user namespace": call("unshare", 0x10000000),
    "unshare a mount namespace": call("unshare", 0x00020000),
    "memfd_create": call("syscall", number["memfd_create"], b"x", 0),
    "keyctl": call("syscall", number["keyctl"], 0, 0, 0, 0, 0),
    "io_uring_setup": call("syscall", number["io_uring_setup"], 1, None),
    "bpf": call("syscall", number["bpf"], 0, None, 0),
    "mount": call("mount", b"none", b"/sandbox", b"tmpfs", 0, None),
}
results = []
worker = threading.Thread(target=lambda: results.append(sum(range(1000))))
worker.start()
worker.join()
child = os.fork()
if child == 0:
    os._exit(7)
forked = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
"""
    result = _run([cell], ["refused", "results", "forked"], limits=QUICK)
    assert result.error is None, result.output
    assert result.values == {"refused": dict.fromkeys(
        ["unshare a user namespace", "unshare a mount namespace", "memfd_create", "keyctl", "io_uring_setup",
         "bpf", "mount"], "EPERM"), "results": [499500], "forked": 7}


# ------------------------------------------------------------------ floods and limits

def _grader_in_a_fresh_process(cells: list[str], names: list[str]) -> dict:
    """Run run_cells in a new Python process; return its result and peak memory (VmHWM)."""
    script = textwrap.dedent(f"""
        import json, sys
        from toolkit_course.grading.sandbox import run_cells
        result = run_cells({cells!r}, {names!r})
        peak = [line for line in open("/proc/self/status") if line.startswith("VmHWM")][0]
        print(json.dumps({{"values": result.values, "error": result.error, "notes": result.notes,
                          "output_length": len(result.output), "output_end": result.output[-60:],
                          "peak_kib": int(peak.split()[1]), "run": [result.pid_namespace, result.host_uid]}}))
    """)
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.splitlines()[-1])
    _runs.append(tuple(report["run"]))
    return report


def test_memory_flood_fails_inside_and_the_grader_stays_small():
    cells = ["blocks = []\nfor _ in range(30):\n    blocks.append(bytearray(100 * 2**20))",  # 3 GiB, in steps
             "whole = bytearray(3 * 2**30)", "after = len(blocks)"]
    report = _grader_in_a_fresh_process(cells, ["after", "whole"])
    limit = SandboxLimits().memory_bytes
    assert report["error"] is None
    assert report["notes"] == [
        f"Cell 1 needed more memory than the {sandbox._size(limit)} allowed (MemoryError).",
        f"Cell 2 needed more memory than the {sandbox._size(limit)} allowed (MemoryError).",
        "whole was not set when the code had run."]
    assert 0 < report["values"]["after"] <= limit // (100 * 2**20)  # never more than the limit
    assert report["peak_kib"] < 150 * 1024


def test_output_flood_is_cut_while_it_streams_and_the_grader_stays_small():
    cells = ["import sys\nline = 'x' * 1_000_000 + '\\n'\nfor _ in range(300):\n    sys.stdout.write(line)",
             "after = 1"]
    report = _grader_in_a_fresh_process(cells, ["after"])
    cap = SandboxLimits().output_bytes
    assert report["error"] == error_message("output", SandboxLimits())
    assert report["values"] == {}
    suffix = f"\n[output cut: more than {sandbox._size(cap)}]"
    assert report["output_length"] == cap + len(suffix) and report["output_end"].endswith(suffix)
    assert report["peak_kib"] < 150 * 1024


def test_cpu_spin_ends_at_the_cpu_limit():
    limits = SandboxLimits(cpu_seconds=2, wall_seconds=60)
    result = _run(["while True:\n    pass"], ["x"], limits=limits)
    assert result.error == error_message("cpu", limits)
    assert result.error == "The notebook used more than 2 seconds of processor time, so it was stopped."


def test_cpu_spin_that_ignores_the_warning_is_killed():
    cell = "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass"
    limits = SandboxLimits(cpu_seconds=1, wall_seconds=60)
    result = _run([cell], ["x"], limits=limits)
    assert result.error == error_message("killed", limits)


def test_sleep_ends_at_the_wall_clock_limit():
    limits = SandboxLimits(wall_seconds=2)
    result = _run(["x = 1", "import time\ntime.sleep(3600)"], ["x"], limits=limits)
    assert result.error == ("The notebook did not finish within 2 seconds (a limit for the whole notebook, "
                            "however many cells it has), so it was stopped.")
    assert result.values == {}


def test_many_cells_share_one_wall_clock_limit():
    # 10,000 cells of 0.01 s each take 100 s; the limit is 3 s for the whole notebook.
    limits = SandboxLimits(wall_seconds=3)
    result = _run(["x = 1"] + ["import time\ntime.sleep(0.01)"] * 10_000, ["x"], limits=limits)
    assert result.error == error_message("time", limits)
    assert result.values == {}


def test_ending_the_process_is_reported():
    result = _run(["import os\nos._exit(3)"], ["x"], limits=QUICK)
    assert result.error == "The notebook's code ended its Python process (exit status 3) before it finished."
    crashed = _run(["import ctypes\nctypes.string_at(0)"], ["x"], limits=QUICK)
    assert crashed.error == "The notebook's Python process crashed (SIGSEGV)."


# ------------------------------------------------------------------ what comes back

def test_answers_come_back_only_as_plain_data():
    cell = """
class AlwaysEqual:
    def __eq__(self, other):
        return True
    __hash__ = object.__hash__
class EqualText(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
trick = AlwaysEqual()
trick_text = EqualText("wrong")
trick_list = [1, AlwaysEqual()]
huge = "x" * 100_000_000
not_a_number = float("nan")
deep = []
level = deep
for _ in range(100):
    level.append([])
    level = level[0]
numbers = {1: "one"}
broken_text = "\\ud800"
fine = {"a": [1, 2.5, True, None, "text"], "b": (1, 2), "c": "été"}
"""
    names = ["trick", "trick_text", "trick_list", "huge", "not_a_number", "deep", "numbers", "broken_text", "fine",
             "missing"]
    result = _run([cell], names, limits=QUICK)
    assert result.error is None
    assert result.values == {"fine": {"a": [1, 2.5, True, None, "text"], "b": [1, 2], "c": "été"}}
    assert type(result.values["fine"]["a"][3]) is type(None)
    refused = "was not accepted: it must be plain data (text, a number, True/False, None, or a list or dict of those)"
    assert result.notes == [
        f"trick {refused}, and it is of type AlwaysEqual.",
        f"trick_text {refused}, and it is of type EqualText.",
        f"trick_list {refused}, and it is of type AlwaysEqual.",
        f"huge was not accepted: it is larger than {sandbox._size(SandboxLimits().answer_bytes)}.",
        f"not_a_number {refused}, and it is not a finite number.",
        f"deep {refused}, and it is nested too deeply or too big.",
        f"numbers {refused}, and it is a dict whose keys are not all text.",
        "missing was not set when the code had run.",
        # Checked again on arrival, where the runner (which the learner controls) has no say.
        "broken_text was not accepted: it holds text that is not valid Unicode."]


def _frame(kind: bytes, body: bytes) -> bytes:
    return kind + len(body).to_bytes(8, "big") + body


def _answer(name: str, text: bytes) -> bytes:
    return _frame(b"A", len(name.encode()).to_bytes(2, "big") + name.encode() + text)


def _forged(frames: bytes) -> str:
    """A cell that bypasses the runner and writes its own frames on the result channel."""
    return f"import os\nos.write(3, {frames!r})\nos._exit(0)"


def test_a_forged_result_is_checked_on_arrival():
    notes = json.dumps([{"kind": "cell-error", "cell": 1, "type": "Evil\x1b[31m", "message": "<img src=x>\x00"},
                        {"kind": "unknown"}, "not a dict", {"kind": "undefined", "name": "not-declared"}])
    fake_png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    frames = (_answer("fine", b"1") + _answer("object", b'{"a": [1, null]}') + _answer("extra", b"2")
              + _answer("nan", b"NaN") + _answer("infinity", b"1e999") + _answer("deep", b"[" * 200 + b"]" * 200)
              + _answer("wide", b"[" + b"0," * 100_000 + b"0]") + _answer("long_number", b"1" * 5000)
              + _answer("not_utf8", b'"\xff"') + _answer("bad_json", b"{'a': 1}")
              + _frame(b"N", notes.encode()) + _frame(b"F", b"<svg onload=alert(1)>") + _frame(b"F", fake_png)
              + b"E")
    names = ["fine", "object", "nan", "infinity", "deep", "wide", "long_number", "not_utf8", "bad_json", "unset"]
    result = _run([_forged(frames)], names, limits=QUICK)
    assert result.error is None
    assert result.values == {"fine": 1, "object": {"a": [1, None]}}
    assert result.figures == []
    not_plain = "it is not plain data (text, a number, True/False, None, or a list or dict of those)"
    too_big = "it is nested too deeply or holds too many items"
    assert result.notes == [
        "Cell 1 stopped with Evil [31m: <img src=x> ",  # printable text only; the extra notes say nothing
        f"nan was not accepted: {not_plain}.", "infinity was not accepted: it is not a finite number.",
        f"deep was not accepted: {too_big}.", f"wide was not accepted: {too_big}.",
        f"long_number was not accepted: {not_plain}.", f"not_utf8 was not accepted: {not_plain}.",
        f"bad_json was not accepted: {not_plain}."] + [
        "A figure was not a valid PNG image of an acceptable size, so it was left out."] * 2


@pytest.mark.parametrize("frames", [
    b"X" + b"\0" * 20,                                   # an unknown frame
    b"R",                                                 # a second start
    _answer("x", b"1") + _answer("x", b"2") + b"E",       # more answers than names
    _frame(b"N", b"[]") + _frame(b"N", b"[]") + b"E",     # a second notes frame
    b"E trailing bytes",
], ids=["unknown frame", "second start", "too many answers", "second notes", "bytes after the end"])
def test_a_malformed_result_gives_nothing(frames):
    result = _run(["x = 1", _forged(frames)], ["x"], limits=QUICK)
    assert result.error == error_message("result-unreadable", QUICK)
    assert result.values == {} and result.figures == [] and result.notes == []


@pytest.mark.parametrize("cell", [
    "import os\nos.write(3, b'A' + (2**60).to_bytes(8, 'big'))\nimport time\ntime.sleep(60)",
    "import os\nos.write(3, b'F' + (3 * 2**20).to_bytes(8, 'big'))\nimport time\ntime.sleep(60)",
    "import os\nos.write(3, b'F' + (2**20 + 2**19).to_bytes(8, 'big'))\nwhile True:\n    os.write(3, b'x' * 65536)",
], ids=["declared answer too large", "declared figure too large", "stream over the total"])
def test_an_oversized_result_is_refused_before_it_is_read(cell):
    limits = SandboxLimits(wall_seconds=20, result_bytes=2**20, figure_bytes=2 * 2**20)
    result = _run([cell], ["x"], limits=limits)
    assert result.error == error_message("result-too-large", limits)
    assert result.values == {}


def test_honest_computation_returns_its_values_and_a_png():
    from PIL import Image

    csv_text = b"region,count\nNorth,30\nSouth,45\nEast,25\n"
    cells = ["""
import csv
with open("counts.csv", newline="") as handle:
    rows = list(csv.DictReader(handle))
total = sum(int(row["count"]) for row in rows)
shares = {row["region"]: int(row["count"]) / total for row in rows}
print("total", total)
""", """
%matplotlib inline
import matplotlib.pyplot as plt
figure, axes = plt.subplots()
axes.bar(list(shares), list(shares.values()))
axes.set_title("Share of cases by region")
""", "largest = max(shares, key=shares.get)"]
    result = _run(cells, ["shares", "largest", "total"], data_files={"counts.csv": csv_text}, limits=QUICK)
    assert result.error is None
    assert result.values == {"shares": {"North": 0.3, "South": 0.45, "East": 0.25}, "largest": "South",
                             "total": 100}
    assert result.output == "total 100\n"
    assert result.notes == ["Cell 2: lines starting with % or ! are Jupyter commands, not Python; "
                            "they were skipped when the code was run for grading."]
    assert len(result.figures) == 1
    png = result.figures[0]
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png.endswith(b"IEND\xaeB`\x82")
    assert struct.unpack(">II", png[16:24]) == (640, 480)
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.size == (640, 480)
    assert len(image.convert("RGB").getcolors(maxcolors=2**24)) > 2  # bars and text were drawn, not a blank page


def test_bad_arguments_are_refused_clearly():
    with pytest.raises(ValueError, match="data file name '../x' must be a plain file name"):
        run_cells(["x = 1"], ["x"], data_files={"../x": b""})
    with pytest.raises(ValueError, match="names must be a list of Python variable names"):
        run_cells(["x = 1"], ["not a name"])
    with pytest.raises(TypeError, match="sources must be a list of strings"):
        run_cells("x = 1", ["x"])


def test_closing_the_pipes_and_running_on_meets_the_time_limit():
    limits = SandboxLimits(wall_seconds=2)
    cell = "import os, time\nfor fd in (1, 2, 3):\n    os.close(fd)\ntime.sleep(600)"
    result = _run([cell], ["x"], limits=limits)
    assert result.error == error_message("time", limits)


def test_a_fork_bomb_does_not_starve_a_sandbox_running_beside_it():
    """Each run has its own user id (as root) or user namespace, so process limits are per run."""
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    bomb_limits = SandboxLimits(processes=16, wall_seconds=6, cpu_seconds=120)
    bombing = threading.Thread(target=_run, args=([bomb], ["x"]), kwargs={"limits": bomb_limits})
    bombing.start()
    try:
        honest = ["import os, time\ntime.sleep(1)\nchildren = []\nfor _ in range(8):\n    child = os.fork()\n"
                  "    if child == 0:\n        time.sleep(0.5)\n        os._exit(0)\n    children.append(child)\n"
                  "for child in children:\n    os.waitpid(child, 0)\nforked = len(children)"]
        result = _run(honest, ["forked"], limits=SandboxLimits(processes=16, wall_seconds=20))
    finally:
        bombing.join()
    assert result.error is None and result.notes == []
    assert result.values == {"forked": 8}


def test_several_sandboxes_at_once_keep_their_answers_apart():
    results = {}

    def grade(number):
        results[number] = _run([f"import time\ntime.sleep(0.5)\nanswer = {number} * 7"], ["answer"], limits=QUICK)

    threads = [threading.Thread(target=grade, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {number: result.values for number, result in results.items()} == {
        number: {"answer": number * 7} for number in range(6)}


def test_png_is_rebuilt_from_its_critical_chunks_only():
    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    pixels = chunk(b"IDAT", zlib.compress(b"\0\xff\0\0"))
    end = chunk(b"IEND", b"")
    text = chunk(b"tEXt", b"Comment\0<script>alert(1)</script>")
    signature = b"\x89PNG\r\n\x1a\n"
    assert sandbox._clean_png(signature + header + text + pixels + end, 2**20) == signature + header + pixels + end
    broken_crc = header[:-1] + bytes([header[-1] ^ 1])
    huge = chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
    for bad in (signature + broken_crc + pixels + end, signature + huge + pixels + end,
                signature + pixels + header + end, signature + header + pixels + end + b"more",
                signature + header + pixels, b"GIF89a" + header + pixels + end):
        assert sandbox._clean_png(bad, 2**20) is None
    assert sandbox._clean_png(signature + header + pixels + end, 10) is None


# ------------------------------------------------------------------ who may run it

@pytest.fixture
def unprivileged_user():
    if os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("runuser") is None:
        pytest.skip("needs root with useradd and runuser to create a temporary unprivileged user")
    name = "g2sbx" + secrets.token_hex(3)
    subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                    "--shell", "/usr/sbin/nologin", name], check=True, capture_output=True)
    uid = pwd.getpwnam(name).pw_uid
    try:
        yield name
    finally:
        for pid, process_uid, _, _ in _host_processes():  # only processes of this test's own user
            if process_uid == uid:
                os.kill(pid, signal.SIGKILL)
        subprocess.run(["userdel", name], check=True, capture_output=True)


def _python_for(user: str) -> str:
    """A Python the user can run: this one if they can reach it, else the system's."""
    for candidate in (sys.executable, "/usr/bin/python3"):
        check = subprocess.run(["runuser", "-u", user, "--", candidate, "-c", "import json"], capture_output=True)
        if check.returncode == 0:
            return candidate
    pytest.skip(f"no Python that {user} can run")


UNPRIVILEGED_SCRIPT = """
import json, sys
sys.path.insert(0, {src!r})
from toolkit_course.grading import sandbox
try:
    sandbox.check_available()
except sandbox.SandboxUnavailable as why:
    print(json.dumps({{"unavailable": str(why)}}))
    raise SystemExit(0)
result = sandbox.run_cells({cells!r}, {names!r}, data_files={{"counts.csv": b"a,1\\nb,3\\n"}})
print(json.dumps({{"values": result.values, "error": result.error, "notes": result.notes,
                  "run": [result.pid_namespace, result.host_uid]}}))
"""


def test_a_facilitator_without_root_grades_safely(unprivileged_user, listener):
    python = _python_for(unprivileged_user)
    cells = [ATTEMPT + f"""
import os
attempt("host 127.0.0.1", lambda: socket.create_connection(("127.0.0.1", {listener.port}), timeout=3))
attempt("read /root", lambda: os.listdir("/root"))
attempt("read the course", lambda: os.listdir({str(REPO / "solutions")!r}))
ids = [os.getuid(), os.geteuid()]
""", "rows = [line.split(',') for line in open('counts.csv').read().split()]\n"
     "share = int(rows[1][1]) / sum(int(row[1]) for row in rows)"]
    script = UNPRIVILEGED_SCRIPT.format(src=str(SRC), cells=cells, names=["outcome", "ids", "share"])
    completed = subprocess.run(["runuser", "-u", unprivileged_user, "--", python, "-c", script], cwd="/",
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.splitlines()[-1])
    if "unavailable" in report:
        pytest.skip(f"the kernel refuses unprivileged user namespaces here: {report['unavailable']}")
    _runs.append(tuple(report["run"]))
    assert report["run"][1] == pwd.getpwnam(unprivileged_user).pw_uid  # the facilitator's own id, on the host
    assert report["error"] is None
    assert report["values"] == {"outcome": {"host 127.0.0.1": "ECONNREFUSED", "read /root": "ENOENT",
                                            "read the course": "ENOENT"},
                                "ids": [sandbox.INSIDE_UID, sandbox.INSIDE_UID], "share": 0.75}
    assert listener.connections == 0
    uid = pwd.getpwnam(unprivileged_user).pw_uid
    assert [process for process in _host_processes() if process[1] == uid] == []


def test_disabled_user_namespaces_are_explained(unprivileged_user):
    """Where the kernel refuses user namespaces, the facilitator is told what to ask for. The
    refusal is real: the check runs inside a bubblewrap whose --disable-userns forbids new ones."""
    python = _python_for(unprivileged_user)
    script = UNPRIVILEGED_SCRIPT.format(src=str(SRC), cells=["x = 1"], names=["x"])
    command = ["runuser", "-u", unprivileged_user, "--", "bwrap", "--unshare-user", "--disable-userns",
               "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--", python, "-c", script]
    completed = subprocess.run(command, cwd="/", capture_output=True, text=True, timeout=300)
    if "No permissions to creat" in completed.stderr or "setting up uid map" in completed.stderr:
        pytest.skip("the kernel refuses unprivileged user namespaces altogether here")
    assert completed.returncode == 0, completed.stderr
    message = json.loads(completed.stdout.splitlines()[-1])["unavailable"]
    assert message.startswith("The grading sandbox needs unprivileged user namespaces, which this machine "
                              "does not allow")
    assert "user.max_user_namespaces" in message


def test_missing_bubblewrap_is_explained(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sandbox, "_available", False)
    with pytest.raises(SandboxUnavailable, match=r"needs bubblewrap.*sudo apt-get install bubblewrap"):
        run_cells(["x = 1"], ["x"])


def test_pid_of_the_grader_is_not_visible():
    cell = "import os\npids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\nme = os.getpid()"
    result = _run([cell], ["pids", "me"], limits=QUICK)
    assert result.values["me"] == 2 and result.values["pids"] == [1, 2]  # bubblewrap's init and the runner

