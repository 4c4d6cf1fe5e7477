"""The course's versions of two of nbgrader's exchange steps; nbgrader_config.py puts them in nbgrader's ExchangeFactory.

Collect (Formgrader's Collect button, `nbgrader collect`): nbgrader's own copies every folder of
the exchange's inbound/ into submitted/ as it finds it: it follows links, lets a folder's name
choose where it writes, and trusts the login in that name. CourseCollect runs
collect.collect_exchange instead, with the same checks as `toolkit-course collect --exchange`
(the roster, the folder's owner, no links, limits).

Release Feedback (Formgrader's two buttons, `nbgrader release_feedback`): nbgrader addresses a
page to the learner by the secret their Assignments tab left with the submission, and stops with
a traceback at the first learner without one, such as every learner whose notebook came by
e-mail. CourseReleaseFeedback releases the pages it can address and names the others, whose
pages the facilitator sends by e-mail.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.utils import temp_attrs

SECRET = "submission_secret.txt"  # nbgrader's name for it


class CourseCollect(ExchangeCollect):
    """Collect one module from the exchange with the course's collect; each line of its report is logged."""

    def start(self) -> None:
        from . import collect, results
        from .intake import printable
        from .layout import layout

        coursedir = self.coursedir
        if not coursedir.course_id:
            self.fail("No course id: set CourseDirectory.course_id in nbgrader_config.py")
        where = layout(Path(coursedir.root), results.gradebook_path(coursedir).parent)
        report = collect.collect_exchange(coursedir.assignment_id, where, self.root, coursedir.course_id)
        for line in report.lines():
            self.log.info(printable(line))
        if report.problems or report.to_decide:
            self.log.warning("Some submissions were not collected; the lines above say why.")


class CourseReleaseFeedback(ExchangeReleaseFeedback):
    """Release the feedback pages of submissions that came through the exchange; name the others."""

    def copy_files(self) -> None:
        pages = [Path(page) for page in sorted(glob.glob(os.path.join(self.src_path, "*.html")))]
        without_secret = sorted({page.parent.parent.name for page in pages if not (page.parent / SECRET).is_file()})
        coursedir = self.coursedir
        for learner in without_secret:
            folder = coursedir.format_path(coursedir.feedback_directory, learner, coursedir.assignment_id)
            self.log.info(f"{learner}: not released through the exchange, because the submission came without "
                          f"nbgrader's submission secret (a notebook sent by e-mail never has one). Send the page "
                          f"in {folder} by e-mail.")
        if len(without_secret) == len({page.parent for page in pages}):
            return
        excluded = {name for name in (self.coursedir.student_id_exclude or "").split(",") if name}
        with temp_attrs(self.coursedir, student_id_exclude=",".join(sorted(excluded | set(without_secret)))):
            super().copy_files()
