"""The exact Markov chain: recovers a known chain of order 1 and 2, its removal effects by hand,
credit sums exactly, and it agrees with ChannelAttribution's simulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from demandos.feedback import AttributionError, Journeys, fit, markov, removal_effects

from .journeys import journeys, random_journeys


def transition(chain, history_from: tuple[str, ...], to: tuple[str, ...] | str, labels: str):
    """P(from → to) in a fitted chain; ``to`` is a history, "conv" or "null"."""
    idx = {tuple(labels[m] for m in h): s for s, h in enumerate(chain.histories)}
    q, r, _ = chain.probabilities()
    s = idx[history_from]
    if to == "conv":
        return float(r[s])
    if to == "null":
        return float(chain.to_null[s] / chain.out[s])
    return float(q[s, idx[to]])


def test_order_one_recovers_a_known_chain_and_its_removal_effects() -> None:
    # start→a ½, start→b ½; a→b ½, a→conv ¼, a→null ¼; b→conv ½, b→null ½.
    # 8 journeys in the chain's exact proportions:
    j = journeys(["a", "a>b", "b"], conv=[1, 1, 2], null=[1, 1, 2])
    chain = fit(j, 1)
    assert transition(chain, (), ("a",), "ab") == 0.5
    assert transition(chain, ("a",), ("b",), "ab") == 0.5
    assert transition(chain, ("a",), "conv", "ab") == 0.25
    assert transition(chain, ("a",), "null", "ab") == 0.25
    assert transition(chain, ("b",), "conv", "ab") == 0.5
    re, _, p, _ = removal_effects(chain, 2)
    assert p == pytest.approx(0.5)  # ½(¼ + ½·½) + ½·½
    assert re == pytest.approx([1 - 0.25 / 0.5, 1 - 0.125 / 0.5])  # without a: ½·½; without b: ½·¼
    credit = markov(j)
    assert credit.conversions == pytest.approx([4 * 0.5 / 1.25, 4 * 0.75 / 1.25])


def test_order_two_tells_histories_apart_that_order_one_merges() -> None:
    # after a>b three in four convert, after c>b one in four, after b alone two in four
    j = journeys(["a>b", "c>b", "b"], conv=[3, 1, 2], null=[1, 3, 2])
    chain = fit(j, 2)
    assert transition(chain, ("a", "b"), "conv", "abc") == 0.75
    assert transition(chain, ("c", "b"), "conv", "abc") == 0.25
    assert transition(chain, ("b",), "conv", "abc") == 0.5
    assert transition(chain, ("a",), ("a", "b"), "abc") == 1.0
    re, _, p, _ = removal_effects(chain, 3)
    assert p == pytest.approx(0.5)
    assert re == pytest.approx([1 - 3 / 6, 1.0, 1 - 5 / 6])  # a, b, c
    assert markov(j, 2).conversions == pytest.approx(6 * np.array([0.5, 1, 1 / 6]) / (5 / 3))
    # order 1 sees b convert half the time whoever came before: a and c are alike
    one = markov(j, 1).conversions
    assert one[0] == pytest.approx(one[2])


def test_order_three_reads_three_steps_of_history() -> None:
    j = journeys(["a>b>c", "b>b>c", "c"], conv=[1, 0, 1], null=[0, 1, 1])
    chain = fit(j, 3)
    labels = "abc"
    assert transition(chain, ("a", "b", "c"), "conv", labels) == 1.0
    assert transition(chain, ("b", "c"), "conv", labels) == 0.0  # b>b>c is b>c merged
    assert transition(chain, ("c",), "conv", labels) == 0.5
    assert {len(h) for h in chain.histories} == {0, 1, 2, 3}


def test_repeats_merge_and_value_follows_the_last_state() -> None:
    j = journeys(["a>a>b", "a>b"], conv=[1, 1], null=[0, 0], value=[30, 10])
    assert fit(j, 1).counts.nnz == fit(journeys(["a>b"], conv=[2]), 1).counts.nnz
    credit = markov(j)  # both channels are needed for every conversion: equal shares
    assert credit.conversions == pytest.approx([1, 1])
    assert credit.value == pytest.approx([20, 20])


def test_without_non_converting_journeys() -> None:
    j = journeys(["a", "a>b", "b"], conv=[1, 1, 2], null=[1, 1, 2])
    # converting only: start→a ½ then a→b ½ or conv ½; start→b ½, b converts always
    re = removal_effects(fit(j, 1, nulls=False), 2)[0]
    assert re == pytest.approx([1 - 0.5, 1 - 0.25])
    assert markov(j, nulls=False).conversions.sum() == pytest.approx(4)


def test_orders_outside_one_to_three_are_refused() -> None:
    with pytest.raises(AttributionError, match="order 4") as err:
        fit(journeys(["a"], conv=[1]), 4)
    assert err.value.hint == "use --order 1, 2 or 3"


@settings(max_examples=40, deadline=None)
@given(random_journeys())
def test_credit_sums_to_the_conversions_and_value_at_every_order(j: Journeys) -> None:
    for order in (1, 2, 3):
        for nulls in (True, False):
            c = markov(j, order, nulls=nulls)
            assert c.conversions.sum() == pytest.approx(j.total_conversions, rel=1e-9)
            assert c.value.sum() == pytest.approx(j.total_value, rel=1e-9)
            assert np.all(c.conversions >= -1e-12)


def test_same_answer_every_run() -> None:
    j = journeys(["a>b>c", "c>a", "b>a>c", "c"], conv=[1, 0, 1, 1], null=[1, 2, 0, 1])
    first = markov(j, 2).conversions
    assert all(np.array_equal(first, markov(j, 2).conversions) for _ in range(3))


@settings(max_examples=40, deadline=None)
@given(random_journeys())
def test_first_order_shortcut_equals_the_general_chain(j: Journeys) -> None:
    from demandos.feedback.markov import _fit_first_order, _fit_histories

    fast, general = _fit_first_order(j), _fit_histories(j, 1)
    members = len(j.labels)
    got, want = removal_effects(fast, members), removal_effects(general, members)
    assert got[2] == pytest.approx(want[2]) and got[3] == pytest.approx(want[3])  # p and value
    assert got[0] == pytest.approx(want[0], abs=1e-12)
    assert got[1] == pytest.approx(want[1], abs=1e-12)
