"""Stop early when the grading workspace holds files the current user cannot change.

After `sudo toolkit-course autograde`, the graded copies, the gradebook and the bookkeeping
belong to root. The facilitator's next ordinary run would then fail half-way, with a
permission error from deep inside nbgrader. check_writable() finds this before anything
is graded and says how to give the files back. As root it finds nothing (root may write
anything), so it never stops an administrator.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from .layout import Layout

SHOWN = 3  # paths named in the message; the rest are counted


class WorkspaceAccessError(ValueError):
    """The workspace holds files this user cannot write; the message says how to fix it."""


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"user id {uid}"


def _blocked(path: Path, is_dir: bool) -> bool:
    # A folder must let us add and remove entries. A file we own but made read-only is ours to
    # change back; a file someone else owns and we may not write is what sudo leaves behind.
    if is_dir:
        return not os.access(path, os.W_OK | os.X_OK)
    return not os.access(path, os.W_OK) and path.lstat().st_uid != os.geteuid()


def unwritable(where: Layout) -> list[Path]:
    """Every folder and file in the workspace that this user cannot change (links are not followed)."""
    found = []
    if _blocked(where.workspace, True):
        found.append(where.workspace)
    for folder, subfolders, files in os.walk(where.workspace, followlinks=False):
        base = Path(folder)
        found += [base / name for name in subfolders if not (base / name).is_symlink() and _blocked(base / name, True)]
        found += [base / name for name in files if not (base / name).is_symlink() and _blocked(base / name, False)]
    return found


def check_writable(where: Layout) -> None:
    blocked = unwritable(where)
    if not blocked:
        return
    me = _user(os.geteuid())
    owners = sorted({_user(path.lstat().st_uid) for path in blocked})
    examples = ", ".join(str(path) for path in blocked[:SHOWN]) + (
        f" and {len(blocked) - SHOWN} more" if len(blocked) > SHOWN else "")
    raise WorkspaceAccessError(
        f"{where.workspace}: {len(blocked)} file(s) or folder(s) here belong to {', '.join(owners)} and you "
        f"({me}) cannot change them: {examples}. This happens after a command was run with sudo. "
        "Ask your administrator (or use sudo once) to give them back with:\n"
        f"    sudo chown -R {me} {where.workspace}\n"
        "Then run the command again without sudo.")
