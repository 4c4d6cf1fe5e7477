"""Subcommands of `toolkit-course`: roster, collect, autograde. See register()."""

from __future__ import annotations

import argparse
import shlex
import sys

from .cli_common import WORKSPACE_HELP


def register(subparsers) -> None:
    """Add this group's subcommands to the `toolkit-course` parser."""
    workspace_help = WORKSPACE_HELP

    roster = subparsers.add_parser("roster", help="check a roster CSV and register its learners in the gradebook")
    roster.add_argument("csv", help="CSV with columns id, name, email, role and optionally sex or gender")
    roster.add_argument("--workspace", help=workspace_help)
    roster.set_defaults(run=_roster)

    collect = subparsers.add_parser("collect", help="file returned notebooks (folder or zip), or collect from "
                                                    "nbgrader's exchange, into submitted/")
    source = collect.add_mutually_exclusive_group(required=True)
    source.add_argument("returned", nargs="?", help="folder or zip of notebooks returned by e-mail")
    source.add_argument("--exchange", metavar="MODULE", help="run `nbgrader collect` for this module")
    collect.add_argument("--as", dest="as_learner", metavar="LEARNER_ID",
                         help="file every notebook in RETURNED for this learner: your decision for a notebook "
                              "that collect set aside in to-decide/ (it prints the command to run)")
    collect.add_argument("--exchange-root", help="nbgrader exchange folder (default: nbgrader's)")
    collect.add_argument("--course-id", help="nbgrader course id used in the exchange")
    collect.add_argument("--workspace", help=workspace_help)
    collect.set_defaults(run=_collect)

    grade = subparsers.add_parser("autograde", help="grade submissions with nbgrader and the course's pipeline "
                                                    "(resumable; see nbgrader_config.py)")
    grade.add_argument("modules", nargs="*", help="module slugs (default: the modules handed in, only those of "
                                                  "the cohort if `toolkit-course cohort --modules` set them)")
    grade.add_argument("--workspace", help=workspace_help)
    grade.add_argument("--force", action="store_true", help="regrade submissions that were already graded")
    grade.add_argument("--no-progress", action="store_true", help="no progress bar")
    grade.set_defaults(run=_autograde)


def _roster(args: argparse.Namespace) -> int:
    from . import roster as roster_module
    from .layout import layout

    where = layout(workspace=args.workspace)
    try:
        people = roster_module.read_roster(args.csv)
    except roster_module.RosterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    learners = roster_module.register(people, where, roster_path=args.csv)
    others = len(people) - len(learners)
    print(f"registered {len(learners)} learner(s) in {where.gradebook}; "
          f"{others} other {'person' if others == 1 else 'people'} listed (facilitators, observers)")
    return 0


def _collect(args: argparse.Namespace) -> int:
    from . import collect as collect_module
    from . import roster as roster_module
    from .layout import layout

    where = layout(workspace=args.workspace)
    if args.exchange and args.as_learner:
        print("error: --as files a notebook you name (toolkit-course collect --as LEARNER_ID FILE); it does not "
              "work with --exchange", file=sys.stderr)
        return 2
    if args.exchange:
        result = collect_module.collect_exchange(args.exchange, where, args.exchange_root, args.course_id)
        print(result.stdout + result.stderr, end="")
        for problem in collect_module.misnamed_submissions(where):
            print(f"problem: {problem}", file=sys.stderr)
        return result.returncode
    learners = roster_module.registered_roster(where)
    if not learners:
        print("error: register a roster first (toolkit-course roster learners.csv): collect matches "
              "notebooks to the learners in it", file=sys.stderr)
        return 2
    try:
        report = collect_module.collect_returned(args.returned, where, learners, as_learner=args.as_learner)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    command = collect_module.COMMAND + (f" --workspace {shlex.quote(str(where.workspace))}" if args.workspace else "")
    for line in report.lines(command):
        print(line)
    print(f"{len(report.placed)} placed, {len(report.unchanged)} unchanged, {len(report.set_aside)} set aside, "
          f"{len(report.to_decide)} to decide, {len(report.problems)} not matched; originals kept in {where.returned}")
    return 1 if report.problems or report.to_decide else 0


def _autograde(args: argparse.Namespace) -> int:
    from . import autograde as autograde_module
    from .layout import layout

    where = layout(workspace=args.workspace)
    try:
        report = autograde_module.autograde(where, args.modules or None, force=args.force,
                                            progress=not args.no_progress)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for line in report.lines():
        print(line)
    return 1 if report.errors else 0
