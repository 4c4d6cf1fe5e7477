"""Learning gain between a pre-test and a post-test, with 95% confidence intervals.

Only participants who took both tests count (a paired comparison); those who took only one
are counted separately and reported, never mixed in.

- Raw gain: post - pre, in percentage points of the maximum score.
- Normalised gain (Hake's g, per person): (post - pre) / (max - pre), the share of what the
  participant could still learn that they did learn. It is undefined for someone who scored the
  maximum on the pre-test; they are left out of this one figure, and counted.
- The figure reported is the mean over participants, with a 95% confidence interval from
  Student's t distribution: mean +/- t(0.975, n - 1) * sd / sqrt(n), sd being the sample
  standard deviation (n - 1). This assumes the individual gains are roughly normal or the group
  is not tiny; with fewer than 2 values there is no interval.

The t quantile is computed here (no statistics library is needed at run time): the regularised
incomplete beta function by its continued fraction gives the t distribution's CDF, and bisection
inverts it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """A mean with its 95% confidence interval (None when there are fewer than 2 values)."""

    n: int
    mean: float | None
    low: float | None
    high: float | None

    def text(self, digits: int = 1, unit: str = "") -> str:
        if self.mean is None:
            return "–"
        if self.low is None:
            return f"{self.mean:.{digits}f}{unit}"
        return f"{self.mean:.{digits}f}{unit} ({self.low:.{digits}f} to {self.high:.{digits}f})"


@dataclass(frozen=True)
class Pair:
    """One participant's two scores, as percentages of the maximum (0-100)."""

    pre: float
    post: float

    @property
    def raw_gain(self) -> float:
        return self.post - self.pre

    @property
    def normalised_gain(self) -> float | None:
        return None if self.pre >= 100 else (self.post - self.pre) / (100 - self.pre)


@dataclass(frozen=True)
class Gain:
    pairs: int  # participants with both tests
    pre: Estimate
    post: Estimate
    raw: Estimate
    normalised: Estimate
    at_maximum: int  # scored the maximum on the pre-test: no normalised gain


def mean_with_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> Estimate:
    n = len(values)
    if n == 0:
        return Estimate(0, None, None, None)
    mean = statistics.fmean(values)
    if n < 2:
        return Estimate(n, mean, None, None)
    half = t_quantile(0.5 + confidence / 2, n - 1) * statistics.stdev(values) / math.sqrt(n)
    return Estimate(n, mean, mean - half, mean + half)


def gain(pairs: Sequence[Pair]) -> Gain:
    normalised = [g for p in pairs if (g := p.normalised_gain) is not None]
    return Gain(len(pairs), mean_with_interval([p.pre for p in pairs]), mean_with_interval([p.post for p in pairs]),
                mean_with_interval([p.raw_gain for p in pairs]), mean_with_interval(normalised),
                len(pairs) - len(normalised))


# ---------------------------------------------------------------- Student's t distribution


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with df degrees of freedom."""
    x = df / (df + t * t)
    tail = 0.5 * _regularised_incomplete_beta(df / 2, 0.5, x)
    return 1 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The t value with P(T <= t) = p, by bisection on t_cdf (monotone, so bisection cannot miss)."""
    if not 0 < p < 1 or df <= 0:
        raise ValueError("need 0 < p < 1 and df > 0")
    low, high = -1.0, 1.0
    while t_cdf(low, df) > p:
        low *= 2
    while t_cdf(high, df) < p:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low < 1e-12:
            break
    return (low + high) / 2


def _regularised_incomplete_beta(a: float, b: float, x: float) -> float:
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    # The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(a, b, x) / a
    return 1 - front * _beta_fraction(b, a, 1 - x) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Lentz's method for the incomplete beta continued fraction."""
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return result
