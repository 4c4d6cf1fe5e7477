"""certification.yaml, checked against its schema, and who qualifies under it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ... import content
from ..results import Cohort, Learner
from .format import CertificateError

SCHEMA = "certification"  # content/schemas/certification.schema.yaml


@dataclass(frozen=True)
class CertificationRule:
    course_title: str
    facilitator: str
    organisation: str
    required_modules: tuple[str, ...]
    pass_marks: dict[str, float] = field(default_factory=dict)
    require_hand_grading_complete: bool = True


def load_rule(path: Path, cohort: Cohort, facilitator: str | None = None) -> CertificationRule:
    """Read certification.yaml; pass marks not given there come from each assessment.yaml.

    The file's shape (fields, types, ranges) is checked by its schema; here only what
    depends on this workshop's gradebook: that every module named is an assessed one.
    """
    path = Path(path)
    try:
        data = content.load_file(path, SCHEMA)
    except content.ContentError as error:
        raise CertificateError(str(error)) from None
    known = {module.slug for module in cohort.modules}
    required = data.get("required_modules", "all")
    if required == "all":
        required = [module.slug for module in cohort.modules]
    for slug in required:
        if slug not in known:
            raise CertificateError(f"{path}: required_modules: '{slug}' is not an assessed module "
                                   f"({', '.join(sorted(known))})")
    marks = {module.slug: module.pass_mark_percent for module in cohort.modules}
    for slug, mark in (data.get("pass_marks") or {}).items():
        if slug not in known:
            raise CertificateError(f"{path}: pass_marks: '{slug}' is not an assessed module "
                                   f"({', '.join(sorted(known))})")
        marks[slug] = float(mark)
    name = (facilitator or data.get("facilitator") or "").strip()
    if not name:
        raise CertificateError(f"{path}: facilitator: no issuing facilitator; set it here or pass --facilitator")
    title = data["course_title"].strip()
    if not title:
        raise CertificateError(f"{path}: course_title is empty")
    return CertificationRule(title, name, (data.get("organisation") or "").strip(), tuple(required),
                             {slug: marks[slug] for slug in required},
                             data.get("require_hand_grading_complete", True))


def shortfalls(cohort: Cohort, learner: Learner, rule: CertificationRule) -> list[str]:
    """Why this learner does not qualify yet; empty when they do."""
    reasons = []
    for slug in rule.required_modules:
        result = cohort.result(learner.id, slug)
        if result is None:
            reasons.append(f"{slug}: not submitted")
            continue
        if rule.require_hand_grading_complete and not result.hand_grading_complete:
            reasons.append(f"{slug}: waiting for hand grading")
        elif result.percent + 1e-9 < rule.pass_marks[slug]:  # the tolerance keeps 17.5/25 at 70%
            reasons.append(f"{slug}: {result.percent:.0f}% is below the pass mark of {rule.pass_marks[slug]:g}%")
    return reasons
