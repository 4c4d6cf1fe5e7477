"""What one hub is made of, kept as <state folder>/hub-settings.json so the hub, its tests and its bench agree."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

SETTINGS_FILE = "hub-settings.json"
AUTH_CHOICES = ("native", "lti13")


@dataclass
class HubSettings:
    state_dir: Path                      # hub database, cookie secret, generated config; root only
    checkout: Path                       # this course checkout (its .venv is the learners' Python)
    ip: str = "127.0.0.1"
    port: int = 8000
    auth: str = "native"
    course_id: str = "toolkit"
    facilitator: str = "facilitator"     # system login of the nbgrader instructor, also hub admin
    learner_group: str = "toolkit-learners"
    home_base: Path = Path("/home")
    mem_limit: str = "1G"                # per learner, all their processes together (cgroup)
    cpu_limit: float = 1.0               # per learner, in CPU cores (cgroup)
    max_processes: int = 256             # per learner login (RLIMIT_NPROC)
    idle_timeout: int = 3600             # seconds before an idle server is stopped
    lti: dict = field(default_factory=dict)   # LTI 1.3 settings, see deploy/lti13.example.yaml
    admin_token_file: str = ""           # tests and bench only: a service token with admin scopes
    proxy_command: str = ""              # configurable-http-proxy; default deploy/node/...

    @property
    def exchange_root(self) -> Path:
        return self.state_dir / "exchange"

    @property
    def jupyter_config(self) -> Path:
        """Per-role Jupyter config folders (learner/, facilitator/), readable by every login."""
        return self.state_dir / "jupyter"

    @property
    def facilitator_home(self) -> Path:
        return self.home_base / self.facilitator

    @property
    def facilitator_course(self) -> Path:
        return self.facilitator_home / "course"

    @property
    def venv_bin(self) -> Path:
        """The course's own .venv (the hub runs from it, as root)."""
        return Path(sys.executable).parent

    @property
    def runtime_bin(self) -> Path:
        """The Python that learners' and the facilitator's servers run (system.make_runtime)."""
        runtime = self.state_dir / "runtime" / "bin"
        return runtime if runtime.is_dir() else self.venv_bin

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.ip in ("", "0.0.0.0") else self.ip
        return f"http://{host}:{self.port}/"

    def proxy(self) -> str:
        return self.proxy_command or str(self.checkout / "deploy" / "node" / "node_modules" / ".bin"
                                         / "configurable-http-proxy")

    def save(self) -> Path:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        path = self.state_dir / SETTINGS_FILE
        data = {key: str(value) if isinstance(value, Path) else value for key, value in asdict(self).items()}
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        path.chmod(0o600)
        return path


def load(path: Path | str) -> HubSettings:
    path = Path(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    for key in ("state_dir", "checkout", "home_base"):
        data[key] = Path(data[key])
    settings = HubSettings(**data)
    if settings.auth not in AUTH_CHOICES:
        raise ValueError(f"{path}: auth is {settings.auth!r}; choose one of {', '.join(AUTH_CHOICES)}")
    return settings
