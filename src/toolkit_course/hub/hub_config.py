"""The JupyterHub configuration of the course's shared server. The generated jupyterhub_config.py calls configure().

Hub API tokens and their scopes (JupyterHub's names), and why:

* idle-culler (a hub service): list:users, read:users:activity, read:servers,
  delete:servers. It lists servers, reads when each was last used, and stops the idle
  ones. It cannot read files, start servers, or act as a user.
* each learner's and the facilitator's own server: JupyterHub's default for a
  single-user server (access to that one server, read its own user's name). nbgrader
  needs nothing more here: with one course per hub, nbgrader's default NoAuthPlugin
  takes every login as a student, and the exchange is a shared folder, not an API.
  If you host several courses on one hub with nbgrader's JupyterHubAuthPlugin, the
  facilitator's server token additionally needs list:groups, read:groups,
  admin:groups and groups (nbgrader creates and fills the groups
  "nbgrader-<course>" and "formgrade-<course>"), and read:users:groups (it reads a
  student's groups to list their courses). We do not grant these.
* course-admin (tests and bench only, when settings.admin_token_file is set):
  admin:users (create learners' accounts, and so their system logins), admin:servers
  (start and stop their servers), tokens (give each simulated learner a token of their
  own), access:servers. `make hub` never creates it: people log in through the login page.
"""

from __future__ import annotations

from pathlib import Path

from .auth import AUTHENTICATORS
from .settings import load
from .system import add_user_command

IDLE_CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]
ADMIN_SERVICE_SCOPES = ["admin:users", "admin:servers", "tokens", "access:servers", "list:users", "read:users"]
LTI_KEYS = ("client_id", "issuer", "authorize_url", "jwks_endpoint", "username_key")


def configure(c, settings_file: str | Path) -> None:
    course = load(settings_file)
    state = course.state_dir
    c.JupyterHub.ip = course.ip
    c.JupyterHub.port = course.port
    # The hub's own API and the proxy's API stay on loopback, beside the public port.
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = course.port + 1
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{course.port + 2}"
    c.ConfigurableHTTPProxy.command = [course.proxy()]
    c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    # A restart of the hub (an update, a crash) leaves learners' servers and their work running.
    c.JupyterHub.cleanup_servers = False

    c.JupyterHub.spawner_class = "toolkit_course.hub.spawner.CourseSpawner"
    c.CourseSpawner.settings_file = str(Path(settings_file))
    c.Spawner.cmd = [str(course.runtime_bin / "python"), "-m", "jupyterhub.singleuser"]
    c.Spawner.default_url = "/lab"
    c.Spawner.mem_limit = course.mem_limit
    c.Spawner.cpu_limit = course.cpu_limit
    # A small server with many learners starting at once is slow; waiting is better than failing.
    c.Spawner.start_timeout = 180
    c.Spawner.http_timeout = 180

    authenticator = AUTHENTICATORS[course.auth]
    c.JupyterHub.authenticator_class = authenticator
    c.LocalAuthenticator.create_system_users = True
    c.LocalAuthenticator.add_user_cmd = add_user_command(course)
    c.SystemLogins.learner_group = course.learner_group
    c.SystemLogins.facilitator = course.facilitator
    c.Authenticator.admin_users = {course.facilitator}
    # Who may log in is decided by the facilitator's approval (native) or by the LMS (LTI).
    c.Authenticator.allow_all = True
    if course.auth == "lti13":
        _configure_lti(c, course.lti)

    services = [{"name": "idle-culler",
                 "command": [str(course.venv_bin / "python"), "-m", "jupyterhub_idle_culler",
                             f"--timeout={course.idle_timeout}", "--cull-every=300"]}]
    roles = [{"name": "idle-culler", "scopes": IDLE_CULLER_SCOPES, "services": ["idle-culler"]}]
    if course.admin_token_file:
        services.append({"name": "course-admin",
                         "api_token": Path(course.admin_token_file).read_text(encoding="utf-8").strip()})
        roles.append({"name": "course-admin", "scopes": ADMIN_SERVICE_SCOPES, "services": ["course-admin"]})
    c.JupyterHub.services = services
    c.JupyterHub.load_roles = roles


def _configure_lti(c, lti: dict) -> None:
    missing = [key for key in LTI_KEYS[:4] if not lti.get(key)]
    if missing:
        raise ValueError(f"LTI 1.3 settings are missing {', '.join(missing)} (see deploy/lti13.example.yaml)")
    c.LTI13Authenticator.client_id = set(lti["client_id"] if isinstance(lti["client_id"], list)
                                         else [lti["client_id"]])
    c.LTI13Authenticator.issuer = lti["issuer"]
    c.LTI13Authenticator.authorize_url = lti["authorize_url"]
    c.LTI13Authenticator.jwks_endpoint = lti["jwks_endpoint"]
    c.LTI13Authenticator.username_key = lti.get("username_key", "sub")
    c.LocalLTI13Authenticator.facilitator_identity = str(lti.get("facilitator_identity") or "")
