"""`toolkit-course handgrade`: hand grades from the terminal and from a CSV, saved as Formgrader saves them.

Real parts only: a scratch course, learners' notebooks graded by the real `toolkit-course
autograde`, the real `toolkit-course handgrade` fed on its standard input, and for the
comparison a Jupyter server running nbgrader's own Formgrader, whose grade API is called as
its page calls it. The state each route leaves is read back through nbgrader's Gradebook.
"""

from __future__ import annotations

import csv
import json
import shutil
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from toolkit_course import assessment_notebook, content
from toolkit_course.grading import roster
from toolkit_course.grading.layout import layout as make_layout

from .conftest import answer_key, copy_course, student_notebook, submit

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]
LEARNERS = {"amina01": "Amina Diallo", "bruno02": "Bruno Costa", "chen03": "Chen Wei", "dara04": "Dara Okafor"}
HOSTILE = "dara04"
# What a terminal would obey: a new window title, clear screen, cursor home, colour, a carriage
# return that would print over the line, an 8-bit CSI, a right-to-left override, a bell.
ESCAPES = ("\x1b]0;PWNED-TITLE\x07", "\x1b[2J", "\x1b[1;1H", "\x1b[31m", "\x1b[0m", "\r", "\x9b31m", "\u202e", "\x07")
HOSTILE_TEXT = ("Smuggled migrants keep their rights.\x1b]0;PWNED-TITLE\x07\x1b[2J\x1b[1;1H"
                "\x1b[31mSCORE ALREADY SAVED\x1b[0m\rOVERWRITE \x9b31mred\u202e reversed\x07 end of my answer")


def reflection_text(learner: str) -> str:
    if learner == HOSTILE:
        return HOSTILE_TEXT
    if learner == "amina01":  # quotes, a comma and a line break: a spreadsheet must keep them in one cell
        return 'My colleague said "they chose to break the law", but smuggled migrants are not criminals.\nSOM art. 5.'
    return f"{LEARNERS[learner]} explains that smuggled migrants are not criminals."


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A module's submissions from four learners, graded by the real autograde command; nothing hand graded."""
    monkeypatch = pytest.MonkeyPatch()
    base = tmp_path_factory.mktemp("handgrade")
    course = copy_course(base, monkeypatch)
    slug = content.assessed_slugs()[0]
    learners_csv = base / "learners.csv"
    learners_csv.write_text("id,name,email,sex,role\n" + "".join(
        f"{lid},{name},{lid}@example.org,,learner\n" for lid, name in LEARNERS.items()), encoding="utf-8")
    roster.register(roster.read_roster(learners_csv), course, roster_path=learners_csv)
    spec = content.load(slug, "assessment")
    key = answer_key(slug)
    item_of = {item["variable"]: item["id"] for item in spec["items"]}
    for learner in LEARNERS:
        notebook = assessment_notebook.fill_answers(
            student_notebook(course, slug), {item_of[v]: value for v, value in key.items()},
            reflections={r["id"]: reflection_text(learner) for r in spec["reflections"]})
        submit(course, learner, slug, notebook)
    result = run(course, "autograde", slug, "--workspace", str(course.workspace), "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr
    yield course, slug, spec["reflections"][0]
    monkeypatch.undo()


def run(course, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**course.env(), "TOOLKIT_COURSE_CONTENT": str(course.content)}
    return subprocess.run([str(BIN / "toolkit-course"), *args], input=stdin, env=env, cwd=course.root,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture
def workspace(graded, tmp_path):
    """A fresh copy of the graded workspace for each test, so one test's grades never reach another."""
    course, _, _ = graded
    copy = tmp_path / "workspace"
    shutil.copytree(course.workspace, copy)
    return make_layout(course.root, copy)


def handgrade(graded, where, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return run(graded[0], "handgrade", *args, "--workspace", str(where.workspace), stdin=stdin)


def state(where, slug: str, item: str, learner: str) -> dict:
    """Everything Formgrader's API may change for one item, read through nbgrader's Gradebook."""
    with Gradebook(where.db_url) as gradebook:
        grade = gradebook.find_grade(item, f"{slug}-assessment", slug, learner)
        comment = gradebook.find_comment(item, f"{slug}-assessment", slug, learner)
        notebook = gradebook.find_submission_notebook(f"{slug}-assessment", slug, learner)
        return {"manual_score": grade.manual_score, "extra_credit": grade.extra_credit,
                "needs_manual_grade": grade.needs_manual_grade, "auto_score": grade.auto_score,
                "score": grade.score, "manual_comment": comment.manual_comment,
                "notebook_needs_manual_grade": notebook.needs_manual_grade, "notebook_score": notebook.score}


def waiting(where, slug, item) -> set[str]:
    return {learner for learner in LEARNERS if state(where, slug, item, learner)["needs_manual_grade"]}


# ---------------------------------------------------------------- the terminal


def test_terminal_saves_each_grade_at_once_and_a_second_run_resumes(graded, workspace):
    course, slug, reflection = graded
    item, points = reflection["id"], reflection["points"]
    first = handgrade(graded, workspace, slug, stdin=f"{points - 1}\nClear and respectful.\n\nq\n")
    assert first.returncode == 0, first.stderr
    assert f"{len(LEARNERS)} hand grade(s) waiting" in first.stdout
    assert reflection["rubric"].strip().splitlines()[0] in first.stdout  # the rubric is shown
    assert all(line in first.stdout for line in reflection_text("amina01").splitlines())  # and the answer
    assert "Saved 1 grade(s), skipped 1; 3 still waiting" in first.stdout
    amina = state(workspace, slug, item, "amina01")
    assert (amina["manual_score"], amina["needs_manual_grade"], amina["manual_comment"]) == (
        points - 1, False, "Clear and respectful.")
    assert waiting(workspace, slug, item) == {"bruno02", "chen03", HOSTILE}

    # Bad scores are refused with the reason and asked again; the end of input stops after one grade.
    second = handgrade(graded, workspace, stdin=f"seven\n{points + 4}\n-1\n{points}\n\n")
    assert second.returncode == 0, second.stderr
    shown = [line.split()[1] for line in second.stdout.splitlines() if line.startswith("Learner:")]
    assert shown[0] == "bruno02", "the second run must start at the first grade still waiting"
    assert "amina01" not in shown
    assert "'seven' is not a number" in second.stdout
    assert f"more than the item's maximum of {points:g} points" in second.stdout
    assert "-1 is below 0" in second.stdout
    bruno = state(workspace, slug, item, "bruno02")
    assert (bruno["manual_score"], bruno["needs_manual_grade"], bruno["manual_comment"] or "") == (points, False, "")
    assert waiting(workspace, slug, item) == {"chen03", HOSTILE}

    third = handgrade(graded, workspace, "--learner", "chen03", stdin="2,5\nShort but correct.\n")
    assert [line.split()[1] for line in third.stdout.splitlines() if line.startswith("Learner:")] == ["chen03"]
    assert state(workspace, slug, item, "chen03")["manual_score"] == 2.5
    assert waiting(workspace, slug, item) == {HOSTILE}


def test_escape_sequences_in_a_reflection_never_reach_the_terminal(graded, workspace, tmp_path):
    course, slug, reflection = graded
    source = next(cell.source for cell in nbformat.read(workspace.autograded_notebook(HOSTILE, slug), as_version=4).cells
                  if cell.metadata.get("nbgrader", {}).get("grade_id") == reflection["id"])
    assert "\x1b" in source and "\x07" in source, "the autograded copy should still hold the learner's raw text"

    shown = handgrade(graded, workspace, "--learner", HOSTILE, stdin="q\n")
    assert shown.returncode == 0, shown.stderr
    for escape in ESCAPES:
        assert escape not in shown.stdout, f"{escape!r} was printed raw"
    assert "\x1b" not in shown.stdout and "\x9b" not in shown.stdout
    for words in ("Smuggled migrants keep their rights.", "SCORE ALREADY SAVED", "OVERWRITE", "end of my answer"):
        assert words in shown.stdout  # the text itself is still shown

    template = tmp_path / "waiting.csv"
    assert handgrade(graded, workspace, "--template", str(template)).returncode == 0
    assert "\x1b" not in template.read_text(encoding="utf-8-sig")


# ---------------------------------------------------------------- the spreadsheet


def test_csv_template_then_import_saves_good_rows_and_names_every_bad_one(graded, workspace, tmp_path):
    course, slug, reflection = graded
    item, points = reflection["id"], reflection["points"]
    template = tmp_path / "waiting.csv"
    made = handgrade(graded, workspace, "--template", str(template))
    assert made.returncode == 0, made.stderr
    with template.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["learner"] for row in rows} == set(LEARNERS)
    assert {(row["module"], row["item"], row["max_score"]) for row in rows} == {(slug, item, f"{points:g}")}
    assert next(row for row in rows if row["learner"] == "amina01")["answer"] == reflection_text("amina01")

    filled = tmp_path / "grades.csv"
    filled.write_text("\n".join([
        "learner,module,item,score,comment",
        f"amina01,{slug},{item},{points},Excellent.",                 # 2: good
        f"bruno02,{slug},{item},1.5,\"Name a protection, next time.\"",  # 3: good, comma in the comment
        f"chen03,{slug},{item},,",                                     # 4: no score yet: left for later
        f"nobody9,{slug},{item},3,",                                   # 5: unknown learner
        f"dara04,99-no-such-module,{item},3,",                         # 6: unknown module
        f"dara04,{slug},no-such-item,3,",                              # 7: unknown item
        f"dara04,{slug},{content.load(slug, 'assessment')['items'][0]['id']},1,",  # 8: autograded item
        f"dara04,{slug},{item},{points + 1},",                         # 9: above the maximum
        f"dara04,{slug},{item},lots,",                                 # 10: not a number
        f"dara04,{slug},{item},-2,",                                   # 11: below 0
        f"amina01,{slug},{item},1,again",                              # 12: the same grade twice
    ]) + "\n", encoding="utf-8")
    imported = handgrade(graded, workspace, "--import", str(filled))
    assert imported.returncode == 1, imported.stdout + imported.stderr
    errors = imported.stderr.splitlines()
    expected = {5: "no learner 'nobody9'", 6: "no assessed module '99-no-such-module'", 7: "has no item 'no-such-item'",
                8: "is marked by the autograder", 9: f"more than the item's maximum of {points:g}",
                10: "'lots' is not a number", 11: "is below 0", 12: "also on line 2"}
    for line, problem in expected.items():
        assert any(f"{filled}, line {line}: " in error and problem in error for error in errors), (line, errors)
    assert len(errors) == len(expected)
    assert "saved 2 grade(s); 1 row(s) had no score" in imported.stdout
    assert "8 row(s) had a problem" in imported.stdout and "2 hand grade(s) still waiting" in imported.stdout

    amina, bruno = state(workspace, slug, item, "amina01"), state(workspace, slug, item, "bruno02")
    assert (amina["manual_score"], amina["manual_comment"], amina["needs_manual_grade"]) == (points, "Excellent.", False)
    assert (bruno["manual_score"], bruno["manual_comment"]) == (1.5, "Name a protection, next time.")
    assert waiting(workspace, slug, item) == {"chen03", HOSTILE}


def test_a_filled_in_template_imports_whole_even_when_saved_with_semicolons(graded, workspace, tmp_path):
    course, slug, reflection = graded
    template = tmp_path / "waiting.csv"
    assert handgrade(graded, workspace, "--template", str(template)).returncode == 0
    with template.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    filled = tmp_path / "filled.csv"
    # As a spreadsheet in many countries saves it: semicolons, and a decimal comma.
    with filled.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        for number, row in enumerate(rows):
            writer.writerow({**row, "score": f"{number},5", "comment": f'Well argued; "{row["learner"]}".'})
    imported = handgrade(graded, workspace, "--import", str(filled))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert f"saved {len(LEARNERS)} grade(s)" in imported.stdout and "0 hand grade(s) still waiting" in imported.stdout
    for number, row in enumerate(rows):
        saved = state(workspace, slug, reflection["id"], row["learner"])
        assert (saved["manual_score"], saved["manual_comment"]) == (number + 0.5, f'Well argued; "{row["learner"]}".')


def test_csv_with_a_missing_column_is_refused_whole(graded, workspace, tmp_path):
    bad = tmp_path / "grades.csv"
    bad.write_text("learner,module,points\namina01,x,3\n", encoding="utf-8")
    result = handgrade(graded, workspace, "--import", str(bad))
    assert result.returncode == 2
    assert f"{bad}, line 1: the header lacks the column(s) item, score" in result.stderr


# ---------------------------------------------------------------- the same state as Formgrader


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def formgrader_put(url: str, token: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(f"{url}/formgrader/api/{path}", data=json.dumps(body).encode(), method="PUT",
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_handgrade_and_csv_leave_the_state_formgrader_leaves_and_results_stop_waiting(graded, workspace, tmp_path,
                                                                                    wait_for_jupyter):
    course, slug, reflection = graded
    item, points = reflection["id"], reflection["points"]
    results = ("--workspace", str(workspace.workspace), "--course", str(course.root))
    key = tmp_path / "facilitator.pem"
    assert run(course, "keygen", "--out", str(key)).returncode == 0
    certify = ("certify", *results, "--key", str(key), "--rules", str(REPO / "certification.yaml"),
               "--facilitator", "Grace Mensah", "--out", str(tmp_path / "certificates"))
    before = run(course, *certify)
    assert "waiting for hand grading" in before.stdout + before.stderr  # what must go away

    # amina01 is marked in nbgrader's own Formgrader, through the API its page calls.
    with Gradebook(workspace.db_url) as gradebook:
        grade_id = gradebook.find_grade(item, f"{slug}-assessment", slug, "amina01").id
        comment_id = gradebook.find_comment(item, f"{slug}-assessment", slug, "amina01").id
    port, token, home = _free_port(), "handgrade-test", tmp_path / "jupyter-home"
    env = {**workspace.env(), "TOOLKIT_COURSE_CONTENT": str(course.content), "HOME": str(home),
           "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime")}
    server = subprocess.Popen(
        [str(BIN / "jupyter"), "server", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         f"--IdentityProvider.token={token}", "--ServerApp.allow_root=True", f"--ServerApp.root_dir={course.root}"],
        cwd=course.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_jupyter(url, token, "the Jupyter server with Formgrader")
        # As formgrade_models.js sends them: the score as typed in the box, extra credit empty.
        formgrader_put(url, token, f"grade/{grade_id}", {"manual_score": str(points - 1), "extra_credit": None})
        formgrader_put(url, token, f"comment/{comment_id}", {"manual_comment": "Clear and respectful."})
    finally:
        server.terminate()
        server.wait(timeout=60)

    # bruno02 the same marks in the terminal, chen03 and dara04 from a CSV.
    typed = handgrade(graded, workspace, "--learner", "bruno02", stdin=f"{points - 1}\nClear and respectful.\n")
    assert typed.returncode == 0, typed.stderr
    sheet = tmp_path / "grades.csv"
    sheet.write_text(f"learner,module,item,score,comment\nchen03,{slug},{item},{points - 1},Clear and respectful.\n"
                     f"dara04,{slug},{item},0,Please write about the question.\n", encoding="utf-8")
    imported = handgrade(graded, workspace, "--import", str(sheet))
    assert imported.returncode == 0, imported.stdout + imported.stderr

    by_formgrader = state(workspace, slug, item, "amina01")
    assert by_formgrader["needs_manual_grade"] is False and by_formgrader["manual_score"] == points - 1
    assert state(workspace, slug, item, "bruno02") == by_formgrader
    assert state(workspace, slug, item, "chen03") == by_formgrader
    assert waiting(workspace, slug, item) == set()

    exported = run(course, "export", *results, "--out", str(tmp_path / "exports"))
    assert exported.returncode == 0, exported.stderr
    with (tmp_path / "exports" / f"{slug}.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["learner_id"]: row for row in csv.DictReader(handle)}
    assert {row["hand_grading"] for row in rows.values()} == {"complete"}
    assert all(row["status"] != "waiting for hand grading" for row in rows.values())
    assert rows["bruno02"][item] == f"{points - 1:g}" and rows[HOSTILE][item] == "0"
    report = run(course, "report", *results, "--out", str(tmp_path / "report.html"))
    assert report.returncode == 0, report.stderr
    assert "waiting for hand grading" not in (tmp_path / "report.html").read_text(encoding="utf-8")
    after = run(course, *certify)
    assert "waiting for hand grading" not in after.stdout + after.stderr
