"""The stack audit against hand computations on a small company, and the stack's cost in DER's
fully loaded cost.

The company is the starter workspace (its stack: salesforce 495, hubspot 890, canva 30, notion
30 a month, ga4 and the two ad managers free: 1,445) with three more tools:

- mailchimp, marketing automation, 300 a month, no process: an overlap with hubspot and the
  tool-first trap;
- intent, data, 500 a month, serves 'prospecting' (no workflow or ritual of that id), unused;
- dashboards, analytics, 100 a month, owned by 'ghost' (not in team.yaml), serves the Monday
  review: an overlap with ga4 on monday_review.

The stack costs 2,345 a month. In 2026-Q3 three opportunities of 100,000 are created (July,
August, September), media spend is 1,000 a month, and the costs table holds people (10,000) in
July and August and tools (1,445) in July only.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from demandos.cli.main import app
from demandos.metrics.periods import parse_period
from demandos.rollout.checks import AuditContext
from demandos.rollout.failures import tool_first as audit_tool_first
from demandos.stack import load_stack_costs, stack_audit, tool_first
from demandos.workspace import Workspace
from rollout.fixture import edit, load, opp, spend

TODAY = date(2026, 10, 5)
STACK = 495 + 890 + 30 + 30 + 300 + 500 + 100  # a month
PIPELINE = 3 * 100_000.0
MEDIA = 3 * 1_000.0
BOOKED = (10_000 + 1_445) + 10_000  # July people + tools, August people


def _tools(data: Any) -> None:
    data["tools"] += [
        {"id": "mailchimp", "name": "Mailchimp", "category": "marketing_automation",
         "owner": "priya", "monthly_cost": 300, "purpose": "Newsletter sends", "processes": []},
        {"id": "intent", "name": "Intent data", "category": "data", "owner": "jonas",
         "monthly_cost": 500, "purpose": "Accounts in market", "processes": ["prospecting"],
         "usage": "unused"},
        {"id": "dashboards", "name": "Dashboards", "category": "analytics", "owner": "ghost",
         "monthly_cost": 100, "purpose": "Charts", "processes": ["monday_review"]},
    ]  # fmt: skip


def facts() -> dict[str, list[dict[str, Any]]]:
    return {
        "opportunities": [
            opp(f"o{n}", "a01", datetime(2026, m, 10, 12), 100_000.0)
            for n, m in enumerate((7, 8, 9), 1)
        ],
        "spend": [
            spend(date(2026, m, 5), "linkedin_controllers", "linkedin_ads", 1_000.0)
            for m in (7, 8, 9)
        ],
        "costs": [
            {"month": date(2026, 7, 1), "category": "people", "item": "team", "amount": 10_000.0},
            {"month": date(2026, 7, 1), "category": "tools", "item": "tools", "amount": 1_445.0},
            {"month": date(2026, 8, 1), "category": "people", "item": "team", "amount": 10_000.0},
        ],
    }


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "acme"
    with Workspace.init(root, name="Acme") as ws:
        load(ws, facts())
    edit(root, "stack.yaml", _tools)
    return root


def test_costs_per_category_and_per_dollar_of_pipeline(root: Path) -> None:
    with Workspace.open(root) as ws:
        r = stack_audit(ws, "2026-Q3", today=TODAY)
    assert r.monthly_cost == STACK and r.period_cost == 3 * STACK
    assert r.pipeline == PIPELINE
    assert r.per_pipeline == pytest.approx(3 * STACK / PIPELINE)
    cats = {c.category: c for c in r.categories}
    assert cats["marketing_automation"].tools == ("hubspot", "mailchimp")
    assert cats["marketing_automation"].period_cost == 3 * (890 + 300)
    assert cats["marketing_automation"].share == pytest.approx((890 + 300) / STACK)
    assert cats["marketing_automation"].per_pipeline == pytest.approx(3 * 1_190 / PIPELINE)
    assert cats["ads"].period_cost == 0 and cats["ads"].per_pipeline == 0
    assert sum(c.period_cost for c in r.categories) == r.period_cost


def test_a_month_carries_its_share_of_the_monthly_cost(root: Path) -> None:
    with Workspace.open(root) as ws:
        week = stack_audit(ws, "2026-W36", today=TODAY)  # 2026-08-31 .. 09-06
    # 1 day of August's 31, 6 days of September's 30
    assert week.period_cost == pytest.approx(STACK * (1 / 31 + 6 / 30))


def test_traps_overlaps_owners_and_usage(root: Path) -> None:
    with Workspace.open(root) as ws:
        r = stack_audit(ws, "2026-Q3", today=TODAY)
    trap = {t.tool: t for t in r.tool_first}
    assert set(trap) == {"mailchimp", "intent"}
    assert trap["mailchimp"].reason == "serves no process"
    assert trap["intent"].reason == "serves 'prospecting', neither a workflow nor a ritual"
    assert trap["intent"].unknown == ("prospecting",)
    overlaps = {o.category: o for o in r.overlaps}
    assert set(overlaps) == {"marketing_automation", "analytics"}  # the ad managers are no overlap
    assert overlaps["marketing_automation"].monthly_cost == 890 + 300
    assert overlaps["marketing_automation"].shared_processes == ()
    assert overlaps["analytics"].shared_processes == ("monday_review",)
    assert r.unowned == ("dashboards",)
    assert [(t.id, t.monthly_cost) for t in r.idle("unused")] == [("intent", 500)]
    assert [t.id for t in r.idle("low")] == ["notion"]


def test_the_audit_calls_the_stack_package(root: Path) -> None:
    with Workspace.open(root) as ws:
        a = AuditContext(ws, parse_period("2026-Q3"), TODAY)
        assert audit_tool_first(a) == tool_first(ws.specs)
        from demandos.rollout import audit

        report = audit(ws, "2026-Q3", today=TODAY, checks=["s.processes", "s.owners", "s.unused"])
    assert report.get("s.processes").numbers == {"tools": 10, "without_process": 2,
                                                 "monthly_cost": 800.0}  # fmt: skip
    assert "dashboards ('ghost')" in report.get("s.owners").evidence
    assert report.get("s.unused").numbers["unused_monthly_cost"] == 500.0


def test_the_stack_flows_into_the_fully_loaded_cost_of_der(root: Path) -> None:
    with Workspace.open(root) as ws:
        before = stack_audit(ws, "2026-Q3", today=TODAY)
        assert [(m.month.month, m.costs_tools) for m in before.loaded] == [
            (7, 1_445.0), (8, None), (9, None),
        ]  # fmt: skip
        assert ws.metrics("2026-Q3", today=TODAY).get("der").value == pytest.approx(
            PIPELINE / (MEDIA + BOOKED)
        )
        written = load_stack_costs(ws, "2026-Q3", today=TODAY)
        assert written.months == (date(2026, 8, 1), date(2026, 9, 1))
        assert written.kept == (date(2026, 7, 1),)
        assert written.rows == 2 * 7  # seven paid tools, two months
    with Workspace.open(root) as ws:
        table = ws.metrics("2026-Q3", today=TODAY)
        loaded = MEDIA + BOOKED + 2 * STACK  # July keeps its books: no double count
        assert table.get("fully_loaded_cost").value == pytest.approx(loaded)
        assert table.get("der").value == pytest.approx(PIPELINE / loaded)
        assert all(m.in_der for m in stack_audit(ws, "2026-Q3", today=TODAY).loaded)
        again = load_stack_costs(ws, "2026-Q3", today=TODAY)
        assert again.rows == 0 and again.file is None  # loading again changes nothing
        assert ws.metrics("2026-Q3", today=TODAY).get("fully_loaded_cost").value == (
            pytest.approx(loaded)
        )
        loads = [x for x in ws.log.loads() if x.file and x.file.endswith("costs-2026-Q3.csv")]
        assert len(loads) == 1  # the load is in the operating log


def test_months_not_begun_are_not_written(root: Path) -> None:
    with Workspace.open(root) as ws:
        written = load_stack_costs(ws, "2026-Q4", today=date(2026, 11, 20))
    assert written.months == (date(2026, 10, 1), date(2026, 11, 1))


def test_cli(root: Path) -> None:
    runner = CliRunner()
    found = runner.invoke(
        app, ["stack", "audit", str(root), "--period", "2026-Q3", "--format", "json"]
    )
    assert found.exit_code == 0, found.output
    data = json.loads(found.output)
    assert data["period_cost"] == 3 * STACK and data["unused"] == ["intent"]
    assert [m["in_der"] for m in data["loaded"]] == [True, False, False]
    text = runner.invoke(app, ["stack", "audit", str(root), "--period", "2026-Q3"])
    assert text.exit_code == 0, text.output
    assert "mailchimp" in text.output and "stack costs --period 2026-Q3" in text.output
    costs = runner.invoke(app, ["stack", "costs", str(root), "--period", "2026-Q3"])
    assert costs.exit_code == 0, costs.output
    assert "Loaded 14 cost rows" in costs.output and "2026-08, 2026-09" in costs.output
