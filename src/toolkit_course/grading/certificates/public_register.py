"""The public register that the book's page "Check a certificate" reads, and revocation.

The workspace register (certificates/register.jsonl, see issue.py) names the learners and stays
with the facilitator. `publish-register` writes a copy with no names, e-mails or learner ids:
for each certificate its ID, the SHA-256 of the issued PDF, the issue date, the signing key's
fingerprint and whether it was revoked and why; and the public keys. It is a small .js file
that sets one global variable, loaded with a script tag, so the page also works when the book
is opened from the disk (file://), where a browser refuses to fetch() a JSON file.

Publishing adds to what the file already holds, so several workshops can publish to one book.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .format import CertificateError
from .issue import read_register, write_register
from .keys import fingerprint, raw_public_key
from .verify import Verdict, _printable

PUBLIC_FORMAT = "toolkit-course-register/1"
PUBLISHED_FILE = "verification-register.js"
_ASSIGNMENT = "window.TOOLKIT_CERTIFICATE_REGISTER = "
_HEADER = ("// Certificates issued with this course, for the page \"Check a certificate\": ids, file checksums, dates, "
           "revocations\n// and the facilitators' public keys; no names. Written by `toolkit-course publish-register`; "
           "do not edit by hand.\n")


def revoke(register: Path, certificate_id: str, reason: str, on: dt.date | None = None) -> dict:
    """Mark one certificate revoked in the workspace register; the entry stays, so it is never issued again."""
    reason = " ".join(reason.split())
    if not reason:
        raise CertificateError("revoke: give the reason with --reason \"...\"; the verification page shows it")
    entries = read_register(register)
    matches = [entry for entry in entries if entry.get("certificate_id") == certificate_id.strip().upper()]
    if not matches:
        raise CertificateError(f"{register}: no certificate {certificate_id} in this register")
    entry = matches[0]
    if entry.get("revoked"):
        raise CertificateError(f"{register}: {certificate_id} was already revoked on {entry.get('revoked_on')} "
                               f"({entry.get('revocation_reason')})")
    entry.update(revoked=True, revocation_reason=reason, revoked_on=(on or dt.date.today()).isoformat())
    write_register(register, entries)
    return entry


def public_entry(entry: dict) -> dict:
    """One certificate as the public register shows it: nothing that names or identifies the learner."""
    return {"certificate_id": entry["certificate_id"], "sha256": entry["sha256"], "issued": entry["date"],
            "key_fingerprint": entry["key_fingerprint"], "revoked": bool(entry.get("revoked")),
            "reason": entry.get("revocation_reason", "") if entry.get("revoked") else ""}


def read_published(path: Path) -> dict:
    """The published register file; an empty one when the file does not exist yet."""
    path = Path(path)
    if not path.exists():
        return {"format": PUBLIC_FORMAT, "keys": [], "certificates": []}
    text = path.read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("//")).strip()
    try:
        if not (body.startswith(_ASSIGNMENT) and body.endswith(";")):
            raise ValueError("not written by publish-register")
        data = json.loads(body[len(_ASSIGNMENT):-1])
        if data.get("format") != PUBLIC_FORMAT or not isinstance(data.get("keys"), list) \
                or not isinstance(data.get("certificates"), list):
            raise ValueError("unknown format")
    except (ValueError, AttributeError) as error:
        raise CertificateError(f"{path}: not a published certificate register ({error}); "
                               "move it away and publish again") from None
    return data


def _key_from_raw(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError, TypeError):
        raise CertificateError(f"not an Ed25519 public key: {text!r}") from None


def publish(registers: list[Path], out: Path, public_keys: list[Ed25519PublicKey] = ()) -> dict:
    """Add the certificates of these workspace registers, and these keys, to the published register at `out`."""
    published = read_published(out)
    keys = {key["fingerprint"]: key["public_key"] for key in published["keys"]}
    for key in public_keys:
        keys[fingerprint(key)] = raw_public_key(key)
    certificates = {entry["certificate_id"]: entry for entry in published["certificates"]}
    for register in registers:
        if not Path(register).exists():
            raise CertificateError(f"{register}: no register here; issue certificates first (toolkit-course certify) "
                                   "or give the register with --register")
        for entry in read_register(register):
            if entry.get("public_key"):
                key = _key_from_raw(entry["public_key"])
                if fingerprint(key) != entry.get("key_fingerprint"):
                    raise CertificateError(f"{register}: {entry.get('certificate_id')}: the stored public key does "
                                           "not match the certificate's key fingerprint")
                keys[fingerprint(key)] = raw_public_key(key)
            certificates[entry["certificate_id"]] = public_entry(entry)
            if entry["key_fingerprint"] not in keys:
                raise CertificateError(f"{register}: certificate {entry['certificate_id']} was signed with key "
                                       f"{entry['key_fingerprint']}, and no public key with that fingerprint was "
                                       "given; add --public-key <the facilitator's .pub.pem file>")
    data = {"format": PUBLIC_FORMAT,
            "keys": [{"fingerprint": print_, "public_key": raw} for print_, raw in sorted(keys.items())],
            "certificates": sorted(certificates.values(), key=lambda entry: entry["certificate_id"])}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_suffix(".js.part")
    temporary.write_text(_HEADER + _ASSIGNMENT + json.dumps(data, sort_keys=True, ensure_ascii=True) + ";\n",
                         encoding="utf-8")
    os.replace(temporary, out)
    return data


def public_entries(register: Path) -> list[dict]:
    """The public entries of a register: the published .js file, or a workspace register.jsonl."""
    register = Path(register)
    if not register.exists():
        raise CertificateError(f"{register}: register not found")
    if register.suffix == ".js":
        return read_published(register)["certificates"]
    return [public_entry(entry) for entry in read_register(register)]


def check_register(verdict: Verdict, data: bytes, entries: list[dict]) -> Verdict:
    """A valid certificate, checked against a register: revoked, a different file, or not listed.

    The same checks as the book's page (static/certificate-check.js), so both give the same answer.
    """
    if not verdict.valid or verdict.payload is None:
        return verdict
    entry = next((e for e in entries if e.get("certificate_id") == verdict.payload.get("certificate_id")), None)
    if entry is None:
        return Verdict(True, f"{verdict.reason}; note: it is not listed in the register given", verdict.payload)
    if entry.get("sha256") != hashlib.sha256(data).hexdigest():
        return Verdict(False, "the register lists another file under this certificate ID, so this file is not "
                              "the one that was issued", verdict.payload)
    if entry.get("revoked"):
        reason = _printable(entry.get("reason") or "no reason given").rstrip(". ")
        return Verdict(False, f"the issuer withdrew this certificate: {reason}. Before that, it was {verdict.reason}",
                       verdict.payload, revoked=True)
    return verdict
