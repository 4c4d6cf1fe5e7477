"""What a certificate signs and how the signatures are stored in the PDF: shared by signing and verifying."""

from __future__ import annotations

import base64
import hashlib
import json
import re

FORMAT = "toolkit-course-certificate/1"
NAMESPACE = "urn:toolkit-course:certificate:1"
BLANK_SIGNATURE = "0" * 128  # an Ed25519 signature is 64 bytes = 128 hex digits
PAYLOAD = re.compile(rb"<tkc:payload>([A-Za-z0-9+/=]*)</tkc:payload>")
PAYLOAD_SIGNATURE = re.compile(rb"<tkc:payloadSignature>([0-9a-f]{128})</tkc:payloadSignature>")
DOCUMENT_SIGNATURE = re.compile(rb"<tkc:documentSignature>([0-9a-f]{128})</tkc:documentSignature>")


class CertificateError(ValueError):
    """A key, rule file or register that cannot be used; the message names the file."""


def canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def payload_message(payload_bytes: bytes) -> bytes:
    return f"{FORMAT} payload\n".encode() + payload_bytes


def document_message(pdf_with_blank_signature: bytes) -> bytes:
    return f"{FORMAT} document\n".encode() + hashlib.sha256(pdf_with_blank_signature).digest()


def xmp_block(payload_bytes: bytes, payload_signature: str, document_signature: str = BLANK_SIGNATURE) -> str:
    encoded = base64.b64encode(payload_bytes).decode("ascii")
    return (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" xmlns:tkc="{NAMESPACE}">'
            f"<tkc:payload>{encoded}</tkc:payload>"
            f"<tkc:payloadSignature>{payload_signature}</tkc:payloadSignature>"
            f"<tkc:documentSignature>{document_signature}</tkc:documentSignature>"
            f"</rdf:Description></rdf:RDF></x:xmpmeta>")
