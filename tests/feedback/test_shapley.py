"""Shapley values: by hand, against the definition over every order of the players, the axioms
(efficiency, symmetry, null player), and the sampled estimate's interval."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings

from demandos.feedback import Journeys, shapley

from .journeys import journeys, random_journeys


def brute_force(j: Journeys, rate: bool) -> np.ndarray:
    """Shapley by its definition: the mean marginal worth over all orders of the players."""
    sets = [frozenset(j.member[j.offsets[i] : j.offsets[i + 1]].tolist()) for i in range(len(j))]
    players = sorted(set().union(*sets))

    def v(s: frozenset[int]) -> float:
        inside = [i for i, t in enumerate(sets) if t <= s]
        conv = sum(j.conv[i] for i in inside)
        count = sum(j.conv[i] + j.null[i] for i in inside)
        return (conv / count if count else 0.0) if rate else conv

    phi = np.zeros(len(j.labels))
    orders = list(itertools.permutations(players))
    for order in orders:
        before: frozenset[int] = frozenset()
        for p in order:
            phi[p] += v(before | {p}) - v(before)
            before = before | {p}
    return phi / len(orders)


J = journeys(["a>b", "a", "b>c", "c>a>b", "a>a>b", "c"], conv=[1, 0, 1, 1, 0, 2],
             null=[1, 2, 0, 1, 1, 1], value=[10, 0, 5, 3, 0, 8])  # fmt: skip


def test_conversions_game_by_hand() -> None:
    c = shapley(J, nulls=False)  # each conversion split among its journey's distinct channels
    assert c.conversions == pytest.approx([1 / 2 + 1 / 3, 1 / 2 + 1 / 2 + 1 / 3, 1 / 2 + 1 / 3 + 2])
    assert c.value == pytest.approx([5 + 1, 5 + 2.5 + 1, 2.5 + 1 + 8])
    assert c.conversions == pytest.approx(brute_force(J, rate=False))


def test_rate_game_equals_the_definition() -> None:
    phi = brute_force(J, rate=True)
    c = shapley(J)
    assert c.conversions == pytest.approx(phi / phi.sum() * J.total_conversions)
    assert c.conversions.sum() == pytest.approx(5)


def test_symmetry_null_player_and_efficiency() -> None:
    # a and b always appear together: equal credit; d converts nothing and adds no rate
    j = journeys(["a>b", "b>a>c", "c", "d"], conv=[2, 1, 1, 0], null=[0, 1, 1, 0],
                 labels=("a", "b", "c", "d"))  # fmt: skip
    for nulls in (False, True):
        c = shapley(j, nulls=nulls)
        assert c.conversions[0] == pytest.approx(c.conversions[1])
        assert c.conversions.sum() == pytest.approx(4)
    j = journeys(["a>b", "b>a>c", "c", "d", "c>d"], conv=[2, 1, 1, 0, 0], null=[0, 1, 1, 1, 0],
                 labels=("a", "b", "c", "d"))  # fmt: skip
    assert shapley(j, nulls=False).conversions[3] == 0.0  # d is in no converting journey


def test_a_member_in_no_journey_gets_nothing() -> None:
    j = journeys(["a>b", "b"], conv=[1, 1], null=[1, 0], labels=("a", "b", "z"))
    assert shapley(j).conversions[2] == 0.0


def test_sampled_estimate_covers_the_exact_value_and_keeps_efficiency() -> None:
    exact = shapley(J)
    sampled = shapley(J, exact_max=2, samples=3000, seed=5)
    assert sampled.conversions.sum() == pytest.approx(J.total_conversions)
    low, high = sampled.extra["ci_low"], sampled.extra["ci_high"]
    assert np.all(low <= exact.conversions) and np.all(exact.conversions <= high)
    assert np.all(high - low < 0.2)
    assert "ci_low" not in exact.extra


def test_exact_up_to_sixteen_members_is_fast() -> None:
    rng = np.random.default_rng(0)
    paths = [">".join(chr(97 + x) for x in rng.choice(16, rng.integers(1, 5))) for _ in range(500)]
    conv = rng.integers(0, 2, 500).astype(float)
    j = journeys(paths, conv.tolist(), (1 - conv).tolist())
    c = shapley(j)
    assert len(c.labels) == 16 and "ci_low" not in c.extra
    assert c.conversions.sum() == pytest.approx(conv.sum())


@settings(max_examples=40, deadline=None)
@given(random_journeys(members=4, max_journeys=12))
def test_equals_the_definition_and_sums_exactly(j: Journeys) -> None:
    for nulls in (False, True):
        c = shapley(j, nulls=nulls)
        assert c.conversions.sum() == pytest.approx(j.total_conversions, rel=1e-9)
        assert c.value.sum() == pytest.approx(j.total_value, rel=1e-9)
    if j.null.sum() == 0:
        return
    phi = brute_force(j, rate=True)
    if abs(phi.sum()) > 1e-9:
        got = shapley(j).conversions
        assert got == pytest.approx(phi / phi.sum() * j.total_conversions, abs=1e-9)
    assert math.isfinite(float(phi.sum()))
