"""The QBR pack on the demo company: sections, and numbers equal to the engine's."""

from __future__ import annotations

from pathlib import Path

import pytest

from demandos.metrics import MetricTable
from demandos.reports import render
from demandos.reports.model import Pack, Table
from demandos.reports.numbers import fmt, fmt_change, fmt_ratio
from demandos.workspace import Workspace

from .conftest import NOW

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def qbr(demo_ws: Workspace) -> Pack:
    return demo_ws.review("qbr", now=NOW)  # default: the last full quarter


def test_sections_and_default_quarter(qbr: Pack) -> None:
    assert qbr.period == "2026-Q3" and qbr.instance == "qbr 2026-Q4"
    assert [s.id for s in qbr.sections] == [
        "agenda", "north_star", "plan", "health", "attribution", "next_quarter", "decisions",
    ]  # fmt: skip
    assert all(s.blocks for s in qbr.sections)


def test_numbers_equal_the_engine(qbr: Pack, demo_ws: Workspace) -> None:
    tables: dict[tuple[str, str | None], MetricTable] = {}
    for t in qbr.traced:
        dim, _, member = t.filter.partition("=") if t.filter != "all" else (None, "", None)
        key = (t.period, dim)
        if key not in tables:  # one tree per period and breakdown, not one per number
            tables[key] = demo_ws.metrics(t.period, by=dim)
        table = tables[key]
        row = table.get(t.metric, member or None)
        expected = getattr(row, t.field)
        assert t.value == (pytest.approx(expected, rel=1e-9) if expected is not None else None), t
    weeks = {t.period for t in qbr.traced if "-W" in t.period}
    assert len(weeks) == 13


def test_attribution_credits_the_quarter(qbr: Pack, demo_ws: Workspace) -> None:
    (pipeline, revenue) = [b for g in qbr.get("attribution").blocks
                           for b in getattr(g, "blocks", (g,)) if isinstance(b, Table)]  # fmt: skip
    markov = demo_ws.attribution("markov", period="2026-Q3")
    column = pipeline.columns.index("markov")
    shown = {row[0].text: row[column].text for row in pipeline.rows}
    assert shown == {r.member: fmt(r.value, "currency") for r in markov.rows} | (
        {"no touch in the window": fmt(markov.unattributed_value, "currency")}
        if markov.unattributed
        else {}
    )
    won = demo_ws.attribution("markov", milestone="won", period="2026-Q3")
    assert len(revenue.rows) == len(won.rows) and won.conversions > 0


def test_health_indicators_are_the_health_report(qbr: Pack, demo_ws: Workspace) -> None:
    report = demo_ws.health("2026-Q3")
    (table,) = [b for b in qbr.get("health").blocks if isinstance(b, Table)]
    assert [row[1].sub for row in table.rows] == [i.id for i in report.indicators]


def test_renders_three_formats(qbr: Pack, artifacts: Path) -> None:
    for kind in ("html", "md", "pdf"):
        data = render(qbr, kind)  # type: ignore[arg-type]
        (artifacts / f"qbr-2026-Q3.{kind}").write_bytes(data)
    assert (artifacts / "qbr-2026-Q3.pdf").read_bytes().startswith(b"%PDF-")
    assert "## System health" in (artifacts / "qbr-2026-Q3.md").read_text()


def test_next_quarter_plan_is_targets_against_the_quarter(qbr: Pack, demo_ws: Workspace) -> None:
    ahead, now = demo_ws.metrics("2026-Q4"), demo_ws.metrics("2026-Q3")
    plan, run_rate = [b for b in qbr.get("next_quarter").blocks if isinstance(b, Table)]
    shown = {row[0].sub: row for row in plan.rows}
    assert set(shown) == {r.metric for r in ahead.totals() if r.target is not None}
    pipeline = shown["pipeline_created"]
    asked = ahead.get("pipeline_created").target / now.get("pipeline_created").value - 1
    assert pipeline[4].text == fmt_ratio(asked) and asked > 0  # 1,950,000 / 1,760,100 - 1
    assert shown["der"][4].text.startswith("met already") and shown["der"][4].tone == "good"
    # the run-rate: shares of spend and of pipeline by channel, computed by hand
    by = demo_ws.metrics("2026-Q3", by="channel")
    spend = {r.member: r.value for r in by.rows if r.metric == "media_spend" and r.member}
    pipe = {r.member: r.value for r in by.rows if r.metric == "pipeline_created" and r.member}
    total_spend = sum(spend.values())
    total_pipe = sum(v for k, v in pipe.items() if k in spend)
    for row in run_rate.rows:
        channel = row[0].text
        assert row[2].text == fmt(spend[channel] / total_spend, "percent")
        assert row[4].text == fmt(pipe[channel] / total_pipe, "percent")
        assert row[5].text == fmt(pipe[channel] / spend[channel], "ratio")


def test_decision_movement_is_the_same_grain_since(demo_ws: Workspace) -> None:
    """The W43 decision on DER (3.45x in W42): by the end of W43, DER is 11.40x (+7.95x)."""
    from datetime import date

    from demandos.reports.packs import PackContext, find_ritual
    from demandos.reports.packs.common import movement

    ctx = PackContext(demo_ws, find_ritual(demo_ws, "qbr"), NOW.date(), NOW)
    (decision,) = demo_ws.cadence_log.list_decisions(since=date(2026, 10, 1))
    row, moved = movement(ctx, "der", decision.metric_period, decision.metric_value,
                          date(2026, 10, 26))  # fmt: skip
    assert row is not None and row.period == "2026-W43"
    assert moved == pytest.approx(row.value - decision.metric_value)
    assert fmt_change(moved, "ratio") == "+7.95x"
    same, none = movement(ctx, "der", "2026-W43", row.value, date(2026, 10, 26))
    assert same is not None and none is None  # decided on the week measured: nothing moved yet
