"""A facilitator without root: the real `toolkit-course autograde` (sandbox included) runs as an ordinary user.

Runs only when the test process is root, because it makes a throwaway account with `useradd`,
grades as that account with `runuser`, and removes the account afterwards. It checks that:
  * roster and autograde work as that user, and the module's computed questions are marked
    (so bubblewrap's unprivileged sandbox really ran), with every file in the workspace the user's;
  * a workspace holding a file the user cannot change (what `sudo autograde` leaves) is refused
    at once, with a message naming the file and the `chown` that fixes it, and nothing is graded.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from toolkit_course import assessment_notebook, content

from .conftest import answer_key, copy_course, student_notebook, submit

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
LEARNERS = ("amina01", "bruno02")

if os.geteuid() != 0:
    pytest.skip("runs only as root: it creates a throwaway user account to grade as (as an ordinary user, "
                "every other grading test already grades without root)", allow_module_level=True)
if not all(shutil.which(tool) for tool in ("useradd", "userdel", "runuser")):
    pytest.skip("needs useradd, userdel and runuser to make a throwaway user", allow_module_level=True)


def as_user(user: str, *command: str, env: dict | None = None) -> subprocess.CompletedProcess:
    variables = [f"{key}={value}" for key, value in (env or {}).items()]
    return subprocess.run(["runuser", "-u", user, "--", "env", "-i", *variables, *command],
                          capture_output=True, text=True, timeout=1800)


def python_for(user: str, home: Path) -> Path:
    """A Python the user can run, with this environment's packages.

    This environment's own interpreter may live where the user cannot reach it (a Python built
    under /root, say). Then a virtual environment is made from the system's Python of the same
    version, whose site-packages is a link to this environment's (world-readable) packages, with
    copies of the console scripts nbgrader calls by name (alembic). A link rather than a .pth
    file, because the sandbox mounts exactly the interpreter's own site-packages folder.
    """
    if as_user(user, sys.executable, "-c", "pass").returncode == 0:
        return Path(sys.executable)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system = shutil.which(version, path="/usr/bin:/bin")
    if system is None:
        pytest.skip(f"{sys.executable} cannot be run by an ordinary user and there is no /usr/bin/{version} "
                    "to build one from")
    venv = home / "venv"
    made = as_user(user, system, "-m", "venv", str(venv))
    assert made.returncode == 0, made.stderr
    own_packages = venv / "lib" / version / "site-packages"
    shutil.rmtree(own_packages)
    own_packages.symlink_to(sysconfig.get_paths()["purelib"], target_is_directory=True)
    for script in ("alembic",):
        (venv / "bin" / script).write_text(
            (BIN / script).read_text(encoding="utf-8").replace(f"#!{sys.executable}", f"#!{venv}/bin/python", 1)
            .replace(f"#!{BIN}/python", f"#!{venv}/bin/python", 1), encoding="utf-8")
        (venv / "bin" / script).chmod(0o755)
    return venv / "bin" / "python"


def module_with_computed_items() -> str:
    """A module whose computed questions run in the sandbox, else the first module."""
    assessed = content.assessed_slugs()
    return next((slug for slug in assessed if content.load(slug, "assessment").get("computed")), assessed[0])


def right_answers(course, slug: str):
    spec = content.load(slug, "assessment")
    item_of = {item["variable"]: item["id"] for item in spec["items"]}
    code = {c["id"]: c.get("starter_code", "") + "\n" + c["solution_code"] for c in spec.get("computed", [])}
    return assessment_notebook.fill_answers(
        student_notebook(course, slug), {item_of[v]: value for v, value in answer_key(slug).items()}, code=code,
        reflections={r["id"]: "Smuggled migrants keep their rights." for r in spec["reflections"]})


@pytest.fixture
def facilitator():
    """A throwaway ordinary account and a folder it owns; both removed afterwards."""
    user = f"tkfac{secrets.token_hex(3)}"
    base = Path(tempfile.mkdtemp(prefix="toolkit-nonroot-"))
    base.chmod(0o755)
    home = base / "home"
    created = subprocess.run(["useradd", "-m", "-d", str(home), "-s", "/bin/sh", user], capture_output=True, text=True)
    assert created.returncode == 0, created.stderr
    try:
        yield user, base, home
    finally:
        subprocess.run(["userdel", "-r", user], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_autograde_runs_as_an_ordinary_user_and_refuses_files_it_cannot_change(facilitator, monkeypatch):
    user, base, home = facilitator
    course = copy_course(base, monkeypatch)
    slug = module_with_computed_items()
    roster_csv = base / "learners.csv"
    roster_csv.write_text("id,name,email,sex,role\n" + "".join(
        f"{learner},Learner {learner},{learner}@example.org,,learner\n" for learner in LEARNERS), encoding="utf-8")
    for learner in LEARNERS:
        submit(course, learner, slug, right_answers(course, slug))
    subprocess.run(["chown", "-R", f"{user}:{user}", str(base)], check=True)
    python = python_for(user, home)
    bwrap = shutil.which("bwrap")
    if content.load(slug, "assessment").get("computed"):
        if bwrap is None:
            pytest.skip("bubblewrap is not installed (sudo apt-get install bubblewrap)")
        userns = as_user(user, bwrap, "--unshare-user", "--ro-bind", "/", "/", "true")
        if userns.returncode != 0:
            pytest.skip("this kernel refuses unprivileged user namespaces, which the sandbox needs as an ordinary "
                        f"user (see book/facilitator/grading-workflow.md): {userns.stderr.strip()}")
    env = {"HOME": str(home), "PATH": f"{python.parent}:/usr/bin:/bin", "LANG": "C.UTF-8",
           "TOOLKIT_COURSE_CONTENT": str(course.content), "TOOLKIT_GRADING_WORKSPACE": str(course.workspace)}
    command = (str(python), "-m", "toolkit_course")

    registered = as_user(user, *command, "roster", str(roster_csv), env=env)
    assert registered.returncode == 0, registered.stdout + registered.stderr
    graded = as_user(user, *command, "autograde", slug, "--no-progress", env=env)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert f"graded {len(LEARNERS)} submission(s)" in graded.stdout

    spec = content.load(slug, "assessment")
    autograded = [item["id"] for item in spec["items"]] + [c["id"] for c in spec.get("computed", [])]
    maxima = {item["id"]: item["points"] for item in spec["items"] + spec.get("computed", [])}
    with Gradebook(course.db_url) as gradebook:
        for learner in LEARNERS:
            notebook = gradebook.find_submission_notebook(f"{slug}-assessment", slug, learner)
            scores = {grade.name: grade.auto_score for grade in notebook.grades if grade.name in autograded}
            assert scores == {item: float(maxima[item]) for item in autograded}, learner
    uid = int(subprocess.run(["id", "-u", user], capture_output=True, text=True, check=True).stdout)
    not_theirs = [path for path in course.workspace.rglob("*") if path.lstat().st_uid != uid]
    assert not_theirs == [], f"files the facilitator does not own: {not_theirs[:5]}"

    # What `sudo toolkit-course autograde` leaves: the gradebook and the graded copies owned by root.
    for path in [course.gradebook, course.autograded, *course.autograded.rglob("*")]:
        os.chown(path, 0, 0, follow_symlinks=False)
    again = as_user(user, *command, "autograde", slug, "--force", "--no-progress", env=env)
    assert again.returncode == 2, again.stdout + again.stderr
    assert str(course.workspace) in again.stderr and "belong to root" in again.stderr
    assert f"sudo chown -R {user} {course.workspace}" in again.stderr
    assert "graded" not in again.stdout  # refused before anything was graded
