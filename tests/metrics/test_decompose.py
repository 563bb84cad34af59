"""Driver decomposition: Shapley parts and mix/rate splits by hand, their laws, and explain()
on the hand-made company (March 2026 against February 2026 and March 2025)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demandos.errors import MetricError
from demandos.metrics.catalog import BUILTINS, COMPONENTS
from demandos.metrics.decompose import Explanation, explain, mix_rate, shapley
from demandos.metrics.drivers import DRIVERS, needed
from demandos.store import FactStore

from .fixture import TODAY, specs


def close(a: float, b: float, *scale: float) -> bool:
    """Equal to 1e-9 of the largest magnitude involved (the parts' floating-point error)."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * max((1.0, *map(abs, scale))))


def sums_to_change(parts: list[float], before: float, after: float) -> bool:
    return close(math.fsum(parts), after - before, before, after)


# -- Shapley ---------------------------------------------------------------------------------


def test_shapley_of_a_product_by_hand() -> None:
    # a × b, a: 2 → 3, b: 10 → 20. a's part: ½[(3−2)·10 + (3−2)·20] = 15; b's: ½[2·10 + 3·10] = 25
    parts = shapley(lambda x: x["a"] * x["b"], {"a": 2.0, "b": 10.0}, {"a": 3.0, "b": 20.0})
    assert parts == {"a": 15.0, "b": 25.0}


def test_shapley_of_a_sum_is_each_terms_change() -> None:
    parts = shapley(lambda x: x["m"] + x["o"], {"m": 50.0, "o": 2800.0}, {"m": 500.0, "o": 3720.0})
    assert parts == {"m": 450.0, "o": 920.0}


def test_shapley_is_none_where_the_function_is_undefined_between_the_periods() -> None:
    # cost = media + other is 0 at (media after, other before): the quotient is undefined there
    f = lambda x: 1 / (x["m"] + x["o"]) if x["m"] + x["o"] else None  # noqa: E731
    assert shapley(f, {"m": 5.0, "o": 0.0}, {"m": 0.0, "o": 5.0}) is None


def brute_force(f: object, before: Mapping[str, float], after: Mapping[str, float]
                ) -> dict[str, float]:  # fmt: skip
    """The definition: each input's marginal effect, averaged over every order of moving."""
    names = list(before)
    orders = list(itertools.permutations(names))
    parts = dict.fromkeys(names, 0.0)
    for order in orders:
        point = dict(before)
        for name in order:
            was = f(point)  # type: ignore[operator]
            point[name] = after[name]
            parts[name] += (f(point) - was) / len(orders)  # type: ignore[operator]
    return parts


_value = st.one_of(st.just(0.0), st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False))
_positive = st.one_of(st.just(0.0), st.floats(1e-3, 1e6, allow_nan=False))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_value, _value), min_size=1, max_size=5))
def test_shapley_parts_of_a_product_sum_to_the_change(pairs: list[tuple[float, float]]) -> None:
    before = {f"x{i}": a for i, (a, _) in enumerate(pairs)}
    after = {f"x{i}": b for i, (_, b) in enumerate(pairs)}
    f = lambda x: math.prod(x.values())  # noqa: E731
    parts = shapley(f, before, after)
    assert parts is not None
    mixes = [f({k: (after if b else before)[k] for k, b in zip(before, bits, strict=True)})
             for bits in itertools.product((0, 1), repeat=len(before))]  # fmt: skip
    assert close(math.fsum(parts.values()), f(after) - f(before), *mixes, *parts.values())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_positive, _positive), min_size=5, max_size=5))
def test_shapley_der_identity_matches_the_definition_and_sums(pairs: list[tuple[float, float]]
                                                              ) -> None:  # fmt: skip
    der = DRIVERS["der"].identities[0]
    ids = [d.id for d in der.drivers]
    before = {i: a for i, (a, _) in zip(ids, pairs, strict=True)}
    after = {i: b for i, (_, b) in zip(ids, pairs, strict=True)}
    if before["media"] + before["other_costs"] == 0 or after["media"] + after["other_costs"] == 0:
        return
    parts = shapley(der.combine, before, after)
    if parts is None:  # cost is zero at a mix of the two periods
        assert before["media"] + after["other_costs"] == 0 or after["media"] + before[
            "other_costs"] == 0  # fmt: skip
        return
    v0, v1 = der.combine(before), der.combine(after)
    assert v0 is not None and v1 is not None
    assert sums_to_change(list(parts.values()), v0, v1) or close(
        math.fsum(parts.values()), v1 - v0, *(abs(v) for v in parts.values())
    )
    expected = brute_force(der.combine, before, after)
    for name in ids:
        assert close(parts[name], expected[name], v0, v1, *expected.values())


# -- mix and rate ----------------------------------------------------------------------------


def test_mix_and_rate_by_hand() -> None:
    # R0 = (10 + 0) ÷ (5 + 5) = 1; R1 = (12 + 3) ÷ (4 + 6) = 1.5
    # A: w .5 → .4, r 2 → 3: rate = .45 × 1 = .45, mix = 2.5 × −.1 = −.25
    # B: w .5 → .6, r 0 → .5: rate = .55 × .5 = .275, mix = .25 × .1 = .025
    a, b = mix_rate({"A": (10.0, 5.0), "B": (0.0, 5.0)}, {"A": (12.0, 4.0), "B": (3.0, 6.0)})
    assert (a.member, a.rate_before, a.rate_after) == ("A", 2.0, 3.0)
    assert a.rate == pytest.approx(0.45) and a.mix == pytest.approx(-0.25)
    assert b.rate == pytest.approx(0.275) and b.mix == pytest.approx(0.025)
    assert a.total + b.total == pytest.approx(0.5)


def test_a_member_that_enters_is_all_mix_and_one_without_a_denominator_is_unsplit() -> None:
    # "new" had no rows before: its change is mix at its own rate (2 × 0.5 share = 1.0 of R).
    # "free" has a numerator but no denominator: its term 4 ÷ 8 is reported whole.
    splits = mix_rate(
        {"old": (4.0, 4.0)}, {"old": (2.0, 4.0), "new": (8.0, 4.0), "free": (4.0, 0.0)}
    )
    by = {s.member: s for s in splits}
    assert (by["new"].rate, by["new"].mix, by["new"].unsplit) == (0.0, 1.0, 0.0)
    assert by["free"].unsplit == 0.5 and by["free"].reason and "no rate" in by["free"].reason
    assert by["free"].rate_after is None
    assert math.fsum(s.total for s in splits) == pytest.approx((2 + 8 + 4) / 8 - 1)


def test_mix_rate_refuses_a_zero_denominator() -> None:
    with pytest.raises(ValueError, match="zero"):
        mix_rate({"a": (1.0, 0.0)}, {"a": (1.0, 1.0)})


_member = st.tuples(_positive, _positive)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.sampled_from("abcdef"), _member, min_size=1),
    st.dictionaries(st.sampled_from("abcdef"), _member, min_size=1),
    st.sampled_from([1.0, 1000.0]),
)
def test_rate_and_mix_effects_sum_to_the_change(
    before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]], k: float
) -> None:
    den0, den1 = (math.fsum(d for _, d in side.values()) for side in (before, after))
    if den0 == 0 or den1 == 0:
        return
    r0 = k * math.fsum(n for n, _ in before.values()) / den0
    r1 = k * math.fsum(n for n, _ in after.values()) / den1
    splits = mix_rate(before, after, k)
    terms = [t for s in splits for t in (s.rate, s.mix, s.unsplit)]
    assert close(math.fsum(terms), r1 - r0, r0, r1, *terms)
    for s in splits:
        assert s.unsplit == 0.0 or (s.rate, s.mix) == (0.0, 0.0)


# -- the identities --------------------------------------------------------------------------


def test_every_identity_reads_known_components_and_covers_its_formula() -> None:
    for builtin, drivers in DRIVERS.items():
        assert builtin in BUILTINS
        assert needed(drivers) <= set(COMPONENTS), builtin
        for identity in drivers.identities:
            ids = [d.id for d in identity.drivers]
            assert len(ids) == len(set(ids)), builtin


# -- explain() on the hand-made company --------------------------------------------------------


def parts_sum(e: Explanation) -> None:
    assert e.value is not None and e.before is not None
    assert sums_to_change([p.contribution for p in e.drivers()], e.before, e.value)
    if e.by is not None and e.member_state in ("ok", "partial"):
        assert sums_to_change([p.contribution for p in e.members()], e.before, e.value)


def test_pipeline_created_march_against_february(store: FactStore) -> None:
    # February: o2 (5,000), 1 lead (p3). March: o1 + o3 + o6 = 20,000 from 3 opps, 3 leads.
    # Rate 1 → 1 gets nothing; leads and amount split L × A: leads ½[2·5000 + 2·6666.67]
    e = explain(store, specs(), "pipeline_created", "2026-03", today=TODAY)
    assert (e.before, e.value, e.change, e.state, e.against) == (5000.0, 20000.0, 15000.0, "ok",
                                                                 "2026-02")  # fmt: skip
    assert e.identity == "leads × lead→opportunity rate × average opportunity amount"
    parts = {p.driver: p for p in e.drivers()}
    assert (parts["leads"].before, parts["leads"].after) == (1.0, 3.0)
    assert parts["leads"].contribution == pytest.approx((2 * 5000 + 2 * 20000 / 3) / 2)
    assert parts["lead_to_opp"].contribution == pytest.approx(0.0, abs=1e-9)
    assert parts["avg_amount"].contribution == pytest.approx((1 + 3) / 2 * (20000 / 3 - 5000))
    parts_sum(e)


def test_der_march_against_february_and_last_year(store: FactStore) -> None:
    # March: 20,000 ÷ (500 media + 3,100 people + 620 tools); February: 5,000 ÷ (50 + 2,800).
    e = explain(store, specs(), "der", "2026-03", today=TODAY)
    assert e.before == pytest.approx(5000 / 2850) and e.value == pytest.approx(20000 / 4220)
    media = next(p for p in e.drivers() if p.driver == "media")
    assert (media.before, media.after) == (50.0, 500.0)
    assert media.contribution < 0  # more media, same pipeline: DER down
    parts_sum(e)
    # March 2025: o7 (1,000) ÷ (80 media + 3,100 people)
    ly = explain(store, specs(), "der", "2026-03", against="last_year", today=TODAY)
    assert (ly.against, ly.comparison) == ("2025-03", "last_year")
    assert ly.before == pytest.approx(1000 / 3180)
    parts_sum(ly)


def test_a_finer_identity_that_does_not_hold_falls_back(store: FactStore) -> None:
    # January 2026: o4 (6,000) but no leads; December 2025: nothing. leads × rate × amount gives
    # 0, not 6,000, so opportunities × average amount explains it: all of it is opportunities.
    e = explain(store, specs(), "pipeline_created", "2026-01", today=TODAY)
    assert (e.before, e.value) == (0.0, 6000.0)
    assert e.identity == "opportunities created × average opportunity amount"
    assert e.driver_reason and "does not hold" in e.driver_reason
    parts = {p.driver: p for p in e.drivers()}
    assert parts["opps_created"].contribution == 6000.0
    assert parts["avg_amount"].contribution == 0.0
    assert parts["avg_amount"].before is None and parts["avg_amount"].reason
    parts_sum(e)


def test_a_sum_splits_by_member(store: FactStore) -> None:
    # opportunities.source: webinar 0 → 18,000; paid_social 0 → 2,000; (unassigned) 5,000 → 0
    e = explain(store, specs(), "pipeline_created", "2026-03", by="channel", today=TODAY)
    got = {p.member: (p.before, p.after, p.contribution) for p in e.members()}
    assert got == {"(unassigned)": (5000.0, 0.0, -5000.0), "paid_social": (0.0, 2000.0, 2000.0),
                   "webinar": (0.0, 18000.0, 18000.0)}  # fmt: skip
    assert e.member_state == "ok"
    parts_sum(e)


def test_a_ratio_splits_into_mix_and_rate(store: FactStore) -> None:
    # CTR by channel. February: google 40 ÷ 4,000. March: google 100 ÷ 10,000, linkedin
    # 20 ÷ 5,000, meta 10 ÷ 1,000. Google keeps 1% but falls from all to 62.5% of impressions.
    e = explain(store, specs(), "ctr", "2026-03", by="channel", today=TODAY)
    assert e.before == 0.01 and e.value == pytest.approx(130 / 16000)
    got = {(p.member, p.effect): p.contribution for p in e.members()}
    assert got[("google_ads", "rate")] == pytest.approx(0.0, abs=1e-12)
    assert got[("google_ads", "mix")] == pytest.approx(0.01 * (0.625 - 1))
    assert got[("linkedin_ads", "rate")] == 0.0  # entered: all mix, at its own 0.4%
    assert got[("linkedin_ads", "mix")] == pytest.approx(0.004 * 0.3125)
    assert got[("meta_ads", "mix")] == pytest.approx(0.01 * 0.0625)
    parts_sum(e)


def test_members_without_cost_are_unsplit(store: FactStore) -> None:
    # DER by channel: pipeline by opportunity source, cost by spend channel and (unassigned).
    # webinar and paid_social brought pipeline in March with no cost of their own.
    e = explain(store, specs(), "der", "2026-03", by="channel", today=TODAY)
    unsplit = {p.member: p.contribution for p in e.members() if p.effect == "unsplit"}
    assert unsplit == pytest.approx({"webinar": 18000 / 4220, "paid_social": 2000 / 4220})
    parts_sum(e)


def test_no_data_is_a_state_with_a_reason(store: FactStore) -> None:
    # April 2026: the store's data ends on 31 March.
    e = explain(store, specs(), "der", "2026-04", by="channel", today=TODAY)
    assert (e.value, e.state, e.driver_state, e.member_state) == (None, "no_data", "no_data",
                                                                  "no_data")  # fmt: skip
    assert e.reason and "2026-04" in e.reason
    assert e.parts == [] and e.change is None
    assert e.to_arrow().num_rows == 0


def test_what_cannot_be_split_says_why(store: FactStore) -> None:
    e = explain(store, specs(), "pipeline_created", "2026-03", by="program", today=TODAY)
    assert e.member_state == "no_data" and "cannot be broken down by program" in (
        e.member_reason or "")  # fmt: skip
    calc = {"type": "simple", "table": "people", "agg": "count"}
    custom = specs(
        {
            "id": "all_people",
            "name": "P",
            "tier": 3,
            "owner": "ana",
            "unit": "count",
            "calculation": calc,
        }
    )
    e = explain(store, custom, "all_people", "2026-03", today=TODAY)
    assert (e.state, e.driver_state) == ("not_computed", "not_computed")


def test_bad_requests_fail_with_a_hint(store: FactStore) -> None:
    with pytest.raises(MetricError) as bad:
        explain(store, specs(), "dre", "2026-03", today=TODAY)
    assert bad.value.hint and "der" in bad.value.hint
    with pytest.raises(MetricError, match="compare"):
        explain(store, specs(), "der", "2026-03", against="lastyear", today=TODAY)


def test_tidy_output(store: FactStore) -> None:
    e = explain(store, specs(), "der", "2026-03", by="channel", today=TODAY)
    frame = e.to_pandas()
    assert len(frame) == len(e.parts)
    assert set(frame.effect) >= {"driver", "rate", "mix", "unsplit"}
    drivers = frame[frame.effect == "driver"]
    assert drivers.share.sum() == pytest.approx(1.0)
    data = e.as_dict()
    assert data["change"] == pytest.approx(e.change) and len(data["drivers"]) == 5
