"""JupyterHub's local spawner, with each learner's memory and CPU capped and the course's settings per role.

LocalProcessSpawner only passes mem_limit and cpu_limit to the server as environment
variables; nothing enforces them. Here the hub (root) puts each server, as soon as it
has started, into a control group of its own (cgroup v2, or v1's memory and cpu
hierarchies), whose limits cover the server and every kernel and terminal it starts
afterwards. If the system has no writable cgroups the hub logs that the limits are NOT
enforced and carries on; `limits_in_force()` says which ones hold.

Also per learner: a cap on the number of processes (RLIMIT_NPROC, against fork bombs),
a home only they can read (0700), and the lessons copied into it on first start.
"""

from __future__ import annotations

import os
import pwd
import resource
import shutil
import time
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Unicode

from .settings import load

CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_NAME = "toolkit-hub"
CPU_PERIOD_US = 100_000


def cgroup_version() -> int:
    """2, 1, or 0 when this system offers no writable cgroups."""
    if (CGROUP_ROOT / "cgroup.controllers").exists() and os.access(CGROUP_ROOT, os.W_OK):
        return 2
    if (CGROUP_ROOT / "memory").is_dir() and os.access(CGROUP_ROOT / "memory", os.W_OK):
        return 1
    return 0


def cgroup_folders(name: str) -> dict[str, Path]:
    """The learner's control group folder per controller."""
    if cgroup_version() == 2:
        return {"memory": CGROUP_ROOT / CGROUP_NAME / name, "cpu": CGROUP_ROOT / CGROUP_NAME / name}
    return {kind: CGROUP_ROOT / kind / CGROUP_NAME / name for kind in ("memory", "cpu")}


def apply_limits(name: str, pid: int, mem_bytes: int, cpus: float) -> dict[str, bool]:
    """Put pid in the learner's control group with these limits; say which limits hold."""
    version = cgroup_version()
    held = {"memory": False, "cpu": False}
    if version == 0:
        return held
    if version == 2:
        parent = CGROUP_ROOT / CGROUP_NAME
        parent.mkdir(exist_ok=True)
        for folder in (CGROUP_ROOT, parent):
            try:
                (folder / "cgroup.subtree_control").write_text("+memory +cpu")
            except OSError:
                pass
        folder = parent / name
        folder.mkdir(exist_ok=True)
        held["memory"] = _write(folder / "memory.max", str(mem_bytes)) if mem_bytes else False
        held["cpu"] = _write(folder / "cpu.max", f"{int(cpus * CPU_PERIOD_US)} {CPU_PERIOD_US}") if cpus else False
        placed = _write(folder / "cgroup.procs", str(pid))
        return {kind: value and placed for kind, value in held.items()}
    folders = cgroup_folders(name)
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    if mem_bytes:
        held["memory"] = (_write(folders["memory"] / "memory.limit_in_bytes", str(mem_bytes))
                          and _write(folders["memory"] / "cgroup.procs", str(pid)))
    if cpus:
        held["cpu"] = (_write(folders["cpu"] / "cpu.cfs_period_us", str(CPU_PERIOD_US))
                       and _write(folders["cpu"] / "cpu.cfs_quota_us", str(int(cpus * CPU_PERIOD_US)))
                       and _write(folders["cpu"] / "cgroup.procs", str(pid)))
    return held


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


def release_cgroup(name: str, wait: float = 10.0) -> None:
    """Remove the learner's groups once every process in them has gone (killed processes take a moment)."""
    deadline = time.monotonic() + wait
    for folder in set(cgroup_folders(name).values()):
        while folder.exists():
            try:
                folder.rmdir()
            except OSError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.2)


def cgroup_memory_peak(name: str) -> int | None:
    """Highest memory use of a learner's group so far, in bytes (bench)."""
    folder = cgroup_folders(name)["memory"]
    for file in ("memory.peak", "memory.max_usage_in_bytes"):
        try:
            return int((folder / file).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return None


def facilitator_env(course) -> dict[str, str]:
    """What the facilitator's server and commands need: their course copy, and the shared exchange."""
    return {"TOOLKIT_COURSE_CONTENT": str(course.facilitator_course / "content"),
            "TOOLKIT_EXCHANGE_ROOT": str(course.exchange_root), "TOOLKIT_COURSE_ID": course.course_id}


class CourseSpawner(LocalProcessSpawner):
    """One server per login, run as that login, with the course's per-role settings and limits."""

    settings_file = Unicode(config=True, help="the hub's hub-settings.json")

    @property
    def course(self):
        return load(self.settings_file)

    @property
    def is_facilitator(self) -> bool:
        return self.user.name == self.course.facilitator

    def make_preexec_fn(self, name):
        become_user = super().make_preexec_fn(name)
        limit = self.course.max_processes
        # The facilitator's server works in their course folder, not their home: Formgrader and
        # nbgrader read nbgrader_config.py from the working folder, and without it they show
        # nbgrader's default exchange and an empty gradebook.
        workdir = str(self.course.facilitator_course) if self.is_facilitator else None

        def preexec():
            resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))
            become_user()
            if workdir:
                os.chdir(workdir)

        return preexec

    def get_env(self):
        env = super().get_env()
        course = self.course
        role = "facilitator" if self.is_facilitator else "learner"
        # The role's settings first (they win), then the course .venv's own (its server extensions,
        # which a stand-in runtime would not find by itself), and the .venv's kernels and lab extensions.
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join([str(course.jupyter_config / role),
                                                      str(course.venv_bin.parent / "etc" / "jupyter")])
        env["JUPYTER_PATH"] = str(course.venv_bin.parent / "share" / "jupyter")
        env["PATH"] = os.pathsep.join([str(course.runtime_bin), env.get("PATH", "/usr/bin:/bin")])
        if self.is_facilitator:
            env.update(facilitator_env(course))
        return env

    def _prepare_home(self) -> None:
        entry = pwd.getpwnam(self.user.name)
        home = Path(entry.pw_dir)
        home.chmod(0o700)
        if self.is_facilitator:
            self.notebook_dir = str(self.course.facilitator_course)
            return
        lessons = home / "lessons"
        source = self.course.checkout / "notebooks"
        if not lessons.exists() and source.is_dir():
            shutil.copytree(source, lessons)
            for folder, _dirs, files in os.walk(lessons):
                os.chown(folder, entry.pw_uid, entry.pw_gid)
                for file in files:
                    os.chown(os.path.join(folder, file), entry.pw_uid, entry.pw_gid, follow_symlinks=False)

    async def start(self):
        self._prepare_home()
        result = await super().start()
        held = apply_limits(self.user.name, self.pid, self.mem_limit or 0, self.cpu_limit or 0)
        for kind, ok in held.items():
            if not ok:
                self.log.warning("%s limit for %s is NOT enforced: this system offers no writable cgroup",
                                 kind, self.user.name)
        return result

    async def stop(self, now=False):
        await super().stop(now=now)
        release_cgroup(self.user.name, wait=0)  # never hold up the hub; remove_logins waits


def limits_in_force() -> dict[str, bool]:
    """Which per-learner limits this system can enforce (memory and CPU need a writable cgroup)."""
    version = cgroup_version()
    return {"memory": version > 0, "cpu": version > 0, "processes": True}
