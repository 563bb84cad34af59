"""`demandos workflow …` through Typer's runner (the group main.py registers): runs on a starter
workspace, the lead flow on the hand-counted fixture, and errors that name the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from demandos.cli.workflow import workflow_app
from demandos.errors import DemandosError
from demandos.workspace import Workspace

from .conftest import make_workspace
from .fixture import load

runner = CliRunner()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "acme")


def run(root: Path, *args: str) -> tuple[int, str]:
    """Exit code and stdout; for a refusal, 1 and the error's message and fix (``main()``
    prints them, as test_errors_are_printed_with_their_fix checks)."""
    result = runner.invoke(workflow_app, [*args, "-w", str(root)])
    if isinstance(result.exception, DemandosError):
        return 1, f"Error: {result.exception.message}\nFix: {result.exception.hint}"
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stdout


def test_start_check_done_status_stats(root: Path) -> None:
    code, out = run(root, "start", "tiny", "--subject", "trial", "--at", "2026-11-16 09:00")
    assert code == 0 and "run 1 of Tiny procedure started" in out
    assert "due Mon 2026-11-16 10:00" in out  # 1h, calendar time, New York wall clock
    code, out = run(root, "done", "1", "one", "--at", "2026-11-16 09:40", "--by", "maya")
    assert code == 0 and "one done in 40m (within its SLA)" in out
    assert "next: two (Step two), owner jonas, due Mon 2026-11-16 11:40" in out
    code, out = run(root, "status", "--format", "json")
    assert code == 0
    [state] = json.loads(out)
    assert state["current_step"] == "two" and state["steps"][0]["done_at"].startswith(
        "2026-11-16T14:40"  # stored in UTC
    )
    code, out = run(root, "status", "1")
    assert code == 0 and "took 40m" in out and "overdue" in out  # it is later than 2026
    code, out = run(root, "done", "1", "two", "--at", "2026-11-16 12:40")
    assert code == 0 and "(past its SLA)" in out and "run 1 finished in 3h 40m" in out
    code, out = run(root, "stats", "tiny", "--format", "json")
    assert code == 0
    [stats] = json.loads(out)
    assert (stats["runs"], stats["finished"], stats["end_to_end"]["median_minutes"]) == (1, 1, 220)
    assert [s["compliance"] for s in stats["steps"]] == [1.0, 0.0]
    assert stats["end_to_end"]["compliance"] == 0.0  # 3h40 against 3h
    code, out = run(root, "stats")
    assert code == 0 and "Tiny procedure · 1 runs (1 finished, 0 open)" in out


def test_checklists_from_the_command_line(root: Path) -> None:
    run(root, "start", "campaign_launch")
    code, out = run(root, "done", "1", "brief")
    assert code == 1 and "has open checklist items: 1. Program is in channels.yaml" in out
    assert "demandos workflow check 1 brief ITEM" in out
    code, out = run(root, "check", "1", "brief", "budget")
    assert code == 0 and "1 of 3 checked; open:" in out
    code, out = run(root, "check", "1", "brief")
    assert code == 0 and "3 of 3 checked; ready: demandos workflow done 1 brief" in out
    assert run(root, "done", "1", "brief")[0] == 0
    code, out = run(root, "done", "1", "brief")
    assert code == 1 and "was done already" in out


def test_status_of_one_run_counts_sla_in_working_days(root: Path) -> None:
    run(root, "start", "creative_development", "--at", "2026-11-20 16:00")  # a Friday
    code, out = run(root, "status", "1")
    assert code == 0, out
    assert "business hours" in out and "2 working days" in out  # draft: 2d
    assert "Mon 2026-11-23 12:00" in out  # brief: 4 working hours from Friday 16:00


def test_bad_input_exits_1_with_the_fix(root: Path) -> None:
    code, out = run(root, "start", "campain_launch")
    assert code == 1 and "Error: there is no workflow 'campain_launch'" in out
    assert "did you mean 'campaign_launch'?" in out
    code, out = run(root, "check", "7", "brief")
    assert code == 1 and "no workflow run 7" in out and "no run is started yet" in out
    code, out = run(root, "start", "tiny", "--at", "next tuesday")
    assert code == 1 and "YYYY-MM-DD HH:MM" in out
    assert run(root, "status")[1].startswith("No open workflow runs")


def test_leads_on_the_hand_counted_fixture(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "leads")
    with Workspace.open(root) as ws:
        load(ws.facts)
    code, out = run(root, "leads", "--period", "2026-11", "--by", "segment", "-f", "json")
    assert code == 0, out
    data = json.loads(out)
    assert (data["leads"], data["touched"], data["clock"]) == (6, 4, "business hours")
    assert data["speed_to_lead"]["median_minutes"] == 70
    assert [g["key"] for g in data["groups"]] == [
        "mid_market_finance", "scaling_saas", "(no segment)",
    ]  # fmt: skip
    # the command reads the real clock: L5's touch was due on 1 December 2026, so it is missed
    # now, where test_leads.py (at 10:00 that day) finds it pending
    assert [f["person_id"] for f in data["fell_through"]] == ["L2", "L3", "L5"]
    code, out = run(root, "leads", "--period", "2026-11", "--by", "owner")
    assert code == 0, out
    assert "Fell through: 3 routed leads" in out and "By owner" in out
    assert "capture, score_and_route, first_touch" in out  # the steps jonas answers for
    assert "median 1h 10m" in out  # speed to lead
    code, out = run(root, "leads", "--period", "2026-13")
    assert code == 1 and "Error:" in out
