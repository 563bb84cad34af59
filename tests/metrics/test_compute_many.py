"""compute_many: the tree for many periods at once gives compute()'s numbers, period by period."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from demandos.errors import MetricError
from demandos.metrics import MetricTable, MetricValue, compute, compute_many
from demandos.metrics import components as components_module
from demandos.store import FactStore

from .fixture import BACKENDS, TODAY, load, open_store, specs

WEEKS = [f"2026-W{w:02d}" for w in range(8, 15)]  # February into April


def _same(a: MetricValue, b: MetricValue) -> bool:
    for key, x in asdict(a).items():
        y = asdict(b)[key]
        if isinstance(x, float) and isinstance(y, float):
            if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9):
                return False
        elif x != y:
            return False
    return True


def assert_same_as_compute(
    facts: FactStore, tree: Any, periods: list[str], tables: list[MetricTable], **kwargs: Any
) -> None:
    assert [t.period for t in tables] == periods
    for label, table in zip(periods, tables, strict=True):
        one = compute(facts, tree, label, **kwargs)
        assert (table.start, table.end, table.by) == (one.start, one.end, one.by)
        got = {(r.metric, r.member): r for r in table.rows}
        for row in one.rows:
            assert _same(got[row.metric, row.member], row), (
                label,
                row,
                got[row.metric, row.member],
            )
        # A member found elsewhere in the periods read had no rows near this one: nothing to show.
        for key in got.keys() - {(r.metric, r.member) for r in one.rows}:
            extra = got[key]
            assert extra.member is not None and extra.value in (0.0, None), extra
            assert extra.previous in (0.0, None) and extra.last_year in (0.0, None), extra


@pytest.fixture(params=[b for b in BACKENDS if getattr(b, "values", (b,))[0] != "spark"])
def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FactStore]:
    """The hand-made company on DuckDB and PostgreSQL: every case below runs there; on Spark
    (slow per query) one case of them runs, in the test after."""
    facts = load(open_store(request.param, tmp_path / ".demandos", request))
    yield facts
    facts.close()


@pytest.mark.spark
def test_same_numbers_as_compute_on_spark(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    facts = load(open_store("spark", tmp_path / ".demandos", request))
    try:
        tables = compute_many(facts, specs(), WEEKS, by="channel", today=TODAY)
        assert_same_as_compute(facts, specs(), WEEKS, tables, by="channel", today=TODAY)
    finally:
        facts.close()


@pytest.mark.parametrize(
    "periods",
    [
        WEEKS,  # ISO weeks across month and quarter ends: one GROUP BY per table
        ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04"],
        ["2025-Q4", "2026-Q1", "2026-Q2"],
        ["FY2025", "FY2026"],  # years: one conditional aggregate per period
        ["2026-03", "2026-W10", "2026-Q1"],  # grains mixed
    ],
)
@pytest.mark.parametrize("by", [None, "channel"])
def test_same_numbers_as_compute(sql_store: FactStore, periods: list[str], by: str | None) -> None:
    tree = specs()
    tables = compute_many(sql_store, tree, periods, by=by, today=TODAY)
    assert_same_as_compute(sql_store, tree, periods, tables, by=by, today=TODAY)


def test_fiscal_quarters_that_are_not_calendar_quarters(store: FactStore) -> None:
    tree = specs(fiscal_year_start_month=2)
    periods = ["FY2026-Q1", "FY2026-Q2"]  # Feb-Apr 2025, May-Jul 2025
    tables = compute_many(store, tree, periods, by="channel", today=TODAY)
    assert_same_as_compute(store, tree, periods, tables, by="channel", today=TODAY)


def test_a_period_still_running_is_partial(store: FactStore) -> None:
    tree = specs()
    periods = ["2026-W12", "2026-W13", "2026-W14"]
    tables = compute_many(store, tree, periods, by="channel", today=date(2026, 3, 31))
    assert tables[2].get("media_spend").state == "partial"  # W14 starts on 2026-03-30
    assert_same_as_compute(store, tree, periods, tables, by="channel", today=date(2026, 3, 31))


def test_queries_do_not_grow_with_the_number_of_periods(
    store: FactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries = 0
    rows = components_module._rows

    def counted(expr: Any) -> list[dict[str, Any]]:
        nonlocal queries
        queries += 1
        return rows(expr)

    monkeypatch.setattr(components_module, "_rows", counted)
    tree = specs()
    compute(store, tree, "2026-W10", by="channel", today=TODAY)
    one, queries = queries, 0
    compute_many(store, tree, WEEKS, by="channel", today=TODAY)
    assert queries == one  # 7 weeks (and the weeks they are compared with) cost one week's


def test_no_periods_and_unknown_dimension(store: FactStore) -> None:
    assert compute_many(store, specs(), [], today=TODAY) == []
    with pytest.raises(MetricError, match="cannot break metrics down by 'chanel'"):
        compute_many(store, specs(), WEEKS, by="chanel", today=TODAY)
    with pytest.raises(MetricError, match="is not a period"):
        compute_many(store, specs(), ["2026-W10", "last week"], today=TODAY)


# -- the demo company: a trend chart's 13 weeks of DER ---------------------------------------


@pytest.fixture(scope="module")
def demo(copy_demo: Any) -> Iterator[Any]:
    from demandos.workspace import Workspace

    ws = Workspace.open(copy_demo("metrics-demo"))
    yield ws
    ws.close()


@pytest.mark.slow
def test_demo_thirteen_weeks_by_channel(demo: Any) -> None:
    weeks = [f"2026-W{w:02d}" for w in range(28, 41)]
    today = date(2026, 11, 20)
    tables = compute_many(demo.facts, demo.specs, weeks, by="channel", today=today)
    assert all(t.get("der").value for t in tables)
    assert_same_as_compute(demo.facts, demo.specs, weeks, tables, by="channel", today=today)
