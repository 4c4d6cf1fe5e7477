"""Subcommand of `toolkit-course`: report; see register()."""

from __future__ import annotations

from pathlib import Path

from .cli_common import friendly_errors, grading_options, load_cohort, workspace_of


@friendly_errors
def _report(args) -> int:
    from . import cohort_report

    cohort = load_cohort(args)
    path = cohort_report.write_report(cohort, args.out or workspace_of(cohort) / "reports" / "cohort-report.html")
    print(f"wrote {path}")
    return 0


def register(subparsers) -> None:
    """Add this group's subcommands to the `toolkit-course` parser."""
    parser = subparsers.add_parser("report", help="write the cohort report (HTML with charts)")
    grading_options(parser)
    parser.add_argument("--out", type=Path, help="report file (default: <workspace>/reports/cohort-report.html)")
    parser.set_defaults(run=_report)
