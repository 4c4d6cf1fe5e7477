"""The book's page "Check a certificate", in Debian's Chromium driven by Playwright.

A real certificate is issued and signed here, some are tampered with or revoked, the register is
published next to a copy of the built page, and the page must tell valid, not valid and revoked
apart, with the WebCrypto of the browser, offline: over a local server and from file://.
"""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from toolkit_course import content
from toolkit_course.grading import certificates as certs
from toolkit_course.grading import results

playwright = pytest.importorskip("playwright.sync_api")

PAGE = "book/verify-certificate.html"
pytestmark = [pytest.mark.browser, pytest.mark.slow]

LEARNERS = [results.Learner("amal01", "Amal Haddad"), results.Learner("bruno02", "Bruno <b>Costa</b>"),
            results.Learner("chen03", "Chen Wei")]


def cohort_that_passed(slugs: list[str]) -> results.Cohort:
    modules = [results.Module(slug, content.module_title(slug), {"items": [], "reflections": []}, 70.0)
               for slug in slugs]
    passed = {(learner.id, slug): results.ModuleResult(slug, learner.id,
                                                       (results.ItemResult("q1", False, 2, 2, False),))
              for learner in LEARNERS for slug in slugs}
    return results.Cohort(list(LEARNERS), modules, passed)


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    """Three signed certificates for Module 01, one of them revoked, and a tampered copy of another."""
    folder = tmp_path_factory.mktemp("issued")
    private, public, _ = certs.generate_keypair(folder / "facilitator.pem")
    other_private, other_public, _ = certs.generate_keypair(folder / "forger.pem")
    slug = content.assessed_slugs()[1]
    rule_file = folder / "rule.yaml"
    rule_file.write_text('{"course_title": "Test course", "facilitator": "Grace Mensah", "hours": 6, '
                         '"venue": "Dakar", "dates": "5 March 2026"}', encoding="utf-8")
    cohort = cohort_that_passed([slug])
    out = folder / "certificates"
    report = certs.certify(cohort, certs.load_rule(rule_file, cohort), certs.load_private_key(private), out,
                           dt.date(2026, 3, 5))
    files = {entry["learner_id"]: out / entry["file"] for entry in report.issued}
    certs.revoke(out / certs.REGISTER_FILE, report.issued[2]["certificate_id"], "Issued in error: module not passed.")
    good = files["amal01"].read_bytes()
    xmp = re.search(rb"<x:xmpmeta.*?</x:xmpmeta>", good, flags=re.S).group(0).decode("ascii")
    payload = certs.verify_bytes(good, certs.load_public_key(public)).payload
    (folder / "tampered-page.pdf").write_bytes(certs.render_pdf(dict(payload, name="Mallory Impostor"), xmp))
    forged_payload = dict(payload, certificate_id="TKC-0000-0000-0001")
    (folder / "forged-key.pdf").write_bytes(certs.signed_pdf(forged_payload, certs.load_private_key(other_private)))
    return {"files": files, "folder": folder, "register": out / certs.REGISTER_FILE, "public": public,
            "other_public": other_public, "slug": slug, "revoked": files["chen03"]}


@pytest.fixture(scope="module")
def site(built_book, issued, tmp_path_factory):
    """The built page and its _static folder, copied, with this test's register published into them."""
    root = tmp_path_factory.mktemp("site")
    (root / "book").mkdir()
    shutil.copy(Path(built_book) / PAGE, root / PAGE)
    shutil.copytree(Path(built_book) / "_static", root / "_static")
    certs.publish([issued["register"]], root / "_static" / certs.PUBLISHED_FILE)
    return root


def serve(folder: Path):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server




@pytest.fixture
def tab(browser):
    """A browser tab that records every request; the test's end asserts none left this machine."""
    context = browser.new_context()
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    outside = [url for url in requests if not url.startswith(("file:", "data:", "blob:"))
               and urlparse(url).hostname not in ("127.0.0.1", "localhost")]
    assert requests, "no request was recorded: the recorder is broken"
    assert outside == [], f"the page tried to reach other hosts: {outside}"


def open_page(tab, url: str) -> None:
    tab.goto(url)
    tab.wait_for_selector("[data-tc-cc-ready]", state="attached")


def check(tab, pdf: Path) -> tuple[str, str]:
    """Pick the file in the page's file input; return the verdict's status and the text shown."""
    result = tab.locator("[data-tc-cc-result]")
    tab.set_input_files("[data-tc-cc-file]", str(pdf))
    tab.wait_for_selector("[data-tc-cc-result][data-tc-cc-status]", state="attached")
    tab.wait_for_function("document.querySelector('[data-tc-cc-result]').textContent.indexOf('Checking') !== 0")
    return result.get_attribute("data-tc-cc-status"), result.inner_text()


@pytest.fixture(scope="module")
def site_url(site):
    server = serve(site)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_a_signed_certificate_is_valid_and_its_details_are_shown(tab, site_url, issued):
    open_page(tab, f"{site_url}/{PAGE}")
    status, text = check(tab, issued["files"]["amal01"])
    assert status == "valid", text
    assert text.startswith("Valid\n")
    assert "Amal Haddad" in text
    slug = issued["slug"]
    assert f"Module {slug[:2]}: {content.module_title(slug)}" in text
    assert "6 hours" in text and "Dakar" in text and "5 March 2026" in text


def test_a_name_is_shown_as_text_never_as_html(tab, site_url, issued):
    open_page(tab, f"{site_url}/{PAGE}")
    status, text = check(tab, issued["files"]["bruno02"])
    assert status == "valid" and "Bruno <b>Costa</b>" in text
    assert tab.locator("[data-tc-cc-result] b").count() == 0


def test_a_redrawn_page_is_not_valid(tab, site_url, issued):
    open_page(tab, f"{site_url}/{PAGE}")
    status, text = check(tab, issued["folder"] / "tampered-page.pdf")
    assert status == "not-valid" and text.startswith("Not valid\n")
    assert "The PDF was changed after it was signed" in text and "Amal Haddad" in text  # the signed name


def test_a_certificate_signed_by_another_key_is_not_valid(tab, site_url, issued):
    open_page(tab, f"{site_url}/{PAGE}")
    status, text = check(tab, issued["folder"] / "forged-key.pdf")
    assert status == "not-valid" and "another key signed it" in text


def test_a_revoked_certificate_is_caught(tab, site_url, issued):
    open_page(tab, f"{site_url}/{PAGE}")
    status, text = check(tab, issued["revoked"])
    assert status == "revoked" and text.startswith("Revoked\n")
    assert "Issued in error: module not passed." in text and "Chen Wei" in text


def test_damaged_files_are_not_valid(tab, site_url, issued, tmp_path):
    open_page(tab, f"{site_url}/{PAGE}")
    good = issued["files"]["amal01"].read_bytes()
    for name, data, reason in [("cut.pdf", good[: len(good) // 2], "The file is incomplete"),
                               ("text.pdf", b"I am a certificate", "This is not a PDF file")]:
        (tmp_path / name).write_bytes(data)
        status, text = check(tab, tmp_path / name)
        assert status == "not-valid" and reason in text


def test_a_dropped_file_is_checked(tab, site_url, issued):
    open_page(tab, f"{site_url}/{PAGE}")
    tab.evaluate("""(bytes) => {
        const file = new File([new Uint8Array(bytes)], "dropped.pdf", {type: "application/pdf"});
        const transfer = new DataTransfer();
        transfer.items.add(file);
        document.querySelector("[data-tc-cc-drop]").dispatchEvent(
            new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
    }""", list(issued["revoked"].read_bytes()))
    tab.wait_for_selector("[data-tc-cc-result][data-tc-cc-status]", state="attached")
    result = tab.locator("[data-tc-cc-result]")
    assert result.get_attribute("data-tc-cc-status") == "revoked" and "File: dropped.pdf" in result.inner_text()


def test_the_page_works_from_file_urls(tab, site, issued):
    open_page(tab, (site / PAGE).as_uri())
    status, text = check(tab, issued["files"]["amal01"])
    assert status == "valid", text
    status, _ = check(tab, issued["revoked"])
    assert status == "revoked"


def test_the_shipped_book_with_an_empty_register_checks_with_a_key_file(tab, built_book, issued):
    """Out of the box the book publishes no key: the page says so, and a key file the reader picks works."""
    open_page(tab, (Path(built_book) / PAGE).resolve().as_uri())
    assert "publishes no public key yet" in tab.locator("[data-tc-cc-keys]").inner_text()
    status, text = check(tab, issued["files"]["amal01"])
    assert status == "cannot-check" and "publishes no public key yet" in text
    tab.set_input_files("[data-tc-cc-key]", str(issued["public"]))
    tab.wait_for_function("document.querySelector('[data-tc-cc-keys]').textContent.indexOf('Using the public key') === 0")
    status, text = check(tab, issued["files"]["amal01"])
    # The signatures hold, but a key the book does not publish is never a plain "Valid" (anyone can make one).
    assert status == "unknown-key" and "this book does not publish that key" in text and "Amal Haddad" in text
    tab.set_input_files("[data-tc-cc-key]", str(issued["other_public"]))
    tab.wait_for_function("document.querySelector('[data-tc-cc-keys]').textContent.indexOf('forger') > 0")
    status, text = check(tab, issued["files"]["amal01"])
    assert status == "not-valid" and "not signed with this public key" in text
