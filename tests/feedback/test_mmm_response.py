"""Budget response by hand: the adstock and saturation transforms on tiny arrays (and that they are
PyMC-Marketing's), response curves, and the reallocation's constraints and optimum."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demandos.feedback.mmm import quiet
from demandos.feedback.mmm_response import (
    ResponseCurve,
    geometric_adstock,
    logistic_saturation,
    reallocate,
)


def test_adstock_spreads_a_week_of_spend_over_l_max_weeks() -> None:
    # weights 1, 0.5, 0.25 normalized by 1.75
    out = geometric_adstock([7.0, 0.0, 0.0, 0.0], alpha=0.5, l_max=3)
    assert out == pytest.approx([4.0, 2.0, 1.0, 0.0])


def test_adstock_of_steady_spend_is_the_spend_once_l_max_weeks_have_passed() -> None:
    out = geometric_adstock([100.0] * 5, alpha=0.6, l_max=3)
    w = np.array([1.0, 0.6, 0.36]) / 1.96
    assert out[0] == pytest.approx(100 * w[0])
    assert out[1] == pytest.approx(100 * (w[0] + w[1]))
    assert out[2:] == pytest.approx([100.0, 100.0, 100.0])


def test_logistic_saturation_by_hand() -> None:
    # at λu = ln 3: e^{-λu} = 1/3, (1 - 1/3) / (1 + 1/3) = 1/2
    assert logistic_saturation(math.log(3), 1.0) == pytest.approx(0.5)
    assert logistic_saturation(1.0, math.log(3)) == pytest.approx(0.5)
    assert logistic_saturation(0.0, 2.0) == 0.0
    assert logistic_saturation(50.0, 2.0) == pytest.approx(1.0)


def test_the_transforms_are_the_ones_pymc_marketing_fits() -> None:
    with quiet():
        from pymc_marketing.mmm import transformers
        from pytensor.xtensor import as_xtensor

        x = np.array([3.0, 0.0, 1.0, 0.0, 0.0])
        adstocked = transformers.geometric_adstock(
            as_xtensor(x, dims=("date",)), alpha=0.4, l_max=3, dim="date", normalize=True
        ).eval()
        u = np.array([0.1, 0.5, 2.0])
        saturated = transformers.logistic_saturation(as_xtensor(u, dims=("date",)), lam=1.7).eval()
    assert adstocked == pytest.approx(geometric_adstock(x, 0.4, 3))
    assert saturated == pytest.approx(logistic_saturation(u, 1.7))


def _curve(
    name: str, beta: list[float], lam: float = math.log(3), scale: float = 100.0
) -> ResponseCurve:
    return ResponseCurve(name, np.array(beta), np.full(len(beta), lam), scale, 1000.0)


def test_response_curve_in_currency_per_draw() -> None:
    curve = _curve("a", [1.0, 3.0])
    # spend 100 = 1 in channel units; ln3 · 1 saturates to 1/2; × target 1000 × β
    assert curve.draws(100.0) == pytest.approx([500.0, 1500.0])
    assert curve.mean(100.0) == pytest.approx(1000.0)
    assert curve.mean(0.0) == 0.0
    h = 1e-4
    assert curve.slope(80.0) == pytest.approx((curve.mean(80 + h) - curve.mean(80 - h)) / (2 * h))
    assert curve.slope(200.0) < curve.slope(100.0) < curve.slope(10.0)  # diminishing returns


def test_reallocation_moves_to_the_better_margin_up_to_the_caps() -> None:
    # Two identical curves, 100 and 300 a week: the optimum splits 200/200, but each may move
    # only 30%: A to 130 (its cap), B to 270 (the rest of the 400 held).
    a, b = _curve("a", [1.0]), _curve("b", [1.0])
    move = reallocate([a, b], {"a": 100.0, "b": 300.0}, max_shift=0.3, weeks=13)
    got = {m.channel: m.proposed for m in move.moves}
    assert got == pytest.approx({"a": 130.0, "b": 270.0})
    assert sum(got.values()) == pytest.approx(400.0)
    gain = a.mean(130) + b.mean(270) - a.mean(100) - b.mean(300)
    assert gain > 0
    assert move.gain == pytest.approx(gain)
    assert move.gain_low == pytest.approx(gain) and move.gain_high == pytest.approx(gain)
    assert move.probability_positive == 1.0
    assert move.sentences("USD")[0] == "Move 30 USD/week from b to a"
    assert move.sentences("USD")[1].startswith(f"Expected +{gain * 13:,.0f} USD pipeline over 13")


def test_reallocation_without_caps_meets_where_slopes_are_equal() -> None:
    a, b = _curve("a", [1.0]), _curve("b", [1.0])
    move = reallocate([a, b], {"a": 100.0, "b": 300.0}, max_shift=1.0)
    got = {m.channel: m.proposed for m in move.moves}
    assert got == pytest.approx({"a": 200.0, "b": 200.0}, rel=1e-6)


def test_reallocation_of_a_new_total_scales_the_mix_then_caps_around_it() -> None:
    a, b = _curve("a", [1.0]), _curve("b", [2.0])
    move = reallocate([a, b], {"a": 100.0, "b": 300.0}, budget=800.0, max_shift=0.1)
    got = {m.channel: (m.current, m.proposed) for m in move.moves}
    assert got["a"][0] == pytest.approx(200.0) and got["b"][0] == pytest.approx(600.0)
    assert got["a"][1] + got["b"][1] == pytest.approx(800.0)
    assert 180.0 - 1e-9 <= got["a"][1] <= 220.0 + 1e-9


def test_no_shift_allowed_keeps_the_mix() -> None:
    move = reallocate([_curve("a", [1.0]), _curve("b", [2.0])], {"a": 100, "b": 50}, max_shift=0)
    assert all(m.proposed == pytest.approx(m.current) for m in move.moves)
    assert move.gain == pytest.approx(0.0)
    assert move.sentences()[0].startswith("Keep the current mix")


def test_an_impossible_shift_is_refused() -> None:
    with pytest.raises(ValueError, match="max_shift"):
        reallocate([_curve("a", [1.0])], {"a": 100.0}, max_shift=1.5)


@settings(max_examples=40, deadline=None)
@given(
    params=st.lists(
        st.tuples(
            st.floats(0.05, 3.0),  # β
            st.floats(0.2, 6.0),  # λ
            st.floats(10.0, 5000.0),  # current weekly spend
        ),
        min_size=1,
        max_size=5,
    ),
    shift=st.floats(0.0, 1.0),
)
def test_reallocation_holds_the_total_respects_caps_and_never_loses(
    params: list[tuple[float, float, float]], shift: float
) -> None:
    curves = [
        ResponseCurve(f"c{i}", np.array([b, b * 1.2]), np.array([lam, lam]), 1000.0, 500.0)
        for i, (b, lam, _) in enumerate(params)
    ]
    current = {f"c{i}": spend for i, (_, _, spend) in enumerate(params)}
    move = reallocate(curves, current, max_shift=shift)
    total = sum(current.values())
    assert sum(m.proposed for m in move.moves) == pytest.approx(total, rel=1e-9)
    for m in move.moves:
        assert m.current * (1 - shift) - 1e-6 <= m.proposed <= m.current * (1 + shift) + 1e-6
    assert move.gain >= -1e-6 * max(move.current_pipeline, 1.0)
