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


def module_label(module: dict) -> str:
    """How a module is named on a certificate: "Module 01: <its title in content/modules.yaml>"."""
    return f"Module {str(module.get('slug', ''))[:2]}: {module.get('title', '?')}"


def build_payload(cohort: Cohort, learner: Learner, rule: CertificationRule, issued_on: dt.date,
                  certificate_id: str, key_fingerprint: str) -> dict:
    """Everything the certificate prints; the page is drawn from this, and this is what is signed."""
    return {
        "format": FORMAT,
        "certificate_id": certificate_id,
        "learner_id": learner.id,
        "name": learner.name,
        "course": rule.course_title,
        # "course": every module the course requires was passed; "modules": only those listed.
        "scope": "course" if rule.completes_course else "modules",
        "modules": [{"slug": slug, "title": cohort.module(slug).title} for slug in rule.required_modules],
        "date": issued_on.isoformat(),
        "facilitator": rule.facilitator,
        "organisation": rule.organisation,
        "hours": rule.hours,
        "venue": rule.venue,
        "dates": rule.dates,
        "signatory": {"name": rule.signatory_name or rule.facilitator, "title": rule.signatory_title},
        "verify_at": rule.verify_at,
        "key_fingerprint": key_fingerprint,
    }


def completed_lines(payload: dict) -> list[tuple[str, float]]:
    """What the learner completed, as (text, font size) lines: the course, one module, or a list."""
    modules = [module for module in payload.get("modules") or [] if isinstance(module, dict)]
    if payload.get("scope") == "course":
        return [("has completed the course", 14), (payload["course"], 17)]
    if len(modules) == 1:
        return [("has completed", 14), (module_label(modules[0]), 17), (f"of the course {payload['course']}", 11)]
    labels = [module_label(module) for module in modules]
    listed = [(label, 12) for label in labels] if len(labels) <= 5 else [("; ".join(labels), 10)]
    return [(f"has completed these {len(labels)} modules", 14), *listed, (f"of the course {payload['course']}", 11)]


def training_line(payload: dict) -> str:
    """Hours, place and dates of the training, each only if certification.yaml gives it."""
    hours = payload.get("hours")
    parts = [f"Training: {hours:g} hours" if isinstance(hours, (int, float)) else "",
             f"Place: {payload['venue']}" if payload.get("venue") else "",
             f"Dates: {payload['dates']}" if payload.get("dates") else ""]
    return ". ".join(part for part in parts if part) + ("." if any(parts) else "")


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

    pdf.set_y(22)
    line("Certificate of completion", 28, 6)
    line("This certifies that", 13)
    line(payload["name"], 24, 4)
    for text, size in completed_lines(payload):
        line(text, size, 1)
    pdf.ln(3)
    if training_line(payload):
        line(training_line(payload), 11)
    issuer = payload["facilitator"] + (f", {payload['organisation']}" if payload.get("organisation") else "")
    line(f"Issued on {payload['date']} by {issuer}", 11)

    # The signature line, bottom left; the certificate's identity and where to check it, bottom right.
    signatory = payload.get("signatory") or {"name": payload["facilitator"], "title": ""}
    bottom = pdf.h - 48
    pdf.set_line_width(0.3)
    pdf.set_draw_color(0, 0, 0)
    pdf.line(30, bottom, 120, bottom)
    pdf.set_font("DejaVu", size=11)
    pdf.set_xy(30, bottom + 2)
    pdf.multi_cell(90, 5.5, f"{signatory.get('name', '')}\n{signatory.get('title', '')}", align="C")
    pdf.set_font("DejaVu", size=9)
    pdf.set_xy(140, bottom - 6)
    check = payload.get("verify_at") or "toolkit-course verify <this file> --public-key <the facilitator's public key>"
    pdf.multi_cell(pdf.w - 165, 4.5, f"Certificate ID: {payload['certificate_id']}\nCheck this certificate at "
                   f"{check}.\nKey fingerprint: {payload['key_fingerprint']}", align="L")
    return bytes(pdf.output())


def signed_pdf(payload: dict, key: Ed25519PrivateKey) -> bytes:
    payload_bytes = canonical(payload)
    payload_signature = key.sign(payload_message(payload_bytes)).hex()
    draft = render_pdf(payload, xmp_block(payload_bytes, payload_signature))
    signature = key.sign(document_message(draft)).hex()
    blank = f"<tkc:documentSignature>{BLANK_SIGNATURE}</tkc:documentSignature>".encode()
    # Same length in, same length out: the PDF's cross-reference offsets stay right.
    return draft.replace(blank, f"<tkc:documentSignature>{signature}</tkc:documentSignature>".encode(), 1)
