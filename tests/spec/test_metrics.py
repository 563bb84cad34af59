"""metrics.yaml: formulas, targets and the built-in catalog."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from demandos.spec import BUILTIN_METRICS, Metric
from demandos.spec.metrics import BUILTIN_CATALOG, suggest_builtin

DESIGN_FORMULAS = [
    "der",
    "der_bookings",
    "der_cohort",
    "pipeline_created",
    "pipeline_velocity",
    "win_rate",
    "win_rate_value",
    "sales_cycle_days",
    "lead_to_mql",
    "mql_to_sql",
    "sql_to_opp",
    "opp_to_won",
    "lead_to_mql_cohort",
    "mql_to_sql_cohort",
    "sql_to_opp_cohort",
    "opp_to_won_cohort",
    "leads",
    "mqls",
    "sqls",
    "opportunities_created",
    "cpl",
    "cac",
    "cac_fully_loaded",
    "cac_payback_months",
    "revenue_influenced",
    "revenue_sourced",
    "impressions",
    "clicks",
    "ctr",
    "cpc",
    "cpm",
    "conversion_rate",
    "email_open_rate",
    "email_click_rate",
    "owned_audience_growth",
    "media_spend",
    "fully_loaded_cost",
]


def metric(**fields: Any) -> Metric:
    base: dict[str, Any] = {"id": "m", "name": "M", "tier": 2, "parent": "der", "owner": "maya"}
    return Metric.model_validate(base | fields)


def error(**fields: Any) -> tuple[str, str | None]:
    with pytest.raises(ValidationError) as info:
        metric(**fields)
    detail = info.value.errors()[0]
    return detail["msg"], (detail.get("ctx") or {}).get("hint")


def test_catalog_has_every_formula_of_the_design() -> None:
    assert list(BUILTIN_METRICS) == DESIGN_FORMULAS
    assert all(BUILTIN_METRICS.values())


def test_builtin_fills_unit_and_direction() -> None:
    cpl = metric(builtin="cpl")
    assert (cpl.unit, cpl.direction) == ("currency", "lower_is_better")
    assert metric(builtin="cpl", direction="higher_is_better").direction == "higher_is_better"
    assert metric(builtin="der").unit == "ratio"


@pytest.mark.parametrize(
    ("word", "hint"),
    [
        ("ctrr", "did you mean 'ctr'?"),
        ("cost_per_lead", "did you mean 'cpl'? (cost per lead: media spend ÷ leads)"),
    ],
)
def test_suggest_builtin(word: str, hint: str) -> None:
    assert suggest_builtin(word) == hint
    assert error(builtin=word) == (f"{word!r} is not a built-in metric", hint)


def test_a_metric_needs_exactly_one_formula() -> None:
    assert error(unit="count") == (
        "metric 'm' has no formula",
        "add `calculation:` with a type: simple, ratio, derived, cumulative, conversion or "
        "attribution",
    )
    assert error(id="mqls", unit="count")[1] == "add `builtin: mqls`"
    assert error(id="lead", unit="count")[1] is not None
    assert error(
        builtin="leads", calculation={"type": "ratio", "numerator": "a", "denominator": "b"}
    )[0] == ("metric 'm' has both builtin and calculation")


@pytest.mark.parametrize(
    ("builtin", "target"),
    [("der", {"value": 3, "amber": 3.5}), ("cpl", {"value": 50, "amber": 40, "red": 60})],
)
def test_thresholds_follow_the_direction(builtin: str, target: dict[str, float]) -> None:
    message, _ = error(builtin=builtin, target=target)
    assert message.startswith("target thresholds are out of order")


def test_period_overrides() -> None:
    m = metric(builtin="leads", target={"value": 10, "periods": {"2025-Q4": {"value": 8}}})
    assert m.target is not None and m.target.periods["2025-Q4"].value == 8
    message, _ = error(builtin="leads", target={"value": 10, "periods": {"Q4": {"value": 8}}})
    assert message == "'Q4' is not a period"


CALCS: list[tuple[dict[str, Any], str | None]] = [
    ({"type": "simple", "table": "spend", "agg": "sum", "column": "amount"}, None),
    ({"type": "simple", "table": "people", "agg": "count"}, None),
    ({"type": "simple", "table": "spend", "agg": "sum"}, "agg 'sum' needs a column"),
    (
        {
            "type": "simple",
            "table": "touchpoints",
            "agg": "count",
            "filters": [{"column": "touch_type", "op": "in", "value": "webinar"}],
        },
        "op 'in' needs a list value",
    ),
    (
        {
            "type": "simple",
            "table": "people",
            "agg": "count",
            "filters": [{"column": "mql_at", "op": "is_null", "value": 1}],
        },
        "op 'is_null' takes no value",
    ),
    ({"type": "derived", "expression": "(a - b) / c * 2", "metrics": ["a", "b", "c"]}, None),
    (
        {"type": "derived", "expression": "a / d", "metrics": ["a", "b"]},
        "expression uses 'd', which is not listed in metrics",
    ),
    (
        {"type": "derived", "expression": "__import__('os')", "metrics": ["a"]},
        "\"__import__('os')\" is not allowed in an expression",
    ),
    (
        {"type": "derived", "expression": "a ** 2", "metrics": ["a"]},
        "operator not allowed in 'a ** 2'",
    ),
    ({"type": "derived", "expression": "a +", "metrics": ["a"]}, "cannot read expression 'a +'"),
    ({"type": "cumulative", "metric": "leads", "window_days": 90}, None),
    ({"type": "cumulative", "metric": "leads", "grain_to_date": "quarter"}, None),
    (
        {"type": "cumulative", "metric": "leads"},
        "a cumulative metric needs exactly one of window_days and grain_to_date",
    ),
    ({"type": "conversion", "base_event": "mql", "conversion_event": "sql"}, None),
    (
        {"type": "conversion", "base_event": "sql", "conversion_event": "mql"},
        "conversion_event 'mql' does not come after base_event 'sql'",
    ),
]


@pytest.mark.parametrize(("calc", "message"), CALCS)
def test_calculations(calc: dict[str, Any], message: str | None) -> None:
    if message is None:
        assert metric(unit="count", calculation=calc).calculation is not None
    else:
        assert error(unit="count", calculation=calc)[0] == message


def test_catalog_entries_are_consistent() -> None:
    assert all(b.unit and b.direction for b in BUILTIN_CATALOG.values())
