"""Are the workshop's pre-test and post-test parallel? A simple item-response simulation.

The design (content/parallel-forms.yaml) gives each item a difficulty in logits: the authors'
estimate, NOT a calibration on real learners. With those difficulties, a learner of ability theta
answers an item right with probability

    P = g + (1 - g) / (1 + exp(-(theta - difficulty)))

(a Rasch model with a guessing floor g = 1/4 for four options). We draw synthetic cohorts whose
abilities follow a normal distribution, let every learner take both forms, and compare the two
forms' mean and standard deviation of raw scores. We also compare the expected score of a learner
of each ability (the test characteristic curve), which has no sampling noise at all.

Tolerance (TOLERANCE_POINTS, in raw points out of 12): 0.3 points, that is 2.5 percentage points.
A score moves in steps of one point, so a difference under a third of a step cannot change what
any participant's score shows; and it is about ten times the simulation's own sampling error with
5,000 learners, so a fixed seed gives a stable verdict. A form made one logit harder on every item
moves the mean by well over one point, and fails (tests/test_parallel_forms.py proves it).

Run it: `.venv/bin/python -m toolkit_course.parallel_forms` (or scripts/parallel-forms.py).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from . import content

TOLERANCE_POINTS = 0.3
MAX_TWIN_GAP = 0.2  # logits: a twin may be designed a little easier or harder, never more than this
COHORT_MEANS = (-1.0, 0.0, 1.0)  # a novice, an average and an experienced cohort (ability SD 1)
COHORT_SIZE = 5000
SEED = 20261130


def design() -> dict:
    return content.load_file(content.content_root() / "parallel-forms.yaml", "parallel-forms")


def difficulties(spec: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Form A's and form B's item difficulties, twin by twin."""
    spec = spec or design()
    return (np.array([p["a"]["difficulty"] for p in spec["pairs"]]),
            np.array([p["b"]["difficulty"] for p in spec["pairs"]]))


def p_correct(theta: np.ndarray, b: np.ndarray, guessing: float) -> np.ndarray:
    """Probability of a right answer, learners x items."""
    return guessing + (1 - guessing) / (1 + np.exp(-(theta[:, None] - b[None, :])))


def expected_score(theta: np.ndarray, b: np.ndarray, guessing: float) -> np.ndarray:
    return p_correct(theta, b, guessing).sum(axis=1)


@dataclass(frozen=True)
class CohortResult:
    ability_mean: float
    learners: int
    mean_a: float
    mean_b: float
    sd_a: float
    sd_b: float

    @property
    def mean_gap(self) -> float:
        return self.mean_b - self.mean_a

    @property
    def sd_gap(self) -> float:
        return self.sd_b - self.sd_a


@dataclass(frozen=True)
class Equivalence:
    items: int
    cohorts: list[CohortResult]
    curve_gap: float  # largest |expected score A - expected score B| for abilities -3..3
    tolerance: float

    @property
    def holds(self) -> bool:
        return (self.curve_gap <= self.tolerance
                and all(abs(c.mean_gap) <= self.tolerance and abs(c.sd_gap) <= self.tolerance for c in self.cohorts))


def simulate(b_a: np.ndarray, b_b: np.ndarray, guessing: float, *, seed: int = SEED,
             cohort_means=COHORT_MEANS, size: int = COHORT_SIZE, tolerance: float = TOLERANCE_POINTS) -> Equivalence:
    """Every synthetic learner takes both forms; compare the forms' score distributions."""
    rng = np.random.default_rng(seed)
    cohorts = []
    for mean in cohort_means:
        theta = rng.normal(mean, 1.0, size)
        score_a = (rng.random((size, len(b_a))) < p_correct(theta, b_a, guessing)).sum(axis=1)
        score_b = (rng.random((size, len(b_b))) < p_correct(theta, b_b, guessing)).sum(axis=1)
        cohorts.append(CohortResult(mean, size, float(score_a.mean()), float(score_b.mean()),
                                    float(score_a.std(ddof=1)), float(score_b.std(ddof=1))))
    grid = np.linspace(-3, 3, 121)
    gap = float(np.abs(expected_score(grid, b_a, guessing) - expected_score(grid, b_b, guessing)).max())
    return Equivalence(len(b_a), cohorts, gap, tolerance)


def check_design(spec: dict | None = None) -> Equivalence:
    spec = spec or design()
    b_a, b_b = difficulties(spec)
    return simulate(b_a, b_b, spec["guessing"])


def format_report(result: Equivalence) -> str:
    lines = [f"Parallel forms: {result.items} items each; tolerance {result.tolerance} points "
             f"({100 * result.tolerance / result.items:.1f} percentage points)",
             "cohort ability mean | learners | form A mean (SD) | form B mean (SD) | mean gap | SD gap"]
    for c in result.cohorts:
        lines.append(f"{c.ability_mean:+.1f} | {c.learners} | {c.mean_a:.2f} ({c.sd_a:.2f}) | "
                     f"{c.mean_b:.2f} ({c.sd_b:.2f}) | {c.mean_gap:+.3f} | {c.sd_gap:+.3f}")
    lines.append(f"largest gap in expected score, abilities -3 to +3: {result.curve_gap:.3f} points")
    lines.append("RESULT: " + ("equivalent within tolerance" if result.holds else "NOT equivalent"))
    return "\n".join(lines)


def main() -> int:
    result = check_design()
    print(format_report(result))
    return 0 if result.holds else 1


if __name__ == "__main__":
    sys.exit(main())
