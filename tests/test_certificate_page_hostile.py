"""The "Check a certificate" page against a forger, in Debian's Chromium driven by Playwright.

A forger makes their own key, signs a certificate with it and sends the employer both the PDF
and their .pub.pem. The page must never answer plain "Valid" for a key this book does not
publish, and never show a key fingerprint the certificate claims but was not signed with.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from grading.test_certificate_page import PAGE, check, issued, open_page, site, site_url, tab  # noqa: F401

from toolkit_course.grading import certificates as certs

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def pick_key(page, path: Path) -> None:
    page.set_input_files("[data-tc-cc-key]", str(path))
    page.wait_for_function("(name) => document.querySelector('[data-tc-cc-keys]').textContent.indexOf(name) > 0",
                          arg=path.name)


@pytest.fixture(scope="module")
def honest_forgery(issued):  # noqa: F811
    """Signed by the forger's key, and naming that key's own fingerprint (so every check but 'whose key' passes)."""
    folder = issued["folder"]
    good = issued["files"]["amal01"].read_bytes()
    payload = certs.verify_bytes(good, certs.load_public_key(issued["public"])).payload
    forger_key = certs.load_private_key(folder / "forger.pem")
    forged = dict(payload, name="Mallory Impostor", certificate_id="TKC-0000-0000-0002",
                  key_fingerprint=certs.fingerprint(forger_key.public_key()))
    path = folder / "honest-forgery.pdf"
    path.write_bytes(certs.signed_pdf(forged, forger_key))
    return path


def test_a_forgers_key_file_does_not_make_a_certificate_valid(tab, site_url, issued, honest_forgery):  # noqa: F811
    """The book publishes the facilitator's key; the reader picks the forger's key file the forger sent."""
    open_page(tab, f"{site_url}/{PAGE}")
    pick_key(tab, issued["other_public"])
    status, text = check(tab, honest_forgery)
    assert status != "valid" and not text.startswith("Valid"), text
    assert "does not publish" in text and "cannot tell who" in text


def test_a_fingerprint_the_certificate_claims_but_was_not_signed_with_is_never_shown_as_its_key(
        tab, site_url, issued):  # noqa: F811
    """forged-key.pdf names the facilitator's published fingerprint but was signed by the forger's key."""
    open_page(tab, f"{site_url}/{PAGE}")
    pick_key(tab, issued["other_public"])
    status, text = check(tab, issued["folder"] / "forged-key.pdf")
    assert status == "not-valid", text
    assert "not signed with the key it names" in text


def test_in_a_book_without_keys_a_key_file_never_gives_a_plain_valid(tab, built_book, issued,  # noqa: F811
                                                                      honest_forgery):
    open_page(tab, (Path(built_book) / PAGE).resolve().as_uri())
    pick_key(tab, issued["other_public"])
    status, text = check(tab, honest_forgery)
    assert status != "valid" and not text.startswith("Valid"), text
    assert "does not publish" in text and "Mallory Impostor" in text
