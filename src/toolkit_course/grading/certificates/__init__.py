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

One module per job:
  format.py    what is signed and how it is stored (shared by signing and verifying)
  keys.py      the facilitator's key pair
  rule.py      certification.yaml (checked against content/schemas/certification.schema.yaml)
               and who qualifies
  document.py  the payload and the signed PDF
  issue.py     issuing to everyone who qualifies, and the register
  verify.py    checking a certificate file
  public_register.py  revocation, and the register without names that the book's page
               "Check a certificate" reads (static/certificate-check.js checks the same way)
"""

from .document import build_payload, module_label, new_certificate_id, render_pdf, signed_pdf
from .format import FORMAT, NAMESPACE, CertificateError, canonical, xmp_block
from .issue import REGISTER_FILE, IssueReport, certify, read_register
from .keys import PASSPHRASE_VARIABLE, fingerprint, generate_keypair, load_private_key, load_public_key, raw_public_key
from .public_register import PUBLISHED_FILE, check_register, public_entries, publish, read_published, revoke
from .rule import CertificationRule, load_rule, shortfalls
from .verify import Verdict, verify_bytes, verify_file

__all__ = [
    "FORMAT", "NAMESPACE", "PASSPHRASE_VARIABLE", "REGISTER_FILE", "CertificateError", "CertificationRule",
    "IssueReport", "Verdict", "build_payload", "canonical", "certify", "fingerprint", "generate_keypair",
    "load_private_key", "load_public_key", "load_rule", "new_certificate_id", "read_register", "render_pdf",
    "shortfalls", "signed_pdf", "verify_bytes", "verify_file", "xmp_block",
    "PUBLISHED_FILE", "check_register", "module_label", "public_entries", "publish", "raw_public_key",
    "read_published", "revoke",
]
