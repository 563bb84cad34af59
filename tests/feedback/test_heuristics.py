"""Every heuristic worked out by hand on small journeys; credit sums to what it distributes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from demandos.feedback import HEURISTICS, HeuristicOptions, Journeys, heuristics

from .journeys import journeys, random_journeys

# a>b>c>b converts once (value 100); c>a converts twice (value 40); b does not convert.
J = journeys(["a>b>c>b", "c>a", "b"], conv=[1, 2, 0], null=[0, 0, 1], value=[100, 40, 0])


def credit(model: str, j: Journeys = J, **options: object) -> dict[str, tuple[float, float]]:
    c = heuristics(j, HeuristicOptions(**options), (model,))[model]  # type: ignore[arg-type]
    return {k: (float(c.conversions[i]), float(c.value[i])) for i, k in enumerate(c.labels)}


def test_first_and_last_touch() -> None:
    assert credit("first") == {"a": (1, 100), "b": (0, 0), "c": (2, 40)}
    assert credit("last") == {"a": (2, 40), "b": (1, 100), "c": (0, 0)}


def test_linear() -> None:
    got = credit("linear")
    assert got["a"] == pytest.approx((0.25 + 1, 25 + 20))
    assert got["b"] == pytest.approx((0.5, 50))
    assert got["c"] == pytest.approx((0.25 + 1, 25 + 20))


def test_position_based_u_shape() -> None:
    got = credit("position")  # 40 / 20 / 40; two touches split 50:50
    assert got["a"] == pytest.approx((0.4 + 1.0, 40 + 20))
    assert got["b"] == pytest.approx((0.1 + 0.4, 10 + 40))
    assert got["c"] == pytest.approx((0.1 + 1.0, 10 + 20))
    got = credit("position", position=(0.3, 0.3, 0.4))
    assert got["c"] == pytest.approx((0.15 + 2 * 0.3 / 0.7, 15 + 40 * 0.3 / 0.7))


def test_time_decay_halves_weight_per_half_life() -> None:
    # without times, a touch's age is its distance from the last touch, in steps (days)
    w = np.array([2.0**-3, 2.0**-2, 2.0**-1, 1.0])
    w = w / w.sum()
    two = np.array([0.5, 1.0]) / 1.5
    got = credit("time_decay", half_life_days=1.0)
    assert got["a"] == pytest.approx((w[0] + 2 * two[1], 100 * w[0] + 40 * two[1]))
    assert got["b"] == pytest.approx((w[1] + w[3], 100 * (w[1] + w[3])))
    assert got["c"] == pytest.approx((w[2] + 2 * two[0], 100 * w[2] + 40 * two[0]))


def test_w_shaped_and_full_path_use_the_key_touches() -> None:
    # first journey: the lead was created by its 2nd touch, the opportunity by its 3rd
    lead = np.array([True, True, False, False, True, False, True])
    opp = np.array([True, True, True, False, True, True, True])
    j = Journeys(J.offsets, J.member, J.conv, J.null, J.value, J.labels, lead_key=lead,
                 opp_key=opp)  # fmt: skip
    w = credit("w_shaped", j)  # keys: 1st, 2nd, 4th touch get 0.3; the 3rd 0.1
    assert w["a"] == pytest.approx((0.3 + 1.0, 30 + 20))
    assert w["b"] == pytest.approx((0.6, 60))
    assert w["c"] == pytest.approx((0.1 + 1.0, 10 + 20))
    z = credit("full_path", j)  # all four touches are keys: 0.25 each
    assert z["a"] == pytest.approx((0.25 + 1.0, 25 + 20))
    assert z["b"] == pytest.approx((0.5, 50))
    assert z["c"] == pytest.approx((0.25 + 1.0, 25 + 20))
    # without key touches known, the lead touch is the last: W-shaped is U-shaped at 45/10/45
    plain = credit("w_shaped")
    assert plain["a"] == pytest.approx((0.45 + 1.0, 45 + 20))
    assert plain["c"] == pytest.approx((0.05 + 1.0, 5 + 20))


def test_full_path_with_six_touches() -> None:
    j = journeys(["a>b>c>d>e>f"], conv=[1])
    lead = np.array([True, True, False, False, False, False])
    opp = np.array([True, True, True, True, False, False])
    j = Journeys(j.offsets, j.member, j.conv, j.null, j.value, j.labels, lead_key=lead,
                 opp_key=opp)  # fmt: skip
    got = heuristics(j, None, ("full_path",))["full_path"].conversions
    assert got == pytest.approx([0.225, 0.225, 0.05, 0.225, 0.05, 0.225])


def test_touch_type_weights_scale_shares() -> None:
    j = journeys(["a>b"], conv=[1], value=[10])
    j = Journeys(j.offsets, j.member, j.conv, j.null, j.value, j.labels,
                 weight=np.array([1.0, 3.0]))  # fmt: skip
    assert heuristics(j, None, ("linear",))["linear"].conversions == pytest.approx([0.25, 0.75])
    assert heuristics(j, None, ("first",))["first"].conversions == pytest.approx([1.0, 0.0])


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="half-life"):
        HeuristicOptions(half_life_days=0)
    with pytest.raises(ValueError, match="sum to 1"):
        HeuristicOptions(position=(0.5, 0.5, 0.5))


@settings(max_examples=60, deadline=None)
@given(random_journeys())
def test_every_heuristic_distributes_exactly_the_conversions_and_value(j: Journeys) -> None:
    for name, c in heuristics(j).items():
        assert c.conversions.sum() == pytest.approx(j.total_conversions, rel=1e-12), name
        assert c.value.sum() == pytest.approx(j.total_value, rel=1e-12), name
        assert np.all(c.conversions >= 0)
    assert set(heuristics(j)) == set(HEURISTICS)
