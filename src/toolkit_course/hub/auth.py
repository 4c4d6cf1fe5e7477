"""Who may log in: native accounts for a workshop, or LTI 1.3 launches from Moodle or Canvas.

Both make a system login for each new learner (JupyterHub's LocalAuthenticator, with
the command from system.add_user_command), because each learner's server runs as their
own login. nbgrader then knows each learner by that login name.
"""

from __future__ import annotations

import hashlib
import re

from jupyterhub.auth import LocalAuthenticator
from ltiauthenticator.lti13.auth import LTI13Authenticator
from nativeauthenticator import NativeAuthenticator

# A system login: lower case letters, digits and '-', starting with a letter, at most 32 characters.
_LOGIN = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


def system_login(name: str, prefix: str = "lti-") -> str:
    """A safe system login for any LMS identity (an opaque id or an e-mail address).

    Keeps readable parts, and adds a short hash so two identities never share a login.
    """
    name = name.strip().lower()
    if _LOGIN.match(name):
        return name
    readable = re.sub(r"[^a-z0-9]+", "-", name.split("@")[0]).strip("-")[:16] or "user"
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{prefix}{readable}-{digest}"[:32]


class _SystemLogins(LocalAuthenticator):
    """Make the learner's login with system.ensure_user (retries while /etc/passwd is locked; home 0700)."""

    def add_system_user(self, user):
        from .system import ensure_user

        ensure_user(user.name, list(self.add_user_cmd))


class LocalNativeAuthenticator(_SystemLogins, NativeAuthenticator):
    """Native accounts (sign-up, then the facilitator approves), each given a system login."""

    def normalize_username(self, username):
        return super().normalize_username(username).lower()


class LocalLTI13Authenticator(_SystemLogins, LTI13Authenticator):
    """LTI 1.3 launches from the LMS; each LMS user gets a system login made from their identity."""

    def normalize_username(self, username):
        return system_login(super().normalize_username(username))


AUTHENTICATORS = {"native": LocalNativeAuthenticator, "lti13": LocalLTI13Authenticator}
