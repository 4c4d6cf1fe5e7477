"""What a certificate says (issue 12, items 1 and 6): exactly what was completed, the workshop's details,
where to check it, all printed from the signed payload; and the register: revoke and publish.

The printed text is read back with poppler's pdftotext, as a reader's PDF viewer would show it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import shutil
import subprocess

import pytest

from toolkit_course import cli, content
from toolkit_course.grading import certificates as certs
from toolkit_course.grading import results

from .conftest_results import cohort, graded_cohort  # noqa: F401

PDFTOTEXT = shutil.which("pdftotext")
DETAILS = {"organisation": "Ministry of Justice Training Centre", "hours": 12.5, "venue": "Vienna International Centre",
           "dates": "3-5 March 2026", "signatory": {"name": "Dr Lena Vogel", "title": "Head of Training"},
           "verification_url": "https://training.invalid/book/verify-certificate.html"}


def printed(pdf: bytes, tmp_path) -> str:
    """The text a reader sees on the page, with line breaks and runs of spaces made single spaces."""
    assert PDFTOTEXT, "pdftotext is missing: install Debian's poppler-utils"
    path = tmp_path / "printed.pdf"
    path.write_bytes(pdf)
    text = subprocess.run([PDFTOTEXT, str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())


def passing_cohort(slugs: list[str]) -> results.Cohort:
    """One learner who passed every module in `slugs` with full marks (the rule reads only these records)."""
    modules = [results.Module(slug, content.module_title(slug), {"items": [], "reflections": []}, 70.0)
               for slug in slugs]
    learner = results.Learner("amal01", "Amal Haddad")
    passed = {(learner.id, slug): results.ModuleResult(slug, learner.id, (results.ItemResult("q1", False, 2, 2, False),))
              for slug in slugs}
    return results.Cohort([learner], modules, passed)


def write_rule(path, **settings):
    rule = {"course_title": "Test course", "facilitator": "Grace Mensah", "required_modules": "all", **settings}
    path.write_text(json.dumps(rule), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    private, public, _ = certs.generate_keypair(tmp_path_factory.mktemp("keys") / "facilitator.pem")
    return {"private": certs.load_private_key(private), "public": certs.load_public_key(public),
            "private_path": private, "public_path": public}


def issue_one(passed, rule_path, key, out):
    rule = certs.load_rule(rule_path, passed)
    report = certs.certify(passed, rule, key["private"], out, dt.date(2026, 3, 5))
    assert len(report.issued) == 1, report.not_qualified
    entry = report.issued[0]
    return entry, (out / entry["file"]).read_bytes()


def test_one_module_is_named_as_module_and_title_not_as_the_course(key, tmp_path):
    slug = content.assessed_slugs()[1]
    entry, pdf = issue_one(passing_cohort([slug]), write_rule(tmp_path / "rule.yaml"), key, tmp_path / "out")
    text = printed(pdf, tmp_path)
    assert f"has completed Module {slug[:2]}: {content.module_title(slug)}" in text
    assert "has completed the course" not in text and "of the course Test course" in text
    assert entry["scope"] == "modules" and [m["slug"] for m in entry["modules"]] == [slug]


def test_a_few_modules_are_listed(key, tmp_path):
    slugs = content.assessed_slugs()[:2]
    _, pdf = issue_one(passing_cohort(slugs), write_rule(tmp_path / "rule.yaml"), key, tmp_path / "out")
    text = printed(pdf, tmp_path)
    assert "has completed these 2 modules" in text and "has completed the course" not in text
    for slug in slugs:
        assert f"Module {slug[:2]}: {content.module_title(slug)}" in text


def test_the_course_only_when_every_module_the_course_requires_is_passed(key, tmp_path):
    every = content.assessed_slugs()
    entry, pdf = issue_one(passing_cohort(every), write_rule(tmp_path / "rule.yaml"), key, tmp_path / "all")
    assert "has completed the course Test course" in printed(pdf, tmp_path) and entry["scope"] == "course"
    # One module short of the course: the certificate lists the modules instead.
    entry, pdf = issue_one(passing_cohort(every[:-1]), write_rule(tmp_path / "rule.yaml"), key, tmp_path / "most")
    assert "has completed the course" not in printed(pdf, tmp_path) and entry["scope"] == "modules"


def test_the_workshops_details_are_printed_and_signed(key, tmp_path):
    slug = content.assessed_slugs()[0]
    entry, pdf = issue_one(passing_cohort([slug]), write_rule(tmp_path / "rule.yaml", **DETAILS), key, tmp_path / "o")
    text = printed(pdf, tmp_path)
    for expected in ("Ministry of Justice Training Centre", "Training: 12.5 hours", "Place: Vienna International Centre",
                     "Dates: 3-5 March 2026", "Dr Lena Vogel", "Head of Training", entry["certificate_id"],
                     "https://training.invalid/book/verify-certificate.html", entry["key_fingerprint"]):
        assert expected in text, expected
    verdict = certs.verify_bytes(pdf, key["public"])
    assert verdict.valid
    signed = verdict.payload
    assert (signed["hours"], signed["venue"], signed["dates"], signed["organisation"]) == (
        12.5, "Vienna International Centre", "3-5 March 2026", "Ministry of Justice Training Centre")
    assert signed["signatory"] == DETAILS["signatory"] and signed["verify_at"] == DETAILS["verification_url"]


def test_without_a_verification_url_the_certificate_names_the_books_page(key, tmp_path):
    slug = content.assessed_slugs()[0]
    _, pdf = issue_one(passing_cohort([slug]), write_rule(tmp_path / "rule.yaml"), key, tmp_path / "o")
    text = printed(pdf, tmp_path)
    assert 'Check this certificate at the page "Check a certificate" in the course book' in text
    assert "Grace Mensah Facilitator" in text  # the signature line: the facilitator, when no signatory is set


@pytest.mark.parametrize("field, forged", [
    ("hours", 40), ("venue", "Geneva"), ("dates", "1-30 June 2026"), ("organisation", "Another Agency"),
    ("signatory", {"name": "Mallory", "title": "Director"}), ("verify_at", "https://forger.invalid/check"),
    ("scope", "course"),
])
def test_changing_a_new_field_breaks_verification(key, tmp_path, field, forged):
    slug = content.assessed_slugs()[0]
    entry, pdf = issue_one(passing_cohort([slug]), write_rule(tmp_path / "rule.yaml", **DETAILS), key, tmp_path / "o")
    payload = certs.verify_bytes(pdf, key["public"]).payload
    stored = re.search(rb"<tkc:payload>([A-Za-z0-9+/=]*)</tkc:payload>", pdf).group(1)
    changed = base64.b64encode(certs.canonical(dict(payload, **{field: forged})))
    # In the stored details:
    verdict = certs.verify_bytes(pdf.replace(stored, changed), key["public"])
    assert not verdict.valid and "changed after signing" in verdict.reason
    # On the visible page, the original signed details copied in:
    xmp = re.search(rb"<x:xmpmeta.*?</x:xmpmeta>", pdf, flags=re.S).group(0).decode("ascii")
    redrawn = certs.render_pdf(dict(payload, **{field: forged}), xmp)
    assert not certs.verify_bytes(redrawn, key["public"]).valid


def test_verify_never_prints_a_certificates_control_characters(key, tmp_path):
    """A crafted certificate's name must not send escape sequences to the facilitator's terminal."""
    passed = passing_cohort(content.assessed_slugs()[:1])
    passed.learners[0] = results.Learner("amal01", "Amal\x1b[2J\x1b]0;owned\x07 Haddad")
    _, pdf = issue_one(passed, write_rule(tmp_path / "rule.yaml"), key, tmp_path / "o")
    shown = str(certs.verify_bytes(pdf, key["public"]))
    assert shown.startswith("valid: ") and "\x1b" not in shown and "\x07" not in shown and "Amal?[2J" in shown


def test_new_fields_are_checked_by_the_schema(tmp_path):
    for settings, message in [({"hours": "twelve"}, "hours: 'twelve' is not of type 'number', 'null'"),
                              ({"hours": 0}, "hours: 0 is less than or equal to the minimum of 0"),
                              ({"signatory": {"nmae": "x"}}, "signatory: Additional properties are not allowed ('nmae'")]:
        path = write_rule(tmp_path / "rule.yaml", **settings)
        with pytest.raises(certs.CertificateError, match=re.escape(f"{path}: {message}")):
            certs.load_rule(path, passing_cohort(content.assessed_slugs()[:1]))


# ---------------------------------------------------------------- the facilitator's name


def test_certify_without_a_facilitator_says_in_one_line_how_to_fix_it(graded_cohort, key, tmp_path, capsys):  # noqa: F811
    rule = write_rule(tmp_path / "rule.yaml", facilitator="")
    common = ["--course", str(graded_cohort.course_root), "--workspace", str(graded_cohort.workspace)]
    assert cli.main(["certify", *common, "--key", str(key["private_path"]), "--rules", str(rule),
                     "--out", str(tmp_path / "certs")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith(f"error: {rule}: facilitator:")
    assert 'facilitator:" in this file, or add --facilitator "Your Name"' in error
    assert not (tmp_path / "certs").exists() or not list((tmp_path / "certs").glob("*.pdf"))


def guide_commands(prefix: str) -> list[str]:
    guide = (content.content_root().parent / "book" / "facilitator" / "results-and-certificates.md").read_text()
    return [line.split("  #")[0].strip() for line in guide.splitlines() if line.startswith(prefix)]


@pytest.mark.slow
def test_the_guides_keygen_and_certify_examples_work_word_for_word(graded_cohort, tmp_path):  # noqa: F811
    """Typed as printed in book/facilitator/results-and-certificates.md, with the course's certification.yaml."""
    import os
    import sys
    from pathlib import Path

    bin_folder = str(Path(sys.executable).parent)
    workspace = shutil.copytree(graded_cohort.workspace, tmp_path / "workspace")  # the shared one stays as it is
    env = dict(os.environ, HOME=str(tmp_path / "home"), TOOLKIT_GRADING_WORKSPACE=str(workspace),
               PATH=os.pathsep.join([bin_folder, os.environ.get("PATH", "")]))
    env.pop("TOOLKIT_COURSE_CONTENT", None)
    keygen, certify = guide_commands("toolkit-course keygen")[0], guide_commands("toolkit-course certify")[0]
    for command in (keygen, certify):
        done = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    assert "3 issued" in done.stdout
    issued = sorted(path.name for path in (workspace / "certificates").glob("*.pdf"))
    assert issued == ["certificate-amal01.pdf", "certificate-bruno02.pdf", "certificate-eli05.pdf"]


# ---------------------------------------------------------------- revoke and the public register


def test_revoke_publish_and_verify_with_the_register(cohort, key, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "certs"
    rule = certs.load_rule(write_rule(tmp_path / "rule.yaml"), cohort)
    issued = certs.certify(cohort, rule, key["private"], out, dt.date(2026, 3, 5)).issued
    revoked, kept = issued[0], issued[1]
    register = out / certs.REGISTER_FILE
    assert cli.main(["revoke", revoked["certificate_id"], "--reason", "Issued to the wrong person.",
                     "--register", str(register)]) == 0
    assert cli.main(["revoke", revoked["certificate_id"], "--reason", "again", "--register", str(register)]) == 2
    assert "already revoked" in capsys.readouterr().err

    published = tmp_path / "book" / certs.PUBLISHED_FILE
    assert cli.main(["publish-register", "--register", str(register), "--out", str(published)]) == 0
    text = published.read_text(encoding="utf-8")
    for learner in cohort.learners:  # no names, e-mails or learner ids
        for private in (learner.name, learner.id, learner.email):
            assert not private or private not in text
    data = certs.read_published(published)
    assert data["keys"] == [{"fingerprint": certs.fingerprint(key["public"]),
                             "public_key": certs.raw_public_key(key["public"])}]
    by_id = {entry["certificate_id"]: entry for entry in data["certificates"]}
    assert set(by_id) == {entry["certificate_id"] for entry in issued}
    assert by_id[revoked["certificate_id"]]["revoked"] and \
        by_id[revoked["certificate_id"]]["reason"] == "Issued to the wrong person."
    assert by_id[kept["certificate_id"]] == {"certificate_id": kept["certificate_id"], "sha256": kept["sha256"],
                                             "issued": "2026-03-05", "key_fingerprint": kept["key_fingerprint"],
                                             "revoked": False, "reason": ""}
    capsys.readouterr()

    for register_file in (register, published):
        verify = ["verify", "--public-key", str(key["public_path"]), "--register", str(register_file)]
        assert cli.main([*verify[:1], str(out / revoked["file"]), *verify[1:]]) == 1
        said = capsys.readouterr().out
        assert said.startswith("revoked: the issuer withdrew this certificate: Issued to the wrong person. Before")
        assert ".." not in said and ".;" not in said
        assert cli.main([*verify[:1], str(out / kept["file"]), *verify[1:]]) == 0
        assert capsys.readouterr().out.startswith("valid: ")
    # Without the register, verify checks the signatures only.
    assert cli.main(["verify", str(out / revoked["file"]), "--public-key", str(key["public_path"])]) == 0

    # The revoked learner is not issued again by itself; --reissue issues the corrected certificate.
    again = certs.certify(cohort, rule, key["private"], out, dt.date(2026, 3, 6))
    assert again.revoked == [revoked["learner_id"]] and not again.issued
    assert revoked["learner_id"] not in again.already
    corrected = certs.certify(cohort, rule, key["private"], out, dt.date(2026, 3, 6),
                              reissue=(revoked["learner_id"],))
    assert [entry["learner_id"] for entry in corrected.issued] == [revoked["learner_id"]]
    assert corrected.issued[0]["certificate_id"] != revoked["certificate_id"]
    assert certs.certify(cohort, rule, key["private"], out).already.count(revoked["learner_id"]) == 1


def test_publishing_again_keeps_what_the_book_already_lists(cohort, key, tmp_path):  # noqa: F811
    first, second = tmp_path / "first", tmp_path / "second"
    rule = certs.load_rule(write_rule(tmp_path / "rule.yaml"), cohort)
    certs.certify(cohort, rule, key["private"], first, dt.date(2026, 3, 5))
    certs.certify(cohort, rule, key["private"], second, dt.date(2026, 4, 5))
    published = tmp_path / certs.PUBLISHED_FILE
    certs.publish([first / certs.REGISTER_FILE], published)
    data = certs.publish([second / certs.REGISTER_FILE], published)
    assert len(data["certificates"]) == 2 * 3 and len(data["keys"]) == 1


def test_the_shipped_register_is_empty_and_readable():
    from pathlib import Path

    shipped = Path(certs.__file__).parents[2] / "static" / certs.PUBLISHED_FILE
    assert certs.read_published(shipped) == {"format": "toolkit-course-register/1", "keys": [], "certificates": []}
