"""Read a graded cohort out of nbgrader's gradebook into plain records.

Feedback pages, exports, the cohort report and certificates all start from the
same Cohort, so a score is computed in one place: nbgrader's own Grade.score,
which is the facilitator's manual score when there is one and the autograder's
otherwise. Nothing here grades anything.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from .. import content
from . import roster as roster_file
from .cohort_settings import CohortSettings, cohort_modules, load_settings
from .layout import Layout, course_root
from .roster import Learner  # noqa: F401  (the one learner record; results users import it from here too)

PASSED, BELOW, WAITING, MISSING = "passed", "below the pass mark", "waiting for hand grading", "not submitted"


class ResultsError(ValueError):
    """Input the results commands cannot use; the message names the file and what is wrong."""


@contextlib.contextmanager
def _workspace_env(workspace: Path | None) -> Iterator[None]:
    """nbgrader_config.py reads TOOLKIT_GRADING_WORKSPACE when it is loaded; set it only for that moment."""
    if workspace is None:
        yield
        return
    saved = os.environ.get("TOOLKIT_GRADING_WORKSPACE")
    os.environ["TOOLKIT_GRADING_WORKSPACE"] = str(workspace)
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TOOLKIT_GRADING_WORKSPACE"]
        else:
            os.environ["TOOLKIT_GRADING_WORKSPACE"] = saved


def course_config(root: Path | None = None, workspace: Path | None = None) -> Config:
    """The course's nbgrader_config.py, loaded as nbgrader loads it."""
    root = Path(root or course_root())
    config_file = root / "nbgrader_config.py"
    if not config_file.exists():
        raise ResultsError(f"{config_file}: not found; give the course folder that holds nbgrader_config.py")
    with _workspace_env(workspace):
        return PyFileConfigLoader(config_file.name, path=str(root)).load_config()


def course_directory(root: Path | None = None, workspace: Path | None = None) -> CourseDirectory:
    """nbgrader's own view of the course folders, from the course's nbgrader_config.py."""
    return CourseDirectory(config=course_config(root, workspace))


def gradebook_path(coursedir: CourseDirectory) -> Path:
    url = coursedir.db_url
    if not url.startswith("sqlite:///"):
        raise ResultsError(f"nbgrader_config.py: db_url {url!r} is not a SQLite file; only SQLite gradebooks are supported")
    return Path(url[len("sqlite:///"):])


def open_gradebook(coursedir: CourseDirectory) -> Gradebook:
    path = gradebook_path(coursedir)
    # Opening a missing file would make nbgrader create an empty gradebook and hide the mistake.
    if not path.exists():
        raise ResultsError(f"{path}: no gradebook here; grade the submissions first "
                           "(toolkit-course autograde), or point TOOLKIT_GRADING_WORKSPACE at the right workspace")
    return Gradebook(coursedir.db_url)


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class ItemResult:
    item_id: str
    manual: bool  # marked by the facilitator (the reflection), not by a hidden test
    score: float
    max_score: float
    waiting: bool  # still needs a hand grade
    comment: str = ""  # the facilitator's comment, for hand-graded items

    @property
    def correct(self) -> bool:
        return self.score >= self.max_score > 0


@dataclass(frozen=True)
class ModuleResult:
    slug: str
    learner_id: str
    items: tuple[ItemResult, ...]

    @property
    def score(self) -> float:
        return sum(item.score for item in self.items)

    @property
    def max_score(self) -> float:
        return sum(item.max_score for item in self.items)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    @property
    def hand_grading_complete(self) -> bool:
        return not any(item.waiting for item in self.items)

    def item(self, item_id: str) -> ItemResult | None:
        return next((item for item in self.items if item.item_id == item_id), None)


@dataclass(frozen=True)
class Module:
    slug: str
    title: str
    spec: dict  # the module's assessment.yaml
    pass_mark_percent: float

    @property
    def graded_parts(self) -> list[tuple[str, float, bool]]:
        """(grade id, points, marked by hand) for every graded cell, as assessment_notebook makes them.

        Computed items count too: their hidden test (id = item id) and, when they ask for a chart,
        the chart cell the facilitator marks (id = item id + "-plot").
        """
        parts = [(item["id"], item["points"], False) for item in self.spec["items"]]
        for item in self.spec.get("computed", []):
            parts.append((item["id"], item["points"], False))
            if "plot" in item:
                parts.append((f"{item['id']}-plot", item["plot"]["points"], True))
        parts += [(r["id"], r["points"], True) for r in self.spec["reflections"]]
        return parts

    @property
    def item_ids(self) -> list[str]:
        return [grade_id for grade_id, _, _ in self.graded_parts]

    @property
    def max_score(self) -> float:
        return float(sum(points for _, points, _ in self.graded_parts))

    @property
    def notebook_id(self) -> str:
        return f"{self.slug}-assessment"


@dataclass
class Cohort:
    learners: list[Learner]
    modules: list[Module]
    results: dict[tuple[str, str], ModuleResult] = field(default_factory=dict)
    coursedir: CourseDirectory | None = None

    def result(self, learner_id: str, slug: str) -> ModuleResult | None:
        return self.results.get((learner_id, slug))

    def module(self, slug: str) -> Module:
        for module in self.modules:
            if module.slug == slug:
                return module
        raise ResultsError(f"no assessed module '{slug}'; assessed modules: {', '.join(m.slug for m in self.modules)}")

    def status(self, learner_id: str, slug: str, pass_mark: float | None = None) -> str:
        result = self.result(learner_id, slug)
        if result is None:
            return MISSING
        if not result.hand_grading_complete:
            return WAITING
        mark = self.module(slug).pass_mark_percent if pass_mark is None else pass_mark
        # A tolerance keeps 17.5/25 = 70% from failing a 70% mark through rounding.
        return PASSED if result.percent + 1e-9 >= mark else BELOW

    @property
    def breakdown_available(self) -> bool:
        return any(learner.sex for learner in self.learners)


# ---------------------------------------------------------------- roster


def default_roster(coursedir: CourseDirectory) -> Path | None:
    """The roster `toolkit-course roster` last registered, kept in the workspace."""
    path = roster_file.roster_copy_in(gradebook_path(coursedir).parent)
    return path if path.exists() else None


# ---------------------------------------------------------------- loading


def _modules(slugs: list[str] | None, settings: CohortSettings, with_submissions: set[str]) -> list[Module]:
    """The modules asked for, or else the cohort's: those set in cohort.yaml, else those with graded submissions.

    A module the gradebook merely knows (an empty assignment) is not part of the cohort:
    that is what kept 0% rows and empty charts for modules nobody took.
    """
    known = content.gradable_slugs()  # asked for by name: a module or a workshop test
    for slug in slugs or []:
        if slug not in known:
            raise ResultsError(f"module '{slug}' has no graded assessment; choose from {', '.join(known)}")
    chosen = slugs or cohort_modules(settings, with_submissions)
    if not chosen:
        raise ResultsError("the gradebook has no graded submission yet; run `toolkit-course autograde` first")
    return [Module(slug, content.module_title(slug), spec := content.load(slug, "assessment"),
                   float(spec["pass_mark_percent"])) for slug in chosen]


def _learners(gradebook: Gradebook, roster: list[Learner] | None) -> list[Learner]:
    students = {student.id: student for student in gradebook.students}
    if roster is None:
        return [Learner(sid, " ".join(p for p in (s.first_name, s.last_name) if p) or sid, s.email or "")
                for sid, s in sorted(students.items())]
    on_roster = {learner.id for learner in roster}
    # Someone graded but missing from the roster is still shown, so no grade silently disappears.
    extra = [Learner(sid, " ".join(p for p in (s.first_name, s.last_name) if p) or sid, s.email or "",
                     on_roster=False)
             for sid, s in sorted(students.items()) if sid not in on_roster]
    return list(roster) + extra


def _module_result(gradebook: Gradebook, module: Module, learner_id: str) -> ModuleResult | None:
    try:
        notebook = gradebook.find_submission_notebook(module.notebook_id, module.slug, learner_id)
    except MissingEntry:
        return None
    grades = {grade.name: grade for grade in notebook.grades}
    comments = {comment.name: comment.manual_comment or "" for comment in notebook.comments}
    items = []
    manual = {grade_id: by_hand for grade_id, _, by_hand in module.graded_parts}
    for item_id in module.item_ids:
        grade = grades.get(item_id)
        if grade is None:
            continue
        items.append(ItemResult(item_id, manual[item_id], float(grade.score or 0),
                                float(grade.max_score), bool(grade.needs_manual_grade), comments.get(item_id, "")))
    return ModuleResult(module.slug, learner_id, tuple(items))


def load_cohort(root: Path | None = None, workspace: Path | None = None, roster: Path | None = None,
                slugs: list[str] | None = None) -> Cohort:
    """Everything the results commands need, read once from the gradebook.

    Without a roster path, the roster last registered in the workspace is used if there
    is one, else the names nbgrader holds (and no breakdown by sex). Without slugs, the
    cohort's modules (cohort_settings.py): cohort.yaml's, else those with graded submissions.
    """
    coursedir = course_directory(root, workspace)
    roster = roster or default_roster(coursedir)
    roster_learners = roster_file.read_learners(roster) if roster else None
    settings = load_settings(Layout(Path(coursedir.root), gradebook_path(coursedir).parent))
    with open_gradebook(coursedir) as gradebook:
        modules = _modules(slugs, settings, {assignment.name for assignment in gradebook.assignments
                                             if assignment.submissions})
        learners = _learners(gradebook, roster_learners)
        known = {student.id for student in gradebook.students}
        results = {}
        for module in modules:
            for learner in learners:
                if learner.id in known:
                    result = _module_result(gradebook, module, learner.id)
                    if result is not None:
                        results[(learner.id, module.slug)] = result
    return Cohort(learners, modules, results, coursedir)
