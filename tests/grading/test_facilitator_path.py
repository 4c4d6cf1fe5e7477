"""The facilitator's whole path, played end to end through the real commands (issue 12, "Done when").

A new facilitator follows book/facilitator/grading-workflow.md and results-and-certificates.md word
for word, in a terminal in a scratch copy of the course: every step below is `python -m
toolkit_course ...` in a subprocess, as the guide tells them to type it. Five learners (accents, an
apostrophe, a hyphenated name, a messy spreadsheet) return two modules by e-mail with the file names
people really use; one of them also sends a module the workshop does not cover. The facilitator
registers the roster, collects the zip their mail program made, confirms the one file collect could
not place, autogrades, marks the reflections (some in the terminal, the rest in a spreadsheet),
sets the workshop's modules, writes the feedback pages, the export, both reports, and issues and
checks certificates.

The test then checks what a facilitator would have to trust:
* the grades, worked out here on their own from the answers typed and the key in
  content/<slug>/assessment.yaml, read with the slips the guide promises to forgive;
* the certificates: exactly the learners who passed both modules, each naming exactly those modules;
* the feedback pages, the export and the reports say what the guide says they say;
* no file any command wrote holds a hidden test (taken from the BEGIN/END HIDDEN TESTS blocks of
  the instructor notebooks in solutions/), except the places the guide names as the facilitator's
  own: the gradebook and the graded copies in autograded/ (and there the hidden tests must be
  found, which shows the search works).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import json
import os
import re
import shlex
import subprocess
import sys
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
import yaml
from nbgrader.api import Gradebook

from toolkit_course import assessment_notebook

from .conftest import REPO, student_notebook

pytestmark = pytest.mark.slow

PYTHON = Path(sys.executable)
FACILITATOR = "Oksana Hryhorenko"  # on the roster as a facilitator; certify names her, as the guide says
REFLECTION = "reflection"  # the reflection's id in the modules used here

# ---------------------------------------------------------------- the workshop

# The roster as a spreadsheet saves it: a byte-order mark, Windows line ends, stray spaces, a double
# space in a name, capitals in an e-mail and a role, sex as "M" / "F" / "prefer not to say" / empty,
# a facilitator and an observer who are listed but not graded.
ROSTER = (
    "\ufeffid,name,email,sex,role\r\n"
    "tibanez, Tomás  Ibáñez ,Tomas.Ibanez@example.org,M,Learner\r\n"
    "soconnell,Siobhán O'Connell,siobhan.oconnell@example.org,female,participant\r\n"
    "dyusupova,Dilnoza Yusupova,d.yusupova@example.org,F,learner\r\n"
    "kasante,Kwame Asante-Boateng,kwame.asante-boateng@example.org,male,learner\r\n"
    "mquispe,Marisol Quispe Mamani,marisol.quispe@example.org,prefer not to say,learner\r\n"
    f"ohryhorenko,{FACILITATOR},oksana.h@example.org,female,facilitator\r\n"
    "wmutua,Wanjiru Mutua,w.mutua@example.org,,observer\r\n"
)
NAMES = {"tibanez": "Tomás Ibáñez", "soconnell": "Siobhán O'Connell", "dyusupova": "Dilnoza Yusupova",
         "kasante": "Kwame Asante-Boateng", "mquispe": "Marisol Quispe Mamani"}

# How each learner answered: "right", "wrong", "blank" or "slip" (the right answer typed the way a
# hurried learner types it), per question number; unlisted questions are "right".
M01, M03, M00 = "01", "03", "00"
ANSWERS = {
    ("tibanez", M01): {3: "blank"},
    ("tibanez", M03): {10: "wrong"},
    ("tibanez", M00): {},
    ("soconnell", M01): {},
    ("soconnell", M03): {2: "wrong", 7: "wrong"},
    ("dyusupova", M01): {5: "wrong"},
    ("dyusupova", M03): {},
    ("kasante", M01): {n: "slip" for n in range(1, 11)},
    ("kasante", M03): {n: "slip" for n in range(1, 11)},
    ("mquispe", M01): {1: "wrong", 6: "wrong"},
    ("mquispe", M03): {1: "wrong", 3: "wrong", 5: "wrong", 7: "wrong"},
}

# The reflections they wrote (shown in the terminal and on the feedback page) and the points the
# facilitator gives; Module 00 lies outside the workshop and its reflection is never marked.
REFLECTIONS = {
    "tibanez": "At the border post we now ask first whether the person is safe, and only then about papers.",
    "soconnell": "I'd separate the questions: was there movement for exploitation, or a fee paid to cross?",
    "dyusupova": "Our shelter's intake form treats every woman as a victim; it should ask what she needs.",
    "kasante": "In my unit we used to say \"illegal\"; now I write 'person in an irregular situation' & explain why.",
    "mquispe": "Consent does not matter once the means are used, so the prosecutor need not prove it.",
}
HAND = {  # (learner, module) -> (score as typed, score, comment)
    ("dyusupova", M01): ("2,5", 2.5, "Clear; give one example from your own work next time."),
    ("kasante", M01): ("3", 3.0, ""),
    ("mquispe", M01): ("4", 4.0, "Good use of the case."),
    ("soconnell", M01): ("5", 5.0, "Excellent, precise reasoning."),
    ("tibanez", M01): ("4", 4.0, "Good; say more about what the person needs."),
    ("dyusupova", M03): ("3", 3.0, "Good point about the intake form."),
    ("kasante", M03): ("2", 2.0, "Say more about why the words matter."),
    ("mquispe", M03): ("3", 3.0, ""),
    ("soconnell", M03): ("4", 4.0, "Well argued."),
    ("tibanez", M03): ("3,5", 3.5, "Link this to the module's gender analysis."),
}

# The files as the mail program saved them (inside the zip): (file name, learner, module, what the
# learner typed in the About-you box or None if they left it as it came).
RETURNED = [
    ("Tomas Ibanez assessment.ipynb", "tibanez", M01, "tibanez"),
    ("TOMAS IBANEZ - Gender equality.ipynb", "tibanez", M03, "Tomas.Ibanez@example.org"),
    ("tibanez orientation.ipynb", "tibanez", M00, "tibanez"),
    ("Copy of assessment (2).ipynb", "soconnell", M01, "Siobhan.OConnell@example.org"),
    ("soconnell/Untitled.ipynb", "soconnell", M03, "soconnell"),
    ("dilnoza_final.ipynb", "dyusupova", M01, None),  # the one collect cannot place: the facilitator confirms it
    ("Dilnoza Yusupova - module 3.ipynb", "dyusupova", M03, "dyusupova"),
    ("kasante_module1.ipynb", "kasante", M01, " kasante "),
    ("Kwame Asante Boateng (gender).ipynb", "kasante", M03, "KASANTE"),
    ("marisol.quispe@example.org.ipynb", "mquispe", M01, "marisol.quispe@example.org"),
    ("Assessment - Marisol Quispe Mamani.ipynb", "mquispe", M03, "mquispe"),
]
AMBIGUOUS = "dilnoza_final.ipynb"
TERMINAL_ROUND_1 = 3  # learners marked in the first terminal session before the facilitator types q


# ---------------------------------------------------------------- reading answers as the guide says

def read_as_the_guide_says(typed: str) -> str:
    """An answer as the guide promises it is read: capitals and spaces around ignored, "b)" and "b." are
    "b", spaces stand for hyphens ("more facts needed"). Written here, not imported, to check the tool."""
    text = " ".join(typed.split()).lower()
    letter = re.fullmatch(r"([a-z])[.)]", text)
    return letter.group(1) if letter else text.replace(" ", "-")


def slip(key: str, number: int) -> str:
    """The right answer with a harmless slip of the kind the guide names."""
    if len(key) == 1 and key.isalpha():
        return [f"{key})", f"{key.upper()}.", f" {key} ", key.upper()][number % 4]
    words = key.replace("-", " ")
    return [words.capitalize(), f" {words.upper()} ", f"{words} "][number % 3]


@dataclass
class Module:
    slug: str
    spec: dict

    @property
    def items(self) -> list[dict]:
        return self.spec["items"]

    @property
    def auto_max(self) -> float:
        return float(sum(item["points"] for item in self.items))

    @property
    def max_score(self) -> float:
        return self.auto_max + sum(r["points"] for r in self.spec["reflections"])


def load_module(course_root: Path, number: str) -> Module:
    folder = next(p for p in sorted((course_root / "content").iterdir()) if p.name.startswith(f"{number}-"))
    spec = yaml.safe_load((folder / "assessment.yaml").read_text(encoding="utf-8"))
    assert not spec.get("computed"), "this test types answers; it needs a module without code questions"
    assert [r["id"] for r in spec["reflections"]] == [REFLECTION]
    return Module(folder.name, spec)


def typed_answers(module: Module, plan: dict[int, str]) -> dict[str, str]:
    """item id -> what the learner typed."""
    typed = {}
    for number, item in enumerate(module.items, start=1):
        how = plan.get(number, "right")
        key = item["answer"]
        typed[item["id"]] = {"right": key, "blank": "", "slip": slip(key, number),
                             "wrong": next(o for o in item["options"] if o != key)}[how]
    return typed


def expected_auto(module: Module, typed: dict[str, str]) -> float:
    return float(sum(item["points"] for item in module.items if read_as_the_guide_says(typed[item["id"]]) == item["answer"]))


# ---------------------------------------------------------------- running the commands

@dataclass
class Terminal:
    """The facilitator's terminal: `python -m toolkit_course ...` in the course folder, with a transcript."""

    cwd: Path
    env: dict[str, str]
    transcript: list[str] = field(default_factory=list)

    def run(self, *args: str, stdin: str | None = None, expect: int | None = 0) -> subprocess.CompletedProcess:
        shown = "toolkit-course " + " ".join(shlex.quote(str(a)) for a in args)
        started = time.monotonic()
        done = subprocess.run([str(PYTHON), "-m", "toolkit_course", *map(str, args)], cwd=self.cwd, env=self.env,
                              input=stdin, capture_output=True, text=True, timeout=900)
        took = time.monotonic() - started  # in the transcript only: tests never assert on time
        self.transcript.append(f"$ {shown}\n[exit {done.returncode}, {took:.1f} s]\n{done.stdout}{done.stderr}")
        if expect is not None:
            assert done.returncode == expect, (f"`{shown}` exited {done.returncode}, expected {expect}\n"
                                               f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}")
        return done


# ---------------------------------------------------------------- hidden tests, and where they may be

HIDDEN_BLOCK = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


def hidden_test_lines(solutions: Path) -> set[str]:
    """Every line of code inside a BEGIN/END HIDDEN TESTS block of every instructor notebook."""
    lines = set()
    for path in sorted(solutions.glob("*/*-assessment.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for block in HIDDEN_BLOCK.findall(cell.source):
                lines |= {line.strip() for line in block.splitlines()
                          if line.strip() and not line.strip().startswith("#")}
    assert len(lines) > 30, f"found only {len(lines)} hidden test lines in {solutions}: has the format changed?"
    return lines


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def _json_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _json_strings(k) + _json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return []


def readable_views(path: Path, data: bytes) -> list[str]:
    """The file's text in every form a hidden test could hide in: as is, HTML-unescaped, the strings of
    a JSON file (a notebook), every line of a JSON-lines file, the inflated streams of a PDF and the
    base64 details signed into a certificate, and the members of a zip."""
    text = data.decode("utf-8", errors="replace")
    views = [text, html.unescape(text)]
    try:
        views += _json_strings(json.loads(text))
    except (ValueError, RecursionError):
        for line in text.splitlines():
            try:
                views += _json_strings(json.loads(line))
            except (ValueError, RecursionError):
                pass
    if data.startswith(b"%PDF"):
        for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
            try:
                views.append(zlib.decompress(stream).decode("latin-1"))
            except zlib.error:
                views.append(stream.decode("latin-1"))
        for encoded in re.findall(rb"<tkc:payload>([A-Za-z0-9+/=]*)</tkc:payload>", data):
            views.append(base64.b64decode(encoded).decode("utf-8", errors="replace"))
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                views += readable_views(path / member, archive.read(member))
    return views


def hidden_tests_in(path: Path, needles: set[str]) -> list[str]:
    text = "\0".join(_squeeze(view) for view in readable_views(path, path.read_bytes()))
    found = []
    for needle in sorted(needles):
        forms = {_squeeze(needle), _squeeze(needle.replace('"', '""')), _squeeze(json.dumps(needle)[1:-1])}
        if any(form in text for form in forms):
            found.append(needle)
    return found


def snapshot(*roots: Path) -> dict[Path, str]:
    """Every file under the roots, with a hash of its content."""
    return {path: hashlib.sha256(path.read_bytes()).hexdigest()
            for root in roots if root.exists() for path in root.rglob("*") if path.is_file()}


# ---------------------------------------------------------------- the learners' files

def learner_notebook(course, module: Module, learner: str, about_you: str | None):
    """The student version from exercises/, filled in as this learner did."""
    typed = typed_answers(module, ANSWERS[(learner, module.slug[:2])])
    return assessment_notebook.fill_answers(student_notebook(course, module.slug), typed,
                                            reflections={REFLECTION: REFLECTIONS[learner]}, about_you=about_you)


def write_returned_zip(course, modules: dict[str, Module], path: Path) -> Path:
    """The zip a mail program makes of every attachment, with the times the mails came in."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, learner, number, about_you) in enumerate(RETURNED):
            notebook = learner_notebook(course, modules[number], learner, about_you)
            info = zipfile.ZipInfo(name, date_time=(2026, 3, 5, 9 + index // 6, 10 * (index % 6), 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, nbformat.writes(notebook))
    return path


# ---------------------------------------------------------------- the test

def test_the_facilitators_path_from_emailed_notebooks_to_checked_certificates(course, tmp_path):
    root, workspace = course.root, course.workspace
    # The rule file lives at the top of the course folder; the scratch course needs its own copy.
    (root / "certification.yaml").write_text((REPO / "certification.yaml").read_text(encoding="utf-8"),
                                             encoding="utf-8")
    modules = {number: load_module(root, number) for number in (M00, M01, M03)}
    cohort = (modules[M01], modules[M03])
    desk = tmp_path / "facilitator"  # the facilitator's own files: roster, e-mails, key, spreadsheet
    (desk / "keys").mkdir(parents=True)
    needles = hidden_test_lines(root / "solutions")
    env = dict(os.environ, PATH=os.pathsep.join([str(PYTHON.parent), os.environ.get("PATH", "")]))  # `source .venv/bin/activate`
    terminal = Terminal(root, env)
    before = snapshot(root, workspace, desk)
    try:
        _play(terminal, course, desk, modules, cohort)
        _check(terminal, course, desk, modules, cohort, needles, before)
    finally:
        print("\n\n".join(terminal.transcript))  # pytest shows it with a failure (or with -s)


def _play(terminal: Terminal, course, desk: Path, modules: dict[str, Module], cohort: tuple[Module, ...]) -> None:
    root = course.root
    run = terminal.run

    # Part 1, step 1: the roster.
    roster = desk / "learners.csv"
    roster.write_bytes(ROSTER.encode("utf-8"))
    out = run("roster", roster).stdout
    assert "registered 5 learner(s)" in out and "2 other people listed" in out, out

    # Step 2: collect the zip of e-mailed notebooks. One file names nobody in full: set aside to decide.
    returned = write_returned_zip(course, modules, desk / "returned-notebooks.zip")
    first = run("collect", returned, expect=1).stdout
    placed = [line for line in first.splitlines() if line.startswith("placed ")]
    assert len(placed) == len(RETURNED) - 1, first
    for name, learner, number, _ in RETURNED:
        if name != AMBIGUOUS:
            assert any(name in line and line.split(" -> ")[1].startswith(f"{learner} / {modules[number].slug}")
                       for line in placed), f"{name} was not placed for {learner}:\n{first}"
    decide = [line for line in first.splitlines() if line.startswith("TO DECIDE") and AMBIGUOUS in line]
    assert decide, f"{AMBIGUOUS} should be set aside for the facilitator to decide:\n{first}"
    assert "likely learner: dyusupova" in first, first
    # The facilitator runs the command collect printed for her.
    printed = re.search(r"to file it for dyusupova, run: toolkit-course collect (--as dyusupova .+)$", first, re.M)
    assert printed, f"collect did not print the command that files {AMBIGUOUS}:\n{first}"
    confirmed = run("collect", *shlex.split(printed.group(1))).stdout
    assert re.search(rf"placed .*{re.escape(AMBIGUOUS)} -> dyusupova / {modules[M01].slug}", confirmed), confirmed
    # Collecting the same zip again changes nothing and says so.
    again = run("collect", returned).stdout
    assert "0 placed" in again and f"{len(RETURNED)} unchanged" in again, again
    assert sum(line.startswith("unchanged ") for line in again.splitlines()) == len(RETURNED), again
    for learner in NAMES:
        for module in cohort:
            assert course.submission(learner, module.slug).exists(), f"no submission of {learner} for {module.slug}"

    # Step 3: autograde, with no module, as the guide's first example: only the modules handed in.
    graded = run("autograde", "--no-progress").stdout
    handed_in = sorted(modules[n].slug for n in (M00, M01, M03))
    assert f"modules: {', '.join(handed_in)}" in graded, graded
    assert f"graded {len(RETURNED)} submission(s)" in graded, graded
    with Gradebook(course.db_url) as gradebook:
        assert sorted(a.name for a in gradebook.assignments) == handed_in

    # Step 4: hand grading in the terminal, Module 01. The facilitator marks three learners, once types
    # a score above the maximum (asked again), then stops with q; the next run carries on.
    module = modules[M01]
    order = sorted(NAMES)  # the command goes learner by learner, by id
    typed = []
    for learner in order[:TERMINAL_ROUND_1]:
        text, _, comment = HAND[(learner, M01)]
        if learner == "kasante":
            typed.append("7")  # more than the 5 points: not saved, asked again
        typed += [text, comment]
    session = run("handgrade", module.slug, stdin="\n".join(typed + ["q"]) + "\n").stdout
    assert f"Saved {TERMINAL_ROUND_1} grade(s)" in session and f"{len(NAMES) - TERMINAL_ROUND_1} still waiting" in session, session
    assert "Not saved" in session, session
    for learner in order[:TERMINAL_ROUND_1]:
        assert _squeeze(REFLECTIONS[learner]) in _squeeze(session), f"the terminal did not show {learner}'s reflection"
    typed = [line for learner in order[TERMINAL_ROUND_1:] for line in HAND[(learner, M01)][0:3:2]]
    resumed = run("handgrade", module.slug, stdin="\n".join(typed) + "\n").stdout
    shown = re.findall(r"^Learner:\s+(\S+)", resumed, re.M)
    assert shown == order[TERMINAL_ROUND_1:], f"handgrade did not carry on where it stopped:\n{resumed}"
    assert f"Saved {len(NAMES) - TERMINAL_ROUND_1} grade(s), skipped 0; 0 still waiting" in resumed, resumed

    # The rest in a spreadsheet: template, filled in and saved by a spreadsheet with semicolons and
    # decimal commas; Module 00's row is left empty.
    template = desk / "grades.csv"
    run("handgrade", "--template", template)
    rows = list(csv.DictReader(template.read_text(encoding="utf-8-sig").splitlines()))
    assert sorted((r["learner"], r["module"]) for r in rows) == sorted(
        [(learner, modules[M03].slug) for learner in NAMES] + [("tibanez", modules[M00].slug)]), rows
    for row in rows:
        if row["module"] == modules[M03].slug:
            row["score"], _, row["comment"] = HAND[(row["learner"], M03)]
            assert _squeeze(REFLECTIONS[row["learner"]]) in _squeeze(row["answer"]), row
    filled = io.StringIO()
    writer = csv.DictWriter(filled, fieldnames=list(rows[0]), delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    template.write_text("\ufeff" + filled.getvalue(), encoding="utf-8")
    imported = run("handgrade", "--import", template).stdout
    assert f"saved {len(NAMES)} grade(s); 1 row(s) had no score" in imported, imported

    # Part 2: the workshop's modules (Module 00 came in, but the workshop covers 01 and 03), and no
    # right answers on the feedback pages, since the questions will be used again.
    run("cohort", "--modules", M01, M03)
    settings = run("cohort", "--show-correct-answers", "no").stdout
    for module in cohort:
        assert module.slug in settings, settings
    assert modules[M00].slug not in settings.split("modules:", 1)[1], settings
    assert "show correct answers in feedback: no" in settings, settings

    # 1. Feedback: nbgrader's feedback folder, then a folder to e-mail from.
    run("feedback")
    run("feedback", "--out", "feedback-pages/")
    # 2. Export. 3. Both reports.
    run("export", "--out", "grades/")
    run("report", "--out", "cohort-report.html")
    run("report", "--summary")
    # 4. Certificates: the key once, then certify with the facilitator's name, as the guide shows.
    run("keygen", "--out", desk / "keys" / "facilitator.pem")
    issued = run("certify", "--key", desk / "keys" / "facilitator.pem", "--facilitator", FACILITATOR).stdout
    assert re.search(r"^not yet: mquispe: .*below the pass mark", issued, re.M), issued
    # 5. Check each certificate with the public key and the register.
    for pdf in sorted((course.workspace / "certificates").glob("certificate-*.pdf")):
        verdict = run("verify", pdf, "--public-key", desk / "keys" / "facilitator.pub.pem",
                      "--register", course.workspace / "certificates" / "register.jsonl").stdout
        assert verdict.startswith("valid:"), verdict
        for module in cohort:
            assert _title(root, module.slug) in verdict, verdict
        assert _title(root, modules[M00].slug) not in verdict, verdict


def _title(root: Path, slug: str) -> str:
    listing = yaml.safe_load((root / "content" / "modules.yaml").read_text(encoding="utf-8"))
    return next(m["title"] for m in listing["modules"] if m["slug"] == slug)


def _check(terminal: Terminal, course, desk: Path, modules: dict[str, Module], cohort: tuple[Module, ...],
           needles: set[str], before: dict[Path, str]) -> None:
    root, workspace = course.root, course.workspace

    # ---- the grades, worked out here from the answers typed and the key
    expected = {}
    for (learner, number), plan in ANSWERS.items():
        module = modules[number]
        auto = expected_auto(module, typed_answers(module, plan))
        hand = HAND.get((learner, number))
        total = auto + (hand[1] if hand else 0.0)
        passed = hand is not None and 100 * total / module.max_score >= module.spec["pass_mark_percent"]
        expected[(learner, number)] = (auto, total, passed)
    # The plan means what it says: the slip-prone learner would fail if slips were not forgiven.
    assert all(expected[("kasante", n)][0] == modules[n].auto_max for n in (M01, M03))
    with Gradebook(course.db_url) as gradebook:
        for (learner, number), (auto, _, _) in expected.items():
            submission = gradebook.find_submission(modules[number].slug, learner)
            got = sum(g.auto_score or 0 for nb in submission.notebooks for g in nb.grades)
            assert got == pytest.approx(auto), f"{learner}, {modules[number].slug}: {got} automatic points, expected {auto}"
    for module in cohort:
        with (root / "grades" / f"{module.slug}.csv").open(encoding="utf-8-sig") as handle:
            exported = {row["learner_id"]: row for row in csv.DictReader(handle)}
        assert sorted(exported) == sorted(NAMES)
        for learner in NAMES:
            auto, total, passed = expected[(learner, module.slug[:2])]
            row = exported[learner]
            assert float(row["score"]) == pytest.approx(total), (learner, module.slug, row)
            assert float(row["auto_points"]) == pytest.approx(auto), (learner, module.slug, row)
            assert row["status"] == ("passed" if passed else "below the pass mark"), (learner, module.slug, row)
            assert row["name"] == NAMES[learner]
    assert sorted(p.name for p in (root / "grades").iterdir()) == sorted(
        [f"{m.slug}.csv" for m in cohort] + ["overall.csv", "moodle-grades.csv", "canvas-grades.csv"])

    # ---- certificates: exactly the learners who passed every module of the workshop, naming exactly those
    qualified = sorted(learner for learner in NAMES if all(expected[(learner, m.slug[:2])][2] for m in cohort))
    assert "mquispe" not in qualified and len(qualified) == 4  # the plan: one learner fails Module 03
    folder = workspace / "certificates"
    assert sorted(p.name for p in folder.glob("*.pdf")) == [f"certificate-{learner}.pdf" for learner in qualified]
    register = [json.loads(line) for line in (folder / "register.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(entry["learner_id"] for entry in register) == qualified
    for learner in qualified:
        data = (folder / f"certificate-{learner}.pdf").read_bytes()
        payloads = re.findall(rb"<tkc:payload>([A-Za-z0-9+/=]*)</tkc:payload>", data)
        assert len(payloads) == 1
        payload = json.loads(base64.b64decode(payloads[0]))
        assert payload["name"] == NAMES[learner] and payload["facilitator"] == FACILITATOR
        assert payload["scope"] == "modules", f"{learner}'s certificate claims {payload['scope']}, not the modules"
        assert [m["slug"] for m in payload["modules"]] == [m.slug for m in cohort], payload["modules"]

    # ---- feedback pages: named by learner id, the learner's own reflection, no right answers
    pages = sorted((root / "feedback-pages").rglob("*.html"))
    assert sorted(p.relative_to(root / "feedback-pages").as_posix() for p in pages) == sorted(
        f"{learner}/{learner}-{m.slug}-feedback.html" for learner in NAMES for m in cohort)
    for learner in NAMES:
        for module in cohort:
            page = html.unescape((root / "feedback-pages" / learner / f"{learner}-{module.slug}-feedback.html"
                                  ).read_text(encoding="utf-8"))
            assert NAMES[learner] in page
            assert _squeeze(REFLECTIONS[learner]) in _squeeze(page), f"{learner}'s reflection is not on the page"
            comment = HAND[(learner, module.slug[:2])][2]
            assert comment in page
            assert "The right answer" not in page, f"{learner}, {module.slug}: a right answer is shown"
            typed = typed_answers(module, ANSWERS[(learner, module.slug[:2])])
            visible = _squeeze(re.sub(r"<[^>]+>", " ", page))
            for item in module.items:
                if read_as_the_guide_says(typed[item["id"]]) != item["answer"]:
                    opening = _squeeze(re.sub(r"[*_`\[\]]", "", item["explanation"]))[:60]
                    assert opening not in visible, (
                        f"{learner}, {module.slug}, {item['id']}: the explanation gives the answer away")
            if learner == "kasante":
                assert page.count("Correct:") == len(module.items), f"a slip cost {learner} points in {module.slug}"
                assert "was not one of the allowed answers" not in page
    blank = (root / "feedback-pages" / "tibanez" / f"tibanez-{modules[M01].slug}-feedback.html").read_text(encoding="utf-8")
    assert "You left this blank." in blank
    default_pages = sorted(p.relative_to(workspace / "feedback").as_posix()
                           for p in (workspace / "feedback").rglob("*-feedback.html"))
    assert default_pages == sorted(f"{learner}/{learner}-{m.slug}-feedback.html" for learner in NAMES for m in cohort)

    # ---- the reports: the named one names, the summary does not
    report = html.unescape((root / "cohort-report.html").read_text(encoding="utf-8"))
    assert NAMES["mquispe"] in report
    summary = html.unescape((workspace / "reports" / "summary-report.html").read_text(encoding="utf-8"))
    for learner, name in NAMES.items():
        assert name not in summary and re.search(rf"\b{learner}\b", summary) is None, f"the summary names {learner}"
        assert REFLECTIONS[learner][:40] not in summary
    for page in (summary, report):  # Module 00 came in, but lies outside the workshop
        assert modules[M00].slug not in page and _title(root, modules[M00].slug) not in page

    # ---- no hidden test in any file a command wrote, except the facilitator's own places
    after = snapshot(root, workspace, desk)
    written = sorted(path for path, digest in after.items() if before.get(path) != digest)
    keeps_tests = (workspace / "gradebook.db", workspace / "autograded")  # the guide: "for you only"
    leaks, control = {}, []
    for path in written:
        found = hidden_tests_in(path, needles)
        if any(path == place or place in path.parents for place in keeps_tests):
            control += found
        elif found:
            leaks[str(path)] = found[:3]
    assert not leaks, "hidden tests in files written by the commands:\n" + "\n".join(
        f"{path}: {found}" for path, found in leaks.items())
    assert control, "the search found no hidden test even in the gradebook and autograded/: it cannot be trusted"
    assert any((workspace / "certificates") in p.parents for p in written)
    assert any((root / "feedback-pages") in p.parents for p in written)
