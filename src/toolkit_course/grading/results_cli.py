"""Subcommands of `toolkit-course`: feedback, export; see register()."""

from __future__ import annotations

from pathlib import Path

from .cli_common import friendly_errors, grading_options, load_cohort, workspace_of


@friendly_errors
def _feedback(args) -> int:
    from . import feedback

    cohort = load_cohort(args)
    written = feedback.write_feedback(cohort, args.out, args.learner or None)
    named = [path for path in written if path.name.endswith("-feedback.html")]  # one per learner and module
    pages = "page" if len(named) == 1 else "pages"
    if args.out:
        print(f"wrote {len(named)} feedback {pages} to {args.out}")
    else:
        folder = feedback.default_folder(cohort, "<learner id>", "<module>").parent.parent
        print(f"wrote {len(named)} feedback {pages} to {folder}")
        print("  to send by e-mail: <learner id>/<learner id>-<module>-feedback.html")
        print("  on a shared server, hand them out with: nbgrader release_feedback <module>")
    if feedback.shows_correct_answers(cohort):
        print("the pages show the right answers (to hide them: toolkit-course cohort --show-correct-answers no)")
    else:
        print("the pages do not show the right answers (the cohort's setting)")
    return 0


@friendly_errors
def _export(args) -> int:
    from . import export

    cohort = load_cohort(args)
    for path in export.write_exports(cohort, args.out or workspace_of(cohort) / "exports"):
        print(f"wrote {path}")
    return 0


def register(subparsers) -> None:
    """Add this group's subcommands to the `toolkit-course` parser."""
    parser = subparsers.add_parser("feedback", help="write one HTML feedback page per learner and module")
    grading_options(parser)
    parser.add_argument("--learner", action="append", metavar="ID", help="only this learner (repeatable)")
    parser.add_argument("--out", type=Path, help="folder for the pages (default: nbgrader's feedback folder)")
    parser.set_defaults(run=_feedback)

    parser = subparsers.add_parser("export", help="write grade CSVs: per module, overall, Moodle and Canvas")
    grading_options(parser)
    parser.add_argument("--out", type=Path, help="folder for the CSV files (default: <workspace>/exports)")
    parser.set_defaults(run=_export)
