"""Hostile returned files: collect trusts the roster, not the notebook, and one bad file never stops a batch.

Every case hands in wrong answers where a grade could follow, next to honest learners in
the same batch, and checks three things: the hostile file gets the outcome it deserves (a
clear line naming it, set aside to decide, or filed for its real owner only), the honest
notebooks are filed, and nothing of the victim's submission is replaced. The last test
grades a whole hostile batch with nbgrader and checks every learner's mark.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pwd
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from toolkit_course.grading import collect, roster

from .conftest import answer_key, auto_total, score_of
from .hostile_submissions import honest, hostile, regenerate

VICTIM = "bruno02"
ATTACKER = "dara05"
PEOPLE = [
    ("amina01", "Amina Diallo", "amina.diallo@example.org", "female", "learner"),
    ("bruno02", "Bruno Costa", "bruno.costa@example.org", "male", "learner"),
    ("chen03", "Chen Wei", "chen.wei@example.org", "female", "learner"),
    ("jose04", "José Martínez", "jose.martinez@example.org", "male", "learner"),
    ("dara05", "Dara Okafor", "dara.okafor@example.org", "prefers not to say", "learner"),
    ("eli06", "Eli Novak", "eli.novak@example.org", "", "learner"),
    ("aliya07", "Алия Иванова", "aliya@example.org", "female", "learner"),
]
EARLIER = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 1, 9, 9, 0, tzinfo=dt.UTC)


# ---------------------------------------------------------------- building blocks


def write_people(path: Path, people=PEOPLE) -> Path:
    path.write_text("id,name,email,sex,role\n" + "".join(",".join(row) + "\n" for row in people), encoding="utf-8")
    return path


def put(path: Path, notebook, when: dt.datetime | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(notebook, bytes):
        path.write_bytes(notebook)
    else:
        path.write_text(notebook if isinstance(notebook, str) else nbformat.writes(notebook), encoding="utf-8")
    if when:
        os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def as_json(notebook, **changes) -> str:
    data = json.loads(nbformat.writes(notebook))
    data.update(changes)
    return json.dumps(data)


def submit_to_exchange(inbound: Path, sender: str, slug: str, notebook, when: dt.datetime) -> Path:
    """What `nbgrader submit` leaves in the exchange (or what a learner can write there by hand)."""
    stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    folder = inbound / f"{sender}+{slug}+{stamp}"
    put(folder / f"{slug}-assessment.ipynb", notebook)
    (folder / "timestamp.txt").write_text(stamp, encoding="utf-8")
    return folder


@pytest.fixture
def batch(course, slug, tmp_path):
    """A registered roster, and the victim's honest submission already filed by an earlier collect."""
    regenerate(course, slug)
    people = roster.read_roster(write_people(tmp_path / "learners.csv"))
    roster.register(people, course, roster_path=tmp_path / "learners.csv")
    first = tmp_path / "first-batch"
    put(first / f"{VICTIM}.ipynb", honest(course, slug), EARLIER)
    report = collect.collect_returned(first, course, people)
    assert [(r.learner, r.slug) for r in report.placed] == [(VICTIM, slug)]
    victim = course.submission(VICTIM, slug)
    return people, victim, victim.read_bytes()


def lines_of(report) -> str:
    return "\n".join(report.lines())


def placed(report) -> set[str]:
    return {item.learner for item in report.placed}


def not_matched(report) -> dict[str, str]:
    return {item.label: item.problem for item in report.problems}


def exchange_inbound(tmp_path: Path) -> Path:
    inbound = tmp_path / "exchange" / "toolkit" / "inbound"
    inbound.mkdir(parents=True)
    return inbound


def collect_from_exchange(course, slug, tmp_path):
    """As `toolkit-course collect --exchange` does it: senders are checked against the registered roster."""
    return collect.collect_exchange(slug, course, exchange_root=tmp_path / "exchange", course_id="toolkit")


# ---------------------------------------------------------------- metadata spoofing


def test_notebook_whose_metadata_names_another_learner_is_set_aside(course, slug, tmp_path, batch):
    people, victim, victim_bytes = batch
    inbox = tmp_path / "inbox"
    put(inbox / "Amina Diallo - assessment.ipynb", honest(course, slug), LATER)
    put(inbox / f"{ATTACKER}-assessment.ipynb", hostile(course, slug, {"learner": VICTIM}), LATER)
    report = collect.collect_returned(inbox, course, people)
    assert placed(report) == {"amina01"}
    assert victim.read_bytes() == victim_bytes
    assert not course.submission(ATTACKER, slug).exists()
    text = lines_of(report)
    assert f"TO DECIDE {ATTACKER}-assessment.ipynb: its name says {ATTACKER}, but its metadata names {VICTIM}" in text
    kept = list((course.workspace / "to-decide").rglob(f"*{ATTACKER}-assessment.ipynb"))
    assert len(kept) == 1 and json.loads(kept[0].read_text())["metadata"]["toolkit_course"] == {"learner": VICTIM}


def test_notebook_named_only_by_its_metadata_never_replaces_a_submission(course, slug, tmp_path, batch):
    people, victim, victim_bytes = batch
    inbox = tmp_path / "inbox"
    put(inbox / "Untitled.ipynb", hostile(course, slug, {"learner": VICTIM}), LATER)
    claimed = honest(course, slug)
    claimed.metadata["toolkit_course"] = {"learner": "eli06"}
    put(inbox / "Untitled2.ipynb", claimed, LATER)
    report = collect.collect_returned(inbox, course, people)
    assert victim.read_bytes() == victim_bytes
    assert placed(report) == {"eli06"}  # nobody's submission to replace: the claim is enough to file it
    assert any(item.label == "Untitled.ipynb" and "already has a different submission" in why
               for item, why in report.to_decide)
    assert "replaced" not in lines_of(report)


def test_exchange_submission_whose_metadata_disagrees_with_its_sender_is_set_aside(course, slug, tmp_path, batch):
    people, victim, victim_bytes = batch
    inbound = exchange_inbound(tmp_path)
    submit_to_exchange(inbound, "eli06", slug, honest(course, slug), LATER)
    submit_to_exchange(inbound, ATTACKER, slug, hostile(course, slug, {"learner": VICTIM}), LATER)
    report = collect_from_exchange(course, slug, tmp_path)
    assert placed(report) == {"eli06"}
    assert victim.read_bytes() == victim_bytes and not course.submission(ATTACKER, slug).exists()
    assert f"it was sent through the exchange by {ATTACKER}, but its metadata names {VICTIM}" in lines_of(report)
    assert report.returncode == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another login needs root")
def test_exchange_folder_owned_by_another_login_is_set_aside(course, slug, tmp_path):
    """nbgrader only warns when a submission folder's owner is not its sender; collect does not file it."""
    accounts = [pwd.getpwnam(name) for name in ("daemon", "nobody")]
    path = write_people(tmp_path / "learners.csv", PEOPLE + [
        ("daemon", "Dee Mon", "dee@example.org", "", "learner"),
        ("nobody", "No Body", "no@example.org", "", "learner")])
    roster.register(roster.read_roster(path), course, roster_path=path)
    inbound = exchange_inbound(tmp_path)
    genuine = submit_to_exchange(inbound, "nobody", slug, honest(course, slug), EARLIER)
    forged = submit_to_exchange(inbound, "daemon", slug, hostile(course, slug), LATER)  # written by "nobody"
    for folder in (genuine, forged):
        for path in (folder, *folder.iterdir()):
            os.chown(path, accounts[1].pw_uid, accounts[1].pw_gid)
    report = collect_from_exchange(course, slug, tmp_path)
    assert placed(report) == {"nobody"}
    assert not course.submission("daemon", slug).exists()
    assert "but its folder in the exchange belongs to the login of nobody" in lines_of(report)


def test_the_facilitator_decides_a_set_aside_notebook(course, slug, tmp_path, batch):
    people, victim, victim_bytes = batch
    inbox = tmp_path / "inbox"
    put(inbox / f"{ATTACKER}.ipynb", hostile(course, slug, {"learner": VICTIM}), LATER)
    report = collect.collect_returned(inbox, course, people)
    (item, _), = report.to_decide
    kept = next((course.workspace / "to-decide").rglob(f"*{ATTACKER}.ipynb"))
    decided = collect.collect_returned(kept, course, people, as_learner=ATTACKER)
    assert [(r.learner, r.slug) for r in decided.placed] == [(ATTACKER, slug)]
    assert victim.read_bytes() == victim_bytes


# ---------------------------------------------------------------- symbolic links


def test_symbolic_links_are_refused_in_folders_zips_and_the_exchange(course, slug, tmp_path, batch):
    people, victim, victim_bytes = batch
    inbox = tmp_path / "inbox"
    put(inbox / "Chen Wei.ipynb", honest(course, slug), LATER)
    (inbox / f"{ATTACKER}.ipynb").symlink_to(victim)  # the victim's graded-to-be notebook, filed as the attacker's
    (inbox / f"{ATTACKER}-folder").symlink_to(victim.parent, target_is_directory=True)
    report = collect.collect_returned(inbox, course, people)
    assert placed(report) == {"chen03"}
    problems = not_matched(report)
    assert "symbolic link" in problems[f"{ATTACKER}.ipynb"] and "symbolic link" in problems[f"{ATTACKER}-folder"]
    assert not course.submission(ATTACKER, slug).exists()

    archive = tmp_path / "links.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        link = zipfile.ZipInfo(f"{ATTACKER}/assessment.ipynb", (2026, 1, 9, 9, 0, 0))
        link.external_attr = (0o120777 << 16)
        bundle.writestr(link, str(victim))
        bundle.writestr(zipfile.ZipInfo("eli06/assessment.ipynb", (2026, 1, 9, 9, 0, 0)),
                        nbformat.writes(honest(course, slug)))
    report = collect.collect_returned(archive, course, people)
    assert placed(report) == {"eli06"}
    assert "symbolic link" in not_matched(report)[f"links.zip:{ATTACKER}/assessment.ipynb"]

    inbound = exchange_inbound(tmp_path)
    folder = submit_to_exchange(inbound, ATTACKER, slug, honest(course, slug), LATER)
    (folder / f"{slug}-assessment.ipynb").unlink()
    (folder / f"{slug}-assessment.ipynb").symlink_to(victim)
    (inbound / f"{ATTACKER}+{slug}+2026-01-10 09:00:00.000000 UTC").symlink_to(victim.parent)
    submit_to_exchange(inbound, "jose04", slug, honest(course, slug), LATER)
    report = collect_from_exchange(course, slug, tmp_path)
    assert placed(report) == {"jose04"}
    assert sum("symbolic link" in problem for problem in not_matched(report).values()) == 2
    assert not course.submission(ATTACKER, slug).exists()
    assert victim.read_bytes() == victim_bytes


# ---------------------------------------------------------------- zip files


def test_zip_entry_paths_are_checked_and_nothing_is_written_outside(course, slug, tmp_path, batch):
    people, victim, victim_bytes = batch
    archive = tmp_path / "returned.zip"
    text = nbformat.writes(hostile(course, slug))
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(zipfile.ZipInfo("chen03/assessment.ipynb", (2026, 1, 9, 9, 0, 0)),
                        nbformat.writes(honest(course, slug)))
        for name in ("x/..", f"../../{ATTACKER}-escaped.ipynb", f"/tmp/{ATTACKER}-absolute.ipynb",
                     f"C:\\{ATTACKER}\\windows.ipynb", f"{ATTACKER}/../../../{VICTIM}.ipynb"):
            bundle.writestr(zipfile.ZipInfo(name, (2026, 1, 9, 9, 0, 0)), text)
    report = collect.collect_returned(archive, course, people)
    assert placed(report) == {"chen03"}
    problems = not_matched(report)
    assert "goes up a folder" in problems["returned.zip:x/.."]
    assert "goes up a folder" in problems[f"returned.zip:../../{ATTACKER}-escaped.ipynb"]
    assert "absolute" in problems[f"returned.zip:/tmp/{ATTACKER}-absolute.ipynb"]
    assert "absolute" in problems[f"returned.zip:C:\\{ATTACKER}\\windows.ipynb"]
    assert "goes up a folder" in problems[f"returned.zip:{ATTACKER}/../../../{VICTIM}.ipynb"]
    assert not list(tmp_path.rglob(f"{ATTACKER}-escaped.ipynb"))
    assert not Path(f"/tmp/{ATTACKER}-absolute.ipynb").exists()
    assert victim.read_bytes() == victim_bytes


def test_zip_entry_with_an_impossible_date_is_collected_with_a_note(course, slug, tmp_path, batch):
    people, victim, victim_bytes = batch
    archive = tmp_path / "returned.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        zero = zipfile.ZipInfo(f"{ATTACKER}/assessment.ipynb")
        zero.date_time = (1980, 0, 0, 0, 0, 0)  # what an all-zero DOS date reads as
        bundle.writestr(zero, nbformat.writes(hostile(course, slug)))
        bundle.writestr(zipfile.ZipInfo("amina01/assessment.ipynb", (2026, 1, 9, 9, 0, 0)),
                        nbformat.writes(honest(course, slug)))
    with zipfile.ZipFile(archive) as bundle:
        assert bundle.getinfo(f"{ATTACKER}/assessment.ipynb").date_time == (1980, 0, 0, 0, 0, 0)
    report = collect.collect_returned(archive, course, people)
    assert placed(report) == {"amina01", ATTACKER}  # the attacker's own (wrong) work is filed as theirs
    assert f"note returned.zip:{ATTACKER}/assessment.ipynb: its date in the zip" in lines_of(report)
    assert victim.read_bytes() == victim_bytes


def _bomb(path: Path, honest_text: str, size: int = 2 ** 30) -> Path:
    """A zip of about 1 MB that unpacks to `size` bytes of zeros, next to an honest notebook."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as bundle:
        bundle.writestr(zipfile.ZipInfo("chen03/assessment.ipynb", (2026, 1, 9, 9, 0, 0)), honest_text)
        info = zipfile.ZipInfo(f"{ATTACKER}/assessment.ipynb", (2026, 1, 9, 9, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with bundle.open(info, "w", force_zip64=True) as entry:
            block = b"\0" * (16 * 2 ** 20)
            for _ in range(size // len(block)):
                entry.write(block)
    return path


_COLLECT_IN_A_CHILD = """
import json, resource, sys
from toolkit_course import assessment_notebook
from toolkit_course.grading import collect, roster
from toolkit_course.grading.layout import layout
where = layout(sys.argv[1], sys.argv[2])
report = collect.collect_returned(sys.argv[3], where, roster.registered_roster(where))
print(json.dumps({"lines": report.lines(), "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


@pytest.mark.slow
def test_zip_bomb_is_refused_without_using_much_memory_or_disk(course, slug, tmp_path, batch):
    people, victim, victim_bytes = batch
    bomb = _bomb(tmp_path / "bomb.zip", nbformat.writes(honest(course, slug)))
    assert bomb.stat().st_size < 2 * 2 ** 20
    before = sum(p.stat().st_size for p in course.workspace.rglob("*") if p.is_file())
    result = subprocess.run([sys.executable, "-c", _COLLECT_IN_A_CHILD, str(course.root), str(course.workspace),
                             str(bomb)], env=course.env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.splitlines()[-1])
    assert outcome["max_rss_kib"] < 400 * 1024  # the interpreter and nbformat alone take about 100 MiB
    after = sum(p.stat().st_size for p in course.workspace.rglob("*") if p.is_file())
    assert after - before < 8 * 2 ** 20
    lines = "\n".join(outcome["lines"])
    assert f"placed bomb.zip:chen03/assessment.ipynb -> chen03 / {slug}" in lines
    assert f"NOT MATCHED bomb.zip:{ATTACKER}/assessment.ipynb: would unpack to 1024 MiB" in lines
    assert victim.read_bytes() == victim_bytes


def test_zip_with_too_many_entries_is_not_opened(course, slug, tmp_path, batch):
    people, victim, victim_bytes = batch
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for number in range(2500):
            bundle.writestr(f"{ATTACKER}/{number}.txt", b"")
    report = collect.collect_returned(archive, course, people)
    assert "is a zip of 2500 entries" in not_matched(report)["many.zip"]
    assert not report.placed and victim.read_bytes() == victim_bytes


# ---------------------------------------------------------------- malformed notebooks and crashes


def malformed(course, slug) -> dict[str, str]:
    """File name -> content, each a different way for one notebook to crash a collect."""
    base = hostile(course, slug)
    cells = json.loads(nbformat.writes(base))["cells"]
    cell_meta_text = json.loads(nbformat.writes(base))
    cell_meta_text["cells"][2]["metadata"]["nbgrader"] = "q1"
    return {
        f"{ATTACKER}-deep.ipynb": "[" * 100_000 + "]" * 100_000,
        f"{ATTACKER}-deep-inside.ipynb": as_json(base, metadata={"x": json.loads("[" * 500 + "]" * 500)}),
        f"{ATTACKER}-metadata-is-text.ipynb": as_json(base, metadata="bruno02"),
        f"{ATTACKER}-claim-is-text.ipynb": as_json(base, metadata={"toolkit_course": VICTIM}),
        f"{ATTACKER}-claim-is-a-list.ipynb": as_json(base, metadata={"toolkit_course": {"learner": [VICTIM]}}),
        f"{ATTACKER}-cell-metadata-is-text.ipynb": json.dumps(cell_meta_text),
        f"{ATTACKER}-cells-is-a-mapping.ipynb": as_json(base, cells={"0": cells[0]}),
        f"{ATTACKER}-cell-is-text.ipynb": as_json(base, cells=["print(1)"] + cells),
        f"{ATTACKER}-nbformat-is-text.ipynb": as_json(base, nbformat="4"),
    }


EXPECTED_LINES = {
    "-deep.ipynb": "its JSON is nested 100000 levels deep",
    "-deep-inside.ipynb": "its JSON is nested",
    "-metadata-is-text.ipynb": "is a damaged notebook: metadata is text",
    "-claim-is-text.ipynb": "its metadata 'toolkit_course' is text where a mapping is expected",
    "-claim-is-a-list.ipynb": "its metadata 'toolkit_course.learner' is a list, not a learner id",
    "-cell-metadata-is-text.ipynb": "",  # nbgrader metadata of the wrong type: the cell is not counted
    "-cells-is-a-mapping.ipynb": "is a damaged notebook: cells is a mapping",
    "-cell-is-text.ipynb": "is a damaged notebook: cells[0] is text where a cell is expected",
    "-nbformat-is-text.ipynb": "is a damaged notebook: nbformat is text",
}


def _outcome(report, label: str) -> str:
    for item in report.problems:
        if item.label == label:
            return f"NOT MATCHED {item.problem}"
    for item, why in report.to_decide:
        if item.label == label:
            return f"TO DECIDE {why}"
    for item in report.placed:
        if item.label == label:
            return f"placed for {item.learner}"
    raise AssertionError(f"{label} has no line in the report:\n{lines_of(report)}")


def test_deep_or_mistyped_json_gets_a_clear_line_and_the_batch_goes_on(course, slug, tmp_path, batch):
    people, victim, victim_bytes = batch
    inbox = tmp_path / "inbox"
    put(inbox / "Amina Diallo.ipynb", honest(course, slug), LATER)
    for name, text in malformed(course, slug).items():
        put(inbox / name, text, LATER)
    report = collect.collect_returned(inbox, course, people)
    assert placed(report) <= {"amina01", ATTACKER} and "amina01" in placed(report)
    for name in malformed(course, slug):
        outcome = _outcome(report, name)
        assert not outcome.startswith("placed") or name.endswith("-cell-metadata-is-text.ipynb"), outcome
        assert EXPECTED_LINES[name.removeprefix(ATTACKER)] in outcome, outcome
        assert "Traceback" not in outcome and "could not be processed" not in outcome
    assert victim.read_bytes() == victim_bytes
    assert not any(why for item, why in report.to_decide if VICTIM in (item.learner or ""))


def test_the_same_malformed_files_through_the_exchange(course, slug, tmp_path, batch):
    people, victim, victim_bytes = batch
    inbound = exchange_inbound(tmp_path)
    submit_to_exchange(inbound, "amina01", slug, honest(course, slug), LATER)
    for number, text in enumerate(malformed(course, slug).values()):
        folder = submit_to_exchange(inbound, ATTACKER, slug, "{}", LATER + dt.timedelta(minutes=number))
        put(folder / f"{slug}-assessment.ipynb", text)
    (inbound / f"chen03+{slug}+not a time").mkdir()  # nbgrader's own collect stops the batch here
    # A sender that is no learner's id (and no safe folder name): reported, never used as a path.
    put(inbound / f"..+{slug}+2026-01-09 09:00:00.000000 UTC" / f"{slug}-assessment.ipynb", hostile(course, slug))
    report = collect_from_exchange(course, slug, tmp_path)
    assert "amina01" in placed(report)
    assert victim.read_bytes() == victim_bytes
    text = lines_of(report)
    assert "its time 'not a time' is not a date" in text
    assert "sent through the exchange by '..', who is not a learner in the roster" in text
    assert not (course.workspace / slug).exists()
    assert "Traceback" not in text and "could not be processed" not in text


def test_a_pipe_in_the_folder_does_not_stop_the_batch(course, slug, tmp_path, batch):
    people, victim, victim_bytes = batch
    inbox = tmp_path / "inbox"
    put(inbox / "Amina Diallo.ipynb", honest(course, slug), LATER)
    os.mkfifo(inbox / f"{ATTACKER}-pipe.ipynb")  # reading it would wait for ever
    report = collect.collect_returned(inbox, course, people)
    assert placed(report) == {"amina01"}
    assert "not a regular file" in not_matched(report)[f"{ATTACKER}-pipe.ipynb"]
    assert victim.read_bytes() == victim_bytes


def test_an_unexpected_error_on_one_file_becomes_a_line_and_the_batch_goes_on(course, slug, tmp_path, batch,
                                                                              monkeypatch):
    people, victim, victim_bytes = batch
    inbox = tmp_path / "inbox"
    put(inbox / "Amina Diallo.ipynb", honest(course, slug), LATER)
    odd = honest(course, slug)
    odd.metadata["odd"] = "something nobody foresaw"
    put(inbox / "Chen Wei.ipynb", odd, LATER)
    real = collect.identify_module

    def breaks_on_odd(notebook, modules):
        if notebook.metadata.get("odd"):
            raise RuntimeError("something nobody foresaw")
        return real(notebook, modules)

    monkeypatch.setattr(collect, "identify_module", breaks_on_odd)
    report = collect.collect_returned(inbox, course, people)
    assert placed(report) == {"amina01"}
    assert not_matched(report)["Chen Wei.ipynb"] == "could not be processed (RuntimeError: something nobody foresaw)"
    assert victim.read_bytes() == victim_bytes


# ---------------------------------------------------------------- matching and repeating


def test_names_match_ignoring_accents_case_and_script(course, slug, tmp_path, batch):
    people, _, _ = batch
    inbox = tmp_path / "inbox"
    put(inbox / "JOSE MARTINEZ - assessment.ipynb", honest(course, slug), LATER)
    put(inbox / "Алия Иванова.ipynb", honest(course, slug), LATER)
    put(inbox / "eli.NOVAK@example.org.ipynb", honest(course, slug), LATER)
    report = collect.collect_returned(inbox, course, people)
    assert placed(report) == {"jose04", "aliya07", "eli06"}, lines_of(report)


def test_collecting_identical_files_again_says_unchanged(course, slug, tmp_path, batch):
    people, victim, victim_bytes = batch
    inbox = tmp_path / "inbox"
    put(inbox / "Amina Diallo.ipynb", honest(course, slug), LATER)
    put(inbox / f"{VICTIM}.ipynb", victim_bytes, EARLIER)
    first = collect.collect_returned(inbox, course, people)
    assert placed(first) == {"amina01"} and {r.learner for r in first.unchanged} == {VICTIM}
    again = collect.collect_returned(inbox, course, people)
    assert not again.placed and {r.learner for r in again.unchanged} == {"amina01", VICTIM}
    text = lines_of(again)
    assert "replaced" not in text and "unchanged Amina Diallo.ipynb: identical to the submission of amina01" in text
    assert not list(course.returned.glob("*/replaced"))
    assert victim.read_bytes() == victim_bytes


# ---------------------------------------------------------------- the whole batch, graded


@pytest.mark.slow
def test_hostile_batch_is_graded_as_deserved(course, slug, tmp_path, batch):
    """Folder, zip and exchange together, then nbgrader autograde: honest learners get full marks, the
    attacker gets the 0 their wrong answers deserve, and the victim's graded notebook is their own."""
    people, victim, victim_bytes = batch
    inbox = tmp_path / "inbox"
    put(inbox / "Amina Diallo - assessment.ipynb", honest(course, slug), LATER)
    put(inbox / "jose martinez.ipynb", honest(course, slug), LATER)
    put(inbox / "Untitled.ipynb", hostile(course, slug, {"learner": VICTIM}), LATER)
    put(inbox / f"{ATTACKER}-copy.ipynb", hostile(course, slug, {"learner": VICTIM}), LATER)
    (inbox / f"{ATTACKER}.ipynb").symlink_to(victim)
    for name, text in malformed(course, slug).items():
        put(inbox / name, text, LATER)
    archive = tmp_path / "returned.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(zipfile.ZipInfo("Chen Wei/assessment.ipynb", (2026, 1, 9, 9, 0, 0)),
                        nbformat.writes(honest(course, slug)))
        zero = zipfile.ZipInfo(f"{ATTACKER}/assessment.ipynb")
        zero.date_time = (1980, 0, 0, 0, 0, 0)
        bundle.writestr(zero, nbformat.writes(hostile(course, slug)))
        bundle.writestr(zipfile.ZipInfo("x/..", (2026, 1, 9, 9, 0, 0)), b"{}")
    inbound = exchange_inbound(tmp_path)
    submit_to_exchange(inbound, "eli06", slug, honest(course, slug), LATER)
    submit_to_exchange(inbound, "aliya07", slug, hostile(course, slug, {"learner": VICTIM}), LATER)
    reports = [collect.collect_returned(inbox, course, people), collect.collect_returned(archive, course, people),
               collect_from_exchange(course, slug, tmp_path)]
    everything = "\n".join(lines_of(report) for report in reports)
    assert "Traceback" not in everything and "could not be processed" not in everything
    assert victim.read_bytes() == victim_bytes

    # Exactly what a facilitator types:
    result = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", slug, "--force"],
                            cwd=course.root, env=course.env(), capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    full = score_of(answer_key(slug), slug)
    assert full > 0
    for learner in ("amina01", "jose04", "chen03", "eli06", VICTIM):
        assert auto_total(course, learner, slug) == full, learner
    assert auto_total(course, ATTACKER, slug) == 0  # their own wrong answers, from the zip
    assert not course.submission("aliya07", slug).exists()  # their spoof was set aside; they never submitted
    graded = nbformat.read(course.autograded / VICTIM / slug / f"{slug}-assessment.ipynb", as_version=4)
    assert answers_in(graded) == answers_in(nbformat.reads(victim_bytes.decode(), as_version=4))


def answers_in(notebook) -> dict[str, str]:
    return {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("grade_id", "").endswith("-answer")}
