"""Subcommand of `toolkit-course`: workshop-report; see register()."""

from __future__ import annotations

import sys
from pathlib import Path

from .cli_common import WORKSPACE_HELP
from .report_cli import min_group_size

DEFAULT_PRE, DEFAULT_POST = "pre-test", "post-test"


def _workspace(args) -> Path:
    from .layout import course_root, workspace_for

    return Path(args.workspace).resolve() if args.workspace else workspace_for(args.course or course_root())


def _read_inputs(args, workspace: Path):
    """Every input, each read on its own: all problems are reported together, not just the first."""
    from . import roster as roster_file
    from . import workshop_inputs as inputs
    from .workshop_report import WorkshopData

    problems: list[str] = []
    roster_path = args.roster or roster_file.roster_copy_in(workspace)
    try:
        people = roster_file.read_roster(roster_path)
    except roster_file.RosterError as error:
        print(f"error: {error}", file=sys.stderr)
        if not args.roster:
            print("give the roster with --roster, or register it with `toolkit-course roster`", file=sys.stderr)
        return None
    data = WorkshopData(people, title=args.title, threshold=args.min_group_size, comments_cleared=args.comments_cleared)
    participant_ids = {p.id for p in people if p.is_learner}

    def attempt(read):
        try:
            return read()
        except inputs.WorkshopInputError as error:
            problems.append(str(error))
            return None

    if args.scores:
        data.scores = attempt(lambda: inputs.read_scores_csv(args.scores, participant_ids, args.max_score))
    elif not args.no_scores:
        data.scores = attempt(lambda: inputs.scores_from_gradebook(args.course, workspace, roster_path,
                                                                   args.pre_test, args.post_test))
    if args.evaluations:
        data.evaluations = attempt(lambda: inputs.read_evaluations(args.evaluations))
    if args.agenda:
        data.agenda = attempt(lambda: inputs.read_agenda(args.agenda))
    register = args.certificates or workspace / "certificates" / "register.jsonl"
    data.certified = attempt(lambda: inputs.certified_ids(register))
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return None if problems else data


def _workshop_report(args) -> int:
    from . import workshop_report

    workspace = _workspace(args)
    data = _read_inputs(args, workspace)
    if data is None:
        print("no report written: fix the file(s) above and run the command again", file=sys.stderr)
        return 2
    html = Path(args.out or workspace / "reports" / "workshop-report.html")
    workshop_report.write_html(data, html)
    print(f"wrote {html}")
    if not args.no_pdf:
        from ..print_pdf import PrintError

        try:
            pdf = workshop_report.write_pdf(html, html.with_suffix(".pdf"))
        except (PrintError, RuntimeError) as error:
            print(f"error: the PDF could not be made: {error}", file=sys.stderr)
            return 1
        print(f"wrote {pdf}")
    return 0


def _max_score(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def register(subparsers) -> None:
    """Add this group's subcommands to the `toolkit-course` parser."""
    parser = subparsers.add_parser(
        "workshop-report", help="write the workshop report for a donor (HTML and PDF): participation, learning gain, "
        "evaluations, certificates, agenda; aggregates only, small groups hidden")
    parser.add_argument("--workspace", type=Path, help=WORKSPACE_HELP)
    parser.add_argument("--course", type=Path, help="course folder holding nbgrader_config.py (default: this checkout)")
    parser.add_argument("--roster", type=Path, help="roster CSV (default: the roster registered in the workspace)")
    parser.add_argument("--scores", type=Path, help="pre/post-test scores as a CSV with columns learner,pre,post "
                        "(default: read the two tests from the gradebook)")
    parser.add_argument("--max-score", type=_max_score, default=100.0, metavar="POINTS",
                        help="the tests' maximum score in the --scores CSV (default: 100, i.e. percentages)")
    parser.add_argument("--pre-test", default=DEFAULT_PRE, metavar="SLUG",
                        help=f"the pre-test's assignment in the gradebook (default: {DEFAULT_PRE})")
    parser.add_argument("--post-test", default=DEFAULT_POST, metavar="SLUG",
                        help=f"the post-test's assignment in the gradebook (default: {DEFAULT_POST})")
    parser.add_argument("--no-scores", action="store_true", help="no pre/post-test in this workshop")
    parser.add_argument("--evaluations", type=Path,
                        help="evaluation forms as a CSV with columns relevance,quality,confidence,comment")
    parser.add_argument("--comments-cleared", action="store_true",
                        help="quote the evaluation comments in the report: only after you have read every one and "
                        "made sure none names or describes a person (default: comments are only counted)")
    parser.add_argument("--agenda", help="the agenda delivered: a YAML or text file, or the name of an agenda "
                        "in content/workshops/agendas/ (e.g. one-day)")
    parser.add_argument("--certificates", type=Path,
                        help="certificate register (default: <workspace>/certificates/register.jsonl, if present)")
    parser.add_argument("--title", default="Workshop report", help="the report's title")
    parser.add_argument("--min-group-size", type=min_group_size, default=5, metavar="N",
                        help="counts and groups smaller than N are shown as '<N' (default: 5)")
    parser.add_argument("--out", type=Path,
                        help="HTML file (default: <workspace>/reports/workshop-report.html); the PDF goes next to it")
    parser.add_argument("--no-pdf", action="store_true", help="write only the HTML")
    parser.set_defaults(run=_workshop_report)
