"""Check a certificate file against the facilitator's public key: "valid" or "not valid", and why."""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .format import (
    BLANK_SIGNATURE,
    DOCUMENT_SIGNATURE,
    FORMAT,
    PAYLOAD,
    PAYLOAD_SIGNATURE,
    CertificateError,
    document_message,
    payload_message,
)
from .keys import fingerprint

_DAMAGED = "the signed certificate details in the file are damaged"


@dataclass(frozen=True)
class Verdict:
    valid: bool
    reason: str
    payload: dict | None = None
    revoked: bool = False  # correctly signed, but withdrawn in the register (public_register.check_register)

    def __str__(self) -> str:
        return ("revoked" if self.revoked else "valid" if self.valid else "not valid") + f": {self.reason}"


def _only(pattern: re.Pattern, data: bytes) -> re.Match | None:
    matches = list(pattern.finditer(data))
    return matches[0] if len(matches) == 1 else None


def _printable(value) -> str:
    """A certificate's text as the terminal may show it: a crafted file's escape sequences become '?'."""
    return "".join(character if character.isprintable() else "?" for character in str(value))


def _describe(payload: dict) -> str:
    modules = payload.get("modules") if isinstance(payload.get("modules"), list) else []
    titles = "; ".join(str(module.get("title", "?")) if isinstance(module, dict) else "?" for module in modules)
    return _printable(f"certificate {payload.get('certificate_id')} for {payload.get('name')} ({payload.get('course')}: "
                      f"{titles}), issued on {payload.get('date')} by {payload.get('facilitator')}")


def _payload(encoded: bytes) -> tuple[bytes, dict] | None:
    """The payload's bytes and content, or None if they are not a certificate payload.

    A real check, not an assert: `python -O` removes asserts, and this is what stops a
    damaged or crafted payload from being described as a certificate.
    """
    try:
        payload_bytes = base64.b64decode(encoded, validate=True)
        payload = json.loads(payload_bytes)
    except (binascii.Error, ValueError, RecursionError):
        return None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        return None
    return payload_bytes, payload


def verify_bytes(data: bytes, public_key: Ed25519PublicKey) -> Verdict:
    if not data.startswith(b"%PDF-"):
        return Verdict(False, "this is not a PDF file")
    if b"%%EOF" not in data[-1024:]:
        return Verdict(False, "the file is incomplete: it was cut short or damaged")
    found = [_only(pattern, data) for pattern in (PAYLOAD, PAYLOAD_SIGNATURE, DOCUMENT_SIGNATURE)]
    if not all(found):
        return Verdict(False, "no single set of signed certificate details was found in the file "
                              "(it is damaged, was altered, or was not issued with toolkit-course)")
    payload_match, payload_signature, document_signature = found
    decoded = _payload(payload_match.group(1))
    if decoded is None:
        return Verdict(False, _DAMAGED)
    payload_bytes, payload = decoded
    given = fingerprint(public_key)
    try:
        public_key.verify(bytes.fromhex(payload_signature.group(1).decode()), payload_message(payload_bytes))
    except InvalidSignature:
        if payload.get("key_fingerprint") != given:
            return Verdict(False, f"it was not signed with this public key (the certificate names key "
                                  f"{_printable(payload.get('key_fingerprint'))}; you gave key {given})", payload)
        return Verdict(False, "the signature does not match the certificate details: the name, course, modules, "
                              "date or certificate ID were changed after signing, or another key signed it", payload)
    start, end = document_signature.span(1)
    blanked = data[:start] + BLANK_SIGNATURE.encode() + data[end:]
    try:
        public_key.verify(bytes.fromhex(document_signature.group(1).decode()), document_message(blanked))
    except InvalidSignature:
        return Verdict(False, "the PDF was changed after it was signed, so what it shows may not match its signed "
                              f"details; the signed details are: {_describe(payload)}", payload)
    return Verdict(True, _describe(payload), payload)


def verify_file(path: Path, public_key: Ed25519PublicKey) -> Verdict:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise CertificateError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise CertificateError(f"{path}: is a folder, not a certificate file") from None
    return verify_bytes(data, public_key)
