"""Run a learner's code cells in a sandbox built from an allow-list, and hand back plain answers.

    result = run_cells(sources, names, data_files={"shares.csv": b"..."})
    result.values    {name: plain JSON value}, only declared names, checked on arrival
    result.figures   PNG images of the figures left open (checked, cleaned, size-capped)
    result.output    what the code printed (capped while it streamed)
    result.error     one plain sentence if the run did not finish, else None
    result.notes     plain sentences about cells that failed and answers that were refused

The sandbox is bubblewrap (Debian's `bubblewrap` package); this module only decides what goes
into it. Inside there is:
  * a file system made only of what Python needs, read-only: the interpreter, its standard
    library, the environment's site-packages and the system's shared libraries (nothing else of
    /usr, no /etc, no /home, no /tmp, no course folder), plus a private, size-capped, empty
    working folder (/sandbox) holding read-only copies of the data files;
  * its own network namespace (no network at all, not even the host's 127.0.0.1), IPC namespace
    (no shared memory with anyone), PID namespace (sees only itself), UTS and cgroup namespaces;
  * an unprivileged user id with no capabilities and no way to gain any (no_new_privs; mounts are
    nosuid); as root, a fresh per-run user id that no other process on the machine has;
  * a system-call filter refusing what would escape the memory limit or widen the kernel's
    attack surface (SysV IPC, POSIX message queues, memfd, kernel keyrings, io_uring, bpf,
    userfaultfd, perf events, new namespaces);
  * resource limits: address space and CPU seconds of each process, processes (and threads) of
    the run, file size, open files, no core dumps; a wall-clock limit for the whole notebook,
    enforced from outside, that does not grow with the number of cells. Memory is limited per
    process, so a run can hold at most processes x memory_bytes (4 GiB with the defaults);
    bubblewrap sets up no cgroup, so there is no single memory limit for the whole run;
  * no environment from the grader and no file descriptor but stdin (/dev/null), one output pipe
    and one result pipe; the output is capped while it streams and the grader kills the sandbox
    as soon as it goes over.

When the run ends, for whatever reason, the whole PID namespace is killed and the grader checks
that no process of it is left. What comes back is data: JSON of plain types, size-capped and
checked again here (the code that produced it belonged to the learner), and PNGs rebuilt from
their critical chunks only.

Two ways to run, chosen by who calls:
  * as root: bubblewrap itself runs as root without a user namespace (so it can mount a Python
    that lives under /root), and the runner drops to a per-run user id before any learner code;
  * as an ordinary user: bubblewrap makes an unprivileged user namespace (the kernel must allow
    it; Debian 11 and later do by default), so a facilitator without root can grade safely.

Imports only the standard library: an unprivileged facilitator may run it with any Python 3.11.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import keyword
import os
import platform
import re
import secrets
import selectors
import shutil
import signal
import site
import struct
import subprocess
import sys
import sysconfig
import threading
import time
import zlib
from pathlib import Path

RUNNER = Path(__file__).with_name("sandbox_runner.py")
WORKDIR = "/sandbox"        # the learner's private working folder inside the sandbox
INSIDE_UID = 1000           # the learner's user id as seen inside (user-namespace mode)
# As root, each run gets a fresh user id from this range: no account, no files, no other process
# has it, so limits counted per user (processes) and anything left behind are the run's alone.
# It lies above the ranges systemd and useradd hand out and below 2**31.
PER_RUN_UID_FIRST, PER_RUN_UID_COUNT = 0x7E000000, 0x00FFFFFF
MIN_BWRAP = (0, 8, 0)       # --size, --perms for tmpfs, --disable-userns
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_MAX_PNG_SIDE, _MAX_PNG_PIXELS = 6000, 24_000_000
_MAX_DEPTH, _MAX_ITEMS = 32, 100_000   # nesting and size of one answer, checked on arrival
_MAX_NOTES, _MAX_NOTE_TEXT = 50, 300


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run on this machine; the message says what the facilitator needs."""


@dataclasses.dataclass(frozen=True)
class SandboxLimits:
    memory_bytes: int = 512 * 2**20      # address space of each process (numpy + matplotlib peak near 270 MiB)
    processes: int = 8                   # processes and threads of the sandbox's user
    cpu_seconds: int = 60                # processor time of each process
    wall_seconds: float = 60             # the whole notebook, however many cells it has
    output_bytes: int = 1 * 2**20        # stdout + stderr together
    disk_bytes: int = 64 * 2**20         # the working folder (memory-backed)
    file_bytes: int = 32 * 2**20         # largest file the code may write
    open_files: int = 256
    answer_bytes: int = 1 * 2**20        # one answer, as JSON
    figures: int = 10                    # figures handed back
    figure_bytes: int = 2 * 2**20        # one figure, as PNG
    result_bytes: int = 40 * 2**20       # everything handed back together

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            kinds = (int, float) if field.name == "wall_seconds" else (int,)
            if isinstance(value, bool) or not isinstance(value, kinds) or value <= 0:
                raise ValueError(f"SandboxLimits.{field.name} must be a positive "
                                 f"{'number' if len(kinds) == 2 else 'whole number'}, not {value!r}")


@dataclasses.dataclass
class SandboxResult:
    values: dict
    figures: list
    output: str
    error: str | None
    notes: list = dataclasses.field(default_factory=list)
    # For audits and tests: the run's PID namespace (inode) and the user id its code had on the
    # host (a per-run id as root; the caller's own id otherwise). Nothing may be left of either.
    pid_namespace: int | None = None
    host_uid: int | None = None


# ------------------------------------------------------------------ what people read

def _size(count: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            return f"{count / scale:g} {unit}"
    return f"{count} bytes"


def _seconds(count: float) -> str:
    return "1 second" if count == 1 else f"{count:g} seconds"


def error_message(kind: str, limits: SandboxLimits, detail: str = "") -> str:
    """The one sentence shown when a run did not finish (one place for all of them)."""
    return {
        "time": f"The notebook did not finish within {_seconds(limits.wall_seconds)} (a limit for the "
                "whole notebook, however many cells it has), so it was stopped.",
        "cpu": f"The notebook used more than {_seconds(limits.cpu_seconds)} of processor time, so it was stopped.",
        "output": f"The notebook printed more than {_size(limits.output_bytes)} of output, so it was stopped.",
        "killed": "The notebook was stopped by the system, most likely because it used too much "
                  "memory or processor time.",
        "crashed": f"The notebook's Python process crashed ({detail}).",
        "exited": f"The notebook's code ended its Python process (exit status {detail}) before it finished.",
        "result-too-large": f"The notebook handed back more than {_size(limits.result_bytes)}, "
                            "so none of its answers were accepted.",
        "result-unreadable": "What the notebook handed back could not be read, so none of its answers "
                             "were accepted.",
        "leftover": "Some of the notebook's processes could not be stopped; tell the course team.",
    }[kind]


def _note_text(note, limits: SandboxLimits, declared: set) -> str | None:
    """One runner note (untrusted data) as a sentence, or None if it is not a note we know."""
    if not isinstance(note, dict):
        return None
    kind, name = note.get("kind"), note.get("name")
    cell = note.get("cell")
    cell = cell if type(cell) is int and 0 < cell < 10**7 else "?"
    if kind in ("undefined", "not-plain", "too-large") and name not in declared:
        return None
    if kind == "cell-error":
        error_type = _clean_text(note.get("type"), 60)
        if error_type == "MemoryError":
            return f"Cell {cell} needed more memory than the {_size(limits.memory_bytes)} allowed (MemoryError)."
        return f"Cell {cell} stopped with {error_type}: {_clean_text(note.get('message'), _MAX_NOTE_TEXT)}"
    if kind == "jupyter-command":
        return (f"Cell {cell}: lines starting with % or ! are Jupyter commands, not Python; "
                "they were skipped when the code was run for grading.")
    if kind == "undefined":
        return f"{name} was not set when the code had run."
    if kind == "not-plain":
        return (f"{name} was not accepted: it must be plain data (text, a number, True/False, None, "
                f"or a list or dict of those), and it is {_clean_text(note.get('why'), 80)}.")
    if kind == "too-large":
        return f"{name} was not accepted: it is larger than {_size(limits.answer_bytes)}."
    if kind == "too-many-figures":
        return f"More than {limits.figures} figures were left open; only the first {limits.figures} were kept."
    if kind in ("figure-error", "figure-too-large"):
        return "A figure could not be saved as a PNG image of an acceptable size."
    return None


def _clean_text(value, length: int) -> str:
    text = value if isinstance(value, str) else ""
    return "".join(ch if ch.isprintable() else " " for ch in text[:length])


# ------------------------------------------------------------------ availability

_available_lock = threading.Lock()
_available = False


def _bwrap() -> str:
    found = shutil.which("bwrap")
    if found is None:
        raise SandboxUnavailable(
            "The grading sandbox needs bubblewrap, which is not installed. On Debian or Ubuntu run "
            "'sudo apt-get install bubblewrap' (or 'bash scripts/install-sandbox-deps.sh' as root).")
    return found


def _bwrap_version(bwrap: str) -> tuple:
    text = subprocess.run([bwrap, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(part) for part in match.groups()) if match else (0, 0, 0)


def check_available() -> None:
    """Raise SandboxUnavailable, saying what the facilitator needs, unless a test run works.

    The check runs a tiny notebook in the sandbox once per process and remembers success.
    """
    global _available
    with _available_lock:
        if _available:
            return
        bwrap = _bwrap()
        version = _bwrap_version(bwrap)
        if version < MIN_BWRAP:
            raise SandboxUnavailable(
                f"The grading sandbox needs bubblewrap {'.'.join(map(str, MIN_BWRAP))} or newer "
                f"(this machine has {'.'.join(map(str, version))}); Debian 12 and later ship it.")
        try:
            probe = _run(["answer = 6 * 7"], ["answer"], {}, SandboxLimits(wall_seconds=30))
        except _SandboxDidNotStart as why:
            raise SandboxUnavailable(_diagnose(str(why))) from None
        if probe.values != {"answer": 42}:
            raise SandboxUnavailable(
                "The grading sandbox started but could not run Python correctly "
                f"({probe.error or probe.output[-300:] or 'no answer came back'}).")
        _available = True


def _diagnose(bwrap_output: str) -> str:
    text = bwrap_output.strip()
    said = text.splitlines()[-1] if text else "no message"
    if os.geteuid() != 0 and re.search(r"namespace|uid map|setting up uid|Operation not permitted", text, re.I):
        return ("The grading sandbox needs unprivileged user namespaces, which this machine does not "
                "allow (" + said + "). Ask the administrator to enable them (Debian: "
                "'sysctl kernel.unprivileged_userns_clone=1'; Ubuntu 24.04 and later: an AppArmor "
                "profile for bwrap, or 'sysctl kernel.apparmor_restrict_unprivileged_userns=0'; "
                "everywhere: 'user.max_user_namespaces' above 0), or grade as root.")
    if os.geteuid() == 0 and "Operation not permitted" in text:
        return ("The grading sandbox could not create its namespaces as root (" + said + "). In a "
                "container, the container needs CAP_SYS_ADMIN and a seccomp profile that allows "
                "unshare; or grade as an ordinary user where unprivileged user namespaces are enabled.")
    return "The grading sandbox could not start: " + said


# ------------------------------------------------------------------ the allow-list

def _python_paths() -> list[tuple[str, str]]:
    """(host path, path inside) pairs: exactly what this Python needs to run, read-only.

    Paths inside are the ones this interpreter uses (symlinks resolved on the host side only),
    so the interpreter finds its standard library and environment where it expects them.
    """
    wanted = [sys.executable, sysconfig.get_path("stdlib"), sysconfig.get_config_var("DESTSHARED")]
    wanted += site.getsitepackages() + [sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]
    if sys.prefix != sys.base_prefix:
        wanted.append(os.path.join(sys.prefix, "pyvenv.cfg"))
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        library = sysconfig.get_config_var("INSTSONAME") or ""
        wanted.append(os.path.join(sysconfig.get_config_var("LIBDIR") or "", library))
    interpreter = _elf_interpreter(os.path.realpath(sys.executable))
    if interpreter:
        wanted.append(interpreter)
    multiarch = sysconfig.get_config_var("MULTIARCH") or f"{platform.machine()}-linux-gnu"
    # The dynamic loader's default search path (there is no /etc/ld.so.cache inside).
    wanted += [f"/lib/{multiarch}", f"/usr/lib/{multiarch}", "/lib64", "/usr/lib64"]
    if not os.path.isdir(f"/usr/lib/{multiarch}"):   # not a multiarch system: plain lib folders
        wanted += ["/lib", "/usr/lib"]
    pairs = []
    # Outermost first; a path already inside a mounted folder needs no mount of its own.
    for path in sorted({os.path.normpath(p) for p in wanted if p and os.path.isabs(p) and os.path.exists(p)},
                       key=lambda p: (p.count("/"), p)):
        if path in ("/", "/usr", "/etc", "/home", "/root", "/tmp"):
            continue
        if any(path == inside or path.startswith(inside + "/") for _, inside in pairs):
            continue
        pairs.append((os.path.realpath(path), path))
    return pairs


def _elf_interpreter(path: str) -> str | None:
    """The dynamic loader named in an ELF executable's PT_INTERP header (e.g. /lib64/ld-linux-x86-64.so.2)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(64)
            if head[:4] != b"\x7fELF" or head[4] != 2:  # 64-bit only
                return None
            order = "<" if head[5] == 1 else ">"
            phoff, = struct.unpack_from(order + "Q", head, 32)
            phentsize, phnum = struct.unpack_from(order + "HH", head, 54)
            for index in range(phnum):
                handle.seek(phoff + index * phentsize)
                kind, _, offset, _, _, size = struct.unpack(order + "IIQQQQ", handle.read(40))
                if kind == 3:  # PT_INTERP
                    handle.seek(offset)
                    return handle.read(size).rstrip(b"\0").decode()
    except (OSError, struct.error, UnicodeDecodeError):
        return None
    return None


# ------------------------------------------------------------------ the system-call filter

# System calls refused with EPERM: each either escapes the memory limit (memory not counted in
# the address space: SysV shared memory, message queues, memfd) or opens kernel attack surface no
# learner needs. clone3 gets ENOSYS so that the C library falls back to clone, whose flags a
# classic BPF filter can read; clone and unshare may not create namespaces.
_REFUSED = ("shmget", "msgget", "semget", "mq_open", "memfd_create", "memfd_secret", "add_key",
            "request_key", "keyctl", "io_uring_setup", "userfaultfd", "perf_event_open", "bpf",
            "unshare", "setns", "mount", "umount2", "pivot_root", "kexec_load", "init_module",
            "finit_module", "open_by_handle_at", "name_to_handle_at")
_SYSCALLS = {
    "x86_64": (0xC000003E, {
        "shmget": 29, "semget": 64, "msgget": 68, "mq_open": 240, "memfd_create": 319, "memfd_secret": 447,
        "add_key": 248, "request_key": 249, "keyctl": 250, "io_uring_setup": 425, "userfaultfd": 323,
        "perf_event_open": 298, "bpf": 321, "unshare": 272, "setns": 308, "mount": 165, "umount2": 166,
        "pivot_root": 155, "kexec_load": 246, "init_module": 175, "finit_module": 313,
        "open_by_handle_at": 304, "name_to_handle_at": 303, "clone": 56, "clone3": 435}),
    "aarch64": (0xC00000B7, {
        "shmget": 194, "semget": 190, "msgget": 186, "mq_open": 180, "memfd_create": 279, "memfd_secret": 447,
        "add_key": 217, "request_key": 218, "keyctl": 219, "io_uring_setup": 425, "userfaultfd": 282,
        "perf_event_open": 241, "bpf": 280, "unshare": 97, "setns": 268, "mount": 40, "umount2": 39,
        "pivot_root": 41, "kexec_load": 104, "init_module": 105, "finit_module": 273,
        "open_by_handle_at": 265, "name_to_handle_at": 264, "clone": 220, "clone3": 435}),
}
_NAMESPACE_FLAGS = 0x7E020000  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET


def _syscall_filter(refused: tuple = _REFUSED) -> bytes | None:
    """A classic-BPF seccomp program for bubblewrap's --seccomp (None on other architectures)."""
    table = _SYSCALLS.get(platform.machine())
    if table is None:
        return None
    arch, numbers = table
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, kill = 0x7FFF0000, 0x80000000
    eperm, enosys = 0x00050000 | 1, 0x00050000 | 38
    refused_numbers = [numbers[name] for name in refused]
    # Layout: checks ..., ALLOW, EPERM, ENOSYS, KILL (jumps are relative and forward only).
    program = [(ld, 0, 0, 4), (jeq, 1, 0, arch), ("KILL",), (ld, 0, 0, 0)]
    if platform.machine() == "x86_64":
        program.append((jge, "KILL", 0, 0x40000000))  # the x32 ABI
    program += [(jeq, "EPERM", 0, number) for number in refused_numbers]
    program += [(jeq, "ENOSYS", 0, numbers["clone3"]), (jeq, 0, "ALLOW", numbers["clone"]),
                (ld, 0, 0, 16 if sys.byteorder == "little" else 20),  # clone's flags (low 32 bits)
                (jset, "EPERM", "ALLOW", _NAMESPACE_FLAGS)]
    labels = {"ALLOW": len(program), "EPERM": len(program) + 1, "ENOSYS": len(program) + 2,
              "KILL": len(program) + 3}
    program += [(ret, 0, 0, allow), (ret, 0, 0, eperm), (ret, 0, 0, enosys), (ret, 0, 0, kill)]
    out = bytearray()
    for index, instruction in enumerate(program):
        if instruction == ("KILL",):
            instruction = (ret, 0, 0, kill)
        code, true, false, constant = instruction
        true = labels[true] - index - 1 if isinstance(true, str) else true
        false = labels[false] - index - 1 if isinstance(false, str) else false
        out += struct.pack("=HBBI", code, true, false, constant)
    return bytes(out)


# ------------------------------------------------------------------ running

class _SandboxDidNotStart(Exception):
    """bubblewrap or the runner failed before any learner code ran; the message is their output."""


_DATA_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _check_arguments(sources, names, data_files) -> None:
    if not isinstance(sources, list) or not all(isinstance(source, str) for source in sources):
        raise TypeError("run_cells: sources must be a list of strings (the code cells)")
    if not isinstance(names, list) or not all(isinstance(name, str) and name.isidentifier()
                                             and not keyword.iskeyword(name) for name in names):
        raise ValueError(f"run_cells: names must be a list of Python variable names, not {names!r}")
    for name, data in data_files.items():
        if not isinstance(name, str) or not _DATA_NAME.fullmatch(name) or set(name) == {"."}:
            raise ValueError(f"run_cells: data file name {name!r} must be a plain file name "
                             "(letters, digits, '.', '_', '-'; no folders)")
        if not isinstance(data, bytes):
            raise TypeError(f"run_cells: data file {name!r} must be bytes")


def run_cells(sources: list[str], names: list[str], *, data_files: dict[str, bytes] | None = None,
              limits: SandboxLimits = SandboxLimits()) -> SandboxResult:
    """Run the cells in order in a fresh sandbox and hand back the declared names (see module doc)."""
    data_files = dict(data_files or {})
    _check_arguments(sources, names, data_files)
    check_available()
    try:
        return _run(sources, names, data_files, limits)
    except _SandboxDidNotStart as why:
        raise SandboxUnavailable(_diagnose(str(why))) from None


def _above_stdio(fd: int) -> int:
    """The descriptor moved to 10 or above (close-on-exec), so that a grader started with stdin,
    stdout or stderr closed can never hand the sandbox one of them by number."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


def _pipe() -> tuple[int, int]:
    read, write = os.pipe()
    return _above_stdio(read), _above_stdio(write)


def _memfd(name: str, data: bytes) -> int:
    fd = _above_stdio(os.memfd_create(name))
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _bwrap_command(bwrap: str, fds: dict, data_fds: dict, disk_bytes: int) -> list[str]:
    as_root = os.geteuid() == 0
    command = [bwrap, "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
               "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    if as_root:
        # No user namespace: bubblewrap mounts as root, the runner then drops to the per-run user
        # id (it keeps only the two capabilities that needs, until it drops them with the id).
        command += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        command += ["--unshare-user", "--disable-userns", "--uid", str(INSIDE_UID), "--gid", str(INSIDE_UID)]
    command += ["--hostname", "sandbox"]
    made = set()
    for source, inside in _python_paths():
        # Parent folders that bubblewrap makes copy the host's modes (0700 for /root, say); make
        # them 0755 first so the sandbox's user can reach what is mounted below them.
        for parent in reversed(Path(inside).parents):
            if str(parent) != "/" and str(parent) not in made:
                command += ["--perms", "0755", "--dir", str(parent)]
                made.add(str(parent))
        command += ["--ro-bind", source, inside]
    command += ["--proc", "/proc", "--dev", "/dev",
                "--size", str(disk_bytes), "--perms", "1777", "--tmpfs", WORKDIR,
                "--perms", "0755", "--dir", "/job",
                "--perms", "0444", "--ro-bind-data", str(fds["runner"]), "/job/runner.py",
                "--perms", "0444", "--ro-bind-data", str(fds["job"]), "/job/job.json"]
    for name, fd in data_fds.items():
        command += ["--perms", "0444", "--ro-bind-data", str(fd), f"{WORKDIR}/{name}"]
    command += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", WORKDIR, "--clearenv"]
    environment = {"HOME": WORKDIR, "TMPDIR": WORKDIR, "MPLCONFIGDIR": f"{WORKDIR}/.matplotlib",
                   "MPLBACKEND": "Agg", "LANG": "C.UTF-8", "PATH": os.path.dirname(sys.executable),
                   "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    for key, value in environment.items():
        command += ["--setenv", key, value]
    if "seccomp" in fds:
        command += ["--seccomp", str(fds["seccomp"])]
    command += ["--json-status-fd", str(fds["status"]), "--",
                sys.executable, "-I", "-S", "-u", "-B", "/job/runner.py"]
    return command


def _run(sources: list[str], names: list[str], data_files: dict, limits: SandboxLimits) -> SandboxResult:
    bwrap = _bwrap()
    per_run_uid = PER_RUN_UID_FIRST + secrets.randbelow(PER_RUN_UID_COUNT) if os.geteuid() == 0 else None
    result_read, result_write = _pipe()
    status_read, status_write = _pipe()
    child_fds = [result_write, status_write]  # the sandbox's ends: closed here once it has them
    try:
        job = {"sources": sources, "names": names, "uid": per_run_uid, "result_fd": result_write,
               "limits": dataclasses.asdict(limits)}
        fds = {"status": status_write, "runner": _memfd("runner", RUNNER.read_bytes())}
        child_fds.append(fds["runner"])
        fds["job"] = _memfd("job", json.dumps(job).encode())
        child_fds.append(fds["job"])
        bpf = _syscall_filter()
        if bpf is not None:
            fds["seccomp"] = _memfd("seccomp", bpf)
            child_fds.append(fds["seccomp"])
        data_fds = {}
        for name, data in data_files.items():
            data_fds[name] = _memfd("data", data)
            child_fds.append(data_fds[name])
        command = _bwrap_command(bwrap, fds, data_fds, limits.disk_bytes)
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, pass_fds=child_fds, close_fds=True,
                                   start_new_session=True, cwd="/", env={"LANG": "C.UTF-8"})
    except BaseException:
        os.close(result_read)
        os.close(status_read)
        raise
    finally:
        for fd in child_fds:
            os.close(fd)
    try:
        result = _supervise(process, result_read, status_read, names, limits)
        result.host_uid = per_run_uid if per_run_uid is not None else os.getuid()
        return result
    finally:
        os.close(result_read)
        os.close(status_read)
        process.stdout.close()


def _supervise(process, result_read: int, status_read: int, names: list[str], limits: SandboxLimits):
    """Pump output and result until the run ends or a limit is hit; then kill and check."""
    deadline = time.monotonic() + limits.wall_seconds
    output, status, channel = bytearray(), bytearray(), _ResultChannel(names, limits)
    out_fd = process.stdout.fileno()
    open_fds = {out_fd: "output", result_read: "result", status_read: "status"}
    selector = selectors.DefaultSelector()
    for fd, what in open_fds.items():
        selector.register(fd, selectors.EVENT_READ, what)
    error_kind, init = None, None
    try:
        while open_fds.keys() & {out_fd, result_read} and not channel.finished and error_kind is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                error_kind = "time"
                break
            for key, _ in selector.select(remaining):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fd)
                    del open_fds[key.fd]
                elif key.data == "output":
                    room = limits.output_bytes - len(output)
                    output += chunk[:max(room, 0)]
                    if len(chunk) > room:
                        error_kind = "output"
                elif key.data == "result":
                    channel.feed(chunk)
                    error_kind = error_kind or channel.problem
                elif len(status) < 65536:
                    status += chunk
                    init = init or _open_init(_json_lines(bytes(status)))
        if channel.finished:  # the runner flushed its output before its answers: collect the rest
            _drain(out_fd, output, limits.output_bytes)
        elif error_kind is None:
            # Both pipes closed without a result: normally the runner has just died and
            # bubblewrap follows at once; a learner's process that closed them and runs on
            # meets the time limit.
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0))
            except subprocess.TimeoutExpired:
                error_kind = "time"
    finally:
        selector.close()
        exit_status = _stop(process, init)
        _drain(status_read, status, 65536)
        status_fields = _json_lines(bytes(status))
        leftovers = _kill_namespace(status_fields.get("pid-namespace"))
    text = output.decode("utf-8", "replace")
    if error_kind is None and not channel.started:
        # No learner code ran: bubblewrap or the runner's set-up failed; the output is theirs.
        raise _SandboxDidNotStart(text[-2000:] or f"bubblewrap exited with status {exit_status}")
    if error_kind == "output":
        text += f"\n[output cut: more than {_size(limits.output_bytes)}]"
    values, figures, notes, detail = {}, [], [], ""
    if channel.finished and error_kind is None:
        values, figures, notes = _accept(channel, names, limits)
    elif error_kind is None:
        error_kind, detail = _exit_reason(status_fields.get("exit-code", exit_status))
    if leftovers:
        error_kind = "leftover"
    error = error_message(error_kind, limits, detail) if error_kind else None
    namespace = status_fields.get("pid-namespace")
    return SandboxResult(values=values, figures=figures, output=text, error=error, notes=notes,
                         pid_namespace=namespace if type(namespace) is int else None)


class _ResultChannel:
    """The runner's frames (see sandbox_runner.py), read as they arrive. Every frame has a cap and
    a count; one over either, or anything unknown, ends the reading before the frame is read."""

    def __init__(self, names: list[str], limits: SandboxLimits):
        self.limit = limits.result_bytes
        self.caps = {b"A": limits.answer_bytes + 2 + 1024, b"N": 256 * 1024, b"F": limits.figure_bytes}
        self.left = {b"A": len(names), b"N": 1, b"F": limits.figures}
        self.buffer, self.received = bytearray(), 0
        self.started = self.finished = False
        self.problem = None
        self.answers, self.notes, self.figures = [], None, []

    def feed(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received > self.limit:
            self.problem = "result-too-large"
            return
        self.buffer += chunk
        while self.problem is None and not self.finished and self.buffer:
            if not self._take_frame():
                return

    def _take_frame(self) -> bool:
        """Consume one whole frame from the buffer; False if more bytes are needed (or refused)."""
        kind = bytes(self.buffer[:1])
        if not self.started or kind in (b"R", b"E"):
            if kind != (b"E" if self.started else b"R") or (kind == b"E" and len(self.buffer) > 1):
                self.problem = "result-unreadable"
                return False
            self.started, self.finished = True, kind == b"E"
            del self.buffer[:1]
            return True
        if kind not in self.caps:
            self.problem = "result-unreadable"
            return False
        if len(self.buffer) < 9:
            return False
        length = int.from_bytes(self.buffer[1:9], "big")
        if length > self.caps[kind]:
            self.problem = "result-too-large"
            return False
        if self.left[kind] == 0:
            self.problem = "result-unreadable"
            return False
        if len(self.buffer) < 9 + length:
            return False
        body = bytes(self.buffer[9:9 + length])
        del self.buffer[:9 + length]
        self.left[kind] -= 1
        if kind == b"A":
            size = int.from_bytes(body[:2], "big")
            self.answers.append((body[2:2 + size], body[2 + size:]))
        elif kind == b"N":
            self.notes = body
        else:
            self.figures.append(body)
        return True


def _drain(fd: int, output: bytearray, cap: int) -> None:
    os.set_blocking(fd, False)
    try:
        while len(output) < cap:
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            output += chunk[:cap - len(output)]
    except BlockingIOError:
        return


def _json_lines(data: bytes) -> dict:
    fields = {}
    for line in data.splitlines():
        try:
            parsed = json.loads(line)
        except ValueError:
            continue
        if isinstance(parsed, dict):
            fields.update(parsed)
    return fields


def _exit_reason(code) -> tuple[str, str]:
    """Why the runner ended without handing back a result. bubblewrap reports a process killed
    by signal N as exit status 128 + N."""
    code = code if type(code) is int else -1
    if code > 128 and code - 128 in signal.valid_signals():
        number = code - 128
        if number == signal.SIGXCPU:
            return "cpu", ""
        if number == signal.SIGKILL:
            return "killed", ""
        return "crashed", signal.Signals(number).name
    return "exited", str(code)


def _open_init(status: dict) -> int | None:
    """A pidfd for the sandbox's init (PID 1 of its namespace), from bubblewrap's status report."""
    pid, namespace = status.get("child-pid"), status.get("pid-namespace")
    if type(pid) is not int or type(namespace) is not int:
        return None
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return None
    try:  # the pidfd pins the process; make sure it is the one bubblewrap reported
        if os.readlink(f"/proc/{pid}/ns/pid") == f"pid:[{namespace}]":
            return pidfd
    except OSError:
        pass
    os.close(pidfd)
    return None


def _stop(process, init: int | None) -> int:
    """Kill the sandbox's init: the kernel then kills every process in its PID namespace, and
    bubblewrap, having reaped it, exits. If that did not happen, kill bubblewrap itself (its child
    then dies of --die-with-parent, which again takes the whole namespace with it)."""
    if init is not None:
        try:
            signal.pidfd_send_signal(init, signal.SIGKILL)
        except OSError:
            pass
        finally:
            os.close(init)
        try:
            return process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    return process.wait()


def _namespace_members(pid_namespace: int) -> list[int]:
    link = f"pid:[{pid_namespace}]"
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/ns/pid") != link:
                    continue
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    state = handle.read().rsplit(b")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue  # gone, or not ours to read
            if state not in (b"Z", b"X"):  # a zombie runs nothing and holds nothing but its number
                members.append(int(entry))
    return members


def _kill_namespace(pid_namespace) -> list[int]:
    """Make sure no process of the sandbox's PID namespace is left; return any that are."""
    if type(pid_namespace) is not int:
        return []
    give_up = time.monotonic() + 10
    while time.monotonic() < give_up:
        members = _namespace_members(pid_namespace)
        if not members:
            return []
        for pid in members:
            try:  # a pidfd pins the process, so a reused PID is never hit
                pidfd = os.pidfd_open(pid)
            except OSError:
                continue
            try:
                if os.readlink(f"/proc/{pid}/ns/pid") == f"pid:[{pid_namespace}]":
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            except OSError:
                pass
            finally:
                os.close(pidfd)
        time.sleep(0.05)
    return _namespace_members(pid_namespace)


# ------------------------------------------------------------------ what comes back

def _accept(channel: _ResultChannel, names: list[str], limits: SandboxLimits):
    """Turn the runner's frames into checked plain values, cleaned PNGs and sentences."""
    declared = set(names)
    notes = []
    try:
        raw_notes = json.loads(channel.notes or b"[]", parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raw_notes = []
    if isinstance(raw_notes, list):
        notes = [text for text in (_note_text(note, limits, declared) for note in raw_notes[:_MAX_NOTES]) if text]
    values = {}
    for raw_name, text in channel.answers:
        name = raw_name.decode("utf-8", "replace")
        if name not in declared or name in values:
            continue
        value, problem = _plain_value(text, limits)
        if problem:
            notes.append(f"{name} was not accepted: {problem}.")
        else:
            values[name] = value
    figures = []
    for data in channel.figures:
        png = _clean_png(data, limits.figure_bytes)
        if png is None:
            notes.append("A figure was not a valid PNG image of an acceptable size, so it was left out.")
        else:
            figures.append(png)
    return values, figures, notes


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not plain data")


def _plain_value(text: bytes, limits: SandboxLimits):
    """(value, None) if text is JSON of plain, finite, bounded data; else (None, reason)."""
    if len(text) > limits.answer_bytes:
        return None, f"it is larger than {_size(limits.answer_bytes)}"
    # Count before parsing, so that no answer can make the grader build millions of objects.
    if text.count(b",") + text.count(b"[") + text.count(b"{") > _MAX_ITEMS:
        return None, "it is nested too deeply or holds too many items"
    try:
        value = json.loads(text.decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return None, "it is not plain data (text, a number, True/False, None, or a list or dict of those)"
    problem = _plain_problem(value)
    return (None, problem) if problem else (value, None)


def _plain_problem(value) -> str | None:
    """Walk the value without recursion: only exact plain types, finite numbers, bounded size."""
    stack, items = [(value, 0)], 0
    while stack:
        item, depth = stack.pop()
        items += 1
        if items > _MAX_ITEMS or depth > _MAX_DEPTH:
            return "it is nested too deeply or holds too many items"
        kind = type(item)
        if item is None or kind in (bool, int):
            continue
        if kind is str:
            if not _is_utf8(item):
                return "it holds text that is not valid Unicode"
            continue
        if kind is float:
            if item != item or item in (float("inf"), float("-inf")):
                return "it is not a finite number"
            continue
        if kind is list:
            stack.extend((child, depth + 1) for child in item)
        elif kind is dict and all(type(key) is str and _is_utf8(key) for key in item):
            stack.extend((child, depth + 1) for child in item.values())
        else:
            return "it is not plain data"
    return None


def _is_utf8(text: str) -> bool:
    """False for text holding lone surrogates (JSON allows them; a gradebook cannot store them)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean_png(data: bytes, max_bytes: int) -> bytes | None:
    """The PNG rebuilt from its critical chunks (IHDR, PLTE, IDAT, IEND), every CRC checked and
    the image size bounded; None if it is not exactly that."""
    if len(data) > max_bytes or not data.startswith(_PNG_SIGNATURE):
        return None
    kept, position, first = [_PNG_SIGNATURE], len(_PNG_SIGNATURE), True
    while position + 12 <= len(data):
        length = int.from_bytes(data[position:position + 4], "big")
        kind = data[position + 4:position + 8]
        end = position + 12 + length
        if end > len(data):
            return None
        body = data[position + 8:end - 4]
        if zlib.crc32(kind + body) != int.from_bytes(data[end - 4:end], "big"):
            return None
        if first:
            if kind != b"IHDR" or length != 13:
                return None
            width, height = struct.unpack(">II", body[:8])
            if not (0 < width <= _MAX_PNG_SIDE and 0 < height <= _MAX_PNG_SIDE and width * height <= _MAX_PNG_PIXELS):
                return None
            first = False
        if kind in (b"IHDR", b"PLTE", b"IDAT", b"IEND"):
            kept.append(data[position:end])
        position = end
        if kind == b"IEND":
            return b"".join(kept) if position == len(data) else None
    return None
