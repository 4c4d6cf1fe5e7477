"""The certificate itself: its payload, the page drawn from it, and the two signatures."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fpdf import FPDF

from ..results import Cohort, Learner
from .format import BLANK_SIGNATURE, FORMAT, canonical, document_message, payload_message, xmp_block
from .rule import CertificationRule


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
    pdf.set_creation_date(dt.datetime.fromisoformat(payload["date"]).replace(tzinfo=dt.UTC))
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
    payload_signature = key.sign(payload_message(payload_bytes)).hex()
    draft = render_pdf(payload, xmp_block(payload_bytes, payload_signature))
    signature = key.sign(document_message(draft)).hex()
    blank = f"<tkc:documentSignature>{BLANK_SIGNATURE}</tkc:documentSignature>".encode()
    # Same length in, same length out: the PDF's cross-reference offsets stay right.
    return draft.replace(blank, f"<tkc:documentSignature>{signature}</tkc:documentSignature>".encode(), 1)
