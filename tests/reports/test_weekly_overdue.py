"""The Monday pack's "Overdue workflow steps": current steps of open runs past their SLA at the
meeting, on each run's clock (calendar time or business hours)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete

from demandos.reports import render
from demandos.reports.model import Pack, Paragraph, Table
from demandos.store.oplog import WorkflowRun, WorkflowRunStep
from demandos.workspace import Workspace

from .conftest import NOW, WEEK

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs(demo_ws: Workspace) -> Iterator[list[int]]:
    """Runs logged in the week of the W43 review (meeting: Monday 26 Oct 2026, 09:30 New York);
    removed again afterwards, so the session's demo log is as the other tests expect it."""
    wf = demo_ws.workflows
    launch = wf.start("campaign_launch", subject="Q4 webinar", at="2026-10-19 09:00")
    lead = wf.start("lead_to_opportunity", subject="Demo request", at="2026-10-23 16:50")
    weekly = wf.start("weekly_optimization", at="2026-10-26 09:00")  # due 13:00: not late
    creative = wf.start("creative_development", at="2026-10-22 10:00")
    wf.check(creative.id, "brief", at="2026-10-22 11:00")
    wf.done(creative.id, "brief", at="2026-10-22 11:00")  # draft due Mon 11:00: not late
    ids = [launch.id, lead.id, weekly.id, creative.id]
    yield ids
    with demo_ws.log.session() as s:
        s.execute(delete(WorkflowRunStep).where(WorkflowRunStep.run_id.in_(ids)))
        s.execute(delete(WorkflowRun).where(WorkflowRun.id.in_(ids)))


@pytest.fixture(scope="module")
def pack(demo_ws: Workspace, runs: list[int]) -> Pack:
    return demo_ws.review("weekly_review", WEEK, now=NOW)


def test_overdue_steps_at_the_meeting(pack: Pack, runs: list[int]) -> None:
    (table,) = [b for b in pack.get("overdue_steps").blocks if isinstance(b, Table)]
    rows = [tuple(c.text for c in row) for row in table.rows]
    launch, lead = runs[0], runs[1]
    assert rows == [
        # brief: 48 calendar hours from Mon 19 Oct 09:00, so 5 days 30 minutes late at 09:30
        (f"#{launch}", "Campaign launch", "Q4 webinar", "Write the brief", "Maya Okafor",
         "Wed 21 Oct 09:00", "overdue 5d 30m"),
        # capture: 15 working minutes from Friday 16:50 = Monday 09:05, 25 minutes late
        (f"#{lead}", "Inbound lead → sales opportunity", "Demo request",
         "Capture, deduplicate and enrich", "Jonas Berg", "Mon 26 Oct 09:05", "overdue 25m"),
    ]  # fmt: skip
    assert all(row[6].tone == "bad" for row in table.rows)
    md = render(pack, "md").decode()
    assert "\n## Overdue workflow steps\n" in md and "overdue 5d 30m" in md


def test_no_overdue_step_says_so(demo_ws: Workspace) -> None:
    quiet = demo_ws.review("weekly_review", "2026-W40", now=NOW)  # before any run started
    (text,) = pack_text(quiet)
    assert text == "No workflow step is past its SLA at the meeting (Mon 05 Oct 2026 09:30)."


def pack_text(pack: Pack) -> list[str]:
    return [b.text for b in pack.get("overdue_steps").blocks if isinstance(b, Paragraph)]
