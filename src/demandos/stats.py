"""Two-sample statistics shared by kernel refinement proposals (``kernel/comparisons.py``) and
experiments (``feedback/experiments.py``), written out by hand so every formula can be read.

Proportions (win rates, mention shares)
    - :func:`wilson`: the Wilson score interval of ``k`` successes in ``n`` trials;
    - :func:`two_proportions`: the pooled two-proportion z-test of ``k1/n1`` against ``k2/n2``,
      with Newcombe's hybrid score interval of the difference (method 10 of Newcombe 1998,
      built from the two Wilson intervals).

Means (deal size, cycle length), from sums so a query can aggregate them
    - :func:`mean_interval`: the mean of ``n`` values with its Student t interval;
    - :func:`two_means`: Welch's test of two means by its normal approximation (the proposals
      test only samples of 30 or more a side, where it is accurate), with the interval of the
      difference.

Many comparisons at once
    - :func:`holm`: Holm's step-down adjustment of p-values, which keeps the chance of any
      false finding among all the comparisons of a run under ``alpha``.

Experiments, at any confidence level
    - :func:`z_quantile`: the two-sided normal quantile of a level ``alpha``;
    - :func:`welch`: Welch's t-test of two means with the Welch-Satterthwaite degrees of freedom
      and Student's t quantile (SciPy), exact for small samples too.

All p-values are two-sided. ``two_proportions`` and ``two_means`` take the normal quantile of
their interval (``z``, 95% by default).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

Z95 = NormalDist().inv_cdf(0.975)
"""The normal quantile of a two-sided 95% interval (1.959964…)."""


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class Test:
    """A two-sample comparison: the difference (first minus second), its 95% interval, the
    test statistic and its two-sided p-value."""

    difference: float
    interval: Interval
    statistic: float
    p_value: float


def normal_p(z: float) -> float:
    """The two-sided p-value of a standard normal statistic ``z``."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def wilson(k: int, n: int, z: float = Z95) -> Interval | None:
    """The Wilson score interval of the proportion ``k / n``; None when ``n`` is 0."""
    if n <= 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def z_quantile(alpha: float) -> float:
    """The normal quantile ``z`` of a two-sided ``1 - alpha`` interval (1.96 at 0.05)."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    return NormalDist().inv_cdf(1 - alpha / 2)


def two_proportions(k1: int, n1: int, k2: int, n2: int, z: float = Z95) -> Test:
    """Pooled two-proportion z-test of ``k1/n1`` against ``k2/n2`` (both ``n`` positive).

    ``z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2))`` with ``p = (k1 + k2) / (n1 + n2)``; the
    interval of ``p1 - p2`` is Newcombe's hybrid score interval. When both proportions are 0 or
    both 1 there is no variance: z is 0 and p is 1.
    """
    p1, p2 = k1 / n1, k2 / n2
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    stat = (p1 - p2) / se if se > 0 else 0.0
    w1, w2 = wilson(k1, n1, z), wilson(k2, n2, z)
    assert w1 is not None and w2 is not None
    d = p1 - p2
    low = d - math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2)
    high = d + math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2)
    return Test(d, Interval(low, high), stat, normal_p(stat) if se > 0 else 1.0)


@dataclass(frozen=True)
class Moments:
    """Count, sum and sum of squares of a sample: enough for its mean and variance."""

    n: int
    total: float
    squares: float

    def __sub__(self, other: Moments) -> Moments:
        return Moments(self.n - other.n, self.total - other.total, self.squares - other.squares)

    def __add__(self, other: Moments) -> Moments:
        return Moments(self.n + other.n, self.total + other.total, self.squares + other.squares)

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def variance(self) -> float | None:
        """The sample variance (``n - 1`` in the denominator); None below two values."""
        if self.n < 2:
            return None
        return max(0.0, (self.squares - self.total * self.total / self.n) / (self.n - 1))


T975 = (
    12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157,
    2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922,
    2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831,
    2.048407, 2.045230, 2.042272,
)  # fmt: skip
"""Student's t 97.5% quantiles for 1 to 30 degrees of freedom (the printed tables)."""


def t975(df: int) -> float:
    """Student's t 97.5% quantile (a two-sided 95% interval): the table up to 30 degrees of
    freedom, then the Cornish-Fisher expansion around the normal quantile (Abramowitz and
    Stegun 26.7.5), within 1e-5 of the exact value from there on."""
    if df < 1:
        raise ValueError("Student's t needs at least one degree of freedom")
    if df <= len(T975):
        return T975[df - 1]
    z = Z95
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def mean_interval(sample: Moments) -> Interval | None:
    """The 95% Student t interval of the mean; None below two values."""
    mean, var = sample.mean, sample.variance
    if mean is None or var is None:
        return None
    half = t975(sample.n - 1) * math.sqrt(var / sample.n)
    return Interval(mean - half, mean + half)


def two_means(a: Moments, b: Moments, z: float = Z95) -> Test:
    """Welch's comparison of the means of ``a`` and ``b`` (two values or more each), by the
    normal approximation: ``z = (mean_a - mean_b) / sqrt(var_a / n_a + var_b / n_b)``."""
    ma, mb, va, vb = a.mean, b.mean, a.variance, b.variance
    if ma is None or mb is None or va is None or vb is None:
        raise ValueError("two_means needs at least two values on each side")
    d = ma - mb
    se = math.sqrt(va / a.n + vb / b.n)
    if se == 0:
        return Test(d, Interval(d, d), 0.0, 1.0)
    stat = d / se
    return Test(d, Interval(d - z * se, d + z * se), stat, normal_p(stat))


def welch(a: Moments, b: Moments, alpha: float = 0.05) -> tuple[Test, float]:
    """Welch's t-test of ``mean_a - mean_b`` and its ``1 - alpha`` interval, with the
    Welch-Satterthwaite degrees of freedom ``(va/na + vb/nb)² ÷ ((va/na)²/(na-1) +
    (vb/nb)²/(nb-1))``; returns the test and the degrees of freedom."""
    from scipy.stats import t as student  # SciPy is a core dependency; imported when used

    ma, mb, va, vb = a.mean, b.mean, a.variance, b.variance
    if ma is None or mb is None or va is None or vb is None:
        raise ValueError("Welch's test needs at least two values on each side")
    d = ma - mb
    ua, ub = va / a.n, vb / b.n
    se = math.sqrt(ua + ub)
    if se == 0:
        return Test(d, Interval(d, d), 0.0, 1.0), float(a.n + b.n - 2)
    df = (ua + ub) ** 2 / (ua**2 / (a.n - 1) + ub**2 / (b.n - 1))
    stat = d / se
    q = float(student.ppf(1 - alpha / 2, df))
    p = float(2 * student.sf(abs(stat), df))
    return Test(d, Interval(d - q * se, d + q * se), stat, p), df


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's adjusted p-values, in the order given: sort ascending, multiply the i-th smallest
    (from 0) by ``m - i``, carry the running maximum, cap at 1. A comparison is significant at
    level ``alpha`` for the whole family when its adjusted p-value is at most ``alpha``."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted
