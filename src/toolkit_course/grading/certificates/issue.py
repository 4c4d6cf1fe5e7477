"""Issue a certificate to every learner who qualifies and has none yet, recorded in the register."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..results import Cohort
from .document import build_payload, new_certificate_id, signed_pdf
from .format import CertificateError
from .keys import fingerprint, raw_public_key
from .rule import CertificationRule, shortfalls

REGISTER_FILE = "register.jsonl"


@dataclass
class IssueReport:
    issued: list[dict] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # learner ids that hold a certificate
    revoked: list[str] = field(default_factory=list)  # learner ids whose every certificate was revoked
    not_qualified: dict[str, list[str]] = field(default_factory=dict)


def read_register(path: Path) -> list[dict]:
    path = Path(path)
    if not path.exists():
        return []
    entries = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            entry = json.loads(text)
        except ValueError:
            entry = None
        if not isinstance(entry, dict) or not isinstance(entry.get("learner_id"), str):
            raise CertificateError(f"{path}: line {number} is not a register entry (JSON with a learner_id); fix it "
                                   "before issuing more certificates, so nobody is issued twice")
        entries.append(entry)
    return entries


def write_register(path: Path, entries: list[dict]) -> None:
    """Rewrite the whole register at once (revoke does): a reader sees the old file or the new, never half."""
    path = Path(path)
    temporary = path.with_suffix(".jsonl.part")
    with temporary.open("w", encoding="utf-8") as handle:
        for entry in entries:
            handle.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _append(path: Path, entry: dict) -> None:
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _file_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


def certify(cohort: Cohort, rule: CertificationRule, key: Ed25519PrivateKey, out: Path,
            issued_on: dt.date | None = None, reissue: tuple[str, ...] = ()) -> IssueReport:
    """Issue a certificate to every qualifying learner who has none yet, and record it in the register.

    A learner whose certificates were all revoked gets a new one only if named in `reissue`.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    register = out / REGISTER_FILE
    entries = [entry for entry in read_register(register) if entry.get("course") == rule.course_title]
    holders = {entry["learner_id"] for entry in entries if not entry.get("revoked")}
    # A learner whose certificate was withdrawn gets a corrected one only when the facilitator asks (reissue).
    withdrawn = {entry["learner_id"] for entry in entries if entry.get("revoked")} - holders - set(reissue)
    issued_on = issued_on or dt.date.today()
    key_fingerprint = fingerprint(key.public_key())
    public_key = raw_public_key(key.public_key())  # so publish-register can publish it without asking
    report = IssueReport()
    for learner in cohort.learners:
        if learner.id in holders:
            report.already.append(learner.id)
            continue
        if learner.id in withdrawn:
            report.revoked.append(learner.id)
            continue
        reasons = shortfalls(cohort, learner, rule)
        if reasons:
            report.not_qualified[learner.id] = reasons
            continue
        payload = build_payload(cohort, learner, rule, issued_on, new_certificate_id(), key_fingerprint)
        target = out / f"certificate-{_file_safe(learner.id)}.pdf"
        temporary = target.with_suffix(".pdf.part")
        temporary.write_bytes(signed_pdf(payload, key))
        os.replace(temporary, target)
        # The register line is written last: a run killed before it re-issues this learner's
        # file in place next time, never a second certificate.
        entry = {**payload, "file": target.name, "sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
                 "public_key": public_key}
        _append(register, entry)
        report.issued.append(entry)
    return report
