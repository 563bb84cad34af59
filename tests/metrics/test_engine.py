"""The engine: states, targets and status, dimensions, custom metrics, and the demo company."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from demandos.errors import MetricError
from demandos.metrics import compute, status
from demandos.metrics.components import UNASSIGNED
from demandos.metrics.engine import DIMENSIONS
from demandos.spec.metrics import DIMENSIONS as SPEC_DIMENSIONS
from demandos.spec.metrics import Metric
from demandos.store import FactStore, open_facts

from .fixture import COSTS, TODAY, load, specs, spend

ANA = {"owner": "ana", "tier": 2, "parent": None}


def metric(id_: str, **extra: Any) -> dict[str, Any]:
    return {"id": id_, "name": id_, **ANA, **extra}


@pytest.mark.parametrize(
    ("value", "direction", "expected"),
    [
        (4.2, "higher_is_better", "green"),
        (3.5, "higher_is_better", "green"),  # at the amber line: not yet past it
        (3.4, "higher_is_better", "amber"),
        (2.9, "higher_is_better", "red"),
        (40.0, "lower_is_better", "green"),
        (56.0, "lower_is_better", "amber"),
        (71.0, "lower_is_better", "red"),
    ],
)
def test_status_both_directions(value: float, direction: str, expected: str) -> None:
    levels = (4.0, 3.5, 3.0) if direction == "higher_is_better" else (45.0, 55.0, 70.0)
    assert status(value, levels, direction) == expected


def test_status_without_amber_is_amber_below_target() -> None:
    assert status(3.9, (4.0, None, None), "higher_is_better") == "amber"
    assert status(4.0, (4.0, None, None), "higher_is_better") == "green"


def test_targets_scale_for_additive_metrics_only(store: FactStore) -> None:
    tree = specs(
        metric(
            "media_spend", builtin="media_spend", target={"value": 300, "amber": 330, "red": 360}
        ),
        metric("ctr", builtin="ctr", target={"value": 0.01, "amber": 0.008, "red": 0.005}),
    )
    quarter = compute(store, tree, "2026-Q1", today=TODAY)
    media = quarter.get("media_spend")  # 50 + 500 = 550 against 300 × 3 = 900
    assert (media.value, media.target, media.amber, media.red) == (550.0, 900.0, 990.0, 1080.0)
    assert media.status == "green"
    ctr = quarter.get("ctr")  # (40 + 130) ÷ (4000 + 16000), target unchanged
    assert ctr.value == pytest.approx(170 / 20000)
    assert (ctr.target, ctr.status) == (0.01, "green")
    week = compute(store, tree, "2026-W11", today=TODAY)  # 9-15 March: the 300 on 03-10
    assert week.get("media_spend").target == pytest.approx(300 * 12 / 52)
    assert week.get("media_spend").status == "red"


def test_targets_for_named_fiscal_periods(store: FactStore) -> None:
    target = {"value": 300, "periods": {"FY2026-Q4": {"value": 700, "amber": 800}}}
    tree = specs(metric("media_spend", builtin="media_spend", target=target),
                 fiscal_year_start_month=4)  # fmt: skip
    q4 = compute(store, tree, "FY2026-Q4", today=TODAY).get("media_spend")  # Jan-Mar 2026
    assert (q4.value, q4.target, q4.amber, q4.status) == (550.0, 700.0, 800.0, "green")
    q3 = compute(store, tree, "FY2026-Q3", today=TODAY).get("media_spend")  # Oct-Dec 2025
    assert q3.target == 900.0  # no override: 300 a month × 3


def test_gross_margin_comes_from_the_workspace(store: FactStore) -> None:
    tree = specs()
    half = replace(tree, workspace=tree.workspace.model_copy(update={"gross_margin": 0.5}))
    default = compute(store, tree, "2026-03", today=TODAY).get("cac_payback_months").value
    halved = compute(store, half, "2026-03", today=TODAY).get("cac_payback_months").value
    assert default is not None and halved == pytest.approx(default * 0.8 / 0.5)


def test_zero_denominator_is_no_data_with_reason(store: FactStore) -> None:
    # January 2026: no spend at all, so no clicks; no deals closed.
    table = compute(store, specs(), "2026-01", today=TODAY)
    for name, needle in [("cpc", "no clicks"), ("win_rate", "no deals closed")]:
        row = table.get(name)
        assert (row.value, row.state, row.status) == (None, "no_data", None)
        assert row.reason and needle in row.reason
    assert table.get("media_spend").value == 0.0  # a true zero: the data covers January
    assert table.get("media_spend").state == "ok"


def test_empty_period_and_missing_costs_are_no_data(store: FactStore) -> None:
    later = compute(store, specs(), "2027-03", today=date(2027, 6, 1))
    row = later.get("pipeline_created")
    assert (row.value, row.state) == (None, "no_data")
    assert "outside 2027-03" in (row.reason or "")
    jan = compute(store, specs(), "2026-01", today=TODAY)
    der = jan.get("der")  # the costs table has nothing for January 2026
    assert (der.value, der.state) == (None, "no_data")
    assert der.reason == "no costs (people, tools, agency, other) for 2026-01"


def test_partial_period(store: FactStore) -> None:
    table = compute(store, specs(), "2026-03", today=date(2026, 3, 20))
    row = table.get("pipeline_created")
    assert row.state == "partial"
    assert row.value == 20000.0
    assert "2026-03 runs to 2026-03-31" in (row.reason or "")
    # 2026-W14 runs 30 March to 5 April; the store's last rows are from 31 March.
    week = compute(store, specs(), "2026-W14", today=TODAY).get("fully_loaded_cost")
    assert week.state == "partial"
    assert week.reason == "data ends 2026-03-31, inside 2026-W14"
    # its costs: 2 of March's 31 days (3,720) and 5 of April's 30 (3,000); meta's 100 on 03-31
    assert week.value == pytest.approx(100 + 3720 * 2 / 31 + 3000 * 5 / 30)
    # and a quarter the data does not reach at all has no data
    assert compute(store, specs(), "2026-Q2", today=TODAY).get("media_spend").state == "no_data"


def test_by_channel_additive_sums_and_ratios_are_not_averaged(store: FactStore) -> None:
    table = compute(store, specs(), "2026-03", by="channel", today=TODAY)
    for name in ("media_spend", "impressions", "clicks", "fully_loaded_cost", "leads"):
        members = table.members(name)
        assert members, name
        assert sum(m.value or 0.0 for m in members) == pytest.approx(table.get(name).value)
    assert table.get("fully_loaded_cost", UNASSIGNED).value == 3720.0
    assert table.get("pipeline_created", "webinar").value == 18000.0
    ctr = [m.value for m in table.members("ctr")]  # 0.01, 0.004, 0.01
    assert ctr == pytest.approx([0.01, 0.004, 0.01])
    assert sum(ctr) / 3 == pytest.approx(0.008)  # the average of ratios would be wrong…
    assert table.get("ctr").value == pytest.approx(130 / 16000)  # …the ratio of sums is right
    assert all(m.target is None for m in table.members("ctr"))


def test_custom_simple_ratio_and_derived(store: FactStore) -> None:
    tree = specs(
        metric("google_spend", unit="currency", calculation={
            "type": "simple", "table": "spend", "agg": "sum", "column": "amount",
            "filters": [{"column": "channel", "value": "google_ads"}]}),
        metric("avg_deal", unit="currency", calculation={
            "type": "simple", "table": "opportunities", "agg": "avg", "column": "amount"}),
        metric("google_share", unit="ratio", calculation={
            "type": "ratio", "numerator": "google_spend", "denominator": "media_spend"}),
        metric("margin", unit="currency", calculation={
            "type": "derived", "expression": "pipeline_created - 2 * google_spend",
            "metrics": ["pipeline_created", "google_spend"]}),
    )  # fmt: skip
    table = compute(store, tree, "2026-03", today=TODAY)
    assert table.get("google_spend").value == 100.0
    assert table.get("avg_deal").value == pytest.approx(20000 / 3)
    assert table.get("google_share").value == pytest.approx(100 / 500)
    assert table.get("margin").value == pytest.approx(20000 - 200)


@pytest.mark.parametrize(
    ("calculation", "needle", "hint"),
    [
        ({"type": "simple", "table": "spend", "agg": "sum", "column": "amout"}, "amout",
         "did you mean 'amount'?"),
        ({"type": "ratio", "numerator": "leads", "denominator": "mqlz"}, "mqlz",
         "did you mean 'mqls'?"),
    ],
)  # fmt: skip
def test_unknown_names_fail_with_a_suggestion(
    store: FactStore, calculation: dict[str, Any], needle: str, hint: str
) -> None:
    tree = specs(metric("bad", unit="count", calculation=calculation))
    with pytest.raises(MetricError, match=needle) as error:
        compute(store, tree, "2026-03", today=TODAY)
    assert error.value.hint == hint


def test_unknown_dimension(store: FactStore) -> None:
    with pytest.raises(MetricError) as error:
        compute(store, specs(), "2026-03", by="chanel")
    assert error.value.hint == "did you mean 'channel'?"


def test_a_metric_is_broken_down_only_by_its_allowed_dimensions(store: FactStore) -> None:
    tree = specs(
        metric("media_spend", builtin="media_spend", dimensions=["channel"]),
        metric("clicks", builtin="clicks"),  # none listed: any dimension
    )
    by_program = compute(store, tree, "2026-03", by="program", today=TODAY)
    assert [r.member for r in by_program.rows if r.metric == "media_spend"] == [None]
    assert by_program.not_allowed == ["media_spend"]
    assert {r.member for r in by_program.rows if r.metric == "clicks"} >= {"prog_a", "prog_b"}
    by_channel = compute(store, tree, "2026-03", by="channel", today=TODAY)
    assert len([r for r in by_channel.rows if r.metric == "media_spend"]) == 4  # total + 3
    assert by_channel.not_allowed == []


def test_dimension_lists_agree() -> None:
    assert set(SPEC_DIMENSIONS) == set(DIMENSIONS)
    with pytest.raises(ValidationError, match="'programme' is not a dimension"):
        Metric.model_validate(metric("x", builtin="clicks", dimensions=["programme"]))


def test_outputs_are_tidy_and_nested(store: FactStore) -> None:
    table = compute(store, specs(), "2026-03", by="channel", today=TODAY)
    frame = table.to_pandas()
    assert len(frame) == len(table.rows)
    assert frame.loc[frame.member.isna() & (frame.metric == "der"), "value"].item() > 0
    tree = table.as_dict()
    (root,) = tree["metrics"]
    assert root["id"] == "der"
    assert {c["id"] for c in root["children"]} >= {"pipeline_created", "fully_loaded_cost"}
    assert "members" in root


# -- laws ----------------------------------------------------------------------------------

CHANNELS = st.sampled_from(["google_ads", "meta_ads", "linkedin_ads"])
DAYS = st.integers(min_value=0, max_value=89).map(lambda d: date(2026, 1, 1) + timedelta(days=d))


@st.composite
def companies(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    rows = draw(st.lists(st.tuples(DAYS, CHANNELS, st.integers(1, 3),
                                   st.floats(0, 1e4, allow_nan=False), st.integers(0, 10**5),
                                   st.integers(0, 10**3)), max_size=25))  # fmt: skip
    keyed = {(d, c, f"p{p}"): (a, i, k) for d, c, p, a, i, k in rows}
    spend_rows = [spend(d, c, p, a, i, k, 0) for (d, c, p), (a, i, k) in keyed.items()]
    opps = draw(st.lists(st.tuples(DAYS, st.floats(0, 1e6, allow_nan=False),
                                   st.sampled_from(["webinar", "paid_social", None])),
                         min_size=1, max_size=15))  # fmt: skip
    opp_rows = [{"opp_id": f"o{n}", "created_at": datetime.combine(d, datetime.min.time()),
                 "amount": a, "stage": "Open", "is_closed": False, "is_won": False, "source": s}
                for n, (d, a, s) in enumerate(opps)]  # fmt: skip
    edges = [spend(date(2026, 1, 1), "google_ads", "edge", 0, 0, 0, 0),
             spend(date(2026, 3, 31), "google_ads", "edge", 0, 0, 0, 0)]  # fmt: skip
    return {"spend": spend_rows + edges, "opportunities": opp_rows, "costs": COSTS}


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(companies())
def test_by_channel_sums_equal_totals(company: dict[str, list[dict[str, Any]]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        facts = load(open_facts(Path(tmp) / ".demandos"), company)
        try:
            table = compute(facts, specs(), "2026-Q1", by="channel", today=TODAY)
        finally:
            facts.close()
    for name in ("media_spend", "impressions", "clicks", "pipeline_created",
                 "opportunities_created", "fully_loaded_cost"):  # fmt: skip
        total = table.get(name)
        assert total.value is not None, (name, total.reason)
        parts = [m.value or 0.0 for m in table.members(name)]
        assert sum(parts) == pytest.approx(total.value, rel=1e-9, abs=1e-6)


# -- the demo company ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(copy_demo: Any) -> Iterator[Any]:
    from demandos.workspace import Workspace

    ws = Workspace.open(copy_demo("metrics-demo"))
    yield ws
    ws.facts.close()


@pytest.mark.slow
@pytest.mark.parametrize("period", ["2026-09", "2026-Q3"])
def test_demo_tree_computes(demo: Any, period: str) -> None:
    table = compute(demo.facts, demo.specs, period, by="channel", today=date(2026, 11, 20))
    ids = [m.id for m in demo.specs.metrics.metrics]
    assert [r.metric for r in table.totals()] == ids
    der = table.get("der")
    pipeline, cost = table.get("pipeline_created").value, table.get("fully_loaded_cost").value
    assert der.state == "ok" and pipeline and cost
    assert der.value == pytest.approx(pipeline / cost)
    for row in table.rows:
        assert row.state in ("ok", "partial", "no_data", "not_computed")
        assert (row.value is None) == (row.state in ("no_data", "not_computed")), row
