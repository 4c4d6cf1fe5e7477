"""Command line: `toolkit-course <command>`."""

from __future__ import annotations

import argparse
import importlib
import sys

# Each group adds its subcommands with register(subparsers). They import nothing heavy at the
# top (nbgrader, matplotlib, the PDF library load only when a command runs), so --help is fast.
COMMAND_GROUPS = (
    "toolkit_course.grading.workflow_cli",
    "toolkit_course.grading.results_cli",
    "toolkit_course.grading.report_cli",
    "toolkit_course.grading.workshop_report_cli",
    "toolkit_course.grading.certificates_cli",
    "toolkit_course.grading.cohort_cli",
    "toolkit_course.grading.register_cli",
    "toolkit_course.grading.handgrade_cli",
)


def _check_content(_args) -> int:
    from . import content

    problems = 0
    content.modules()
    content.legal_elements()
    for slug in content.published_slugs():
        for kind in content.KINDS:
            if content.module_path(slug, kind).exists():
                try:
                    content.load(slug, kind)
                except content.ContentError as error:
                    print(error, file=sys.stderr)
                    problems += 1
    print("content OK" if not problems else f"{problems} content file(s) have problems", file=sys.stderr)
    return 1 if problems else 0


def _release(_args) -> int:
    from . import release

    for path in release.render_solutions():
        print(f"rendered {path}")
    print(f"student versions written to {release.generate_exercises()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="toolkit-course", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check-content", help="validate every content file").set_defaults(run=_check_content)
    commands.add_parser("release", help="render solutions/ from content and exercises/ through nbgrader"
                        ).set_defaults(run=_release)
    for group in COMMAND_GROUPS:
        importlib.import_module(group).register(commands)
    args = parser.parse_args(argv)
    from . import content

    try:
        return args.run(args)
    except content.ContentError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
