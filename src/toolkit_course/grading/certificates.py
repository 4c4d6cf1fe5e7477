"""Certificates of completion: the rule, signed PDFs, the register, and verification.

How a certificate is protected (see the facilitator's guide for the plain version):
- The details (name, course, modules, date, facilitator, certificate ID, key
  fingerprint) form a JSON *payload*. The visible page is drawn from the payload,
  so the two say the same thing.
- The payload is signed with the facilitator's Ed25519 key (the *payload signature*).
- The finished PDF file is signed as well (the *document signature*): its SHA-256
  with the document-signature field blanked. So the page cannot be redrawn, and
  nothing can be added to the file, without breaking it.
- Payload and both signatures are stored in the PDF's XMP metadata, which PDF
  readers leave alone and `verify` reads back without any PDF library.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fpdf import FPDF

from .results import Cohort, Learner

FORMAT = "toolkit-course-certificate/1"
NAMESPACE = "urn:toolkit-course:certificate:1"
PASSPHRASE_VARIABLE = "TOOLKIT_CERTIFICATE_KEY_PASSPHRASE"
REGISTER_FILE = "register.jsonl"
_BLANK_SIGNATURE = "0" * 128  # an Ed25519 signature is 64 bytes = 128 hex digits
_PAYLOAD = re.compile(rb"<tkc:payload>([A-Za-z0-9+/=]*)</tkc:payload>")
_PAYLOAD_SIGNATURE = re.compile(rb"<tkc:payloadSignature>([0-9a-f]{128})</tkc:payloadSignature>")
_DOCUMENT_SIGNATURE = re.compile(rb"<tkc:documentSignature>([0-9a-f]{128})</tkc:documentSignature>")


class CertificateError(ValueError):
    """A key, rule file or register that cannot be used; the message names the file."""


# ---------------------------------------------------------------- keys


def fingerprint(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()[:32]
    return ":".join(digest[i:i + 4] for i in range(0, 32, 4))


def _passphrase() -> bytes | None:
    value = os.environ.get(PASSPHRASE_VARIABLE)
    return value.encode("utf-8") if value else None


def generate_keypair(private_path: Path, public_path: Path | None = None) -> tuple[Path, Path, str]:
    """Write a new private key (readable by its owner only) and its public key; never overwrite."""
    private_path = Path(private_path)
    public_path = Path(public_path or private_path.with_name(private_path.stem + ".pub.pem"))
    for path in (private_path, public_path):
        if path.exists():
            raise CertificateError(f"{path}: already exists; a key is never overwritten (move it away first)")
    key = Ed25519PrivateKey.generate()
    passphrase = _passphrase()
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    private_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
    public_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
    return private_path, public_path, fingerprint(key.public_key())


def load_private_key(path: Path) -> Ed25519PrivateKey:
    path = Path(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=_passphrase())
    except FileNotFoundError:
        raise CertificateError(f"{path}: private key not found (make one with `toolkit-course keygen`)") from None
    except (ValueError, TypeError) as exc:
        raise CertificateError(f"{path}: not a usable private key ({exc}); if it has a passphrase, "
                               f"set {PASSPHRASE_VARIABLE}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CertificateError(f"{path}: not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    path = Path(path)
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except FileNotFoundError:
        raise CertificateError(f"{path}: public key not found") from None
    except ValueError:
        raise CertificateError(f"{path}: not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise CertificateError(f"{path}: not an Ed25519 public key")
    return key


# ---------------------------------------------------------------- the rule


@dataclass(frozen=True)
class CertificationRule:
    course_title: str
    facilitator: str
    organisation: str
    required_modules: tuple[str, ...]
    pass_marks: dict[str, float] = field(default_factory=dict)
    require_hand_grading_complete: bool = True


def load_rule(path: Path, cohort: Cohort, facilitator: str | None = None) -> CertificationRule:
    """Read certification.yaml; pass marks not given there come from each assessment.yaml."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise CertificateError(f"{path}: certification rule file not found") from None
    except yaml.YAMLError as exc:
        raise CertificateError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise CertificateError(f"{path}: expected a mapping of settings")
    known = {module.slug for module in cohort.modules}
    required = data.get("required_modules", "all")
    if required == "all":
        required = [module.slug for module in cohort.modules]
    if not isinstance(required, list) or not required:
        raise CertificateError(f"{path}: required_modules must be 'all' or a list of module slugs")
    for slug in required:
        if slug not in known:
            raise CertificateError(f"{path}: required_modules: '{slug}' is not an assessed module "
                                   f"({', '.join(sorted(known))})")
    marks = {module.slug: module.pass_mark_percent for module in cohort.modules}
    for slug, mark in (data.get("pass_marks") or {}).items():
        if slug not in known:
            raise CertificateError(f"{path}: pass_marks: '{slug}' is not an assessed module")
        if not isinstance(mark, (int, float)) or not 0 <= mark <= 100:
            raise CertificateError(f"{path}: pass_marks: {slug}: {mark!r} is not a percentage from 0 to 100")
        marks[slug] = float(mark)
    name = (facilitator or data.get("facilitator") or "").strip()
    if not name:
        raise CertificateError(f"{path}: facilitator: no issuing facilitator; set it here or pass --facilitator")
    title = str(data.get("course_title") or "").strip()
    if not title:
        raise CertificateError(f"{path}: course_title is missing")
    hand = data.get("require_hand_grading_complete", True)
    if not isinstance(hand, bool):
        raise CertificateError(f"{path}: require_hand_grading_complete must be true or false")
    return CertificationRule(title, name, str(data.get("organisation") or "").strip(), tuple(required),
                             {slug: marks[slug] for slug in required}, hand)


def shortfalls(cohort: Cohort, learner: Learner, rule: CertificationRule) -> list[str]:
    """Why this learner does not qualify yet; empty when they do."""
    reasons = []
    for slug in rule.required_modules:
        result = cohort.result(learner.id, slug)
        if result is None:
            reasons.append(f"{slug}: not submitted")
            continue
        if rule.require_hand_grading_complete and not result.hand_grading_complete:
            reasons.append(f"{slug}: waiting for hand grading")
        elif result.percent + 1e-9 < rule.pass_marks[slug]:  # the tolerance keeps 17.5/25 at 70%
            reasons.append(f"{slug}: {result.percent:.0f}% is below the pass mark of {rule.pass_marks[slug]:g}%")
    return reasons


# ---------------------------------------------------------------- payload and PDF


def new_certificate_id() -> str:
    token = secrets.token_hex(6).upper()
    return f"TKC-{token[:4]}-{token[4:8]}-{token[8:]}"


def build_payload(cohort: Cohort, learner: Learner, rule: CertificationRule, issued_on: dt.date,
                  certificate_id: str, key_fingerprint: str) -> dict:
    return {
        "format": FORMAT,
        "certificate_id": certificate_id,
        "learner_id": learner.id,
        "name": learner.name,
        "course": rule.course_title,
        "modules": [{"slug": slug, "title": cohort.module(slug).title} for slug in rule.required_modules],
        "date": issued_on.isoformat(),
        "facilitator": rule.facilitator,
        "organisation": rule.organisation,
        "key_fingerprint": key_fingerprint,
    }


def canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _payload_message(payload_bytes: bytes) -> bytes:
    return f"{FORMAT} payload\n".encode() + payload_bytes


def _document_message(pdf_with_blank_signature: bytes) -> bytes:
    return f"{FORMAT} document\n".encode() + hashlib.sha256(pdf_with_blank_signature).digest()


def xmp_block(payload_bytes: bytes, payload_signature: str, document_signature: str = _BLANK_SIGNATURE) -> str:
    encoded = base64.b64encode(payload_bytes).decode("ascii")
    return (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" xmlns:tkc="{NAMESPACE}">'
            f"<tkc:payload>{encoded}</tkc:payload>"
            f"<tkc:payloadSignature>{payload_signature}</tkc:payloadSignature>"
            f"<tkc:documentSignature>{document_signature}</tkc:documentSignature>"
            f"</rdf:Description></rdf:RDF></x:xmpmeta>")


def _font_file() -> Path:
    # matplotlib (a course dependency) ships DejaVu Sans, which covers Latin, Greek and Cyrillic names.
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def render_pdf(payload: dict, xmp: str) -> bytes:
    """Draw the certificate page from the payload; every visible detail comes from it."""
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(f"Certificate {payload['certificate_id']}")
    pdf.set_author(payload["facilitator"])
    pdf.set_subject(payload["course"])
    pdf.set_creation_date(dt.datetime.fromisoformat(payload["date"]).replace(tzinfo=dt.timezone.utc))
    pdf.set_xmp_metadata(xmp)
    pdf.add_font("DejaVu", "", str(_font_file()))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_draw_color(0, 114, 178)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    width = pdf.w - 50

    def line(text: str, size: float, gap: float = 2) -> None:
        pdf.set_font("DejaVu", size=size)
        pdf.set_x(25)
        pdf.multi_cell(width, size * 0.5, text, align="C")
        pdf.ln(gap)

    pdf.set_y(28)
    line("Certificate of completion", 30, 8)
    line("This certifies that", 14)
    line(payload["name"], 26, 5)
    line("has completed the course", 14)
    line(payload["course"], 17, 5)
    line("and passed the graded assessment of:", 12)
    for module in payload["modules"]:
        line(module["title"], 12, 0)
    pdf.ln(6)
    issuer = payload["facilitator"] + (f", {payload['organisation']}" if payload["organisation"] else "")
    line(f"Issued on {payload['date']} by {issuer}", 12)
    line(f"Certificate ID: {payload['certificate_id']}", 12)
    pdf.set_y(pdf.h - 30)
    line("Check this certificate with: toolkit-course verify <this file> --public-key <the facilitator's public key>. "
         f"Key fingerprint: {payload['key_fingerprint']}", 8)
    return bytes(pdf.output())


def signed_pdf(payload: dict, key: Ed25519PrivateKey) -> bytes:
    payload_bytes = canonical(payload)
    payload_signature = key.sign(_payload_message(payload_bytes)).hex()
    draft = render_pdf(payload, xmp_block(payload_bytes, payload_signature))
    signature = key.sign(_document_message(draft)).hex()
    blank = f"<tkc:documentSignature>{_BLANK_SIGNATURE}</tkc:documentSignature>".encode()
    # Same length in, same length out: the PDF's cross-reference offsets stay right.
    return draft.replace(blank, f"<tkc:documentSignature>{signature}</tkc:documentSignature>".encode(), 1)


# ---------------------------------------------------------------- issuing


@dataclass
class IssueReport:
    issued: list[dict] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # learner ids that hold a certificate
    not_qualified: dict[str, list[str]] = field(default_factory=dict)


def read_register(path: Path) -> list[dict]:
    path = Path(path)
    if not path.exists():
        return []
    entries = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text.strip():
            try:
                entries.append(json.loads(text))
            except ValueError:
                raise CertificateError(f"{path}: line {number} is not valid JSON; fix it before issuing more "
                                       "certificates, so nobody is issued twice") from None
    return entries


def _append(path: Path, entry: dict) -> None:
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def certify(cohort: Cohort, rule: CertificationRule, key: Ed25519PrivateKey, out: Path,
            issued_on: dt.date | None = None) -> IssueReport:
    """Issue a certificate to every qualifying learner who has none yet, and record it in the register."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    register = out / REGISTER_FILE
    holders = {entry["learner_id"] for entry in read_register(register) if entry.get("course") == rule.course_title}
    issued_on = issued_on or dt.date.today()
    key_fingerprint = fingerprint(key.public_key())
    report = IssueReport()
    for learner in cohort.learners:
        if learner.id in holders:
            report.already.append(learner.id)
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
        entry = {**payload, "file": target.name, "sha256": hashlib.sha256(target.read_bytes()).hexdigest()}
        _append(register, entry)
        report.issued.append(entry)
    return report


def _file_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


# ---------------------------------------------------------------- verifying


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: str
    payload: dict | None = None

    def __str__(self) -> str:
        return ("valid" if self.valid else "not valid") + f": {self.reason}"


def _only(pattern: re.Pattern, data: bytes) -> re.Match | None:
    matches = list(pattern.finditer(data))
    return matches[0] if len(matches) == 1 else None


def _describe(payload: dict) -> str:
    modules = "; ".join(module.get("title", "?") for module in payload.get("modules", []))
    return (f"certificate {payload.get('certificate_id')} for {payload.get('name')} ({payload.get('course')}: "
            f"{modules}), issued on {payload.get('date')} by {payload.get('facilitator')}")


def verify_bytes(data: bytes, public_key: Ed25519PublicKey) -> Verdict:
    if not data.startswith(b"%PDF-"):
        return Verdict(False, "this is not a PDF file")
    if b"%%EOF" not in data[-1024:]:
        return Verdict(False, "the file is incomplete: it was cut short or damaged")
    found = [_only(pattern, data) for pattern in (_PAYLOAD, _PAYLOAD_SIGNATURE, _DOCUMENT_SIGNATURE)]
    if not all(found):
        return Verdict(False, "no single set of signed certificate details was found in the file "
                              "(it is damaged, was altered, or was not issued with toolkit-course)")
    payload_match, payload_signature, document_signature = found
    try:
        payload_bytes = base64.b64decode(payload_match.group(1), validate=True)
        payload = json.loads(payload_bytes)
        assert isinstance(payload, dict) and payload.get("format") == FORMAT
    except (ValueError, AssertionError):
        return Verdict(False, "the signed certificate details in the file are damaged")
    given = fingerprint(public_key)
    try:
        public_key.verify(bytes.fromhex(payload_signature.group(1).decode()), _payload_message(payload_bytes))
    except InvalidSignature:
        if payload.get("key_fingerprint") != given:
            return Verdict(False, f"it was not signed with this public key (the certificate names key "
                                  f"{payload.get('key_fingerprint')}; you gave key {given})", payload)
        return Verdict(False, "the signature does not match the certificate details: the name, course, modules, "
                              "date or certificate ID were changed after signing, or another key signed it", payload)
    start, end = document_signature.span(1)
    blanked = data[:start] + _BLANK_SIGNATURE.encode() + data[end:]
    try:
        public_key.verify(bytes.fromhex(document_signature.group(1).decode()), _document_message(blanked))
    except InvalidSignature:
        return Verdict(False, "the PDF was changed after it was signed, so what it shows may not match its signed "
                              f"details; the signed details are: {_describe(payload)}", payload)
    return Verdict(True, _describe(payload), payload)


def verify_file(path: Path, public_key: Ed25519PublicKey) -> Verdict:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise CertificateError(f"{path}: file not found") from None
    return verify_bytes(data, public_key)

