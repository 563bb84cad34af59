"""Workflow runs in the operating log: SLA clocks per step, checklists, bad input that changes
nothing, cycle-time statistics counted by hand, overdue steps; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from demandos.errors import WorkflowError
from demandos.store.oplog import WorkflowRun, WorkflowRunStep
from demandos.workflows.runs import END_TO_END, WorkflowRuns, quantile
from demandos.workspace import Workspace

from .conftest import Now, make_workspace

NY = ZoneInfo("America/New_York")
T0 = datetime(2026, 11, 16, 10, tzinfo=UTC)  # a Monday
M = timedelta(minutes=1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ws(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    url = None if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))
    with Workspace.open(make_workspace(tmp_path / "acme", log_url=url)) as workspace:
        yield workspace


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Workspace]:
    with Workspace.open(make_workspace(tmp_path / "acme")) as workspace:
        yield workspace


def runs_at(ws: Workspace, now: datetime) -> tuple[WorkflowRuns, Now]:
    clock = Now(now)
    return WorkflowRuns(ws.log, ws.specs, clock=clock), clock


def stored(ws: Workspace) -> tuple[int, int, list[object]]:
    with ws.log.session() as s:
        runs = s.scalar(select(func.count()).select_from(WorkflowRun)) or 0
        steps = s.scalars(select(WorkflowRunStep).order_by(WorkflowRunStep.id)).all()
        return runs, len(steps), [(r.checked, r.done_at, r.done_by) for r in steps]


def test_a_run_walks_its_steps_with_a_clock_per_step(ws: Workspace) -> None:
    runs, now = runs_at(ws, T0)
    run = runs.start("campaign_launch", subject="Q1 webinar series", by="maya")
    assert (run.id, run.subject, run.started_by, run.started_at) == (
        1, "Q1 webinar series", "maya", T0,
    )  # fmt: skip
    brief = run.current
    assert brief is not None and brief.id == "brief" and brief.owner == "maya"
    assert brief.due_at == T0 + timedelta(days=2)  # calendar clock: 2d is 48 hours
    assert run.due_at == T0 + timedelta(weeks=3)
    assert [s.status for s in run.steps] == ["current"] + ["waiting"] * 4

    now.now = T0 + timedelta(hours=5)
    runs.check(run.id, "brief", 1)
    runs.check(run.id, "brief", "start and end dates")  # by words of the item
    with pytest.raises(WorkflowError, match=r"open checklist items: 2\. Target metric"):
        runs.done(run.id, "brief")
    run, ticked = runs.check(run.id, "brief")  # the rest
    assert ticked == ("Target metric, expected pipeline and budget are written down",)
    run = runs.done(run.id, "brief", by="maya")
    assert run.steps[0].done_at == T0 + timedelta(hours=5) and run.steps[0].done_by == "maya"
    build = run.current
    assert build is not None and build.id == "build_assets" and build.owner == "priya"
    assert build.started_at == T0 + timedelta(hours=5)  # counts from the step before
    assert build.due_at == T0 + timedelta(days=5, hours=5)

    reopened = ws.workflows.get(run.id)  # what was stored reads back the same
    assert reopened == run


def test_a_business_clock_waits_for_monday(local: Workspace) -> None:
    friday = datetime(2026, 11, 20, 16, 50, tzinfo=NY)
    runs, _ = runs_at(local, friday)
    run = runs.start("lead_to_opportunity", subject="Demo request: Initech")
    capture = run.current
    assert capture is not None and capture.allowed == 15 * M
    # 10 minutes on Friday, 5 on Monday
    assert capture.due_at == datetime(2026, 11, 23, 9, 5, tzinfo=NY)
    # 4d end to end = four working days of 8 hours
    assert run.due_at == datetime(2026, 11, 26, 16, 50, tzinfo=NY)
    monday = datetime(2026, 11, 23, 10, tzinfo=NY)
    assert run.left(capture.due_at, monday) == -55 * M
    [late] = runs.overdue(monday)
    assert (late.run_id, late.step_id, late.owner, late.overdue_by, late.clock.label) == (
        run.id, "capture", "jonas", 55 * M, "business hours",
    )  # fmt: skip
    assert late.overdue_text == "overdue 55m"
    assert runs.overdue(datetime(2026, 11, 23, 9, tzinfo=NY)) == []


def test_bad_input_names_the_fix_and_changes_nothing(ws: Workspace) -> None:
    runs, _ = runs_at(ws, T0)
    run = runs.start("tiny")
    before = stored(ws)
    cases = [
        (lambda: runs.start("campaign_lunch"), "no workflow 'campaign_lunch'", "campaign_launch"),
        (lambda: runs.start("tiny", by="ghost"), "'ghost' is not a person", "people: maya"),
        (lambda: runs.check(99, "one"), "no workflow run 99", "newest run is 1"),
        (lambda: runs.check(run.id, "on"), "has no step 'on'", "one, two"),
        (lambda: runs.check(run.id, "one", 1), "has no checklist", "done directly"),
        (lambda: runs.done(run.id, "two"), "comes after 'one'", "finish 'one' first"),
        (lambda: runs.done(run.id, "one", at="yesterday"), "not a date and time", "YYYY-MM-DD"),
        (lambda: runs.done(run.id, "one", at=T0 - M), "before its clock started", "later"),
    ]
    for call, message, hint in cases:
        with pytest.raises(WorkflowError, match=message) as caught:
            call()
        assert hint in (caught.value.hint or ""), caught.value.hint
    assert stored(ws) == before
    runs.done(run.id, "one")
    after = stored(ws)
    with pytest.raises(WorkflowError, match="was done already, at 2026-11-16 05:00"):
        runs.done(run.id, "one")  # 10:00 UTC is 05:00 in New York
    assert stored(ws) == after


def test_checklist_items_are_found_by_number_or_words(local: Workspace) -> None:
    runs, _ = runs_at(local, T0)
    run = runs.start("campaign_launch")
    with pytest.raises(WorkflowError, match="no checklist item 4") as caught:
        runs.check(run.id, "brief", 4)
    assert "1. Program is in channels.yaml" in (caught.value.hint or "")
    with pytest.raises(WorkflowError, match="'are' matches 2 checklist items"):
        runs.check(run.id, "brief", "are")
    with pytest.raises(WorkflowError, match="matches no checklist items"):
        runs.check(run.id, "brief", "podcast")
    runs.check(run.id, "brief", "2")
    with pytest.raises(WorkflowError, match="is ticked already"):
        runs.check(run.id, "brief", 2)
    runs.check(run.id, "qa_and_launch", 1)  # later steps can be prepared ahead
    state = runs.get(run.id)
    assert state.steps[0].checked == (1,) and state.steps[3].checked == (0,)
    assert state.steps[0].missing == (
        "Program is in channels.yaml with its ICP segments and message pillars",
        "Start and end dates are set",
    )


def test_a_run_keeps_the_procedure_it_started_with(local: Workspace, tmp_path: Path) -> None:
    runs, _ = runs_at(local, T0)
    run = runs.start("tiny")
    (tmp_path / "acme" / "workflows" / "tiny.yaml").write_text(
        (tmp_path / "acme" / "workflows" / "tiny.yaml").read_text().replace("sla: 1h", "sla: 9h")
    )
    with Workspace.open(tmp_path / "acme") as again:
        step = again.workflows.get(run.id).steps[0]
        assert step.sla == timedelta(hours=1) and step.due_at == T0 + timedelta(hours=1)


def test_cycle_time_statistics_by_hand(ws: Workspace) -> None:
    """tiny: step one (SLA 1h) then two (2h), 3h end to end, calendar clock.

    run 1: one after 30m, two after 2h more (2h30 in all); run 2: one after 1h30 (late), two
    after 30m more (2h); run 3: one after 45m, still open.
    """
    runs, _ = runs_at(ws, T0)
    for one, two in ((30, 150), (90, 120), (45, None)):
        run = runs.start("tiny", at=T0)
        runs.done(run.id, "one", at=T0 + one * M)
        if two is not None:
            runs.done(run.id, "two", at=T0 + two * M)
    stats = runs.stats("tiny")
    assert (stats.runs, stats.finished, stats.open, stats.clock) == (3, 2, 1, "calendar time")
    one, two = stats.steps
    # one: 30, 45, 90 -> median 45; p90 at rank 1.8: 45 + 0.8 x 45 = 81; within 1h: 2 of 3
    assert (one.done, one.median, one.p90, one.within_sla) == (3, 45 * M, 81 * M, 2)
    assert one.compliance == pytest.approx(2 / 3)
    # two: 120, 30 -> median 75; p90: 30 + 0.9 x 90 = 111; both within 2h (120 is on time)
    assert (two.done, two.median, two.p90, two.compliance) == (2, 75 * M, 111 * M, 1.0)
    # end to end: 150, 120 -> median 135; p90: 120 + 0.9 x 30 = 147; both within 3h
    end = stats.end_to_end
    assert (end.step_id, end.done, end.median, end.p90, end.compliance) == (
        END_TO_END, 2, 135 * M, 147 * M, 1.0,
    )  # fmt: skip
    # at 4h, run 3's step two (due 45m + 2h) is 1h15 overdue
    [late] = runs.overdue(T0 + timedelta(hours=4))
    assert (late.run_id, late.step_id, late.owner, late.overdue_by) == (3, "two", "jonas", 75 * M)


def test_quantile_of_nothing_is_none() -> None:
    assert quantile([], 0.5) is None
    assert quantile([timedelta(hours=1)], 0.9) == timedelta(hours=1)


def test_milestones_must_follow_the_funnel(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "acme")
    path = root / "workflows" / "lead_to_opportunity.yaml"
    text = path.read_text()
    path.write_text(text.replace("milestone: sql", "milestone: lead"))
    report = Workspace.check(root)
    assert not report.ok
    (error,) = [f for f in report.findings if f.severity == "error"]
    assert error.location.file == "workflows/lead_to_opportunity.yaml"
    assert "steps 'capture' and 'qualify' both have milestone 'lead'" in error.message
    path.write_text(
        text.replace("    milestone: opportunity\n", "").replace(
            "    milestone: lead\n", "    milestone: opportunity\n"
        )
    )
    (error,) = [f for f in Workspace.check(root).findings if f.severity == "error"]
    assert "step 'score_and_route' (mql) comes after step 'capture'" in error.message
    assert "order milestone steps as the funnel runs" in (error.hint or "")


def test_business_hours_from_demandos_yaml(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "acme")
    config = root / "demandos.yaml"
    base = config.read_text()
    config.write_text(
        base + '\nbusiness_hours:\n  days: sun-thu\n  start: "08:00"\n  end: "16:00"\n'
        "  holidays: [2026-11-22]\n"
    )
    with Workspace.open(root) as ws:
        runs, _ = runs_at(ws, T0)
        # Thursday 15:00 + 4 working hours: 1h Thursday, Friday and Saturday off, Sunday 22 Nov a
        # holiday, so Monday 08:00 + 3h
        run = runs.start("lead_to_opportunity", at="2026-11-19 15:00")
        assert run.steps[0].due_at == datetime(2026, 11, 19, 15, 15, tzinfo=NY)
        for step in ("capture", "score_and_route"):
            runs.check(run.id, step, at="2026-11-19 15:00")
            runs.done(run.id, step, at="2026-11-19 15:00")
        assert runs.get(run.id).steps[2].due_at == datetime(2026, 11, 23, 11, tzinfo=NY)
    config.write_text(
        base + '\nbusiness_hours:\n  days: mon-fri\n  start: "17:00"\n  end: "9:00"\n'
    )
    (error,) = [f for f in Workspace.check(root).findings if f.severity == "error"]
    assert error.location.file == "demandos.yaml" and error.location.line is not None
    assert "not after they start" in error.message
