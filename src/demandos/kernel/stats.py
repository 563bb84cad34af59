"""The kernel's statistics now live in :mod:`demandos.stats`, shared with experiments; this
module keeps the kernel's imports working."""

from demandos.stats import (
    T975,
    Z95,
    Interval,
    Moments,
    Test,
    holm,
    mean_interval,
    normal_p,
    t975,
    two_means,
    two_proportions,
    wilson,
)

__all__ = [
    "T975",
    "Z95",
    "Interval",
    "Moments",
    "Test",
    "holm",
    "mean_interval",
    "normal_p",
    "t975",
    "two_means",
    "two_proportions",
    "wilson",
]
