"""certification.yaml, checked against its schema, and who qualifies under it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ... import content
from ..results import Cohort, Learner
from .format import CertificateError

SCHEMA = "certification"  # content/schemas/certification.schema.yaml


# What the certificate prints when certification.yaml gives no verification_url.
DEFAULT_VERIFY_AT = 'the page "Check a certificate" in the course book'
DEFAULT_SIGNATORY_TITLE = "Facilitator"


@dataclass(frozen=True)
class CertificationRule:
    course_title: str
    facilitator: str
    organisation: str
    required_modules: tuple[str, ...]
    pass_marks: dict[str, float] = field(default_factory=dict)
    require_hand_grading_complete: bool = True
    # Printed on the certificate and signed with it (see document.build_payload).
    hours: float | None = None
    venue: str = ""
    dates: str = ""
    signatory_name: str = ""  # empty: the facilitator signs
    signatory_title: str = DEFAULT_SIGNATORY_TITLE
    verify_at: str = DEFAULT_VERIFY_AT

    @property
    def completes_course(self) -> bool:
        """True when the required modules are every module the course requires (all assessed modules).

        Only then may a certificate say "the course"; otherwise it names the modules.
        """
        return set(content.assessed_slugs()) <= set(self.required_modules)


def _text(data: dict, key: str) -> str:
    return (data.get(key) or "").strip()


def load_rule(path: Path, cohort: Cohort, facilitator: str | None = None) -> CertificationRule:
    """Read certification.yaml; pass marks not given there come from each assessment.yaml.

    The file's shape (fields, types, ranges) is checked by its schema; here only what
    depends on this workshop: that every required module is one of the cohort's modules
    (`all` means the cohort's modules, see cohort_settings.py).
    """
    path = Path(path)
    try:
        data = content.load_file(path, SCHEMA)
    except content.ContentError as error:
        raise CertificateError(str(error)) from None
    name = (facilitator or data.get("facilitator") or "").strip()
    if not name:
        raise CertificateError(f'{path}: facilitator: no issuing facilitator; write your name after "facilitator:" '
                               f'in this file, or add --facilitator "Your Name" to the certify command')
    known = {module.slug for module in cohort.modules}
    required = data.get("required_modules", "all")
    if required == "all":
        required = [module.slug for module in cohort.modules]
    for slug in required:
        if slug not in known:
            raise CertificateError(f"{path}: required_modules: '{slug}' is not an assessed module of this cohort "
                                   f"({', '.join(sorted(known))}); see `toolkit-course cohort`")
    marks = {module.slug: module.pass_mark_percent for module in cohort.modules}
    course_modules = set(content.assessed_slugs())
    for slug, mark in (data.get("pass_marks") or {}).items():
        if slug in known:
            marks[slug] = float(mark)
        elif slug not in course_modules:  # another workshop's module is fine; a typo is not
            raise CertificateError(f"{path}: pass_marks: '{slug}' is not an assessed module "
                                   f"({', '.join(sorted(known | course_modules))})")
    title = data["course_title"].strip()
    if not title:
        raise CertificateError(f"{path}: course_title is empty")
    signatory = data.get("signatory") or {}
    return CertificationRule(title, name, _text(data, "organisation"), tuple(required),
                             {slug: marks[slug] for slug in required},
                             data.get("require_hand_grading_complete", True),
                             hours=data.get("hours"), venue=_text(data, "venue"), dates=_text(data, "dates"),
                             signatory_name=_text(signatory, "name"),
                             signatory_title=_text(signatory, "title") or DEFAULT_SIGNATORY_TITLE,
                             verify_at=_text(data, "verification_url") or DEFAULT_VERIFY_AT)


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
