"""Subcommand of `toolkit-course`: handgrade (hand grades in the terminal, or from a CSV); see register().

In the terminal it shows each grade still waiting (the question, the rubric, and what the
learner wrote, made safe to print), asks for a score and a comment, and saves each grade at
once, so that running it again carries on where it stopped. Nothing heavy is imported at the
top: `toolkit-course --help` must stay fast.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from .cli_common import WORKSPACE_HELP

INSTRUCTIONS = ("Type a score and press Enter. Press Enter alone to skip an item; type q to stop.\n"
                "Each grade is saved at once: run the same command again later to carry on.")


def register(subparsers) -> None:
    """Add this group's subcommands to the `toolkit-course` parser."""
    parser = subparsers.add_parser(
        "handgrade", help="give the hand grades (reflections) in the terminal, or import them from a CSV")
    parser.add_argument("module", nargs="?", metavar="MODULE", help="only this module (default: every module "
                                                                    "with grades waiting)")
    parser.add_argument("--learner", metavar="ID", help="only this learner")
    parser.add_argument("--workspace", type=Path, help=WORKSPACE_HELP)
    route = parser.add_mutually_exclusive_group()
    route.add_argument("--import", dest="import_csv", type=Path, metavar="CSV",
                       help="save the grades in a CSV with columns learner, module, item, score, comment")
    route.add_argument("--template", type=Path, metavar="CSV",
                       help="write a CSV of every grade still waiting, to fill in a spreadsheet and --import")
    parser.set_defaults(run=_handgrade)


def _handgrade(args) -> int:
    from .handgrade import HandgradeError
    from .layout import layout

    where = layout(workspace=args.workspace)
    try:
        if args.template:
            return _template(where, args)
        if args.import_csv:
            return _import(where, args)
        return _session(where, args, input_line=_reader(sys.stdin))
    except HandgradeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _template(where, args) -> int:
    from .handgrade_csv import write_template

    rows = write_template(where, args.template, args.module, args.learner)
    if not rows:
        print(f"No hand grade is waiting, so {args.template} has only its header row: nothing to fill in.")
        return 0
    print(f"wrote {rows} grade(s) waiting to {args.template}; fill in the score (and comment) column, "
          f"then run: toolkit-course handgrade --import {args.template}")
    return 0


def _import(where, args) -> int:
    from .handgrade import open_gradebook, waiting_grades
    from .handgrade_csv import import_csv

    report = import_csv(where, args.import_csv)
    for message in report.errors:
        print(f"error: {message}", file=sys.stderr)
    with open_gradebook(where) as gradebook:
        still = len(waiting_grades(gradebook))
    print(report.summary(still))
    return 1 if report.errors else 0


def _reader(stream):
    """One line typed by the facilitator, without its line break; None at the end of input."""
    def read(prompt: str) -> str | None:
        print(prompt, end="", flush=True)
        line = stream.readline()
        return None if line == "" else line.rstrip("\r\n")
    return read


def _indented(text: str, mark: str = "  ") -> str:
    return "\n".join(mark + line for line in text.splitlines()) or mark


def _show(where, grade, number: int, total: int) -> None:
    from .. import content
    from .handgrade import learner_answer, rubrics

    rubric = rubrics(grade.slug).get(grade.item_id)
    print(f"\n=============== {number} of {total} ===============")
    print(f"Module:   {grade.slug} ({content.module_title(grade.slug)})")
    print(f"Learner:  {grade.learner} ({grade.learner_name})")
    print(f"Item:     {grade.item_id}, up to {grade.max_score:g} points")
    if rubric is None:
        print(f"\n(no rubric for this item in content/{grade.slug}/assessment.yaml)")
    else:
        print("\nQuestion:\n" + _indented(textwrap.dedent(rubric.prompt)))
        print("\nRubric:\n" + _indented(rubric.rubric))
    print("\nThe learner's answer (shown as text; nothing in it is run):")
    print(_indented(learner_answer(where, grade.learner, grade.slug, grade.item_id), "  | "))


def _ask_score(input_line, maximum: float):
    """The score typed, "skip" for an empty line, or None to stop (q or the end of input)."""
    from .handgrade import HandgradeError, parse_score

    while True:
        typed = input_line(f"\nScore (0 to {maximum:g}; Enter = skip; q = stop): ")
        if typed is None or typed.strip().lower() in ("q", "quit"):
            return None
        if not typed.strip():
            return "skip"
        try:
            return parse_score(typed, maximum)
        except HandgradeError as error:
            print(f"Not saved: {error}. Type a number from 0 to {maximum:g}.")


def _session(where, args, input_line) -> int:
    from .handgrade import clean_comment, open_gradebook, save_grade, waiting_grades

    with open_gradebook(where) as gradebook:
        waiting = waiting_grades(gradebook, args.module, args.learner)
        if not waiting:
            print("No hand grades are waiting" + (f" for {args.module}" if args.module else "")
                  + (f" for {args.learner}" if args.learner else "") + ".")
            return 0
        print(f"{len(waiting)} hand grade(s) waiting. {INSTRUCTIONS}")
        saved = skipped = 0
        for number, grade in enumerate(waiting, start=1):
            _show(where, grade, number, len(waiting))
            score = _ask_score(input_line, grade.max_score)
            if score is None:
                break
            if score == "skip":
                skipped += 1
                print("Skipped; it stays waiting.")
                continue
            comment = input_line("Comment for the learner (optional; Enter = none): ")
            save_grade(gradebook, grade.learner, grade.slug, grade.item_id, score, clean_comment(comment or ""))
            saved += 1
            print(f"Saved: {score:g} of {grade.max_score:g} points for {grade.learner}, {grade.item_id}.")
            if comment is None:
                break
        left = len(waiting_grades(gradebook, args.module, args.learner))
    # With --learner or a module, "complete" would be read as the whole workshop's hand grading.
    scope = " for this selection" if (args.module or args.learner) else ""
    print(f"\nSaved {saved} grade(s), skipped {skipped}; {left} still waiting{scope}."
          + (" Run the same command again to carry on." if left else f" Hand grading{scope} is complete."))
    return 0
