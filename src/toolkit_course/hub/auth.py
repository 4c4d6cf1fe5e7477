"""Who may log in: native accounts for a workshop, or LTI 1.3 launches from Moodle or Canvas.

Both make a system login for each new learner (JupyterHub's LocalAuthenticator, with
the command from system.add_user_command), because each learner's server runs as their
own login. nbgrader then knows each learner by that login name.
"""

from __future__ import annotations

import grp
import hashlib
import pwd
import re

from jupyterhub.auth import LocalAuthenticator
from ltiauthenticator.lti13.auth import LTI13Authenticator
from nativeauthenticator import NativeAuthenticator
from traitlets import Unicode

# A system login: lower case letters, digits and '-', starting with a letter, at most 32 characters.
_LOGIN = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


def system_login(name: str, prefix: str = "lti-") -> str:
    """A safe system login for any LMS identity (an opaque id or an e-mail address).

    Always prefixed, so an identity can never name an account the system already has ("root",
    "daemon"), and with a short hash of the whole identity, so two identities never share a login.
    """
    name = name.strip().lower()
    readable = re.sub(r"[^a-z0-9]+", "-", name.split("@")[0]).strip("-")[:16] or "user"
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{prefix}{readable}-{digest}"[:32]


def taken_by_another_account(name: str, facilitator: str, learner_group: str) -> bool:
    """Whether name is a system account that is neither the facilitator nor one of the course's learners.

    Each hub name runs its server as the system account of that name. Without this check a learner
    who signs up as "root", "daemon" or a staff member's own login, once approved, would run as them.
    """
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False  # not made yet: the hub makes it, in the learners' group, at the first login
    if name == facilitator:
        return False
    try:
        return name not in grp.getgrnam(learner_group).gr_mem
    except KeyError:
        return True


class SystemLogins(LocalAuthenticator):
    """Each hub name is a system login: only safe names, never another account's, made by system.ensure_user."""

    learner_group = Unicode("toolkit-learners", config=True, help="the system group every learner is in")
    facilitator = Unicode("facilitator", config=True, help="the facilitator's login")

    def validate_username(self, username):
        return (super().validate_username(username) and bool(_LOGIN.match(username))
                and not taken_by_another_account(username, self.facilitator, self.learner_group))

    def add_system_user(self, user):
        # (ensure_user retries while /etc/passwd is locked, and makes the home 0700.)
        from .system import ensure_user

        ensure_user(user.name, list(self.add_user_cmd))


class LocalNativeAuthenticator(SystemLogins, NativeAuthenticator):
    """Native accounts (sign-up, then the facilitator approves), each given a system login."""

    def normalize_username(self, username):
        return super().normalize_username(username).lower()


class LocalLTI13Authenticator(SystemLogins, LTI13Authenticator):
    """LTI 1.3 launches from the LMS; each LMS user gets a system login made from their identity.

    The identity (the claim username_key names) is turned into a login once, here, as it arrives:
    system_login() for learners, and the facilitator's login for the one identity the settings
    name as the facilitator's. (Not in normalize_username: JupyterHub also normalizes names that
    are already logins, such as admin_users, and the mapping must not be applied twice.)
    """

    facilitator_identity = Unicode("", config=True,
                                   help="the facilitator's identity in the LMS (the username_key claim)")

    def get_username(self, token):
        identity = super().get_username(token).strip().lower()
        if self.facilitator_identity and identity == self.facilitator_identity.strip().lower():
            return self.facilitator
        return system_login(identity)


AUTHENTICATORS = {"native": LocalNativeAuthenticator, "lti13": LocalLTI13Authenticator}
