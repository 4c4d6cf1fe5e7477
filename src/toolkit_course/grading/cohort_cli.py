"""Subcommand of `toolkit-course`: cohort, which shows or sets this workshop's settings (cohort.yaml); see register()."""

from __future__ import annotations

import argparse
import sys

from .cli_common import WORKSPACE_HELP

# `--modules submitted` goes back to the default: the modules that have submissions.
SUBMITTED = "submitted"


def _slug(text: str, assessed: list[str]) -> str:
    """A module slug from what a facilitator types: the slug itself, or its number ("1", "01")."""
    if text in assessed:
        return text
    if text.isdigit():
        for slug in assessed:
            if slug[:2] == f"{int(text):02d}":
                return slug
    raise ValueError(f"--modules: '{text}' is not an assessed module; give a slug or a number, "
                     f"e.g. {assessed[1] if len(assessed) > 1 else assessed[0]} or 01; choose from "
                     f"{', '.join(assessed)}")


def _cohort(args: argparse.Namespace) -> int:
    from .. import content
    from . import cohort_settings as settings_file
    from .jobs import submitted_slugs
    from .layout import layout

    where = layout(workspace=args.workspace)
    assessed = content.assessed_slugs()
    try:
        settings = settings_file.load_settings(where)
        if args.modules is not None or args.show_correct_answers is not None:
            modules = settings.modules
            if args.modules is not None:
                modules = (None if args.modules == [SUBMITTED]
                           else tuple(dict.fromkeys(_slug(text, assessed) for text in args.modules)))
            show = settings.show_correct_answers if args.show_correct_answers is None \
                else args.show_correct_answers == "yes"
            settings = settings_file.CohortSettings(modules=modules, show_correct_answers=show)
            print(f"wrote {settings_file.save_settings(where, settings)}")
    except ValueError as error:  # CohortSettingsError is one too
        print(f"error: {error}", file=sys.stderr)
        return 2
    path = settings_file.settings_path(where)
    print(f"settings file: {path}" + ("" if path.exists() else " (not written yet: these are the defaults)"))
    modules = settings_file.cohort_modules(settings, submitted_slugs(where, assessed))
    if settings.modules:
        print("modules: set in the settings file:")
    else:
        print(f"modules: not set, so the modules that have submissions in {where.submitted}"
              + (":" if modules else ": none yet"))
    for slug in modules:
        print(f"  {slug}  ({content.module_title(slug)})")
    print(f"show correct answers in feedback: {'yes' if settings.show_correct_answers else 'no'}")
    return 0


def register(subparsers) -> None:
    """Add this group's subcommands to the `toolkit-course` parser."""
    parser = subparsers.add_parser(
        "cohort", help="show or set this workshop's modules and feedback settings (cohort.yaml in the workspace)",
        description="With no options: show the settings. Every grading command (autograde, feedback, export, "
                    "report, certify) uses the cohort's modules.")
    parser.add_argument("--modules", nargs="+", metavar="SLUG",
                        help="the modules this workshop covers, by slug or number (e.g. 01); "
                             f"'{SUBMITTED}': the modules that have submissions (the default)")
    parser.add_argument("--show-correct-answers", choices=("yes", "no"),
                        help="whether feedback pages show the right answer to a question a learner missed "
                             "(say no if the items will be reused in a later certifying cohort)")
    parser.add_argument("--workspace", help=WORKSPACE_HELP)
    parser.set_defaults(run=_cohort)
