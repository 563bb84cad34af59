"""The cadence's operating log on a real SQLite file and a real PostgreSQL server: round-trips,
follow-through over two weeks, and bad input that names the fix and stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import text

from demandos.cadence.log import ActionItem, CadenceLog
from demandos.errors import CadenceError
from demandos.store.oplog import (
    HEAD_REVISION,
    MIGRATIONS,
    Action,
    Base,
    Decision,
    OperatingLog,
    Review,
    engine_for,
)
from demandos.workspace import Workspace

from .conftest import make_workspace


class Clock:
    """The time the log sees, moved by the test (wall-clock in the workspace timezone)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


VALUES = {("der", "2026-W47"): 3.2, ("der", "2026-W48"): 3.6, ("cpl", "2026-W47"): 180.0}


def read_metric(metric: str, period: str) -> tuple[float | None, str | None]:
    """The values the metrics engine would give (the engine itself is tested below and in
    tests/metrics; here the log's storage is under test)."""
    value = VALUES.get((metric, period))
    return value, None if value is not None else f"no data for {period}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ws(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    url = None if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))
    with Workspace.open(make_workspace(tmp_path / "acme", log_url=url)) as workspace:
        yield workspace


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 23, 10, 0))  # Monday of 2026-W48, after the review


@pytest.fixture
def log(ws: Workspace, clock: Clock) -> CadenceLog:
    return CadenceLog(ws.log, ws.specs, read_metric=read_metric, clock=clock)


def test_action_round_trip(ws: Workspace, log: CadenceLog, clock: Clock) -> None:
    added = log.add_action(
        "  Cut LinkedIn   retargeting ",
        owner="maya",
        due="2026-11-27",
        metric="cpl",
        ritual="monday_review",
        period="2026-W48",
    )
    assert added.warnings == ()
    item = added.item
    assert (item.title, item.owner, item.due, item.status) == (
        "Cut LinkedIn retargeting",
        "maya",
        date(2026, 11, 27),
        "open",
    )
    assert (item.metric_id, item.ritual_id, item.period) == ("cpl", "monday_review", "2026-W48")
    assert item.created_at == clock.now
    assert log.list_actions() == [item]
    # A second process (a fresh log on the same database) reads the same action.
    other = OperatingLog.open(str(ws.log.engine.url.render_as_string(hide_password=False)))
    try:
        assert CadenceLog(other, ws.specs).list_actions(owner="maya") == [item]
    finally:
        other.close()
    clock.now = datetime(2026, 11, 25, 16, 0)
    done = log.complete(item.id).item
    assert (done.status, done.done_at) == ("done", clock.now)
    assert log.list_actions(status="open") == []
    assert log.list_actions(status="done") == [done]
    again = log.complete(item.id)
    assert again.item.done_at == done.done_at and "already done" in again.warnings[0]
    reopened = log.reopen(item.id, due=date(2026, 12, 4)).item
    assert (reopened.status, reopened.done_at, reopened.due) == ("open", None, date(2026, 12, 4))
    assert log.list_actions(metric="cpl", ritual="monday_review", period="2026-W48") == [reopened]
    assert log.list_actions(owner="jonas") == []


def test_an_action_changes_hands(log: CadenceLog) -> None:
    item = log.add_action("Fix the MQL form", owner="maya", due="2026-11-27").item
    moved = log.assign(item.id, "jonas")
    assert (moved.item.owner, moved.warnings) == ("jonas", ())
    assert log.list_actions(owner="jonas") == [moved.item]
    assert "already jonas's" in log.assign(item.id, "jonas").warnings[0]
    with pytest.raises(CadenceError, match="mya"):
        log.assign(item.id, "mya")
    assert log.list_actions(owner="jonas") == [moved.item]  # a refused change writes nothing


def test_decision_round_trip_keeps_the_metric_value_then(log: CadenceLog, clock: Clock) -> None:
    made = log.add_decision(
        "Move 20% of paid social to webinars",
        owner="maya",
        metric="der",
        ritual="monday_review",
        period="2026-W48",
        rationale="webinar leads convert twice as often",
    )
    item = made.item
    assert made.warnings == ()
    # Held in 2026-W48, the Monday review looks back on 2026-W47: DER then was 3.2.
    assert (item.metric_id, item.metric_period, item.metric_value) == ("der", "2026-W47", 3.2)
    assert (item.ritual_id, item.period, item.made_at) == ("monday_review", "2026-W48", clock.now)
    assert item.rationale == "webinar leads convert twice as often"
    explicit = log.add_decision(
        "Hold CPL", owner="jonas", metric="cpl", metric_period="2026-W47"
    ).item
    assert explicit.metric_value == 180.0 and explicit.ritual_id is None
    unread = log.add_decision("Watch DER", owner="maya", metric="der", metric_period="2026-W40")
    assert unread.item.metric_value is None
    assert "no value for 2026-W40" in unread.warnings[0]  # stored, with a warning
    assert [d.id for d in log.list_decisions()] == [item.id, explicit.id, unread.item.id]
    assert log.list_decisions(metric="cpl") == [explicit]
    assert log.list_decisions(ritual="monday_review", period="2026-W48") == [item]
    assert log.list_decisions(since="2026-11-24") == []


def test_review_record_links_the_instance(log: CadenceLog, ws: Workspace) -> None:
    action = log.add_action("Fix routing", owner="jonas", ritual="monday_review")
    assert action.item.period == "2026-W48"  # no period: the current instance
    review = log.record_review("monday_review", "2026-W48", notes="DER up; routing late").item
    assert review.held_at == datetime(2026, 11, 23, 9, 30)  # as planned in cadence.yaml
    assert review.attendees == ("maya", "jonas", "priya")
    assert (review.kind, review.notes) == ("weekly_review", "DER up; routing late")
    assert log.list_actions()[0].review_id == review.id  # linked after the fact
    decision = log.add_decision("Keep budget", owner="maya", ritual="monday_review").item
    assert decision.review_id == review.id  # linked at once
    again = log.record_review(
        "monday_review", "2026-W48", held_at="2026-11-23 09:40", attendees=["maya", "priya"]
    )
    assert "already recorded" in again.warnings[0]
    assert again.item.id == review.id and again.item.notes == "DER up; routing late"
    assert again.item.held_at == datetime(2026, 11, 23, 9, 40)
    assert again.item.attendees == ("maya", "priya")
    assert ws.log.count(Review) == 1
    assert log.reviews(ritual="monday_review") == [again.item]


def test_follow_through_over_two_consecutive_weeks(log: CadenceLog, clock: Clock) -> None:
    week1, week2, week3 = date(2026, 11, 23), date(2026, 11, 30), date(2026, 12, 7)
    quick = log.add_action("Pause CPL outliers", owner="jonas", due="2026-11-25").item
    late = log.add_action("Brief the webinar", owner="priya", due="2026-11-27").item
    long = log.add_action("Rebuild lead scoring", owner="jonas", due="2026-12-04").item
    clock.now = datetime(2026, 11, 25, 11, 0)
    log.complete(quick.id)

    first = log.follow_through(week1, week2)
    assert [a.id for a in first.done] == [quick.id]
    assert [a.id for a in first.overdue] == [late.id]
    assert [a.id for a in first.carried_over] == [long.id]

    clock.now = datetime(2026, 11, 30, 10, 0)
    assert [a.id for a in log.list_actions(overdue=True)] == [late.id]
    new = log.add_action("Draft Q1 plan", owner="maya", due="2026-12-10").item
    clock.now = datetime(2026, 12, 1, 9, 0)
    log.complete(late.id)
    clock.now = datetime(2026, 12, 3, 15, 0)
    log.complete(long.id)

    second = log.follow_through(week2, week3)
    assert [a.id for a in second.done] == [late.id, long.id]
    assert second.overdue == []
    assert [a.id for a in second.carried_over] == [new.id]
    # The first week reads the same afterwards: it is as the log stood at its end.
    assert log.follow_through(week1, week2).as_dict()["overdue"][0]["id"] == late.id
    assert [a.id for a in log.follow_through(week1, week2).done] == [quick.id]


@pytest.mark.parametrize(
    ("kwargs", "message", "fix"),
    [
        ({"owner": "mya"}, "unknown owner 'mya': team.yaml", "did you mean 'maya'?"),
        ({"owner": "maya", "metric": "dre"}, "unknown metric 'dre'", "metrics.yaml"),
        ({"owner": "maya", "due": "2026-13-01"}, "due date '2026-13-01'", "YYYY-MM-DD"),
        ({"owner": "maya", "due": "next friday"}, "is not a date", "YYYY-MM-DD"),
        (
            {"owner": "maya", "ritual": "monday_review", "period": "2026-11"},
            "is a month, but monday_review is weekly",
            "2026-W47",
        ),
        ({"owner": "maya", "ritual": "weekly"}, "unknown ritual 'weekly'", "cadence.yaml"),
        ({"owner": "maya", "period": "2026-W48"}, "without the ritual", "--ritual"),
    ],
)
def test_bad_action_input_names_the_fix_and_stores_nothing(
    log: CadenceLog, ws: Workspace, kwargs: dict[str, str], message: str, fix: str
) -> None:
    kept = log.add_action("Already here", owner="priya").item
    with pytest.raises(CadenceError) as info:
        log.add_action("New", **kwargs)  # type: ignore[arg-type]
    assert message in info.value.message
    assert fix in (info.value.hint or "") + info.value.message
    assert ws.log.count(Action) == 1
    assert log.list_actions() == [kept]


def test_bad_decision_and_review_input_store_nothing(log: CadenceLog, ws: Workspace) -> None:
    with pytest.raises(CadenceError, match="unknown owner 'ana'"):
        log.add_decision("x", owner="ana", metric="der")
    with pytest.raises(CadenceError, match="unknown metric 'pipline'") as info:
        log.add_decision("x", owner="maya", metric="pipline")
    assert "did you mean" in (info.value.hint or "")
    with pytest.raises(CadenceError, match="unknown attendee 'bob'"):
        log.record_review("monday_review", "2026-W48", attendees=["maya", "bob"])
    with pytest.raises(CadenceError, match="held at 'yesterday'"):
        log.record_review("monday_review", "2026-W48", held_at="yesterday")
    with pytest.raises(CadenceError, match="has no title"):
        log.add_action("   ", owner="maya")
    with pytest.raises(CadenceError, match="no action #42"):
        log.complete(42)
    assert (ws.log.count(Decision), ws.log.count(Review), ws.log.count(Action)) == (0, 0, 0)


def test_a_past_due_date_is_a_warning_not_an_error(log: CadenceLog) -> None:
    added = log.add_action("Late already", owner="maya", due=date(2026, 11, 2))
    assert "in the past" in added.warnings[0]
    assert isinstance(added.item, ActionItem) and added.item.is_overdue(date(2026, 11, 23))
    assert log.list_actions(overdue=True) == [added.item]


def test_migration_0003_matches_the_models_and_keeps_old_rows(tmp_path: Path) -> None:
    url = OperatingLog.sqlite_url(tmp_path)
    engine = engine_for(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
        connection.execute(
            text(
                "INSERT INTO actions (title, owner, status, created_at) "
                "VALUES ('from before', 'maya', 'open', '2026-11-01 09:00:00')"
            )
        )
    engine.dispose()
    log = OperatingLog.open(url)
    assert log.revision() == HEAD_REVISION
    with log.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    with log.session() as s:
        row = s.get(Action, 1)
        assert row is not None and (row.title, row.metric_id, row.period) == (
            "from before",
            None,
            None,
        )
    log.close()


@pytest.mark.postgres
def test_migrations_match_the_models_on_postgres(postgres_url: str) -> None:
    log = OperatingLog.open(postgres_url)
    with log.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    log.close()


def test_workspace_decision_reads_the_metrics_engine(tmp_path: Path) -> None:
    with Workspace.open(make_workspace(tmp_path / "acme")) as ws:
        ws.load_sample()
        expected = ws.metrics("2026-10").get("pipeline_created").value
        assert expected is not None and expected > 0
        item = ws.cadence_log.add_decision(
            "Double down on partners", owner="maya", metric="pipeline_created",
            metric_period="2026-10",
        ).item  # fmt: skip
        assert (item.metric_period, item.metric_value) == ("2026-10", expected)
        assert ws.cadence_log.list_decisions() == [item]
