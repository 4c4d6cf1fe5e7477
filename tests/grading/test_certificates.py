"""Certificates: the rule, signed PDFs, the register, and verification against tampering."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import zlib

import pytest

from toolkit_course import cli
from toolkit_course.grading import certificates as certs

from .conftest_results import cohort, graded_cohort  # noqa: F401

PAYLOAD = {
    "format": certs.FORMAT, "certificate_id": "TKC-AAAA-BBBB-CCCC", "learner_id": "amal01", "name": "Amal Haddad",
    "course": "Test course", "modules": [{"slug": "01-x", "title": "Module one"}, {"slug": "02-y", "title": "Module two"}],
    "date": "2025-03-14", "facilitator": "Grace Mensah", "organisation": "", "key_fingerprint": "",
}
TAMPERED = {
    "name": "Mallory Impostor",
    "modules": [{"slug": "01-x", "title": "Module one"}, {"slug": "99-z", "title": "A module never passed"}],
    "date": "2024-01-01",
    "certificate_id": "TKC-0000-0000-0001",
}


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    private, public, _ = certs.generate_keypair(folder / "facilitator.pem")
    other_private, other_public, _ = certs.generate_keypair(folder / "other.pem")
    return {"private": certs.load_private_key(private), "public": certs.load_public_key(public),
            "other_private": certs.load_private_key(other_private), "other_public": certs.load_public_key(other_public),
            "private_path": private, "public_path": public}


@pytest.fixture(scope="module")
def signed(keys):
    payload = dict(PAYLOAD, key_fingerprint=certs.fingerprint(keys["public"]))
    return payload, certs.signed_pdf(payload, keys["private"])


def stored_xmp(pdf: bytes) -> str:
    return re.search(rb"<x:xmpmeta.*?</x:xmpmeta>", pdf, flags=re.S).group(0).decode("ascii")


def test_untouched_certificate_is_valid(signed, keys):
    payload, pdf = signed
    verdict = certs.verify_bytes(pdf, keys["public"])
    assert verdict.valid and str(verdict).startswith("valid: ")
    assert verdict.payload == payload and "Amal Haddad" in verdict.reason


@pytest.mark.parametrize("field", sorted(TAMPERED))
def test_changed_stored_detail_is_caught(signed, keys, field):
    payload, pdf = signed
    old = base64.b64encode(certs.canonical(payload))
    new = base64.b64encode(certs.canonical(dict(payload, **{field: TAMPERED[field]})))
    forged = pdf.replace(old, new)
    assert forged != pdf
    verdict = certs.verify_bytes(forged, keys["public"])
    assert not verdict.valid and str(verdict).startswith("not valid: ")
    assert "changed after signing" in verdict.reason


@pytest.mark.parametrize("field", sorted(TAMPERED))
def test_changed_visible_detail_is_caught(signed, keys, field):
    """The page redrawn with another detail, the original signed metadata copied in."""
    payload, pdf = signed
    forged = certs.render_pdf(dict(payload, **{field: TAMPERED[field]}), stored_xmp(pdf))
    verdict = certs.verify_bytes(forged, keys["public"])
    assert not verdict.valid and "changed after it was signed" in verdict.reason


@pytest.mark.parametrize("field", sorted(TAMPERED))
def test_changed_visible_and_stored_detail_together_is_caught(signed, keys, field):
    payload, pdf = signed
    changed = dict(payload, **{field: TAMPERED[field]})
    old_signature = re.search(rb"<tkc:payloadSignature>([0-9a-f]+)<", pdf).group(1).decode()
    forged = certs.render_pdf(changed, certs.xmp_block(certs.canonical(changed), old_signature))
    verdict = certs.verify_bytes(forged, keys["public"])
    assert not verdict.valid and "changed after signing" in verdict.reason


def test_edited_page_content_is_caught(signed, keys):
    _, pdf = signed
    start = pdf.index(b"stream\n", pdf.index(b"/Filter /FlateDecode")) + len(b"stream\n")
    end = pdf.index(b"\nendstream", start)
    page = zlib.decompress(pdf[start:end])
    edited = zlib.compress(page.replace(b" Tj", b" Tj", 1).replace(b"1 0 0 1", b"2 0 0 1", 1) + b" ")
    forged = pdf[:start] + edited + pdf[end:]
    assert not certs.verify_bytes(forged, keys["public"]).valid


def test_another_key_is_caught(signed, keys):
    _, pdf = signed
    verdict = certs.verify_bytes(pdf, keys["other_public"])
    assert not verdict.valid and "not signed with this public key" in verdict.reason


def test_certificate_forged_with_another_key_is_caught(keys):
    # The forger signs with their own key but claims the facilitator's fingerprint.
    payload = dict(PAYLOAD, key_fingerprint=certs.fingerprint(keys["public"]))
    forged = certs.signed_pdf(payload, keys["other_private"])
    verdict = certs.verify_bytes(forged, keys["public"])
    assert not verdict.valid and "another key signed it" in verdict.reason


@pytest.mark.parametrize("damage", ["half", "no-end", "empty", "text", "garbage", "two-payloads"])
def test_truncated_or_corrupt_files_are_not_valid(signed, keys, damage):
    _, pdf = signed
    broken = {
        "half": pdf[: len(pdf) // 2], "no-end": pdf[:-7], "empty": b"", "text": b"I am a certificate, trust me",
        "garbage": b"%PDF-1.3\n" + bytes(range(256)) * 20 + b"%%EOF",
        "two-payloads": pdf + b"\n" + stored_xmp(pdf).encode() + b"\n%%EOF\n",
    }[damage]
    verdict = certs.verify_bytes(broken, keys["public"])
    assert not verdict.valid and verdict.reason


def test_keygen_protects_the_private_key(tmp_path, monkeypatch):
    private, public, print_ = certs.generate_keypair(tmp_path / "k.pem")
    assert private.stat().st_mode & 0o777 == 0o600
    assert print_ == certs.fingerprint(certs.load_public_key(public))
    with pytest.raises(certs.CertificateError, match="already exists"):
        certs.generate_keypair(tmp_path / "k.pem")
    monkeypatch.setenv(certs.PASSPHRASE_VARIABLE, "correct horse")
    locked, _, _ = certs.generate_keypair(tmp_path / "locked.pem")
    assert b"ENCRYPTED" in locked.read_bytes()
    certs.load_private_key(locked)
    monkeypatch.setenv(certs.PASSPHRASE_VARIABLE, "wrong")
    with pytest.raises(certs.CertificateError, match="locked.pem"):
        certs.load_private_key(locked)


# ---------------------------------------------------------------- with the graded cohort


def write_rule(path, **settings):
    rule = {"course_title": "Test course", "facilitator": "Grace Mensah", "required_modules": "all", **settings}
    path.write_text(json.dumps(rule), encoding="utf-8")  # JSON is YAML too
    return path


@pytest.mark.slow
def test_rule_file_errors_name_the_file_and_the_setting(cohort, tmp_path):  # noqa: F811
    with pytest.raises(certs.CertificateError, match=r"rule.yaml: required_modules: '99-nope'"):
        certs.load_rule(write_rule(tmp_path / "rule.yaml", required_modules=["99-nope"]), cohort)
    slug = cohort.modules[0].slug
    with pytest.raises(certs.CertificateError, match=rf"rule.yaml: pass_marks.{slug}: 120 is greater than the maximum"):
        certs.load_rule(write_rule(tmp_path / "rule.yaml", pass_marks={slug: 120}), cohort)
    with pytest.raises(certs.CertificateError, match="facilitator"):
        certs.load_rule(write_rule(tmp_path / "rule.yaml", facilitator=""), cohort)
    rule = certs.load_rule(write_rule(tmp_path / "rule.yaml"), cohort)
    assert rule.pass_marks == {m.slug: float(m.spec["pass_mark_percent"]) for m in cohort.modules}


@pytest.mark.slow
def test_certify_issues_to_those_who_qualify_once(cohort, keys, tmp_path):  # noqa: F811
    rule = certs.load_rule(write_rule(tmp_path / "rule.yaml"), cohort)
    first = certs.certify(cohort, rule, keys["private"], tmp_path / "out", dt.date(2025, 3, 14))
    assert sorted(e["learner_id"] for e in first.issued) == ["amal01", "bruno02", "eli05"]
    assert any("waiting for hand grading" in r for r in first.not_qualified["chen03"])
    assert any("below the pass mark" in r for r in first.not_qualified["dara04"])
    assert any("not submitted" in r for r in first.not_qualified["fatima06"])
    second = certs.certify(cohort, rule, keys["private"], tmp_path / "out", dt.date(2025, 3, 15))
    assert second.issued == [] and sorted(second.already) == ["amal01", "bruno02", "eli05"]
    register = certs.read_register(tmp_path / "out" / certs.REGISTER_FILE)
    assert len(register) == 3 and len({e["certificate_id"] for e in register}) == 3
    for entry in register:
        verdict = certs.verify_file(tmp_path / "out" / entry["file"], keys["public"])
        assert verdict.valid
        assert verdict.payload["name"] == next(lr.name for lr in cohort.learners if lr.id == entry["learner_id"])
        assert [m["slug"] for m in verdict.payload["modules"]] == [m.slug for m in cohort.modules]
        assert verdict.payload["date"] == "2025-03-14" and verdict.payload["facilitator"] == "Grace Mensah"


@pytest.mark.slow
def test_the_rule_in_config_decides(cohort, keys, tmp_path):  # noqa: F811
    lenient = certs.load_rule(write_rule(tmp_path / "rule.yaml", require_hand_grading_complete=False,
                                         pass_marks={m.slug: 55 for m in cohort.modules}), cohort)
    report = certs.certify(cohort, lenient, keys["private"], tmp_path / "out", dt.date(2025, 3, 14))
    assert sorted(e["learner_id"] for e in report.issued) == ["amal01", "bruno02", "chen03", "dara04", "eli05"]


@pytest.mark.slow
def test_command_line_keygen_certify_verify(graded_cohort, tmp_path, capsys):  # noqa: F811
    common = ["--course", str(graded_cohort.course_root), "--workspace", str(graded_cohort.workspace),
              "--roster", str(graded_cohort.roster)]
    assert cli.main(["keygen", "--out", str(tmp_path / "fac.pem")]) == 0
    rule = write_rule(tmp_path / "rule.yaml")
    assert cli.main(["certify", *common, "--key", str(tmp_path / "fac.pem"), "--rules", str(rule),
                     "--out", str(tmp_path / "certs")]) == 0
    assert "3 issued" in capsys.readouterr().out
    certificate = tmp_path / "certs" / "certificate-amal01.pdf"
    assert cli.main(["verify", str(certificate), "--public-key", str(tmp_path / "fac.pub.pem")]) == 0
    assert capsys.readouterr().out.startswith("valid: ")
    certificate.write_bytes(certificate.read_bytes()[:-100])
    assert cli.main(["verify", str(certificate), "--public-key", str(tmp_path / "fac.pub.pem")]) == 1
    assert capsys.readouterr().out.startswith("not valid: ")
    assert cli.main(["certify", *common, "--key", str(tmp_path / "missing.pem"), "--rules", str(rule)]) == 2
    assert "missing.pem" in capsys.readouterr().err


# ---------------------------------------------------------------- the rule file's schema, without a gradebook


def small_cohort():
    from toolkit_course.grading import results

    modules = [results.Module("01-x", "Module one", {"items": [], "reflections": []}, 70.0),
               results.Module("02-y", "Module two", {"items": [], "reflections": []}, 60.0)]
    return results.Cohort([results.Learner("amal01", "Amal Haddad")], modules)


@pytest.mark.parametrize("settings, message", [
    ({"pass_mark": {"01-x": 50}}, "Additional properties are not allowed ('pass_mark' was unexpected)"),
    ({"pass_marks": {"01-x": True}}, "pass_marks.01-x: True is not of type 'number'"),
    ({"pass_marks": {"01-x": -1}}, "pass_marks.01-x: -1 is less than the minimum of 0"),
    ({"require_hand_grading_complete": "yes"}, "require_hand_grading_complete: 'yes' is not of type 'boolean'"),
    ({"organisation": ["UNODC"]}, "organisation: ['UNODC'] is not of type 'string', 'null'"),
    ({"course_title": 5}, "course_title: 5 is not of type 'string'"),
    ({"required_modules": "some"}, "required_modules: 'all' was expected"),
    ({"required_modules": 3}, "required_modules: 3 is not of type 'array'"),
    ({"required_modules": ["01-x", "01-x"]}, "required_modules: ['01-x', '01-x'] has non-unique elements"),
])
def test_rule_file_is_checked_against_its_schema(tmp_path, settings, message):
    path = write_rule(tmp_path / "rule.yaml", **settings)
    with pytest.raises(certs.CertificateError) as error:
        certs.load_rule(path, small_cohort())
    assert str(error.value) == f"{path}: {message}"


def test_rule_checks_what_depends_on_the_gradebook(tmp_path):
    with pytest.raises(certs.CertificateError, match=r"rule.yaml: pass_marks: '03-z' is not an assessed module"):
        certs.load_rule(write_rule(tmp_path / "rule.yaml", pass_marks={"03-z": 50}), small_cohort())
    rule = certs.load_rule(write_rule(tmp_path / "rule.yaml", pass_marks={"02-y": 75}, organisation=None),
                           small_cohort())
    assert rule.pass_marks == {"01-x": 70.0, "02-y": 75.0} and rule.organisation == ""


def test_the_course_rule_file_matches_its_schema():
    from toolkit_course import content

    data = content.load_file(content.content_root().parent / "certification.yaml", "certification")
    assert data["required_modules"] == "all" and data["course_title"].strip()


_VERIFY_UNDER_O = """
import sys
from pathlib import Path
from toolkit_course.grading import certificates as certs
print(certs.verify_bytes(Path(sys.argv[1]).read_bytes(), certs.load_public_key(Path(sys.argv[2]))))
"""


@pytest.mark.parametrize("payload", [
    [1, 2, 3],  # not even a mapping
    "a string",
    {"format": "another-document/9", "name": "Mallory"},  # signed by the same key, but not a certificate
])
def test_verify_holds_under_python_O(keys, tmp_path, payload):
    """python -O removes assert statements: the payload check must not be one."""
    import subprocess
    import sys

    # Signed exactly as a certificate is (the message formats are part of the certificate format).
    payload_bytes = json.dumps(payload).encode()
    signature = keys["private"].sign(f"{certs.FORMAT} payload\n".encode() + payload_bytes).hex()
    good = dict(PAYLOAD, key_fingerprint=certs.fingerprint(keys["public"]))
    draft = certs.render_pdf(good, certs.xmp_block(payload_bytes, signature))
    blank = f"<tkc:documentSignature>{'0' * 128}</tkc:documentSignature>".encode()
    document = keys["private"].sign(f"{certs.FORMAT} document\n".encode() + hashlib.sha256(draft).digest()).hex()
    pdf = tmp_path / "crafted.pdf"
    pdf.write_bytes(draft.replace(blank, f"<tkc:documentSignature>{document}</tkc:documentSignature>".encode(), 1))
    result = subprocess.run([sys.executable, "-O", "-c", _VERIFY_UNDER_O, str(pdf), str(keys["public_path"])],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "not valid: the signed certificate details in the file are damaged"


def test_a_register_line_that_is_not_an_entry_is_refused(tmp_path):
    register = tmp_path / certs.REGISTER_FILE
    register.write_text('{"learner_id": "amal01", "course": "Test course"}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(certs.CertificateError, match=r"register.jsonl: line 2 is not a register entry"):
        certs.read_register(register)
