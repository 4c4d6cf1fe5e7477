"""The workshop report, end to end on a synthetic workshop: `toolkit-course workshop-report` with a roster,
pre/post scores, evaluation forms, an agenda and a certificate register.

Every expected figure is computed here from the workshop's definition, with the standard library
(statistics) and published Student's t values, never by calling the report's code.
"""

from __future__ import annotations

import html as html_lib
import json
import math
import re
import shutil
import statistics
import subprocess
from pathlib import Path

import pytest

from toolkit_course import cli
from toolkit_course.grading import learning_gain

from .conftest_results import graded_cohort  # noqa: F401

# ---------------------------------------------------------------- the synthetic workshop

# id -> (sex as the roster writes it, role, pre score, post score); None = did not take that test.
PEOPLE = {
    "f01": ("female", "participant", 40, 70), "f02": ("F", "participant", 55, 80),
    "f03": ("female", "participant", 30, 65), "f04": ("Female", "participant", 60, 75),
    "f05": ("female", "participant", 45, 85), "f06": ("female", "participant", 50, 60),
    "f07": ("woman", "participant", 35, 75), "f08": ("female", "participant", 65, None),
    "f09": ("female", "participant", None, 90),
    "m01": ("male", "participant", 50, 70), "m02": ("M", "participant", 40, 45),
    "m03": ("male", "participant", 70, 90), "m04": ("male", "participant", 25, 60),
    "m05": ("male", "participant", 55, 75), "m06": ("male", "participant", 45, None),
    "p01": ("Prefer not to say", "participant", 50, 80), "p02": ("prefers not to say", "participant", None, None),
    "n01": ("", "participant", 35, 55),
    "fac1": ("female", "facilitator", None, None), "fac2": ("male", "facilitator", None, None),
    "obs1": ("", "observer", None, None),
}
NAMES = {pid: f"Quill{pid.upper()} Varga{pid}" for pid in PEOPLE}
EMAILS = {pid: f"{pid}.person@workshop.example" for pid in PEOPLE}
SEX = {"f": "female", "m": "male", "p": "prefers not to say", "n": "not recorded"}

# Evaluation forms: (relevance, quality, confidence, comment); None = left empty.
RELEVANCE = [5] * 8 + [4] * 5 + [3] * 2 + [2]
QUALITY = [5] * 6 + [4] * 6 + [3] * 3 + [1]
CONFIDENCE = [4] * 7 + [5] * 3 + [3] * 5 + [None]
COMMENTS = ["More time for the case studies please", "", "<script>alert('x')</script>\x1b[31mred", ""] + [""] * 11 + [
    "The session on referral was useful for p01"]
CERTIFIED = ["f01", "f02", "f03", "f04", "m01", "m02", "m03", "p01", "n01"]
REVOKED = "f05"
SECTIONS = ("Data protection", "Participation", "Pre-test, post-test and learning gain", "Participants' evaluation",
            "Certification", "Agenda delivered")

# Student's t, 97.5th percentile, from published tables (e.g. NIST/SEMATECH e-Handbook, table 1.4.2.7).
T_975 = {4: 2.776, 6: 2.447, 8: 2.306, 13: 2.160}


def write_workshop(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    roster = folder / "roster.csv"
    roster.write_text("id,name,email,sex,role\n" + "".join(
        f"{pid},{NAMES[pid]},{EMAILS[pid]},{sex},{role}\n" for pid, (sex, role, _, _) in PEOPLE.items()),
        encoding="utf-8")
    scores = folder / "scores.csv"
    scores.write_text("learner,pre,post\n" + "".join(
        f"{pid},{'' if pre is None else pre},{'' if post is None else post}\n"
        for pid, (_, role, pre, post) in PEOPLE.items() if role == "participant"), encoding="utf-8")
    evaluations = folder / "evaluations.csv"
    with evaluations.open("w", encoding="utf-8", newline="") as handle:
        import csv

        writer = csv.writer(handle)
        writer.writerow(["relevance", "quality", "confidence", "comment"])
        for row in zip(RELEVANCE, QUALITY, CONFIDENCE, COMMENTS):
            writer.writerow(["" if value is None else value for value in row])
    agenda = folder / "agenda.yaml"
    agenda.write_text("title: One-day practitioners' workshop (test)\nduration: one day\nsessions:\n"
                      "  - {start: '09:00', minutes: 90, title: Opening and pre-test, modules: [00-orientation]}\n"
                      "  - {start: '11:00', minutes: 120, title: Case work, modules: [01-trafficking-and-smuggling]}\n",
                      encoding="utf-8")
    register = folder / "register.jsonl"
    entries = [{"learner_id": pid, "certificate_id": f"C-{pid}", "course": "test"} for pid in CERTIFIED]
    entries.append({"learner_id": REVOKED, "certificate_id": "C-rev", "course": "test", "revoked": True})
    entries.append({"learner_id": "someone-else", "certificate_id": "C-other", "course": "test"})
    register.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    return {"roster": roster, "scores": scores, "evaluations": evaluations, "agenda": agenda, "register": register}


def run_report(files: dict[str, Path], out: Path, *extra: str) -> int:
    return cli.main(["workshop-report", "--roster", str(files["roster"]), "--scores", str(files["scores"]),
                     "--evaluations", str(files["evaluations"]), "--agenda", str(files["agenda"]),
                     "--certificates", str(files["register"]), "--workspace", str(out.parent),
                     "--title", "Test workshop", "--out", str(out), *extra])


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("workshop")
    files = write_workshop(folder / "inputs")
    out = folder / "reports" / "workshop-report.html"
    assert run_report(files, out) == 0
    return out.read_text(encoding="utf-8"), out


def table(html: str, caption: str) -> dict[str, list[str]]:
    body = html.split(f"<caption>{caption}</caption>")[1].split("</table>")[0]
    return {html_lib.unescape(label): [html_lib.unescape(c) for c in re.findall(r'<td class="number">(.*?)</td>', rest)]
            for label, rest in re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', body)}


def participants() -> dict[str, tuple]:
    return {pid: v for pid, v in PEOPLE.items() if v[1] == "participant"}


def group_of(pid: str) -> str:
    return SEX[pid[0]]


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%"


# ---------------------------------------------------------------- participation


def test_participation_by_sex_counts_percentages_and_suppression(report):
    html, _ = report
    people = participants()
    counts = {g: sum(group_of(pid) == g for pid in people) for g in SEX.values()}
    assert counts == {"female": 9, "male": 6, "prefers not to say": 2, "not recorded": 1}
    rows = table(html, "Participants by sex")
    total = len(people)
    assert rows["female"] == [str(counts["female"]), pct(counts["female"], total)]
    assert rows["male"] == [str(counts["male"]), pct(counts["male"], total)]
    # 2 and 1 are below 5: shown as "<5", and so are their shares.
    assert rows["prefers not to say"] == ["<5", "hidden"]
    assert rows["not recorded"] == ["<5", "hidden"]
    assert rows["all participants"] == [str(total), "100%"]


def test_participation_by_role(report):
    html, _ = report
    rows = table(html, "Everyone on the roster by role")
    assert rows["participant"] == ["18", pct(18, 21)]
    assert rows["facilitator"] == ["<5", "hidden"]
    assert rows["observer"] == ["<5", "hidden"]
    assert rows["everyone on the roster"] == ["21", "100%"]


def test_who_took_which_test(report):
    html, _ = report
    people = participants().values()
    both = sum(pre is not None and post is not None for _, _, pre, post in people)
    pre_only = sum(pre is not None and post is None for _, _, pre, post in people)
    post_only = sum(pre is None and post is not None for _, _, pre, post in people)
    neither = sum(pre is None and post is None for _, _, pre, post in people)
    assert (both, pre_only, post_only, neither) == (14, 2, 1, 1)
    rows = table(html, "Who took the tests")
    assert rows["both tests"] == [str(both), pct(both, 18)]
    for name in ("pre-test only", "post-test only", "neither test"):
        assert rows[name] == ["<5", "hidden"]


# ---------------------------------------------------------------- learning gain


def expected_gain(ids: list[str]) -> dict[str, str]:
    """The row as the report should print it, computed with statistics and the t table."""
    pairs = [(PEOPLE[i][2], PEOPLE[i][3]) for i in ids]
    n = len(pairs)
    t = T_975[n - 1]

    def mean_ci(values, digits, unit=""):
        mean, sd = statistics.mean(values), statistics.stdev(values)
        half = t * sd / math.sqrt(n)
        return f"{mean:.{digits}f}{unit} ({mean - half:.{digits}f} to {mean + half:.{digits}f})"

    return {"n": str(n), "pre": mean_ci([a for a, _ in pairs], 1, "%"), "post": mean_ci([b for _, b in pairs], 1, "%"),
            "raw": mean_ci([b - a for a, b in pairs], 1),
            "normalised": mean_ci([(b - a) / (100 - a) for a, b in pairs], 2)}


def both_tests(group: str | None = None) -> list[str]:
    return [pid for pid, (_, _, pre, post) in participants().items()
            if pre is not None and post is not None and (group is None or group_of(pid) == group)]


def test_learning_gain_overall(report):
    html, _ = report
    row = table(html, "Learning gain, all participants")["all participants"]
    expected = expected_gain(both_tests())
    assert row == [expected["n"], expected["pre"], expected["post"], expected["raw"], expected["normalised"]]


def test_learning_gain_by_sex_with_small_groups_hidden(report):
    html, _ = report
    rows = table(html, "Learning gain by sex")
    expected = expected_gain(both_tests("female"))
    assert rows["female"] == [expected["n"], expected["pre"], expected["post"], expected["raw"], expected["normalised"]]
    assert len(both_tests("female")) == 7 and len(both_tests("male")) == 5
    # One participant each took both tests in the two smallest groups: no figure about them is shown.
    hidden = ["hidden"] * 4
    assert rows["prefers not to say"] == ["<5", *hidden]
    assert rows["not recorded"] == ["<5", *hidden]
    # Those two hidden groups hold 2 people together: with the overall means and the sizes, their combined
    # mean could be worked back, so the next smallest group (male, 5) is hidden as well; its size stays.
    assert rows["male"] == ["5", *hidden]


def test_charts_are_embedded_with_alt_text_and_show_no_hidden_group(report):
    html, _ = report
    images = re.findall(r'<img src="data:image/png;base64,[A-Za-z0-9+/=]+" alt="([^"]+)">', html)
    assert len(images) == 3  # participants by sex, pre/post scores, learning gain
    for alt in images:
        assert len(alt) > 60
        assert "prefers not to say:" not in alt and "not recorded (" not in alt
    assert "Not drawn, to protect small groups: prefers not to say, not recorded" in html_lib.unescape(images[0])
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)


def test_t_quantile_matches_published_tables():
    for df, value in {**T_975, 1: 12.706, 9: 2.262, 29: 2.045, 120: 1.980}.items():
        assert learning_gain.t_quantile(0.975, df) == pytest.approx(value, abs=5e-4)


def test_learning_gain_by_role_hides_a_small_role_and_its_complement(tmp_path):
    files = write_workshop(tmp_path / "inputs")
    students = ("m01", "m02", "m03")  # 3 who took both tests get the learner role "student"
    text = files["roster"].read_text(encoding="utf-8")
    for pid in students:
        text = text.replace(f"{EMAILS[pid]},male,participant", f"{EMAILS[pid]},male,student")
    files["roster"].write_text(text, encoding="utf-8")
    out = tmp_path / "reports" / "report.html"
    assert run_report(files, out, "--no-pdf") == 0
    rows = table(out.read_text(encoding="utf-8"), "Learning gain by role")
    # 3 students (< 5) are hidden; with the overall mean shown, the participants' mean (11 people) would
    # give the students' back, so it is hidden too.
    assert len(both_tests()) - len(students) == 11
    assert rows == {"participant": ["hidden"] * 5, "student": ["<5"] + ["hidden"] * 4}


# ---------------------------------------------------------------- evaluations, certificates, agenda


def test_evaluation_ratings_in_bands_with_suppression(report):
    html, _ = report
    rows = table(html, "Evaluation ratings")
    relevance = rows["How relevant was the workshop to your work?"]
    # bands 1-2: 1 form, 3: 2 forms, 4-5: 13 forms, of 16 answered.
    assert relevance == ["16", "<5", "<5", f"13 ({pct(13, 16)})", f"{statistics.mean(RELEVANCE):.1f}"]
    confidence_given = [c for c in CONFIDENCE if c is not None]
    confidence = rows["How confident are you to apply what you learned?"]
    # 0 low (hidden) alone in its row would be recoverable: the next smallest band (5 forms) is hidden too.
    assert confidence == [str(len(confidence_given)), "<5", "hidden", f"10 ({pct(10, 15)})",
                          f"{statistics.mean(confidence_given):.1f}"]
    assert "16 evaluation forms were returned" in html


def test_comments_are_counted_never_quoted_by_default(report):
    html, _ = report
    assert "&lt;5 forms had a written comment" in html
    for comment in filter(None, COMMENTS):
        assert comment not in html and html_lib.escape(comment) not in html
    assert "case studies" not in html


def test_cleared_comments_are_quoted_as_inert_text(tmp_path):
    files = write_workshop(tmp_path / "inputs")
    out = tmp_path / "reports" / "report.html"
    assert run_report(files, out, "--comments-cleared", "--no-pdf") == 0
    html = out.read_text(encoding="utf-8")
    assert "<li>More time for the case studies please</li>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "\x1b" not in html


def test_certification_counts_participants_with_a_valid_certificate(report):
    html, _ = report
    # 9 participants in the register; the revoked one and someone from another workshop do not count.
    assert f"9 of 18 participants hold a certificate of completion\n({pct(9, 18)})" in html


def test_agenda_and_sections(report):
    html, _ = report
    assert "One-day practitioners&#39; workshop (test)" in html
    assert "<td>Case work</td>" in html
    headings = [html_lib.unescape(h) for h in re.findall(r">([^<]*)</h2>", html)]
    assert headings == list(SECTIONS)


def test_nothing_personal_in_the_report(report):
    html, _ = report
    for pid in PEOPLE:
        for value in (NAMES[pid], *NAMES[pid].split(), EMAILS[pid]):
            assert value not in html, value
        assert re.search(rf"\b{re.escape(pid)}\b", html) is None, pid
    assert "Quill" not in html and "workshop.example" not in html


def test_pdf_has_every_section(report):
    _, out = report
    pdf = out.with_suffix(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert shutil.which("pdftotext"), "pdftotext is missing: apt-get install poppler-utils"
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = " ".join(text.replace("’", "'").split())
    for section in SECTIONS:
        assert section in flat, section
    assert "Quill" not in flat


# ---------------------------------------------------------------- bad input


def test_bad_files_are_all_named_and_no_report_is_written(tmp_path, capsys):
    files = write_workshop(tmp_path / "inputs")
    files["scores"].write_text("learner,pre,post\nf01,40,70\nstranger,10,20\n", encoding="utf-8")
    files["evaluations"].write_text("relevance,quality,confidence,comment\n5,6,4,\n", encoding="utf-8")
    out = tmp_path / "reports" / "report.html"
    assert run_report(files, out) == 2
    errors = capsys.readouterr().err
    assert f"{files['scores']}: row 3: column 'learner': 'stranger' is not the id of a participant" in errors
    assert f"{files['evaluations']}: row 2: column 'quality': '6' is not a rating" in errors
    assert not out.exists()


def test_an_agenda_naming_a_module_that_does_not_exist_is_refused(tmp_path, capsys):
    files = write_workshop(tmp_path / "inputs")
    files["agenda"].write_text("title: T\nsessions:\n  - {minutes: 60, title: Intro, modules: [99-nothing]}\n",
                               encoding="utf-8")
    assert run_report(files, tmp_path / "r.html", "--no-pdf") == 2
    assert "session 1 ('Intro'): there is no module '99-nothing'" in capsys.readouterr().err


def test_threshold_is_configurable(tmp_path):
    files = write_workshop(tmp_path / "inputs")
    out = tmp_path / "reports" / "report.html"
    assert run_report(files, out, "--min-group-size", "2", "--no-pdf") == 0
    rows = table(out.read_text(encoding="utf-8"), "Participants by sex")
    # Only "not recorded" (1) is below 2. Alone, it would be 18 - 9 - 6 - 2 = 1: so the next smallest
    # group, "prefers not to say" (2), is hidden as well, and female and male stay.
    assert rows["not recorded"] == ["<2", "hidden"]
    assert rows["prefers not to say"] == ["hidden", "hidden"]
    assert rows["female"] == ["9", pct(9, 18)] and rows["male"] == ["6", pct(6, 18)]


def test_the_book_example_is_made_from_synthetic_data_and_names_no_one(tmp_path):
    from toolkit_course.grading import workshop_example

    out = tmp_path / "example.html"
    assert workshop_example.write_example(out) == [out]
    html = out.read_text(encoding="utf-8")
    assert "invented (synthetic data)" in html
    assert "Example Person" not in html and "example.org" not in html
    headings = [html_lib.unescape(h) for h in re.findall(r">([^<]*)</h2>", html)]
    assert headings == list(SECTIONS)
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) == 3
    # The book shows a committed copy; it must be what the code writes today, not an older report.
    committed = Path(__file__).resolve().parents[2] / "book" / "facilitator" / "examples" / "workshop-report-example.html"
    assert html == committed.read_text(encoding="utf-8"), (
        f"{committed} is out of date: run `.venv/bin/python scripts/example-workshop-report.py --pdf`")


@pytest.mark.slow
def test_scores_from_the_gradebook(graded_cohort, tmp_path):  # noqa: F811
    """The two tests read from nbgrader's gradebook; here the cohort's two graded modules stand in for them."""
    out = tmp_path / "reports" / "report.html"
    pre, post = graded_cohort.slugs
    code = cli.main(["workshop-report", "--course", str(graded_cohort.course_root), "--workspace",
                     str(graded_cohort.workspace), "--roster", str(graded_cohort.roster), "--pre-test", pre,
                     "--post-test", post, "--no-pdf", "--out", str(out)])
    assert code == 0
    rows = table(out.read_text(encoding="utf-8"), "Who took the tests")
    submitted = sum(learner.submits for learner in graded_cohort.learners)
    assert submitted == 5
    assert rows["both tests"] == [str(submitted), pct(submitted, len(graded_cohort.learners))]
    assert rows["neither test"] == ["<5", "hidden"]


# ---------------------------------------------------------------- profession (the participants' professional groups)

# The optional roster column "profession"; a blank cell is "not recorded". Spelled as facilitators type them.
PROFESSION = {"f01": "police", "f02": "Police officer", "f03": "police", "f04": "POLICE", "f05": "police",
              "m01": "police", "m02": "police", "m03": "police", "m04": "police",
              "f06": "prosecutor", "m05": "Prosecutor", "f07": "judge", "m06": "judge", "f08": "Prefer not to say",
              "fac1": "other"}  # f09, p01, p02, n01: not recorded; a facilitator's profession is not counted


def with_professions(files: dict[str, Path], professions: dict[str, str]) -> None:
    lines = files["roster"].read_text(encoding="utf-8").splitlines()
    files["roster"].write_text("\n".join([lines[0] + ",profession"] + [
        f"{line},{professions.get(line.split(',')[0], '')}" for line in lines[1:]]) + "\n", encoding="utf-8")


def profession_of(pid: str) -> str:
    spelled = PROFESSION.get(pid, "").lower()
    return {"police officer": "police", "prefer not to say": "prefers not to say", "": "not recorded"}.get(spelled,
                                                                                                         spelled)


@pytest.fixture(scope="module")
def profession_report(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("workshop-professions")
    files = write_workshop(folder / "inputs")
    with_professions(files, PROFESSION)
    out = folder / "reports" / "report.html"
    assert run_report(files, out, "--no-pdf") == 0
    return out.read_text(encoding="utf-8")


def test_participation_by_profession_counts_percentages_and_suppression(profession_report):
    rows = table(profession_report, "Participants by profession")
    counts = {}
    for pid in participants():
        counts[profession_of(pid)] = counts.get(profession_of(pid), 0) + 1
    assert counts == {"police": 9, "prosecutor": 2, "judge": 2, "prefers not to say": 1, "not recorded": 4}
    total = len(participants())
    assert rows["police"] == [str(counts["police"]), pct(counts["police"], total)]
    for group in ("prosecutor", "judge", "prefers not to say", "not recorded"):  # each fewer than 5
        assert rows[group] == ["<5", "hidden"], group
    assert rows["all participants"] == [str(total), "100%"]
    assert list(rows)[:-1] == ["police", "prosecutor", "judge", "prefers not to say", "not recorded"]  # roster order
    assert "other" not in rows  # the facilitator's profession: not a participant


def test_learning_gain_by_profession(profession_report):
    rows = table(profession_report, "Learning gain by profession")
    police = [pid for pid in both_tests() if profession_of(pid) == "police"]
    assert len(police) == 9 and len(both_tests()) - len(police) == 5  # the hidden groups hold 5 people together
    expected = expected_gain(police)
    assert rows["police"] == ["5 or more", expected["pre"], expected["post"], expected["raw"], expected["normalised"]]
    for group in ("prosecutor", "judge", "prefers not to say", "not recorded"):
        assert rows[group] == ["<5"] + ["hidden"] * 4, group
    assert "Profession is recorded as the roster's categories" in html_lib.unescape(profession_report)


def test_no_profession_breakdown_when_the_roster_has_none(report):
    html, _ = report
    assert "Participants by profession" not in html and "Learning gain by profession" not in html


def test_a_profession_that_is_not_a_category_is_refused_naming_file_row_and_value(tmp_path, capsys):
    files = write_workshop(tmp_path / "inputs")
    with_professions(files, PROFESSION | {"m02": "astronaut"})
    out = tmp_path / "reports" / "report.html"
    assert run_report(files, out, "--no-pdf") != 0
    said = capsys.readouterr()
    message = said.err + said.out
    row = 1 + list(PEOPLE).index("m02") + 1  # the header is row 1
    assert str(files["roster"]) in message and f"row {row}" in message and "'astronaut'" in message
    assert "prefers not to say" in message and not out.exists()
