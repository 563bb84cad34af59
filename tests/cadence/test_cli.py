"""`demandos action|decision|review record` end to end on a real workspace and SQLite log."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from typer.testing import CliRunner

from demandos.cli.main import app
from demandos.store.oplog import Action, Decision
from demandos.workspace import Workspace

runner = CliRunner()


def run(workspace: Path, *args: str) -> str:
    result = runner.invoke(app, [*args, "-w", str(workspace)])
    assert result.exit_code == 0, result.output
    return result.stdout  # warnings go to stderr


def test_actions_from_add_to_done_and_reopen(workspace: Path) -> None:
    due = (date.today() + timedelta(days=4)).isoformat()
    out = run(
        workspace, "action", "add", "Cut LinkedIn retargeting", "--owner", "maya",
        "--due", due, "--metric", "cpl", "--ritual", "monday_review", "--format", "json",
    )  # fmt: skip
    added = json.loads(out)
    assert (added["owner"], added["due"], added["metric_id"]) == ("maya", due, "cpl")
    assert added["period"].startswith(str(date.today().isocalendar().year))
    run(workspace, "action", "add", "Brief the webinar", "--owner", "priya", "--due", "2020-01-06")
    table = run(workspace, "action", "list")
    assert "Cut LinkedIn retargeting" in table and "overdue" in table
    overdue = json.loads(run(workspace, "action", "list", "--overdue", "--format", "json"))
    assert [a["title"] for a in overdue] == ["Brief the webinar"]
    assert overdue[0]["overdue"] is True
    assert "#1 done" in run(workspace, "action", "done", "1")
    done = json.loads(run(workspace, "action", "list", "--status", "done", "--format", "json"))
    assert [a["id"] for a in done] == [1] and done[0]["done_at"]
    assert "open again" in run(workspace, "action", "reopen", "1", "--due", due)
    mine = json.loads(run(workspace, "action", "list", "--owner", "maya", "--format", "json"))
    assert [(a["id"], a["status"]) for a in mine] == [(1, "open")]


def test_a_past_due_date_warns_and_stores(workspace: Path) -> None:
    result = runner.invoke(
        app,
        ["action", "add", "Late", "--owner", "maya", "--due", "2020-01-01", "-w", str(workspace)],
    )
    assert result.exit_code == 0, result.output
    assert "Warning: due date 2020-01-01 is in the past" in result.output
    with Workspace.open(workspace) as ws:
        assert ws.log.count(Action) == 1


def test_decisions_and_review_record(workspace: Path) -> None:
    out = run(
        workspace, "decision", "add", "Move budget to webinars", "--owner", "maya",
        "--metric", "der", "--ritual", "monday_review", "--period", "2026-W48",
        "--why", "webinars convert", "--format", "json",
    )  # fmt: skip
    decision = json.loads(out)
    assert (decision["metric_period"], decision["period"]) == ("2026-W47", "2026-W48")
    assert decision["metric_value"] is None  # no facts loaded: recorded, with a warning
    listed = json.loads(run(workspace, "decision", "list", "--metric", "der", "--format", "json"))
    assert [d["title"] for d in listed] == ["Move budget to webinars"]
    assert "Move budget to webinars" in run(workspace, "decision", "list")
    out = run(
        workspace, "review", "record", "monday_review", "--period", "2026-W48",
        "--held-at", "2026-11-23 09:35", "--attendee", "maya", "--attendee", "jonas",
        "--notes", "DER up", "--format", "json",
    )  # fmt: skip
    review = json.loads(out)
    assert review["held_at"] == "2026-11-23T09:35:00"
    assert review["attendees"] == ["maya", "jonas"]
    assert (
        json.loads(run(workspace, "decision", "list", "--format", "json"))[0]["review_id"]
        == (review["id"])
    )


def test_unknown_owner_exits_1_with_the_fix_and_stores_nothing(workspace: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "demandos.cli.main", "decision", "add", "x", "--owner", "mya",
         "--metric", "der", "-w", str(workspace)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("Error: unknown owner 'mya': team.yaml")
    assert "Fix: did you mean 'maya'?" in result.stderr
    assert "Traceback" not in result.stderr
    with Workspace.open(workspace) as ws:
        assert ws.log.count(Decision) == 0
