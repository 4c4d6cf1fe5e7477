"""The system side of the hub, run as root: groups, logins, the exchange folders, the facilitator's course.

Every function here is idempotent: `make hub` runs them on each start.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from .exchange import config_lines
from .settings import HubSettings

# Copied into the facilitator's course at every start, so the course's own updates reach it.
COURSE_PARTS = ("content", "solutions", "exercises", "nbgrader_config.py")
# Copied once: the facilitator fills these in, and a restart must not undo their edits.
FACILITATOR_FILES = ("certification.yaml",)
HOME_MODE = 0o700


def require_root() -> None:
    if os.geteuid() != 0:
        raise PermissionError("the hub makes a system login per learner, so it must run as root "
                              "(sudo make hub)")


def run_account_command(command: list[str], attempts: int = 20) -> None:
    """useradd and friends, retried while another process holds the lock on /etc/passwd or /etc/group.

    They fail at once rather than wait (exit 1 or 10: "cannot lock"), and on a busy server, or when
    the hub adds a class at once, someone else often holds it.
    """
    for attempt in range(attempts):
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode == 0:
            return
        if "lock" not in (result.stderr + result.stdout).lower() or attempt == attempts - 1:
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()}")
        time.sleep(0.25 + 0.25 * attempt)


def ensure_group(name: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        run_account_command(["groupadd", "--system", name])
        return grp.getgrnam(name).gr_gid


def add_user_command(settings: HubSettings) -> list[str]:
    """The command the hub's authenticator runs (with the login appended) to make a learner's login."""
    return ["useradd", "--create-home", "--base-dir", str(settings.home_base), "--groups", settings.learner_group,
            "--shell", "/bin/bash", "-K", "UMASK=0077"]


def ensure_user(name: str, command: list[str]) -> pwd.struct_passwd:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        run_account_command(command + [name])
        entry = pwd.getpwnam(name)
    home = Path(entry.pw_dir)
    if home.is_dir():
        home.chmod(HOME_MODE)  # whatever the system's default, a learner's home is theirs alone
    return entry


def processes_of(uid: int) -> list[int]:
    """Process ids owned by this uid (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def remove_user(name: str) -> None:
    """Delete a login and its home (tests and bench only)."""
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return
    for pid in processes_of(uid):
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    try:
        run_account_command(["userdel", "--remove", "--force", name])
    except RuntimeError:
        pass  # already gone


def _own(path: Path, uid: int, gid: int, mode: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, uid, gid)
    path.chmod(mode)


def lay_out_exchange(settings: HubSettings, facilitator: pwd.struct_passwd, learners_gid: int) -> None:
    """The exchange folders and modes described in exchange.py; existing submissions are left alone."""
    _own(settings.exchange_root, 0, 0, 0o755)
    course = settings.exchange_root / settings.course_id
    _own(course, facilitator.pw_uid, learners_gid, 0o2750)
    _own(course / "outbound", facilitator.pw_uid, learners_gid, 0o2750)
    _own(course / "inbound", facilitator.pw_uid, learners_gid, 0o3730)
    _own(course / "feedback", facilitator.pw_uid, learners_gid, 0o2710)


def install_course(settings: HubSettings, facilitator: pwd.struct_passwd) -> Path:
    """Copy the course into the facilitator's home: their nbgrader course folder, with the exchange settings."""
    course = settings.facilitator_course
    course.mkdir(parents=True, exist_ok=True)
    for part in COURSE_PARTS:
        source = settings.checkout / part
        if source.is_dir():
            shutil.copytree(source, course / part, dirs_exist_ok=True)
        elif source.is_file():
            shutil.copy2(source, course / part)
    for name in FACILITATOR_FILES:
        if (settings.checkout / name).is_file() and not (course / name).exists():
            shutil.copy2(settings.checkout / name, course / name)
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text(encoding="utf-8") + "\n# The shared server's exchange (added by "
                      "toolkit_course.hub.system).\n" + config_lines(str(settings.exchange_root), settings.course_id),
                      encoding="utf-8")
    for folder, _dirs, files in os.walk(settings.facilitator_home):
        os.chown(folder, facilitator.pw_uid, facilitator.pw_gid)
        for name in files:
            os.chown(os.path.join(folder, name), facilitator.pw_uid, facilitator.pw_gid, follow_symlinks=False)
    return course


def protect_answer_keys(checkout: Path) -> list[Path]:
    """Take other logins' access away from the checkout's answer keys and gradebook.

    Learners' Python runs from this checkout's .venv, so the checkout must stay readable;
    the answer keys inside it must not be.
    """
    closed = [checkout / "solutions", checkout / "grading-workspace"]
    closed += sorted((checkout / "content").glob("*/assessment.yaml"))
    for path in closed:
        if path.exists():
            path.chmod(path.stat().st_mode & 0o700)
    return [path for path in closed if path.exists()]


def write_jupyter_configs(settings: HubSettings) -> None:
    """Per-role Jupyter settings, handed to each server through JUPYTER_CONFIG_PATH (spawner.py)."""
    # A terminal's shell is not a login shell: Debian's /etc/profile would reset PATH and hide the
    # course's commands (nbgrader, toolkit-course), which the spawner puts first on PATH.
    terminal = {"shell_command": ["/bin/bash"]}
    learner = settings.jupyter_config / "learner"
    facilitator = settings.jupyter_config / "facilitator"
    for folder in (settings.jupyter_config, learner, facilitator):
        _own(folder, 0, 0, 0o755)
    (learner / "nbgrader_config.py").write_text(
        "# Learners: the course's exchange. Written by toolkit_course.hub.system.\n"
        + config_lines(str(settings.exchange_root), settings.course_id), encoding="utf-8")
    # Learners get the Assignments tab, not Formgrader.
    # (jupyter_lsp only slows every start: no language server is installed.)
    (learner / "jupyter_server_config.json").write_text(json.dumps({"ServerApp": {"jpserver_extensions": {
        "nbgrader.server_extensions.formgrader": False, "jupyter_lsp": False}, "terminado_settings": terminal}},
        indent=1), encoding="utf-8")
    # JupyterHub 4.1+ sends "frame-ancestors 'none'", which blanks the Formgrader panel that
    # JupyterLab shows in an iframe of the same server; 'self' allows exactly that page and no other site.
    (facilitator / "jupyter_server_config.json").write_text(json.dumps({"ServerApp": {
        "jpserver_extensions": {"jupyter_lsp": False}, "terminado_settings": terminal,
        "tornado_settings": {"headers": {"Content-Security-Policy": "frame-ancestors 'self'"}}}}, indent=1),
        encoding="utf-8")
    # JupyterLab's parts each role does without. Everyone: the "official Jupyter news" question at the
    # first login (it needs the internet, which a training room may not have). Learners also: nbgrader's
    # instructor tools (Formgrader, the course list, the Create Assignment panel), which only confuse them
    # and cannot work for them (their server has no Formgrader).
    no_news = {"@jupyterlab/apputils-extension:announcements": True}
    instructor_tools = {f"@jupyter/nbgrader:{part}": True for part in ("formgrader", "course-list", "create-assignment")}
    # The facilitator keeps Formgrader; the course list and the Create Assignment panel are for authors of
    # new assignments, which a workshop's facilitator does not make here.
    authoring = {f"@jupyter/nbgrader:{part}": True for part in ("course-list", "create-assignment")}
    for folder, disabled in ((learner, {**no_news, **instructor_tools}), (facilitator, {**no_news, **authoring})):
        _own(folder / "labconfig", 0, 0, 0o755)
        (folder / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": disabled}, indent=1), encoding="utf-8")
    for folder in (learner, facilitator, learner / "labconfig", facilitator / "labconfig"):
        for path in folder.iterdir():
            if path.is_file():
                path.chmod(0o644)


def usable_by_everyone(path: Path) -> bool:
    """Whether any login can run this file: it and every folder above it open to "others"."""
    path = Path(os.path.realpath(path))
    folders_ok = all(folder.stat().st_mode & 0o001 for folder in path.parents)
    return folders_ok and path.stat().st_mode & 0o005 == 0o005


def make_runtime(settings: HubSettings) -> Path:
    """The Python the servers run: the course's .venv, or a stand-in when learners cannot run that.

    A virtualenv often points at an interpreter in root's home (pyenv), which other logins
    cannot run. Then a small virtualenv of the system's Python, same minor version, is made
    in the state folder; it reads the course's .venv packages (a .pth line), and gets a copy
    of each of the .venv's scripts (nbgrader, jupyter, toolkit-course...) pointing at it.
    """
    venv_bin = Path(sys.executable).parent
    if usable_by_everyone(Path(sys.executable)):
        return venv_bin
    runtime = settings.state_dir / "runtime"
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system_python = next((Path(folder) / version for folder in ("/usr/bin", "/usr/local/bin")
                          if (Path(folder) / version).exists()), None)
    if system_python is None or not usable_by_everyone(system_python):
        raise RuntimeError(f"the course's Python ({os.path.realpath(sys.executable)}) cannot be run by other logins, "
                           f"and this system has no {version} they can run: install {version}, or make the "
                           "course's .venv with a Python outside root's home")
    python = runtime / "bin" / "python"
    if not python.exists():
        subprocess.run([str(system_python), "-m", "venv", "--without-pip", str(runtime)], check=True,
                       capture_output=True)
    site_packages = sysconfig.get_paths()["purelib"]
    runtime_site = runtime / "lib" / version / "site-packages"
    (runtime_site / "toolkit-course-venv.pth").write_text(
        f"import site; site.addsitedir({site_packages!r})\n", encoding="utf-8")
    for script in venv_bin.iterdir():
        if script.name.startswith(("python", "activate", "pip")) or not script.is_file():
            continue
        try:
            text = script.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        first, _, rest = text.partition("\n")
        if first.startswith("#!") and "python" in first:
            copy = runtime / "bin" / script.name
            copy.write_text(f"#!{python}\n{rest}", encoding="utf-8")
            copy.chmod(0o755)
    for folder, _dirs, _files in os.walk(runtime):
        os.chmod(folder, 0o755)
    return runtime / "bin"


GENERATED_CONFIG = '''\
# Generated by `make hub` (toolkit_course.hub.launch); edits are overwritten on the next start.
# Everything is set in src/toolkit_course/hub/hub_config.py from the settings file below.
from toolkit_course.hub.hub_config import configure

configure(c, {settings!r})  # noqa: F821  (c is given by JupyterHub)
'''


def write_hub_config(settings: HubSettings, where: Path) -> Path:
    settings_file = settings.save()
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_text(GENERATED_CONFIG.format(settings=str(settings_file)), encoding="utf-8")
    return where


def prepare(settings: HubSettings) -> pwd.struct_passwd:
    """Everything the hub needs on the system, made or repaired; returns the facilitator's login."""
    require_root()
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    settings.state_dir.chmod(0o711)  # logins reach jupyter/ and exchange/ inside, and list nothing
    settings.home_base.mkdir(parents=True, exist_ok=True)
    learners_gid = ensure_group(settings.learner_group)
    facilitator = ensure_user(settings.facilitator, ["useradd", "--create-home", "--base-dir",
                                                     str(settings.home_base), "--shell", "/bin/bash",
                                                     "-K", "UMASK=0077"])
    if learners_gid in os.getgrouplist(facilitator.pw_name, facilitator.pw_gid):
        raise RuntimeError(f"the facilitator's login {facilitator.pw_name} is in the learners' group "
                           f"{settings.learner_group}; it must not be (see toolkit_course/hub/exchange.py)")
    lay_out_exchange(settings, facilitator, learners_gid)
    install_course(settings, facilitator)
    write_jupyter_configs(settings)
    make_runtime(settings)
    protect_answer_keys(settings.checkout)
    return facilitator
