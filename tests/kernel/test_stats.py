"""The statistics of the proposals against published and hand-worked values."""

from __future__ import annotations

import math

import pytest

from demandos.kernel.stats import (
    Moments,
    holm,
    mean_interval,
    t975,
    two_means,
    two_proportions,
    wilson,
)

# Newcombe (1998), "Interval estimation for the difference between independent proportions",
# Statistics in Medicine 17: the Wilson intervals of his single-proportion paper (same year) and
# the hybrid score intervals (method 10) of his Table II.
WILSON = [((81, 263), (0.2553, 0.3662)), ((15, 148), (0.0624, 0.1605)),
          ((0, 20), (0.0, 0.1611)), ((1, 29), (0.0061, 0.1718))]  # fmt: skip
NEWCOMBE = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize(("counts", "expected"), WILSON)
def test_wilson_interval_matches_newcombe(
    counts: tuple[int, int], expected: tuple[float, float]
) -> None:
    found = wilson(*counts)
    assert found is not None
    assert (round(found.low, 4), round(found.high, 4)) == expected


def test_wilson_by_hand_and_without_trials() -> None:
    # 16 of 40: p = 0.4, z² = 3.841459; centre (0.4 + z²/80) / (1 + z²/40) = 0.408762,
    # half z √(0.4·0.6/40 + z²/6400) / (1 + z²/40) = 0.145279
    found = wilson(16, 40)
    assert found is not None
    assert found.low == pytest.approx(0.263483, abs=1e-6)
    assert found.high == pytest.approx(0.554041, abs=1e-6)
    assert wilson(0, 0) is None


@pytest.mark.parametrize(("counts", "expected"), NEWCOMBE)
def test_difference_interval_matches_newcombe(
    counts: tuple[int, int, int, int], expected: tuple[float, float]
) -> None:
    test = two_proportions(*counts)
    assert (round(test.interval.low, 4), round(test.interval.high, 4)) == expected
    assert test.difference == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3])


def test_two_proportion_z_is_the_square_root_of_pearsons_chi_square() -> None:
    # 56/70 against 48/80: the 2×2 table [[56, 14], [48, 32]] has chi² = N (ad − bc)² /
    # (r1 r2 c1 c2) = 150 · 1120² / (70 · 80 · 104 · 46) = 7.023411
    test = two_proportions(56, 70, 48, 80)
    assert test.statistic == pytest.approx(math.sqrt(150 * 1120**2 / (70 * 80 * 104 * 46)))
    assert test.statistic == pytest.approx(2.650172, abs=1e-6)
    assert test.p_value == pytest.approx(0.008045, abs=1e-6)  # 2 (1 − Φ(2.650172))
    same = two_proportions(0, 10, 0, 20)
    assert (same.statistic, same.p_value) == (0.0, 1.0)


def test_t_quantiles() -> None:
    # printed tables up to 30, then Cornish-Fisher: t(31) = 2.039513, t(40) = 2.021075,
    # t(120) = 1.979930
    assert [t975(d) for d in (1, 2, 10, 30)] == [12.706205, 4.302653, 2.228139, 2.042272]
    assert t975(31) == pytest.approx(2.039513, abs=1e-5)
    assert t975(40) == pytest.approx(2.021075, abs=1e-5)
    assert t975(120) == pytest.approx(1.979930, abs=1e-5)
    with pytest.raises(ValueError):
        t975(0)


def test_mean_interval_by_hand() -> None:
    # 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample variance 32/7, t(7) = 2.364624:
    # 5 ± 2.364624 · √(32/7/8) = 5 ± 1.787488
    values = [2, 4, 4, 4, 5, 5, 7, 9]
    sample = Moments(len(values), sum(values), sum(v * v for v in values))
    assert sample.mean == 5 and sample.variance == pytest.approx(32 / 7)
    found = mean_interval(sample)
    assert found is not None
    assert (found.low, found.high) == (pytest.approx(3.212512), pytest.approx(6.787488))
    assert mean_interval(Moments(1, 5, 25)) is None


def test_welch_by_hand() -> None:
    # 1..5 (mean 3, variance 2.5) against 2, 4, …, 12 (mean 7, variance 14):
    # se = √(2.5/5 + 14/6) = 1.683251, z = −4 / se = −2.376354, p = 0.017485
    a = Moments(5, 15, 55)
    b = Moments(6, 42, 364)
    test = two_means(a, b)
    assert test.difference == -4
    assert test.statistic == pytest.approx(-2.376354, abs=1e-6)
    assert test.p_value == pytest.approx(0.017485, abs=1e-6)
    assert test.interval.low == pytest.approx(-4 - 1.959964 * 1.683251, abs=1e-5)
    with pytest.raises(ValueError):
        two_means(Moments(1, 3, 9), b)


def test_holm_by_hand() -> None:
    # sorted 0.005, 0.01, 0.03, 0.04 × 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 → running max
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == [1.0, 1.0]  # capped at 1
    assert holm([]) == []
