"""The shared server as people meet it: Debian's Chromium through the hub's own pages.

tests/test_hub.py drives twenty learners with API tokens, which skip everything a person
does first. This walk follows book/facilitator/run-on-a-server.md instead: the facilitator
signs up and logs in through the login form, opens Formgrader through the hub (it must use
the course's exchange and list the course's modules) and a Terminal (the course's commands
must be found, in the course folder); a learner signs up, cannot log in until the
facilitator approves them on the hub's authorize page, then logs in and sees the released
assessment in the Assignments list.

Needs root (system logins, prefixed tkw-, removed at the end even on failure); skipped with
the reason otherwise.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
from hub_support import REPO, free_ports, loopback_page, why_hub_cannot_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PREFIX = "tkw-"
FACILITATOR = f"{PREFIX}facilitator"
LEARNER = f"{PREFIX}amina"
PASSWORD = "Kabul training room 7"
SLUG = "01-trafficking-and-smuggling"
WAIT_MS = 300_000  # a 2-core machine starting JupyterLab under load is slow

# Run inside the Terminal: where am I, and are the course's commands there?
TERMINAL_JS = """
async ([base, command]) => {
  const xsrf = (document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) || [])[1] || "";
  const made = await fetch(base + "api/terminals", {method: "POST", headers: {"X-XSRFToken": decodeURIComponent(xsrf)}});
  if (!made.ok) { return "could not open a terminal: " + made.status; }
  const name = (await made.json()).name;
  return await new Promise((resolve) => {
    const socket = new WebSocket(base.replace(/^http/, "ws") + "terminals/websocket/" + name);
    let seen = "";
    const timer = setTimeout(() => resolve("no answer; the terminal printed: " + seen), 120000);
    socket.onopen = () => socket.send(JSON.stringify(["stdin", command + "\\r"]));
    socket.onmessage = (event) => {
      const [kind, text] = JSON.parse(event.data);
      if (kind === "stdout") { seen += text; }
      const found = seen.match(/ANSWER<([^>]*)>/);
      if (found) { clearTimeout(timer); socket.close(); resolve(found[1]); }
    };
  });
}
"""
# The terminal echoes the command too; written as ANS""WER, only the shell's answer reads ANSWER<...>.
# A GET from a page, as JupyterLab makes it: JupyterHub refuses cookie-only requests that are not page
# loads unless they carry the XSRF token (and answers with a redirect to log in again).
GET_JS = """
async (url) => {
  const xsrf = (document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) || [])[1] || "";
  const answer = await fetch(url, {headers: {"X-XSRFToken": decodeURIComponent(xsrf)}, redirect: "manual"});
  return [answer.status, answer.status === 200 ? await answer.text() : ""];
}
"""
TERMINAL_COMMAND = 'echo "ANS""WER<$(pwd)|$(command -v nbgrader)|$(command -v toolkit-course)>"'


def sign_up(page, url: str, name: str) -> str:
    page.goto(url + "hub/signup")
    page.fill("#username_input", name)
    page.fill("#password_input", PASSWORD)
    if page.locator("#password_confirmation_input").count():
        page.fill("#password_confirmation_input", PASSWORD)
    page.locator("form [type=submit]").first.click()
    page.wait_for_load_state()
    return page.locator(".alert").first.inner_text() if page.locator(".alert").count() else ""


def log_in(page, url: str, name: str) -> None:
    page.goto(url + "hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", PASSWORD)
    with page.expect_response(lambda r: r.request.method == "POST" and "/hub/login" in r.url) as answer:
        page.locator("form [type=submit]").first.click()
    assert answer.value.status < 500, f"the login form answered {answer.value.status}: {page.content()[:500]}"
    page.wait_for_load_state()


def nbgrader_menu(page) -> list[str]:
    """The entries of JupyterLab's Nbgrader menu, as the person sees them."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    entries = page.locator(".lm-Menu .lm-Menu-itemLabel")
    entries.first.wait_for()
    labels = [label.strip() for label in entries.all_inner_texts() if label.strip()]
    page.keyboard.press("Escape")
    return labels


def press(page, slug: str, column: str, api_path: str) -> dict:
    """Click a module's button in Formgrader's Manage Assignments table; return nbgrader's answer."""
    row = page.locator("tr", has=page.locator("td.name", has_text=re.compile(f"^{re.escape(slug)}$")))
    row.first.wait_for()
    with page.expect_response(lambda r: r.url.split("?")[0].endswith(api_path), timeout=WAIT_MS) as info:
        row.locator(f"td.{column} a").first.click()
    answer = info.value.json()
    answer = json.loads(answer) if isinstance(answer, str) else answer
    page.locator(".modal.in").first.get_by_role("button", name="OK").click()
    page.wait_for_selector(".modal.in, .modal-backdrop", state="detached")
    return answer


@pytest.fixture(scope="module")
def walk(browser):
    why = why_hub_cannot_run()
    if why:
        pytest.skip(why)
    from toolkit_course.hub.cohort import Hub, remove_logins
    from toolkit_course.hub.settings import HubSettings

    base = Path(tempfile.mkdtemp(prefix="toolkit-hub-browser-"))
    base.chmod(0o755)
    # As `make hub` runs it: native accounts, no admin service token.
    settings = HubSettings(state_dir=base / "state", checkout=REPO, port=free_ports(), facilitator=FACILITATOR,
                           learner_group=f"{PREFIX}learners", home_base=base / "home")
    hub = Hub(settings)
    url = settings.url
    record: dict = {"settings": settings}
    contexts = []

    def new_page():
        return loopback_page(browser, contexts, WAIT_MS)

    try:
        hub.prepare()
        hub.start()
        you = new_page()
        record["facilitator signup"] = sign_up(you, url, FACILITATOR)
        log_in(you, url, FACILITATOR)
        you.wait_for_url(re.compile(rf"/user/{FACILITATOR}/lab"), timeout=WAIT_MS)
        record["facilitator landed"] = you.url
        record["facilitator menu"] = nbgrader_menu(you)

        you.goto(url + f"user/{FACILITATOR}/formgrader/manage_assignments")
        # Formgrader lists the course's modules at once, or not at all (wrong course folder): no long wait.
        you.locator("td.name", has_text=SLUG).first.wait_for(timeout=120_000)
        record["formgrader modules"] = you.locator("td.name").all_inner_texts()
        record["formgrader warnings"] = [you.locator(f"#{w}").inner_text() for w in ("warning-exchange",
                                         "warning-course-id") if you.locator(f"#{w}").count()
                                         and you.locator(f"#{w}").is_visible()]
        record["generate"] = press(you, SLUG, "assign", f"/api/assignment/{SLUG}/assign")
        record["release"] = press(you, SLUG, "release", f"/api/assignment/{SLUG}/release")
        record["terminal"] = you.evaluate(TERMINAL_JS, [url + f"user/{FACILITATOR}/", TERMINAL_COMMAND])

        learner = new_page()
        record["learner signup"] = sign_up(learner, url, LEARNER)
        log_in(learner, url, LEARNER)
        record["learner before approval"] = learner.url, learner.locator("body").inner_text()

        # A name the system already has ("daemon" on every Debian) must never become a learner's account:
        # approved, its server would run as that account.
        record["daemon signup"] = sign_up(new_page(), url, "daemon")

        you.goto(url + "hub/authorize")
        record["awaiting approval"] = you.locator("table td").all_inner_texts()
        row = you.locator("tr", has=you.locator("td", has_text=re.compile(f"^{LEARNER}$")))
        row.get_by_role("button", name="Authorize", exact=True).click()
        you.wait_for_load_state()

        log_in(learner, url, LEARNER)
        learner.wait_for_url(re.compile(rf"/user/{LEARNER}/lab"), timeout=WAIT_MS)
        record["learner landed"] = learner.url
        record["learner menu"] = nbgrader_menu(learner)
        record["learner lab config"] = json.loads(learner.locator("#jupyter-config-data").text_content())
        status, listing = learner.evaluate(GET_JS, url + f"user/{LEARNER}/assignments?course_id={settings.course_id}")
        assert status == 200, f"the Assignments list answered {status}"
        record["learner assignments"] = {entry["assignment_id"]: entry["status"]
                                         for entry in json.loads(listing)["value"]}
        record["learner formgrader"] = learner.evaluate(GET_JS, url + f"user/{LEARNER}/formgrader")[0]
        record["learner home"] = pwd.getpwnam(LEARNER).pw_dir
        yield record
    except Exception:
        print(hub.log_tail())
        raise
    finally:
        for context in contexts:
            context.close()
        hub.stop()
        remove_logins(PREFIX, settings.learner_group)
        shutil.rmtree(base, ignore_errors=True)


def test_the_facilitator_signs_up_and_logs_in_through_the_login_form(walk):
    assert "successful" in walk["facilitator signup"].lower(), walk["facilitator signup"]
    assert f"/user/{FACILITATOR}/lab" in walk["facilitator landed"]


def test_formgrader_through_the_hub_lists_the_course_and_releases_to_the_course_exchange(walk):
    settings = walk["settings"]
    assert SLUG in walk["formgrader modules"] and len(walk["formgrader modules"]) >= 15, walk["formgrader modules"]
    assert walk["formgrader warnings"] == []
    assert walk["generate"].get("success") and walk["release"].get("success"), (walk["generate"], walk["release"])
    released = settings.exchange_root / settings.course_id / "outbound" / SLUG / f"{SLUG}-assessment.ipynb"
    assert released.is_file()
    assert not Path("/usr/local/share/nbgrader/exchange", settings.course_id).exists()


def test_the_facilitators_terminal_opens_in_the_course_folder_with_the_courses_commands(walk):
    settings = walk["settings"]
    folder, nbgrader, toolkit = walk["terminal"].split("|")
    assert folder == str(settings.facilitator_course), walk["terminal"]
    assert nbgrader == str(settings.runtime_bin / "nbgrader"), walk["terminal"]
    assert toolkit == str(settings.runtime_bin / "toolkit-course"), walk["terminal"]


def test_a_learner_waits_for_approval_then_logs_in_and_sees_the_released_assessment(walk):
    url, text = walk["learner before approval"]
    assert "/user/" not in url and "admin" in text.lower(), (url, text[:300])
    assert f"/user/{LEARNER}/lab" in walk["learner landed"]
    assert walk["learner assignments"].get(SLUG) == "released", walk["learner assignments"]
    assert walk["learner formgrader"] == 404


def test_nobody_can_sign_up_as_an_account_the_system_already_has(walk):
    assert "successful" not in walk["daemon signup"].lower(), walk["daemon signup"]
    assert "daemon" not in walk["awaiting approval"] and LEARNER in walk["awaiting approval"]


def test_learners_see_their_assignments_and_none_of_the_instructors_tools(walk):
    assert "Assignment List" in walk["learner menu"], walk["learner menu"]
    instructors = ("formgrader", "course list", "create assignment")
    assert not [entry for entry in walk["learner menu"] if entry.lower().startswith(instructors)], walk["learner menu"]
    assert "Formgrader" in walk["facilitator menu"], walk["facilitator menu"]
    assert not {"Course List", "Create assignment"} & set(walk["facilitator menu"]), walk["facilitator menu"]
    # The "official Jupyter news" question needs the internet; a training room may have none.
    assert "@jupyterlab/apputils-extension:announcements" in walk["learner lab config"]["disabledExtensions"]


def test_the_learner_has_a_system_login_whose_home_only_they_can_open(walk):
    home = Path(walk["learner home"])
    assert home.parent == walk["settings"].home_base
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
