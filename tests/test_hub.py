"""The course on a shared server: a real JupyterHub and proxy on loopback, 20 learners as system logins.

One cohort is run once (the `cohort` fixture) and the tests below check what it left:
every learner, through the hub's REST API and their own Jupyter server's API, logs in,
starts a server, fetches Module 01's assessment with the Assignments tab's endpoints,
types answers (right, wrong and blank), and submits; the hub is restarted half-way;
one learner submits twice; the facilitator, as their own login, registers the roster,
collects from the exchange, autogrades, writes and releases feedback; every learner
fetches theirs. Then one learner's kernel tries to read what is not theirs.

Needs root (it makes system logins, prefixed tkl-, all removed at the end, even on
failure) and configurable-http-proxy (scripts/install-hub-deps.sh). Without them the
tests are skipped and say why.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hub_support import free_ports, why_hub_cannot_run

from toolkit_course import content

REPO = Path(__file__).resolve().parents[1]
PREFIX = "tkl-"
LEARNERS = 20
TWICE = f"{PREFIX}l01"          # submits all wrong first, then their real answers
PROBER, OTHER = f"{PREFIX}l02", f"{PREFIX}l03"
SLUG = "01-trafficking-and-smuggling"
NOTEBOOK = f"{SLUG}-assessment.ipynb"


def assessment_items() -> list[dict]:
    return [item for item in content.load(SLUG, "assessment")["items"] if "variable" in item]


def plan_for(index: int) -> dict[str, str]:
    """Learner index's answers: item by item right, wrong or blank, drawn with a seed of their own."""
    draw = random.Random(index)
    answers = {}
    for item in assessment_items():
        choice = draw.choices(["right", "wrong", "blank"], weights=[5, 3, 2])[0]
        wrong = [option for option in item["options"] if option != item["answer"]]
        answers[item["id"]] = {"right": item["answer"], "wrong": draw.choice(wrong), "blank": ""}[choice]
    return answers


def all_wrong() -> dict[str, str]:
    return {item["id"]: next(o for o in item["options"] if o != item["answer"]) for item in assessment_items()}


HAND_SCORE = 5  # every reflection, marked by hand in the hand-grades CSV
REFLECTION = "Both can be true at once: the facts must be checked against each offence's elements."


def passes(answers: dict[str, str]) -> bool:
    """Computed here from assessment.yaml: the auto-marked points plus the hand mark, against the pass mark."""
    spec = content.load(SLUG, "assessment")
    total = sum(item["points"] for item in spec["items"]) + sum(r["points"] for r in spec["reflections"])
    hand = HAND_SCORE * len(spec["reflections"])
    return 100 * (expected_score(answers) + hand) / total >= spec["pass_mark_percent"]


def expected_score(answers: dict[str, str]) -> float:
    """Computed here from the answer key in assessment.yaml, not by the grading code."""
    return float(sum(item["points"] for item in assessment_items() if answers.get(item["id"]) == item["answer"]))


PROBE = '''
import json, os
def probe(path, kind):
    try:
        if kind == "list":
            os.listdir(path)
        elif kind == "read":
            with open(path, "rb") as handle:
                handle.read(1)
        else:
            with open(path, "ab"):
                pass
        return "allowed"
    except PermissionError:
        return "denied"
    except FileNotFoundError:
        return "missing"
print(json.dumps({"cgroup": open("/proc/self/cgroup").read(), **{label: probe(path, kind) for label, (path, kind) in CHECKS.items()}}))
'''


@pytest.fixture(scope="module")
def cohort():
    why = why_hub_cannot_run()
    if why:
        pytest.skip(why)
    from nbgrader.api import Gradebook

    from toolkit_course.assessment_notebook import fill_answers
    from toolkit_course.hub.cohort import Facilitator, Hub, Learner, remove_logins
    from toolkit_course.hub.settings import HubSettings

    base = Path(tempfile.mkdtemp(prefix="toolkit-hub-test-"))
    base.chmod(0o755)
    settings = HubSettings(state_dir=base / "state", checkout=REPO, port=free_ports(), facilitator=f"{PREFIX}facilitator",
                           learner_group=f"{PREFIX}learners", home_base=base / "home", mem_limit="1G", cpu_limit=1.0,
                           admin_token_file=str(base / "state" / "admin-token"))
    hub = Hub(settings)
    names = [f"{PREFIX}l{number:02d}" for number in range(1, LEARNERS + 1)]
    plans = {name: plan_for(index) for index, name in enumerate(names)}
    record: dict = {"settings": settings, "plans": plans, "names": names, "timings": {}}
    started = time.monotonic()
    try:
        hub.prepare()
        hub.start()
        facilitator = Facilitator(settings)
        facilitator.nbgrader("release_assignment", SLUG)
        hub.add_users(names)
        learners = {name: Learner(hub, name) for name in names}

        def take_part(name: str, answers: dict[str, str]) -> None:
            learner = learners[name]
            if not learner.token:
                learner.log_in()
                learner.assignment_action("fetch", SLUG)
            path = f"{SLUG}/{NOTEBOOK}"
            learner.write_notebook(path, fill_answers(learner.read_notebook(path), answers,
                                                      reflections={"reflection": REFLECTION}))
            learner.assignment_action("submit", SLUG)

        first_half, second_half = names[: LEARNERS // 2], names[LEARNERS // 2:]
        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(lambda name: take_part(name, all_wrong() if name == TWICE else plans[name]), first_half))
        record["inbound_before_restart"] = _submissions(settings)
        hub.stop()   # mid-cohort: learners' servers keep running, submissions are files in the exchange
        hub.start()
        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(lambda name: take_part(name, plans[name]), second_half + [TWICE]))
        record["inbound"] = _submissions(settings)
        record["timings"]["learners"] = time.monotonic() - started

        roster = facilitator.write_roster(names)
        facilitator.toolkit("roster", str(roster))
        record["collect"] = facilitator.toolkit("collect", "--exchange", SLUG, check=False)
        record["autograde"] = facilitator.toolkit("autograde", SLUG, "--no-progress", check=False)
        facilitator.toolkit("cohort", "--modules", SLUG)
        facilitator.toolkit("handgrade", "--template", "hand-grades.csv")
        record["hand grades"] = facilitator.fill_hand_grades("hand-grades.csv", score=HAND_SCORE)
        facilitator.toolkit("handgrade", "--import", "hand-grades.csv")
        facilitator.toolkit("feedback")
        facilitator.nbgrader("release_feedback", SLUG)
        # Certificates, as results-and-certificates.md says: a key, then certify (certification.yaml is the
        # one `make hub` put in the course folder).
        facilitator.toolkit("keygen", "--out", "keys/facilitator.pem")
        record["certify"] = facilitator.toolkit("certify", "--key", "keys/facilitator.pem", "--facilitator",
                                                "Test Facilitator", check=False)
        with Gradebook(f"sqlite:///{facilitator.workspace / 'gradebook.db'}") as gradebook:
            record["grades"] = {name: float(sum(grade.auto_score or 0 for notebook in
                                                gradebook.find_submission(SLUG, name).notebooks
                                                for grade in notebook.grades))
                                for name in names}

        def get_feedback(name: str) -> str:
            learner = learners[name]
            learner.assignment_action("fetch_feedback", SLUG)
            folder = f"{SLUG}/feedback"
            stamps = learner.list_folder(folder)
            return learner.read_text(f"{sorted(stamps)[-1]}/{SLUG}-assessment.html")

        with ThreadPoolExecutor(max_workers=10) as pool:
            record["feedback"] = dict(zip(names, pool.map(get_feedback, names)))
        record["timings"]["whole cohort"] = time.monotonic() - started

        record["probe"] = _probe(learners[PROBER], settings, record["inbound"], learners[OTHER])
        record["limits"] = _limits(record["probe"].pop("cgroup"))
        hub.start_server(settings.facilitator)
        boss = Learner(hub, settings.facilitator)
        boss.log_in()
        record["formgrader"] = boss.http.get(boss.base + "formgrader", timeout=120)
        record["learner_formgrader"] = learners[PROBER].http.get(learners[PROBER].base + "formgrader", timeout=120)
    except Exception:
        print(hub.log_tail(), file=sys.stderr)  # the state folder is removed below: show why here
        raise
    else:
        yield record
    finally:
        print(f"\nhub test: {json.dumps({k: round(v, 1) for k, v in record['timings'].items()})} seconds; "
              f"hub log in {hub.log} (removed)", file=sys.stderr)
        hub.stop()
        remove_logins(PREFIX, settings.learner_group)
        shutil.rmtree(base, ignore_errors=True)


def _submissions(settings) -> list[Path]:
    inbound = settings.exchange_root / settings.course_id / "inbound"
    return sorted(inbound.iterdir())


def _limits(kernel_cgroup: str) -> dict:
    """The prober's memory limit and whether their kernel runs inside their group (read while it exists)."""
    from toolkit_course.hub.spawner import cgroup_folders, cgroup_version

    if not cgroup_version():
        return {}
    folder = cgroup_folders(PROBER)["memory"]
    limit = (folder / ("memory.max" if cgroup_version() == 2 else "memory.limit_in_bytes")).read_text().strip()
    return {"memory": int(limit), "kernel in group": f"toolkit-hub/{PROBER}" in kernel_cgroup}


def _probe(prober, settings, inbound: list[Path], other) -> dict:
    theirs = next(path for path in inbound if path.name.startswith(other.name + "+"))
    other_home = settings.home_base / other.name
    own_home = settings.home_base / prober.name
    course_exchange = settings.exchange_root / settings.course_id
    checks = {
        "own home": (own_home, "list"),
        "own notebook": (own_home / SLUG / NOTEBOOK, "read"),
        "other home": (other_home, "list"),
        "other notebook": (other_home / SLUG / NOTEBOOK, "read"),
        "other feedback in home": (other_home / SLUG / "feedback", "list"),
        "inbound": (course_exchange / "inbound", "list"),
        "other submission": (theirs / NOTEBOOK, "read"),
        "other submission secret": (theirs / "submission_secret.txt", "read"),
        "write into other submission": (theirs / "extra.txt", "write"),
        "feedback folder": (course_exchange / "feedback", "list"),
        "released assessment": (course_exchange / "outbound" / SLUG / NOTEBOOK, "read"),
        "change released assessment": (course_exchange / "outbound" / SLUG / NOTEBOOK, "write"),
        "instructor course": (settings.facilitator_course, "list"),
        "gradebook": (settings.facilitator_course / "grading-workspace" / "gradebook.db", "read"),
        "answer key in checkout": (settings.checkout / "content" / SLUG / "assessment.yaml", "read"),
        "solutions in checkout": (settings.checkout / "solutions", "list"),
    }
    for label, (path, kind) in checks.items():
        if kind != "write":
            assert path.exists(), f"{label}: {path} should exist for the probe to mean anything"
    code = f"CHECKS = {json.dumps({label: [str(path), kind] for label, (path, kind) in checks.items()})}\n" + PROBE
    return json.loads(prober.run_code(code).strip().splitlines()[-1])


# ---------------------------------------------------------------- checks that need no root

def test_generated_config_and_lti_settings_are_valid(tmp_path):
    """The LTI 1.3 configuration (not tested live) loads into the real authenticator; logins are safe."""
    pytest.importorskip("ltiauthenticator", reason="JupyterHub is not installed: run `bash scripts/install-hub-deps.sh`")
    pytest.importorskip("nativeauthenticator", reason="run `bash scripts/install-hub-deps.sh`")
    import yaml
    from traitlets.config import Config

    from toolkit_course.hub.auth import LocalLTI13Authenticator, system_login
    from toolkit_course.hub.hub_config import configure
    from toolkit_course.hub.settings import HubSettings
    from toolkit_course.hub.system import GENERATED_CONFIG

    lti = yaml.safe_load((REPO / "deploy" / "lti13.example.yaml").read_text(encoding="utf-8"))
    settings = HubSettings(state_dir=tmp_path, checkout=REPO, auth="lti13", lti=lti)
    config = Config()
    configure(config, settings.save())
    authenticator = LocalLTI13Authenticator(config=config)
    assert authenticator.issuer == lti["issuer"] and authenticator.client_id == {lti["client_id"]}
    assert authenticator.create_system_users and config.Authenticator.admin_users == {"facilitator"}
    compile(GENERATED_CONFIG.format(settings=str(tmp_path / "hub-settings.json")), "jupyterhub_config.py", "exec")
    for identity in ("amina.diallo@example.org", "4f1b7c0e-2c9d", "Bruno Costa", "x" * 80):
        login = system_login(identity)
        assert login == login.lower() and len(login) <= 32 and login.replace("-", "").isalnum()
    assert system_login("amina.diallo@example.org") != system_login("amina.diallo@example.net")


def test_no_hub_name_becomes_an_account_the_system_already_has():
    """A learner's server runs as the system account of their hub name: never root's, a service's or a staff member's."""
    pytest.importorskip("ltiauthenticator", reason="JupyterHub is not installed: run `bash scripts/install-hub-deps.sh`")
    pytest.importorskip("nativeauthenticator", reason="run `bash scripts/install-hub-deps.sh`")
    from toolkit_course.hub.auth import system_login, taken_by_another_account

    for existing in ("root", "daemon"):
        assert taken_by_another_account(existing, "facilitator", "toolkit-learners")
        assert system_login(existing) != existing and system_login(existing).startswith("lti-")
    assert not taken_by_another_account("root", "root", "toolkit-learners")  # the facilitator's own login
    assert not taken_by_another_account("tk-nobody-has-this-login", "facilitator", "toolkit-learners")


def test_lti_settings_missing_a_key_name_it(tmp_path):
    pytest.importorskip("ltiauthenticator", reason="JupyterHub is not installed: run `bash scripts/install-hub-deps.sh`")
    from traitlets.config import Config

    from toolkit_course.hub.hub_config import configure
    from toolkit_course.hub.settings import HubSettings

    settings = HubSettings(state_dir=tmp_path, checkout=REPO, auth="lti13", lti={"client_id": "abc"})
    with pytest.raises(ValueError, match="issuer"):
        configure(Config(), settings.save())


def _merged(defaults: dict, ours: dict) -> dict:
    """Helm's merge of a values file over the chart's defaults (maps merge, everything else replaces)."""
    merged = dict(defaults)
    for key, value in ours.items():
        both_maps = isinstance(value, dict) and isinstance(defaults.get(key), dict)
        merged[key] = _merged(defaults[key], value) if both_maps else value
    return merged


def test_zero_to_jupyterhub_values_fit_the_charts_schema():
    """deploy/z2jh/values.yaml (not tested on a cluster) against the chart's own schema, copied into deploy/z2jh/chart."""
    import jsonschema
    import yaml

    chart = REPO / "deploy" / "z2jh" / "chart"
    schema = json.loads((chart / "values.schema.json").read_text(encoding="utf-8"))
    defaults = yaml.safe_load((chart / "values.yaml").read_text(encoding="utf-8"))
    ours = yaml.safe_load((REPO / "deploy" / "z2jh" / "values.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(_merged(defaults, ours), schema)
    assert ours["cull"]["enabled"] and ours["singleuser"]["memory"]["limit"]
    # The schema does catch a misspelt key: the check means something.
    with pytest.raises(jsonschema.ValidationError, match="limitt"):
        jsonschema.validate(_merged(defaults, {"singleuser": {"memory": {"limitt": "1G"}}}), schema)


# ---------------------------------------------------------------- the cohort

def test_no_submission_is_lost_across_a_hub_restart(cohort):
    before = cohort["inbound_before_restart"]
    assert len(before) == LEARNERS // 2
    # Every learner once, and the learner who submitted twice twice: nothing lost, nothing overwritten.
    assert len(cohort["inbound"]) == LEARNERS + 1
    assert set(before) <= set(cohort["inbound"])
    senders = sorted(path.name.split("+")[0] for path in cohort["inbound"])
    assert senders == sorted(cohort["names"] + [TWICE])


def test_collect_and_autograde_take_every_learner(cohort):
    collect, autograde = cohort["collect"], cohort["autograde"]
    assert collect.returncode == 0, collect.stdout + collect.stderr
    for name in cohort["names"]:
        assert f"-> {name} / {SLUG}" in collect.stdout
    assert autograde.returncode == 0, autograde.stdout + autograde.stderr
    assert f"graded {LEARNERS} submission(s)" in autograde.stdout


def test_every_grade_matches_the_answer_key(cohort):
    expected = {name: expected_score(plan) for name, plan in cohort["plans"].items()}
    assert cohort["grades"] == expected
    assert len(set(expected.values())) > 3, "the answer plans should give a spread of scores"


def test_the_facilitator_certifies_exactly_those_who_passed(cohort):
    """certify needs the course's certification.yaml in the facilitator's folder, and every hand grade."""
    result = cohort["certify"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert cohort["hand grades"] == LEARNERS, "one reflection per learner to mark by hand"
    issued = set(re.findall(r"^issued \S+ to (\S+) ", result.stdout, re.MULTILINE))
    expected = {name for name, plan in cohort["plans"].items() if passes(plan)}
    assert issued == expected and 0 < len(expected) < LEARNERS, (issued, expected)


def test_a_learner_who_submits_twice_is_graded_on_the_latest(cohort):
    assert expected_score(all_wrong()) == 0
    assert cohort["grades"][TWICE] == expected_score(cohort["plans"][TWICE]) > 0


def test_every_learner_fetches_their_own_feedback(cohort):
    for name, page in cohort["feedback"].items():
        plan = cohort["plans"][name]
        right = sum(plan[item["id"]] == item["answer"] for item in assessment_items())
        blank = sum(plan[item["id"]] == "" for item in assessment_items())
        assert page.count('class="result correct"') == right, name
        assert page.count('class="result incorrect">You left this blank') == blank, name


def test_a_learner_cannot_read_what_is_not_theirs(cohort):
    probe = cohort["probe"]
    allowed = {"own home", "own notebook", "released assessment"}
    assert {label for label, result in probe.items() if result == "allowed"} == allowed, probe
    assert all(probe[label] == "denied" for label in probe if label not in allowed), probe


def test_formgrader_shows_through_the_hub_for_the_facilitator_only(cohort):
    page = cohort["formgrader"]
    assert page.status_code == 200 and "formgrader" in page.text.lower()
    # JupyterHub's default "frame-ancestors 'none'" would blank the panel JupyterLab shows it in.
    assert page.headers.get("Content-Security-Policy") == "frame-ancestors 'self'"
    assert cohort["learner_formgrader"].status_code == 404


def test_each_learner_runs_under_their_own_memory_and_cpu_limit(cohort):
    from toolkit_course.hub.spawner import cgroup_version

    if cgroup_version() == 0:
        pytest.skip("this system has no writable cgroups: memory and CPU limits are not enforced here")
    # The probe ran in a kernel the learner's server started after the limit was set: it is inside the group.
    # (The groups are gone after the fixture's clean-up, so this reads what the fixture recorded.)
    assert cohort["limits"]["kernel in group"], cohort["limits"]
    assert cohort["limits"]["memory"] == 1024 ** 3
