"""A simulated cohort on a real hub, driven over HTTP the way a browser would: used by tests/test_hub.py and bench_hub.

Hub runs JupyterHub (and through it configurable-http-proxy) from a generated config.
Learner talks to the hub's REST API and to their own Jupyter server's API: the
Assignments tab's endpoints (nbgrader's assignment_list extension), the contents API,
and a kernel over its websocket. Facilitator runs the course's commands as the
facilitator's system login.
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import secrets
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests

from . import system
from .settings import HubSettings

READY_TIMEOUT = 900  # a loaded 2-core machine starting 20 servers at once is slow


class HubError(RuntimeError):
    pass


class Hub:
    def __init__(self, settings: HubSettings):
        self.settings = settings
        self.process: subprocess.Popen | None = None
        self.config = settings.state_dir / "jupyterhub_config.py"
        self.log = settings.state_dir / "hub.log"
        self.session = requests.Session()

    @property
    def url(self) -> str:
        return self.settings.url

    def prepare(self) -> None:
        """The system side, the config and (when settings name one) the admin service's token.

        With no admin_token_file the hub is the one `make hub` runs: people sign up and log in
        through its pages, and this object can only wait for it and stop it.
        """
        if self.settings.admin_token_file:
            token_file = Path(self.settings.admin_token_file)
            token_file.parent.mkdir(parents=True, exist_ok=True)
            if not token_file.exists():
                token_file.write_text(secrets.token_hex(32), encoding="utf-8")
            token_file.chmod(0o600)
            self.session.headers["Authorization"] = f"token {token_file.read_text(encoding='utf-8').strip()}"
        system.prepare(self.settings)
        system.write_hub_config(self.settings, self.config)

    def start(self) -> None:
        log = self.log.open("ab")
        self.process = subprocess.Popen([str(self.settings.venv_bin / "jupyterhub"), "-f", str(self.config)],
                                        cwd=self.settings.state_dir, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HubError(f"the hub stopped while starting; see {self.log}")
            try:
                if self.session.get(self.url + "hub/api/", timeout=5).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        raise HubError(f"the hub did not answer within {READY_TIMEOUT}s; see {self.log}")

    def log_tail(self, lines: int = 80) -> str:
        """The end of the hub's log, to show why a run failed before its state folder is removed."""
        if not self.log.exists():
            return ""
        return "".join(self.log.read_text(errors="replace").splitlines(keepends=True)[-lines:])

    def stop(self) -> None:
        """Stop the hub and its proxy; learners' servers keep running (cleanup_servers is False)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self.session.request(method, self.url + "hub/api/" + path.lstrip("/"), timeout=120, **kwargs)
        if not response.ok:
            raise HubError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response

    def add_users(self, names: list[str]) -> None:
        """Hub accounts; the authenticator makes each one's system login (create_system_users)."""
        self.api("POST", "users", json={"usernames": names})

    def token_for(self, name: str) -> str:
        return self.api("POST", f"users/{name}/tokens", json={"expires_in": 6 * 3600,
                                                                "note": "simulated learner"}).json()["token"]

    def start_server(self, name: str) -> None:
        response = self.session.post(self.url + f"hub/api/users/{name}/server", timeout=READY_TIMEOUT)
        if response.status_code not in (201, 202, 400):  # 400: already running
            raise HubError(f"starting {name}'s server: {response.status_code} {response.text[:300]}")
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            server = self.api("GET", f"users/{name}").json()["servers"].get("")
            if server and server.get("ready"):
                return
            time.sleep(2)
        raise HubError(f"{name}'s server was not ready within {READY_TIMEOUT}s")


@dataclass
class Learner:
    """One login, acting through their own server with their own token."""

    hub: Hub
    name: str
    token: str = ""

    def __post_init__(self):
        self.http = requests.Session()

    def log_in(self) -> None:
        self.token = self.hub.token_for(self.name)
        self.http.headers["Authorization"] = f"token {self.token}"
        self.hub.start_server(self.name)

    @property
    def base(self) -> str:
        return self.hub.url + f"user/{self.name}/"

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self.http.request(method, self.base + path, timeout=300, **kwargs)
        if not response.ok:
            raise HubError(f"{self.name}: {method} {path}: {response.status_code} {response.text[:300]}")
        return response

    # ------------------------------------------------ the Assignments tab (nbgrader's own endpoints)
    def assignment_action(self, action: str, slug: str):
        body = self.call("POST", f"assignments/{action}",
                         data={"course_id": self.hub.settings.course_id, "assignment_id": slug}).json()
        if isinstance(body, dict) and body.get("success") is False:
            raise HubError(f"{self.name}: {action} {slug}: {str(body.get('value') or body)[:400]}")
        return body

    def assignments(self) -> list[dict]:
        return self.call("GET", "assignments", params={"course_id": self.hub.settings.course_id}).json()["value"]

    # ------------------------------------------------ files (contents API)
    def read_notebook(self, path: str) -> dict:
        return self.call("GET", f"api/contents/{path}", params={"content": 1}).json()["content"]

    def write_notebook(self, path: str, notebook: dict) -> None:
        self.call("PUT", f"api/contents/{path}", json={"type": "notebook", "format": "json", "content": notebook})

    def list_folder(self, path: str) -> list[str]:
        return [item["path"] for item in self.call("GET", f"api/contents/{path}").json()["content"]]

    def read_text(self, path: str) -> str:
        return self.call("GET", f"api/contents/{path}", params={"content": 1, "type": "file",
                                                               "format": "text"}).json()["content"]

    # ------------------------------------------------ a kernel
    def run_code(self, code: str, timeout: float = 120) -> str:
        """Run code in a new kernel of this learner's server; return what it printed."""
        kernel = self.call("POST", "api/kernels", json={"name": "python3"}).json()["id"]
        try:
            return asyncio.run(self._execute(kernel, code, timeout))
        finally:
            self.http.delete(self.base + f"api/kernels/{kernel}", timeout=60)

    async def _execute(self, kernel: str, code: str, timeout: float) -> str:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        url = self.base.replace("http://", "ws://") + f"api/kernels/{kernel}/channels"
        connection = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {self.token}"},
                                                         connect_timeout=timeout, request_timeout=timeout))
        msg_id = uuid.uuid4().hex
        connection.write_message(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": self.name,
                       "session": uuid.uuid4().hex, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        printed, error = [], None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            raw = await asyncio.wait_for(connection.read_message(), timeout=deadline - time.monotonic())
            if raw is None:
                raise HubError(f"{self.name}: the kernel's connection closed")
            message = json.loads(raw)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = message["header"]["msg_type"]
            if kind == "stream":
                printed.append(message["content"]["text"])
            elif kind == "error":
                error = f"{message['content']['ename']}: {message['content']['evalue']}"
            elif kind == "status" and message["content"]["execution_state"] == "idle":
                break
        connection.close()
        if error:
            raise HubError(f"{self.name}: the code raised {error}")
        return "".join(printed)


class Facilitator:
    """The facilitator's commands, run as their system login in their course folder."""

    def __init__(self, settings: HubSettings):
        self.settings = settings
        self.login = pwd.getpwnam(settings.facilitator)

    def env(self) -> dict[str, str]:
        from .spawner import facilitator_env

        return {"HOME": self.login.pw_dir, "USER": self.login.pw_name, "LANG": "C.UTF-8",
                "PATH": f"{self.settings.runtime_bin}:/usr/bin:/bin", **facilitator_env(self.settings)}

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(list(command), cwd=self.settings.facilitator_course, env=self.env(),
                                user=self.login.pw_uid, group=self.login.pw_gid, extra_groups=[],
                                capture_output=True, text=True, timeout=1800)
        if check and result.returncode != 0:
            raise HubError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout[-2000:]}"
                           f"\n{result.stderr[-2000:]}")
        return result

    def toolkit(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run(str(self.settings.runtime_bin / "toolkit-course"), *args, check=check)

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess:
        return self.run(str(self.settings.runtime_bin / "nbgrader"), *args)

    @property
    def workspace(self) -> Path:
        return self.settings.facilitator_course / "grading-workspace"

    def fill_hand_grades(self, csv_name: str, score: float) -> int:
        """Give every row of a `handgrade --template` CSV this score, as a facilitator would in a spreadsheet."""
        import csv

        path = self.settings.facilitator_course / csv_name
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            row["score"], row["comment"] = f"{score:g}", "Marked in the hub test."
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["learner"])
            writer.writeheader()
            writer.writerows(rows)
        return len(rows)

    def write_roster(self, learners: list[str]) -> Path:
        path = self.settings.facilitator_course / "learners.csv"
        rows = ["id,name,email,sex,role"] + [f"{name},Learner {name},{name}@example.org,,learner"
                                             for name in learners]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        os.chown(path, self.login.pw_uid, self.login.pw_gid)
        return path


def remove_logins(prefix: str, group: str | None = None) -> list[str]:
    """Every login whose name starts with prefix, with its processes, home and cgroup (tests and bench)."""
    from .spawner import release_cgroup

    removed = [entry.pw_name for entry in pwd.getpwall() if entry.pw_name.startswith(prefix)]
    for name in removed:
        system.remove_user(name)
        release_cgroup(name)
    if group:
        try:
            system.run_account_command(["groupdel", group])
        except RuntimeError:
            pass  # not there
    return removed
