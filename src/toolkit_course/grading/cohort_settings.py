"""One workshop's settings, kept in <workspace>/cohort.yaml and read by every grading command.

A cohort covers some modules, not the whole course: a one-day workshop may assess only
Module 01. Commands that would otherwise act on "every assessed module" act on these.
When the file names no modules, the cohort is the modules that have submissions
(cohort_modules below is the one place that rule lives).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from .. import content
from .layout import Layout

FILE_NAME = "cohort.yaml"
SCHEMA = "cohort"  # content/schemas/cohort.schema.yaml


class CohortSettingsError(ValueError):
    """cohort.yaml is unreadable or invalid; the message names the file and the field."""


@dataclass(frozen=True)
class CohortSettings:
    # None: not set; commands use the modules that have submissions.
    modules: tuple[str, ...] | None = None
    show_correct_answers: bool = True


def settings_path(where: Layout) -> Path:
    return where.workspace / FILE_NAME


def load_settings(where: Layout) -> CohortSettings:
    """The workspace's settings; the defaults when it has no cohort.yaml."""
    path = settings_path(where)
    if not path.exists():
        return CohortSettings()
    try:
        data = content.load_file(path, SCHEMA) or {}
    except content.ContentError as error:
        raise CohortSettingsError(str(error)) from None
    modules = data.get("modules")
    assessed = content.assessed_slugs()
    for slug in modules or []:
        if slug not in assessed:
            raise CohortSettingsError(f"{path}: modules: '{slug}' is not an assessed module of the course; "
                                      f"choose from {', '.join(assessed)}")
    return CohortSettings(
        modules=tuple(modules) if modules else None,
        show_correct_answers=data.get("show_correct_answers", True),
    )


def save_settings(where: Layout, settings: CohortSettings) -> Path:
    path = settings_path(where)
    data = {"modules": list(settings.modules) if settings.modules else None,
            "show_correct_answers": settings.show_correct_answers}
    header = "# This workshop's settings; see `toolkit-course cohort --help`.\n"
    path.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def cohort_modules(settings: CohortSettings, with_submissions: Iterable[str]) -> list[str]:
    """The cohort's modules, in course order: those set in cohort.yaml, else those that have submissions.

    with_submissions: the modules at least one learner handed in (autograde looks in submitted/,
    the results commands in the gradebook). Modules nobody took are left out, so no command
    makes an empty file, a 0% row or an empty chart for them.
    """
    chosen = set(settings.modules) if settings.modules else set(with_submissions)
    return [slug for slug in content.assessed_slugs() if slug in chosen]
