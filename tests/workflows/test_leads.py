"""Inbound lead → opportunity measured from CRM data, against hand counts (tests/workflows/
fixture.py explains every row)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from demandos.errors import WorkflowError
from demandos.metrics.periods import parse_period
from demandos.store import open_facts
from demandos.workflows.leads import TRIGGER, GroupBy, LeadFlow, inbound_workflow, lead_flow
from demandos.workspace import Workspace

from .conftest import make_workspace
from .fixture import NOW, d, load

NY = ZoneInfo("America/New_York")
M, H = timedelta(minutes=1), timedelta(hours=1)
NOVEMBER = parse_period("2026-11")


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = make_workspace(tmp_path_factory.mktemp("leads") / "acme")
    path = root / "workflows" / "lead_to_opportunity.yaml"
    text = path.read_text().replace(
        "    name: First touch by sales\n", "    name: First touch by sales\n    owner: priya\n"
    )
    path.write_text(text)
    with Workspace.open(root) as workspace:
        load(workspace.facts)
        yield workspace


def flow(ws: Workspace, by: GroupBy | None = None) -> LeadFlow:
    return lead_flow(ws.facts, ws.specs, NOVEMBER, now=NOW.replace(tzinfo=NY), by=by)


def test_each_milestone_step_against_hand_counts(ws: Workspace) -> None:
    report = flow(ws)
    assert (report.workflow_id, report.leads, report.clock.label) == (
        "lead_to_opportunity", 6, "business hours",
    )  # fmt: skip
    got = {
        s.step_id: (s.milestone, s.since, s.sla, s.on_time, s.late, s.missed, s.pending)
        for s in report.steps
    }
    assert got == {
        "capture": ("lead", TRIGGER, 15 * M, 5, 1, 0, 0),
        "score_and_route": ("mql", "lead", H, 4, 1, 0, 0),
        "first_touch": ("sales_touch", "mql", 4 * H, 2, 1, 1, 1),
        "qualify": ("sql", "sales_touch", timedelta(days=2), 2, 0, 0, 0),
        "create_opportunity": ("opportunity", "sql", timedelta(days=1), 1, 1, 0, 0),
    }
    took = {s.step_id: (s.took.count, s.took.median, s.took.p90) for s in report.steps}
    assert took == {
        "capture": (6, timedelta(seconds=150), 20 * M),  # 0 0 0 5 10 30
        "score_and_route": (5, 30 * M, 102 * M),  # 15 25 30 30 150
        "first_touch": (3, 80 * M, 220 * M),  # 0 (before the MQL) 80 255
        "qualify": (2, 10 * H + 50 * M, 14 * H + 10 * M),  # 6h40 15h
        "create_opportunity": (2, 10 * H + 30 * M, 13 * H + 18 * M),  # 7h 14h
    }
    first_touch = report.steps[2]
    assert (first_touch.owner, first_touch.measured, first_touch.compliance) == ("priya", 4, 0.5)
    assert report.compliance == pytest.approx(14 / 19)


def test_speed_to_lead_and_mql_to_sql(ws: Workspace) -> None:
    report = flow(ws)
    # lead -> first sales touch: L7 15m, L4 30m (Saturday lead), L1 1h50, L2 4h30 (weekend)
    assert report.touched == 4
    assert (report.speed_to_lead.median, report.speed_to_lead.p90) == (70 * M, 222 * M)
    # MQL -> SQL: L7 6h30, L1 16h20 (Monday 10:40 to Wednesday 11:00)
    assert (report.mql_to_sql.count, report.mql_to_sql.median, report.mql_to_sql.p90) == (
        2, 11 * H + 25 * M, 15 * H + 21 * M,
    )  # fmt: skip


def test_leads_that_fell_through(ws: Workspace) -> None:
    late, never = flow(ws).fell_through
    assert (late.person_id, late.segment, late.owner) == ("L2", "mid_market_finance", "priya")
    assert (late.routed_at, late.due_at, late.touched_at, late.late_by) == (
        d(6, 16, 45), d(9, 12, 45), d(9, 13), 15 * M,
    )  # fmt: skip
    assert (never.person_id, never.segment, never.touched_at) == ("L3", "scaling_saas", None)
    # due Tuesday 10 Nov 16:00; to NOW: 1h + 14 working days + 1h
    assert never.due_at == d(10, 16) and never.late_by == 114 * H


def test_compliance_by_owner_and_by_segment(ws: Workspace) -> None:
    owners = {
        g.key: (g.steps, g.on_time, g.measured, g.fell_through) for g in flow(ws, "owner").groups
    }
    assert owners == {
        "jonas": (("capture", "score_and_route", "qualify", "create_opportunity"), 12, 15, 0),
        "priya": (("first_touch",), 2, 4, 2),
    }
    segments = [
        (g.key, g.leads, g.on_time, g.measured, g.fell_through, g.speed_to_lead)
        for g in flow(ws, "segment").groups
    ]
    assert segments == [
        ("mid_market_finance", 2, 7, 8, 1, 190 * M),
        ("scaling_saas", 2, 4, 8, 1, 15 * M),
        ("(no segment)", 2, 3, 3, 0, 30 * M),
    ]


def test_a_period_without_leads_says_so(ws: Workspace) -> None:
    report = lead_flow(ws.facts, ws.specs, parse_period("2026-09"), now=NOW.replace(tzinfo=NY))
    assert (report.leads, report.touched, report.compliance, report.fell_through) == (
        0,
        0,
        None,
        (),
    )
    assert all(s.measured == 0 and s.compliance is None for s in report.steps)
    assert report.notes == (
        "no lead was created in 2026-09: load the CRM's contacts (demandos ingest) or pick a "
        "period the store covers",
    )


def test_a_calendar_clock_counts_the_weekend(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "cal")
    path = root / "workflows" / "lead_to_opportunity.yaml"
    path.write_text(path.read_text().replace("clock: business", "clock: calendar"))
    with Workspace.open(root) as ws:
        load(ws.facts)
        report = lead_flow(ws.facts, ws.specs, NOVEMBER, now=NOW.replace(tzinfo=NY))
        touch = next(s for s in report.steps if s.step_id == "first_touch")
        # L2: Friday 16:45 to Monday 13:00 is 68h15 of calendar time; L3 missed; L5's clock
        # (16:30 + 4h) ran out at 20:30 on 30 November: missed too
        assert (touch.on_time, touch.late, touch.missed, touch.pending) == (2, 1, 2, 0)
        assert max(report.fell_through, key=lambda f: f.late_by).late_by > 20 * 24 * H


def test_no_inbound_workflow_is_a_clear_error(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "none")
    (root / "workflows" / "lead_to_opportunity.yaml").unlink()
    with Workspace.open(root) as ws:
        with pytest.raises(WorkflowError, match="no workflow has a step with `milestone: lead`"):
            inbound_workflow(ws.specs)
        with pytest.raises(WorkflowError, match="no workflow 'lead_to_opp'"):
            inbound_workflow(ws.specs, "lead_to_opp")
        with pytest.raises(WorkflowError, match="has no step with a CRM milestone"):
            inbound_workflow(ws.specs, "tiny")


@pytest.mark.postgres
def test_the_same_counts_on_postgresql(ws: Workspace, tmp_path: Path, postgres_url: str) -> None:
    facts = load(open_facts(tmp_path / "pg", backend="postgres", url=postgres_url))
    try:
        report = lead_flow(facts, ws.specs, NOVEMBER, now=NOW.replace(tzinfo=NY), by="segment")
    finally:
        facts.close()
    assert report == flow(ws, "segment")
