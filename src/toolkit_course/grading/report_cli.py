"""Subcommand of `toolkit-course`: report; see register()."""

from __future__ import annotations

from pathlib import Path

from .cli_common import friendly_errors, grading_options, load_cohort, workspace_of


@friendly_errors
def _report(args) -> int:
    cohort = load_cohort(args)
    if args.summary:
        from . import summary_report

        path = summary_report.write_summary(
            cohort, args.out or workspace_of(cohort) / "reports" / "summary-report.html", args.min_group_size)
    else:
        from . import cohort_report

        path = cohort_report.write_report(cohort, args.out or workspace_of(cohort) / "reports" / "cohort-report.html")
    print(f"wrote {path}")
    return 0


def min_group_size(text: str) -> int:
    """argparse type: a group size of at least 1."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def register(subparsers) -> None:
    """Add this group's subcommands to the `toolkit-course` parser."""
    parser = subparsers.add_parser("report", help="write the cohort report (HTML with charts); --summary for a donor")
    grading_options(parser)
    parser.add_argument("--summary", action="store_true",
                        help="write the anonymous summary instead (no names, ids or e-mails; small groups hidden), "
                        "which may be shared, e.g. with a donor")
    parser.add_argument("--min-group-size", type=min_group_size, default=5, metavar="N",
                        help="in the summary, counts and groups smaller than N are shown as '<N' (default: 5)")
    parser.add_argument("--out", type=Path, help="report file (default: <workspace>/reports/cohort-report.html, "
                        "or summary-report.html with --summary)")
    parser.set_defaults(run=_report)
