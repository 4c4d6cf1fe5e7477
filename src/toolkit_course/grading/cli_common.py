"""What the grading command groups share: their common options and one way to report bad input.

Nothing heavy is imported here or at the top of any *_cli module: `toolkit-course --help`
must answer at once, so nbgrader, matplotlib and the PDF library load only when a command runs.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

WORKSPACE_HELP = "grading workspace (default: $TOOLKIT_GRADING_WORKSPACE or grading-workspace/)"


def friendly_errors(run):
    """Bad input ends with one line naming the file and the problem, and exit code 2."""
    @functools.wraps(run)
    def wrapper(args) -> int:
        from . import certificates, results
        from .cohort_settings import CohortSettingsError
        from .roster import RosterError

        try:
            return run(args)
        except (results.ResultsError, RosterError, certificates.CertificateError, CohortSettingsError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    return wrapper


def grading_options(parser) -> None:
    parser.add_argument("--roster", type=Path, help="roster CSV (id, name, email, role, optional sex); "
                        "default: the roster last registered in the workspace")
    parser.add_argument("--module", action="append", metavar="SLUG",
                        help="only this module (repeatable); default: the cohort's modules "
                        "(see `toolkit-course cohort`)")
    parser.add_argument("--workspace", type=Path, help=WORKSPACE_HELP)
    parser.add_argument("--course", type=Path, help="course folder holding nbgrader_config.py (default: this checkout)")


def load_cohort(args):
    from . import results

    return results.load_cohort(args.course, args.workspace, args.roster, args.module or None)


def workspace_of(cohort) -> Path:
    from . import results

    return results.gradebook_path(cohort.coursedir).parent
