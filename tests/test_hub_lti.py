"""An LTI 1.3 launch from a learning platform into the shared server, end to end on loopback.

Only the learning platform is simulated (a stand-in for Moodle or Canvas, a small HTTP server in
this test with an RSA key of its own). The hub, its LTI 1.3 authenticator (jupyterhub-ltiauthenticator),
the system logins and the learners' JupyterLab are the real ones, started as `make hub` starts them with
`--auth lti13`. Debian's Chromium plays the learner's browser, and the platform lives on another site
("localhost", the hub is on "127.0.0.1"), as a real platform does.

The launch, step by step (LTI 1.3 / OpenID Connect third-party initiated login):
1. the platform's course page POSTs the login initiation (iss, login_hint, target_link_uri, client_id,
   lti_deployment_id) to the hub's /hub/lti13/oauth_login;
2. the hub sends the browser to the platform's authorization endpoint with state, nonce, redirect_uri;
3. the platform answers with a form that POSTs a signed id_token and the state to the hub's callback;
4. the hub checks the token against the platform's JWKS, logs the learner in (making their system
   login) and sends them to their own JupyterLab.

The platform misbehaves on purpose for some launches (another key, another audience, an expired token,
another launch's nonce or state, a captured launch replayed): each must be refused with no account made.

Needs root (system logins tkl3-... and lti-tkl3-..., removed at the end even on failure); skipped with the
reason otherwise.
"""

from __future__ import annotations

import html
import json
import pwd
import re
import shutil
import stat
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from hub_support import REPO, free_ports, loopback_page, why_hub_cannot_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PREFIX = "tkl3-"
FACILITATOR = f"{PREFIX}facilitator"
GROUP = f"{PREFIX}learners"
# system_login() prefixes every LMS identity it has to rewrite with "lti-"; ours all start "tkl3-".
LTI_PREFIX = f"lti-{PREFIX}"
CLIENT_ID = "tkl3-toolkit-course"
DEPLOYMENT_ID = "tkl3-deployment-1"
KEY_ID = "tkl3-platform-key-1"
WAIT_MS = 300_000  # a 2-core machine starting JupyterLab under load is slow

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"

# Who each launch is on the platform, by login_hint (the platform's own opaque handle for a launch).
PEOPLE = {
    # An e-mail with capitals and dots: the hub reads it (username_key: email).
    "amina": {"sub": "tkl3-7001", "email": "Tkl3-Amina.Okafor@Example.org", "name": "Amina Okafor"},
    # Another person with the same name at another organisation: the same readable part.
    "amina-elsewhere": {"sub": "tkl3-7002", "email": "tkl3-amina.okafor@example.net", "name": "Amina Okafor"},
    # A platform that keeps names private sends only its opaque id; the hub falls back to `sub`.
    "private": {"sub": "TKL3:9d2c1f0a-5b7e-4e21-9a63-3f0b8c7d1e42"},
    # The facilitator, named in the settings by their identity on the platform (facilitator_identity).
    "trainer": {"sub": "tkl3-8001", "email": "Tkl3-Trainer@Example.org", "name": "Course Trainer"},
}
# Hostile launches: each a new person, so that any account made for them would show.
HOSTILE = {
    "another-key": {"sub": "tkl3-6601", "email": "tkl3-mallory.key@example.org"},
    "wrong-audience": {"sub": "tkl3-6602", "email": "tkl3-mallory.audience@example.org"},
    "expired": {"sub": "tkl3-6603", "email": "tkl3-mallory.expired@example.org"},
    "foreign-nonce": {"sub": "tkl3-6604", "email": "tkl3-mallory.nonce@example.org"},
    "foreign-state": {"sub": "tkl3-6605", "email": "tkl3-mallory.state@example.org"},
    "captured": {"sub": "tkl3-6606", "email": "tkl3-mallory.captured@example.org"},
}
# What the hub's refusal must say, so a refusal for another reason (a broken hub) does not pass.
REFUSAL = {
    "another-key": "signature",
    "wrong-audience": "audience",
    "expired": "expired",
    "foreign-nonce": "nonce mismatch",
    "foreign-state": "state mismatch",
    "replayed-in-another-browser": "state missing",
    "replayed-after-use": "state missing",
}

AUTO_SUBMIT = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body><form method="post" action="{action}">{fields}<noscript><button>Continue</button></noscript></form>
<script>document.forms[0].submit();</script></body></html>"""


def auto_submit(title: str, action: str, fields: dict[str, str]) -> str:
    inputs = "".join(f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
                     for name, value in fields.items())
    return AUTO_SUBMIT.format(title=html.escape(title), action=html.escape(action), fields=inputs)


class Platform:
    """The learning platform's side of LTI 1.3, as small as the hub's authenticator needs.

    Like Moodle or Canvas it signs launches with its own RSA key, publishes the public half as a
    JWKS, and only answers an authorization request that names the registered client and redirect.
    """

    def __init__(self):
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.hub_url = ""
        self.auth_requests: list[dict] = []   # what the hub asked the platform, in order
        self.refusals: list[str] = []         # authorization requests the platform turned down, and why
        self.posted: list[dict] = []          # every launch form the platform sent to the hub
        self.captured: dict[str, dict] = {}
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlparse(self.path)
                query = {name: values[0] for name, values in parse_qs(url.query).items()}
                status, kind, body = platform.answer(url.path, query)
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        # The browser meets the platform on another site than the hub's, as with a real platform.
        self.address = f"http://localhost:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # ------------------------------------------------ what the hub is told about the platform
    @property
    def settings(self) -> dict:
        """settings.lti, with the keys of deploy/lti13.example.yaml."""
        return {"client_id": CLIENT_ID, "issuer": self.address, "authorize_url": f"{self.address}/auth",
                "jwks_endpoint": f"http://127.0.0.1:{self.port}/jwks", "username_key": "email",
                "facilitator_identity": "tkl3-trainer@example.org"}

    @property
    def callback(self) -> str:
        return self.hub_url + "hub/lti13/oauth_callback"

    def jwks(self) -> dict:
        from jwt.algorithms import RSAAlgorithm

        public = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]}

    # ------------------------------------------------ the platform's pages
    def answer(self, path: str, query: dict[str, str]) -> tuple[int, str, str]:
        if path == "/jwks":
            return 200, "application/json", json.dumps(self.jwks())
        if path == "/course":
            return 200, "text/html", self.course_page(query["launch"])
        if path == "/auth":
            return self.authorize(query)
        if path == "/replay":
            return 200, "text/html", auto_submit("Replay", self.callback, self.captured[query["launch"]])
        return 404, "text/plain", "not found"

    def course_page(self, hint: str) -> str:
        """The course page's link to the tool: the third-party login initiation, POSTed to the hub."""
        return auto_submit("Toolkit course", self.hub_url + "hub/lti13/oauth_login", {
            "iss": self.address, "login_hint": hint, "target_link_uri": self.hub_url,
            "client_id": CLIENT_ID, "lti_deployment_id": DEPLOYMENT_ID})

    def authorize(self, request: dict[str, str]) -> tuple[int, str, str]:
        self.auth_requests.append(request)
        expected = {"response_type": "id_token", "scope": "openid", "response_mode": "form_post",
                    "prompt": "none", "client_id": CLIENT_ID, "redirect_uri": self.callback}
        wrong = [f"{name}={request.get(name)!r}" for name, value in expected.items() if request.get(name) != value]
        wrong += [f"{name} is missing" for name in ("state", "nonce", "login_hint") if not request.get(name)]
        hint = request.get("login_hint", "")
        if hint not in PEOPLE and hint not in HOSTILE:
            wrong.append(f"unknown login_hint {hint!r}")
        if wrong:
            self.refusals.append("; ".join(wrong))
            return 400, "text/plain", "authorization request refused: " + "; ".join(wrong)
        token = self.id_token(hint, request)
        state = request["state"]
        if hint == "foreign-state":
            state = self.auth_requests[0]["state"]  # another launch's state (a forged cross-site launch)
        fields = {"id_token": token, "state": state}
        if hint == "captured":
            # Someone captures a genuine launch before it reaches the hub (a proxy log, a shared computer).
            self.captured[hint] = fields
            return 200, "text/html", "<!doctype html><title>Captured</title><p>captured</p>"
        self.posted.append({"hint": hint, **fields})
        return 200, "text/html", auto_submit("Launching", self.callback, fields)

    def id_token(self, hint: str, request: dict[str, str]) -> str:
        """A resource-link launch, signed RS256; hostile hints change one thing each."""
        import jwt

        person = PEOPLE.get(hint) or HOSTILE[hint]
        now = int(time.time())
        claims = {
            "iss": self.address, "aud": CLIENT_ID, "sub": person["sub"], "nonce": request["nonce"],
            "iat": now, "exp": now + 300,
            LTI + "deployment_id": DEPLOYMENT_ID, LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0", LTI + "target_link_uri": self.hub_url,
            LTI + "resource_link": {"id": "tkl3-module-01", "title": "Module 1"},
            LTI + "roles": [LEARNER_ROLE],
            LTI + "context": {"id": "tkl3-course", "label": "TOOLKIT", "title": "Toolkit course"},
            **{claim: person[claim] for claim in ("email", "name") if claim in person},
        }
        key = self.key
        if hint == "another-key":
            key = self.stranger_key  # same key id, so only the signature tells it apart
        elif hint == "wrong-audience":
            claims["aud"] = "tkl3-another-tool"
        elif hint == "expired":
            claims["iat"], claims["exp"] = now - 400, now - 100
        elif hint == "foreign-nonce":
            claims["nonce"] = self.auth_requests[0]["nonce"]  # the nonce of an earlier launch
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KEY_ID})


def login_of(person: dict) -> str:
    from toolkit_course.hub.auth import system_login

    if person is PEOPLE["trainer"]:
        return FACILITATOR
    return system_login(person.get("email") or person["sub"])


def our_logins() -> set[str]:
    return {entry.pw_name for entry in pwd.getpwall() if entry.pw_name.startswith((PREFIX, LTI_PREFIX))}


@pytest.fixture(scope="module")
def launches(browser):
    why = why_hub_cannot_run()
    if why:
        pytest.skip(why)
    from toolkit_course.hub import system
    from toolkit_course.hub.cohort import Hub, remove_logins
    from toolkit_course.hub.settings import HubSettings

    # An earlier run killed before its clean-up leaves logins that would hide what this run makes.
    remove_logins(PREFIX, GROUP)
    remove_logins(LTI_PREFIX)
    platform = Platform()
    platform.thread.start()
    base = Path(tempfile.mkdtemp(prefix="toolkit-hub-lti-"))
    base.chmod(0o755)
    settings = HubSettings(state_dir=base / "state", checkout=REPO, port=free_ports(), auth="lti13",
                           facilitator=FACILITATOR, learner_group=GROUP, home_base=base / "home",
                           lti=platform.settings,
                           # only to read the hub's list of accounts; learners come in through LTI alone
                           admin_token_file=str(base / "state" / "admin-token"))
    platform.hub_url = settings.url
    hub = Hub(settings)
    record: dict = {"settings": settings, "platform": platform, "landed": {}, "refused": {}, "homes": {}}
    contexts = []

    def new_page():
        # The platform is on "localhost", another site than the hub's 127.0.0.1.
        return loopback_page(browser, contexts, WAIT_MS, also=("http://localhost",))

    def launch(hint: str, page=None):
        """Open the platform's course page and follow the launch to JupyterLab."""
        page = page or new_page()
        login = login_of(PEOPLE[hint])
        page.goto(f"{platform.address}/course?launch={hint}")
        page.wait_for_url(re.compile(rf"/user/{re.escape(login)}/lab"), timeout=WAIT_MS)
        page.locator(".jp-LabShell").first.wait_for(timeout=WAIT_MS)
        record["landed"].setdefault(hint, []).append(page.url)
        return page

    def hub_users() -> set[str]:
        return {user["name"] for user in hub.api("GET", "users").json()}

    def refused(case: str, url: str, page=None) -> None:
        """Follow a hostile launch to the hub's callback; keep its answer, where the browser ends, what it made."""
        page = page or new_page()
        users, logins = hub_users(), our_logins()
        with page.expect_response(lambda r: r.request.method == "POST" and "/hub/lti13/oauth_callback" in r.url,
                                  timeout=WAIT_MS) as answer:
            page.goto(url)
        page.wait_for_load_state()
        record["refused"][case] = {"status": answer.value.status, "url": page.url,
                                   "text": page.locator("body").inner_text()[:600],
                                   "new hub users": sorted(hub_users() - users),
                                   "new system logins": sorted(our_logins() - logins)}

    try:
        hub.prepare()
        hub.start()
        first = launch("amina")
        launch("amina-elsewhere")
        launch("private")
        launch("trainer")
        launch("amina")  # again, from another browser: the same person comes back
        for hint in PEOPLE:
            entry = pwd.getpwnam(login_of(PEOPLE[hint]))
            home = Path(entry.pw_dir)
            record["homes"][hint] = {"home": home, "mode": stat.S_IMODE(home.stat().st_mode),
                                     "owner": home.stat().st_uid, "uid": entry.pw_uid,
                                     "processes": len(system.processes_of(entry.pw_uid))}
        record["hub users after learners"] = hub_users()
        record["logins after learners"] = our_logins()

        for case in ("another-key", "wrong-audience", "expired", "foreign-nonce", "foreign-state"):
            refused(case, f"{platform.address}/course?launch={case}")
        # A genuine launch captured on its way, then posted from another browser.
        capture = new_page()
        capture.goto(f"{platform.address}/course?launch=captured")
        capture.get_by_text("captured").wait_for()
        refused("replayed-in-another-browser", f"{platform.address}/replay?launch=captured")
        # Amina's first launch, posted again by her own browser once it has been used.
        platform.captured["amina-first"] = {name: platform.posted[0][name] for name in ("id_token", "state")}
        refused("replayed-after-use", f"{platform.address}/replay?launch=amina-first", page=first)
        record["logins after hostile launches"] = our_logins()
        record["hub users after hostile launches"] = hub_users()
        yield record
    except Exception:
        print(hub.log_tail())
        raise
    finally:
        for context in contexts:
            context.close()
        hub.stop()
        platform.server.shutdown()
        platform.server.server_close()
        remove_logins(PREFIX, GROUP)
        remove_logins(LTI_PREFIX)
        shutil.rmtree(base, ignore_errors=True)


def test_the_platform_saw_a_proper_authorization_request_from_the_hub(launches):
    platform = launches["platform"]
    assert platform.refusals == []
    request = platform.auth_requests[0]
    assert request["redirect_uri"] == launches["settings"].url + "hub/lti13/oauth_callback"
    # Every launch gets its own state and nonce.
    assert len({r["state"] for r in platform.auth_requests}) == len(platform.auth_requests)
    assert len({r["nonce"] for r in platform.auth_requests}) == len(platform.auth_requests)


def test_a_learner_launched_from_the_platform_lands_in_their_own_jupyterlab(launches):
    for hint, person in PEOPLE.items():
        login = login_of(person)
        for url in launches["landed"][hint]:
            assert urlparse(url).path.startswith(f"/user/{login}/lab"), (hint, url)
        facts = launches["homes"][hint]
        assert facts["processes"] > 0, f"no process of {login} runs: their server is not theirs"


def test_the_system_login_is_the_safe_name_made_from_the_lms_identity(launches):
    from toolkit_course.hub.auth import system_login

    amina = login_of(PEOPLE["amina"])
    assert amina == system_login("Tkl3-Amina.Okafor@Example.org")
    assert re.fullmatch(r"lti-tkl3-amina-okafo-[0-9a-f]{8}", amina), amina
    private = login_of(PEOPLE["private"])
    assert re.fullmatch(r"lti-tkl3-9d2c1f0a-5b-[0-9a-f]{8}", private), private
    expected = {FACILITATOR} | {login_of(person) for person in PEOPLE.values()}
    assert launches["logins after learners"] == expected
    assert launches["hub users after learners"] == expected


def test_each_learner_has_a_home_only_they_can_open(launches):
    for hint, facts in launches["homes"].items():
        assert facts["home"].parent == launches["settings"].home_base, hint
        assert facts["mode"] == 0o700, (hint, oct(facts["mode"]))
        assert facts["owner"] == facts["uid"], hint


def test_the_facilitators_own_identity_opens_the_facilitators_account(launches):
    assert all(urlparse(url).path.startswith(f"/user/{FACILITATOR}/lab") for url in launches["landed"]["trainer"])
    assert launches["homes"]["trainer"]["home"] == launches["settings"].facilitator_home


def test_a_second_launch_gets_the_same_login_and_two_people_never_share_one(launches):
    first, second = launches["landed"]["amina"]
    assert urlparse(first).path.split("/")[2] == urlparse(second).path.split("/")[2]
    logins = [login_of(person) for person in PEOPLE.values()]
    assert len(set(logins)) == len(PEOPLE), logins
    # Same name, same readable part, different person: different logins.
    assert login_of(PEOPLE["amina"])[:-8] == login_of(PEOPLE["amina-elsewhere"])[:-8]


@pytest.mark.parametrize("case", sorted(REFUSAL))
def test_a_hostile_launch_is_refused_and_makes_no_account(launches, case):
    answer = launches["refused"][case]
    assert answer["status"] in (400, 401, 403), answer
    assert "/user/" not in urlparse(answer["url"]).path, answer
    assert REFUSAL[case] in answer["text"].lower(), answer
    assert answer["new hub users"] == [] and answer["new system logins"] == [], answer


def test_no_hostile_launch_made_a_system_login(launches):
    assert launches["logins after hostile launches"] == launches["logins after learners"]
    assert launches["hub users after hostile launches"] == launches["hub users after learners"]
    for person in HOSTILE.values():
        with pytest.raises(KeyError):
            pwd.getpwnam(login_of(person))

