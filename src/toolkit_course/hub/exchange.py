"""nbgrader's file exchange, with permissions that keep learners out of each other's work.

nbgrader's stock exchange wants its root folder world-writable (release_assignment
even chmods it to 0777) and makes every submission folder 0777 "so the instructor can
delete it later". On a shared server that lets learners read or change each other's
submissions once they learn a folder's name. The hub lays the folders out instead
(system.py, as root) and these subclasses of nbgrader's own exchange classes only
check them and keep them that way:

  <root>/                        root:root              0755
  <root>/<course>/               facilitator:learners   2750  (other logins: nothing)
  <root>/<course>/outbound/      facilitator:learners   2750  released assessments, read-only to learners
  <root>/<course>/inbound/       facilitator:learners   3730  learners may add, not list; sticky
  <root>/<course>/feedback/      facilitator:learners   2710  learners may open a page whose name they know

The setgid bit (the 2) gives whatever is made inside the learners' group, whoever makes
it: the facilitator is not in that group, yet learners must read what they release.

factory_config() wraps whichever exchange class the course's nbgrader_config.py chose for
each action (nbgrader's own, or the course's checked Collect and Release Feedback) with
these rules, so the hub adds to the course's exchange rather than replacing it.

A submission folder is made by the learner inside inbound/. Its group is the learners'
group (setgid on inbound/), and Submit sets it to 0705 and its files to 0604: the
owner reads and writes, members of the learners' group get NOTHING (Unix checks the
group before "others"), and the facilitator, who owns the course folder and is not in
the learners' group, reads it as "others". Logins outside the course cannot reach
inbound/ at all (the course folder is 0750).

Feedback pages are named by a hash of the learner's submission secret (nbgrader's
own scheme), which only the learner and the facilitator can read, and feedback/ cannot
be listed; so a learner can open their own page and cannot find anyone else's.
"""

from __future__ import annotations

import glob
import os
from importlib import import_module

from nbgrader.utils import check_directory

SUBMISSION_DIR_MODE = 0o705
SUBMISSION_FILE_MODE = 0o604
RELEASED_DIR_MODE = 0o750
RELEASED_FILE_MODE = 0o640
FEEDBACK_FILE_MODE = 0o640
SECRET = "submission_secret.txt"

# nbgrader's own class for each exchange action; the course's nbgrader_config.py may name others.
NBGRADER_CLASSES = {
    "fetch_assignment": "nbgrader.exchange.default.fetch_assignment.ExchangeFetchAssignment",
    "fetch_feedback": "nbgrader.exchange.default.fetch_feedback.ExchangeFetchFeedback",
    "list": "nbgrader.exchange.default.list.ExchangeList",
    "collect": "nbgrader.exchange.default.collect.ExchangeCollect",
    "submit": "nbgrader.exchange.default.submit.ExchangeSubmit",
    "release_assignment": "nbgrader.exchange.default.release_assignment.ExchangeReleaseAssignment",
    "release_feedback": "nbgrader.exchange.default.release_feedback.ExchangeReleaseFeedback",
}


class CheckedRoot:
    """Check the exchange root is there and reachable; never chmod it (nbgrader's wants it 0777)."""

    def ensure_root(self):
        if not check_directory(self.root, read=True, execute=True):
            self.fail(f"The exchange folder {self.root} is missing or not readable; ask the facilitator "
                      "(the hub's administrator sets it up with `make hub`)")


class PrivateSubmission:
    def copy_files(self):
        super().copy_files()
        # nbgrader has just made the folder 0777; nobody can list inbound/ to find it in the meantime.
        # Every entry gets the learners' group (files nbgrader writes after copying would otherwise
        # carry the learner's own group, and so be readable by other learners as "others").
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        learners_group = os.stat(self.inbound_path).st_gid
        for folder, _dirs, files in os.walk(dest):
            for name in [*files, "."]:
                os.chown(os.path.join(folder, name), -1, learners_group, follow_symlinks=False)
        self.set_perms(dest, fileperms=SUBMISSION_FILE_MODE, dirperms=SUBMISSION_DIR_MODE)


class ReadOnlyRelease:
    def copy_files(self):
        super().copy_files()
        self.set_perms(self.dest_path, fileperms=RELEASED_FILE_MODE, dirperms=RELEASED_DIR_MODE)


class AddressedFeedback:
    """Give each feedback page the secret of the submission it grades, then release, then close the pages.

    nbgrader addresses a page by the submission's secret, which `toolkit-course collect --exchange`
    does not carry into submitted/. The graded copy's timestamp.txt names the submission that was
    graded, so its secret is read from that submission's folder in inbound/ (the facilitator can
    read it), and both are put beside the page, where nbgrader's release_feedback reads them.
    """

    def copy_files(self):
        self.find_secrets()
        super().copy_files()
        for name in os.listdir(self.dest_path):
            path = os.path.join(self.dest_path, name)
            if os.path.isfile(path) and not os.path.islink(path):
                os.chmod(path, FEEDBACK_FILE_MODE)

    def find_secrets(self):
        inbound = os.path.join(self.root, self.coursedir.course_id, "inbound")
        assignment = self.coursedir.assignment_id
        for folder in glob.glob(self.src_path):
            learner = os.path.basename(os.path.dirname(folder))
            stamp = self._graded_timestamp(folder, learner)
            if stamp is None or os.path.exists(os.path.join(folder, SECRET)):
                continue
            found = glob.glob(os.path.join(glob.escape(inbound), glob.escape(f"{learner}+{assignment}+{stamp}") + "*"))
            if len(found) == 1 and os.path.isfile(os.path.join(found[0], SECRET)):
                with open(os.path.join(found[0], SECRET), encoding="utf-8") as source:
                    secret = source.read()
                with open(os.path.join(folder, SECRET), "w", encoding="utf-8") as target:
                    target.write(secret)

    def _graded_timestamp(self, folder: str, learner: str) -> str | None:
        """The time of the submission that was graded: beside the page, or in the autograded copy (then copied)."""
        beside = os.path.join(folder, "timestamp.txt")
        graded = os.path.join(self.coursedir.format_path(self.coursedir.autograded_directory, learner,
                                                         self.coursedir.assignment_id), "timestamp.txt")
        for path in (beside, graded):
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as handle:
                    stamp = handle.read().strip()
                if path != beside:
                    with open(beside, "w", encoding="utf-8") as handle:
                        handle.write(stamp)  # nbgrader's release_feedback reads it there
                return stamp
        return None


MIXINS = {"submit": (PrivateSubmission,), "release_assignment": (ReadOnlyRelease,),
          "release_feedback": (AddressedFeedback,)}


def _load(name_or_class):
    if isinstance(name_or_class, str):
        module, _, name = name_or_class.rpartition(".")
        return getattr(import_module(module), name)
    return name_or_class


def factory_config(c) -> None:
    """Wrap the exchange class configured for each action (nbgrader's, or the course's) with the hub's rules."""
    for action, default in NBGRADER_CLASSES.items():
        base = _load(c.ExchangeFactory.get(action, default))
        if issubclass(base, CheckedRoot):
            continue
        wrapped = type(f"Hub{base.__name__}", (CheckedRoot, *MIXINS.get(action, ()), base), {"__module__": __name__})
        setattr(c.ExchangeFactory, action, wrapped)


def config_lines(exchange_root: str, course_id: str) -> str:
    """The nbgrader_config.py lines that put a course on this exchange (after the course's own settings)."""
    return (f"c.CourseDirectory.course_id = {course_id!r}\n"
            f"c.Exchange.root = {exchange_root!r}\n"
            "from toolkit_course.hub.exchange import factory_config\n"
            "factory_config(c)\n")
