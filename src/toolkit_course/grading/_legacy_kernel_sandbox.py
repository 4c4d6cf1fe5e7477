"""LEGACY: the old kernel sandbox (per-slot users, unshare and mount, a deny-list of paths).

Kept only because today's autograde.py still imports ensure_slot_users, write_kernelspec and
default_hidden through sandbox.py. Delete this file, and the re-export at the end of sandbox.py,
once the new pipeline (static answers + sandbox.run_cells) no longer calls them.

Run each learner's notebook in a kernel that cannot reach the course's secrets.

How it is enforced (all of it needs root, which the grading machine has):
  * each parallel worker slot has its own unprivileged system user (tkgrade0, tkgrade1, ...),
    so kernels running side by side cannot signal, trace or read each other;
  * the kernel starts in new mount and PID namespaces (util-linux `unshare`):
      - the course folder, the package checkout (with its .git), the grading workspace and
        /root are covered by empty file systems; only the Python environment and the
        package's source folder are mounted back, read-only;
      - /tmp, /var/tmp, /dev/shm and /run/lock are fresh, private and small; the scratch
        folder, the only place the learner's user may write, is /tmp/scratch;
      - the kernel sees only its own processes, and everything it started dies with it;
  * resource limits: processes per user, file size, no core dumps;
  * the kernel gets only the connection file it needs (copied into scratch), never
    the nbgrader process's environment.

Limits: the kernel can still use the network, and code inside the kernel can
tamper with the kernel itself (see kernel_guard).

This module runs in three places, so it imports only the standard library:
  * in the autograder: ensure_slot_users(), write_kernelspec();
  * as the kernelspec's launcher (`launch`, as root, outside the namespaces);
  * inside the new namespaces (`inside`), where it mounts and drops privileges.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import pwd
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

USER_PREFIX = "tkgrade"
SCRATCH = Path("/tmp/scratch")
PRIVATE_TMP = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
_PR_SET_PDEATHSIG, _PR_SET_NO_NEW_PRIVS = 1, 38


from .sandbox import SandboxUnavailable  # noqa: E402 - one exception for both sandboxes


def check_available() -> None:
    if os.geteuid() != 0:
        raise SandboxUnavailable(
            "the grading sandbox needs root (it runs each kernel as a separate unprivileged user). "
            "Run the command with sudo, or pass --sandbox=off to grade without it, which lets "
            "learners' code read the answers and the gradebook")
    for tool in ("unshare", "useradd", "mount"):
        if shutil.which(tool) is None:
            raise SandboxUnavailable(f"the grading sandbox needs the '{tool}' command (Debian: util-linux, passwd)")
    probe = subprocess.run(["unshare", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        raise SandboxUnavailable("this machine does not allow new mount and PID namespaces "
                                 f"({probe.stderr.strip()}); a container needs CAP_SYS_ADMIN. "
                                 "Use --sandbox=off only if you trust every submission")


def ensure_slot_users(count: int) -> list[tuple[int, int]]:
    """(uid, gid) of one unprivileged system user per worker slot, created if missing."""
    check_available()
    ids = []
    for slot in range(count):
        name = f"{USER_PREFIX}{slot}"
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
                            "/nonexistent", "--shell", "/usr/sbin/nologin", name],
                           check=True, capture_output=True)
            entry = pwd.getpwnam(name)
        ids.append((entry.pw_uid, entry.pw_gid))
    return ids


def write_kernelspec(jupyter_dir: Path, slot: int, uid: int, gid: int, hide: list[Path]) -> str:
    """Write kernels/<name>/kernel.json under jupyter_dir (put it on JUPYTER_PATH); return the name."""
    name = f"toolkit-sandbox-{slot}"
    folder = Path(jupyter_dir) / "kernels" / name
    folder.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "toolkit_course.grading._legacy_kernel_sandbox", "launch",
            "--uid", str(uid), "--gid", str(gid)]
    for path in hide:
        argv += ["--hide", str(path)]
    argv += ["--connection-file", "{connection_file}"]
    spec = {"argv": argv, "display_name": f"Sandboxed grading kernel {slot}", "language": "python",
            "metadata": {"debugger": False}}
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return name


def package_source() -> Path:
    """The folder that holds the toolkit_course package (the kernel imports answer_checks from it)."""
    return Path(__file__).resolve().parents[2]


def default_hidden(course_root: Path, workspace: Path) -> list[Path]:
    return [Path(course_root), package_source().parent, Path(workspace), Path("/root")]


# ---------------------------------------------------------------- kernel side

def _prctl(option: int, value: int) -> None:
    ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def _launch(args, kernel_args: list[str]) -> None:
    # If the nbgrader process that started us dies, the whole sandbox dies with it.
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    inside = [sys.executable, "-m", "toolkit_course.grading._legacy_kernel_sandbox", "inside",
              "--uid", str(args.uid), "--gid", str(args.gid), "--connection-file", args.connection_file]
    for path in args.hide:
        inside += ["--hide", path]
    command = ["unshare", "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child",
               "--mount-proc", "--", *inside, "--", *kernel_args]
    os.execvp(command[0], command)


def _mount(*arguments: str) -> None:
    subprocess.run(["mount", *arguments], check=True, capture_output=True)


def _visible_paths() -> list[Path]:
    """What the kernel needs to see: the Python installation(s) and the package source."""
    paths = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), package_source()}
    return sorted(paths)


# Where the paths the kernel needs are parked while everything around them is covered. It is
# itself covered by a tmpfs, so this happens only in the sandbox's own mount namespace.
STAGING = Path("/mnt")


def _outermost(paths: list[Path]) -> list[Path]:
    return [p for p in paths if not any(p != q and p.is_relative_to(q) for q in paths)]


def _build_filesystem(hidden: list[Path]) -> None:
    """Cover the private temp folders and the hidden folders with empty tmpfs mounts, keeping
    Python and the package source visible (read-only) even when they live under a covered folder,
    for example a checkout in /tmp."""
    covers = {Path(p): "size=256m,mode=1777" if p == "/tmp" else "size=64m,mode=1777"
              for p in PRIVATE_TMP if Path(p).is_dir()}
    for path in hidden:
        if path.exists():
            covers.setdefault(path.resolve(), "size=1m,mode=755")
    roots = _outermost(list(covers))
    keep = [p for p in _visible_paths() if any(p.is_relative_to(r) for r in roots)]
    STAGING.mkdir(exist_ok=True)
    _mount("-t", "tmpfs", "-o", "size=1m,mode=700", "tmpfs", str(STAGING))
    staged = []
    for index, path in enumerate(keep):
        target = STAGING / str(index)
        target.mkdir()
        _mount("--bind", str(path), str(target))
        staged.append((target, path))
    for root in roots:
        _mount("-t", "tmpfs", "-o", covers[root], "tmpfs", str(root))
    for target, path in staged:
        path.mkdir(parents=True, exist_ok=True)
        _mount("--bind", str(target), str(path))
        _mount("-o", "remount,bind,ro", str(path))
        _mount("--make-private", str(target))
        subprocess.run(["umount", str(target)], check=True)
    subprocess.run(["umount", str(STAGING)], check=True)


def _inside(args, kernel_args: list[str]) -> None:
    connection = Path(args.connection_file).read_text(encoding="utf-8")
    _build_filesystem([Path(p) for p in args.hide])
    SCRATCH.mkdir(mode=0o700)
    (SCRATCH / "kernel.json").write_text(connection, encoding="utf-8")
    for path in (SCRATCH, SCRATCH / "kernel.json"):
        os.chown(path, args.uid, args.gid)
    resource.setrlimit(resource.RLIMIT_NPROC, (256, 256))
    resource.setrlimit(resource.RLIMIT_FSIZE, (200 * 2**20, 200 * 2**20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.setgroups([])
    os.setgid(args.gid)
    os.setuid(args.uid)
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)
    os.chdir(SCRATCH)
    env = {"HOME": str(SCRATCH), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "LANG": "C.UTF-8",
           "IPYTHONDIR": str(SCRATCH / ".ipython"), "MPLCONFIGDIR": str(SCRATCH / ".matplotlib"),
           "TMPDIR": str(SCRATCH), "PYTHONNOUSERSITE": "1", "NBGRADER_EXECUTION": "autograde"}
    command = [sys.executable, "-m", "ipykernel_launcher", "-f", str(SCRATCH / "kernel.json"), *kernel_args]
    os.execve(command[0], command, env)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    kernel_args = []
    if "--" in argv:
        split = argv.index("--")
        argv, kernel_args = argv[:split], argv[split + 1:]
    parser = argparse.ArgumentParser(prog="toolkit_course.grading._legacy_kernel_sandbox")
    parser.add_argument("stage", choices=("launch", "inside"))
    parser.add_argument("--uid", type=int, required=True)
    parser.add_argument("--gid", type=int, required=True)
    parser.add_argument("--hide", action="append", default=[])
    parser.add_argument("--connection-file", required=True)
    args, extra = parser.parse_known_args(argv)
    (_launch if args.stage == "launch" else _inside)(args, extra + kernel_args)


if __name__ == "__main__":
    main()
