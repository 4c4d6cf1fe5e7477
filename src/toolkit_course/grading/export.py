"""Grade exports: a CSV per module, an overall CSV, and files for Moodle's and Canvas's grade import.

The column mapping is documented in book/facilitator/results-and-certificates.md.
The LMS files carry a grade only when it is final (submitted and hand grading
complete); a blank cell leaves the LMS grade as it is, so exporting again later
fills in the rest.
"""

from __future__ import annotations

import csv
from pathlib import Path

from .results import PASSED, Cohort, Learner, Module

MOODLE_FILE, CANVAS_FILE, OVERALL_FILE = "moodle-grades.csv", "canvas-grades.csv", "overall.csv"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Stop spreadsheets from running a learner's name as a formula (CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _number(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.2f}"


def _write(path: Path, header: list[str], rows: list[list[str]], *, bom: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Spreadsheets need the BOM to read UTF-8 names correctly; the LMS importers get plain UTF-8.
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _identity(learner: Learner) -> list[str]:
    return [safe_text(learner.id), safe_text(learner.name), safe_text(learner.email)]


def module_rows(cohort: Cohort, module: Module) -> tuple[list[str], list[list[str]]]:
    header = ["learner_id", "name", "email", "status", *module.item_ids,
              "auto_points", "hand_points", "score", "max_score", "percent", "pass_mark_percent", "hand_grading"]
    rows = []
    for learner in cohort.learners:
        result = cohort.result(learner.id, module.slug)
        status = cohort.status(learner.id, module.slug)
        if result is None:
            rows.append(_identity(learner) + [status] + [""] * (len(header) - 4))
            continue
        items = [_number(item.score) if (item := result.item(i)) and not item.waiting else "" for i in module.item_ids]
        auto = sum(item.score for item in result.items if not item.manual)
        hand = sum(item.score for item in result.items if item.manual)
        rows.append(_identity(learner) + [status, *items, _number(auto), _number(hand), _number(result.score),
                                          _number(result.max_score), f"{result.percent:.1f}",
                                          _number(module.pass_mark_percent),
                                          "complete" if result.hand_grading_complete else "waiting"])
    return header, rows


def overall_rows(cohort: Cohort) -> tuple[list[str], list[list[str]]]:
    header = ["learner_id", "name", "email", "on_roster"]
    for module in cohort.modules:
        header += [f"{module.slug} percent", f"{module.slug} status"]
    header += ["modules_passed", "modules_assessed"]
    rows = []
    for learner in cohort.learners:
        row = _identity(learner) + ["yes" if learner.on_roster else "no"]
        passed = 0
        for module in cohort.modules:
            result = cohort.result(learner.id, module.slug)
            status = cohort.status(learner.id, module.slug)
            passed += status == PASSED
            row += [f"{result.percent:.1f}" if result else "", status]
        rows.append(row + [str(passed), str(len(cohort.modules))])
    return header, rows


def _final_points(cohort: Cohort, learner: Learner, module: Module) -> str:
    result = cohort.result(learner.id, module.slug)
    if result is None or not result.hand_grading_complete:
        return ""
    return _number(result.score)


def moodle_rows(cohort: Cohort) -> tuple[list[str], list[list[str]]]:
    """Moodle 'Import grades > CSV file': one identifier column to map from, one column per grade item."""
    header = ["Email address", "ID number", "Full name"] + [module.title for module in cohort.modules]
    rows = [[safe_text(learner.email), safe_text(learner.id), safe_text(learner.name)]
            + [_final_points(cohort, learner, module) for module in cohort.modules]
            for learner in cohort.learners]
    return header, rows


def canvas_rows(cohort: Cohort) -> tuple[list[str], list[list[str]]]:
    """Canvas gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then one column per
    assignment, with a 'Points Possible' row first (as in Canvas's own export)."""
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] + [m.title for m in cohort.modules]
    points = ["Points Possible", "", "", "", ""] + [_number(module.max_score) for module in cohort.modules]
    rows = [points] + [[safe_text(learner.name), "", safe_text(learner.id), safe_text(learner.email), ""]
                       + [_final_points(cohort, learner, module) for module in cohort.modules]
                       for learner in cohort.learners]
    return header, rows


def write_exports(cohort: Cohort, out: Path) -> list[Path]:
    out = Path(out)
    written = [_write(out / f"{module.slug}.csv", *module_rows(cohort, module), bom=True) for module in cohort.modules]
    written.append(_write(out / OVERALL_FILE, *overall_rows(cohort), bom=True))
    written.append(_write(out / MOODLE_FILE, *moodle_rows(cohort), bom=False))
    written.append(_write(out / CANVAS_FILE, *canvas_rows(cohort), bom=False))
    return written

