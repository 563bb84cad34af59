"""What HubSpot and Salesforce syncs share: connectors, cursors, retries, times, the migration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config

from demandos import IntakeError
from demandos.intake.api import open_source
from demandos.intake.api.cursors import advance, cursors, read_cursor
from demandos.intake.api.hubspot import OBJECTS as HUBSPOT_OBJECTS
from demandos.intake.api.salesforce import OBJECTS as SALESFORCE_OBJECTS
from demandos.intake.api.source import (
    ApiObject,
    RetryPolicy,
    cursor_text,
    parse_instant,
    record_number,
)
from demandos.intake.connector import Header
from demandos.intake.registry import connector
from demandos.store.oplog import HEAD_REVISION, MIGRATIONS, Load, OperatingLog, engine_for

OBJECTS: list[ApiObject] = [*HUBSPOT_OBJECTS, *SALESFORCE_OBJECTS]


@pytest.mark.parametrize("obj", OBJECTS, ids=lambda o: o.name)
def test_every_api_object_writes_what_its_connector_reads(obj: ApiObject) -> None:
    reads = connector(obj.connector)  # registered: the same connector reads the export file
    assert reads.missing(Header(obj.header)) == []
    assert len(set(obj.header)) == len(obj.header)


def test_objects_come_in_dependency_order() -> None:
    assert [o.name for o in HUBSPOT_OBJECTS] == ["companies", "contacts", "deals"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def log_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return OperatingLog.sqlite_url(tmp_path / ".demandos")
    return str(request.getfixturevalue("postgres_url"))


def test_migration_0002_upgrades_a_log_at_0001_and_keeps_its_rows(log_url: str) -> None:
    engine = engine_for(log_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    engine.dispose()
    old = OperatingLog(engine_for(log_url))
    now = datetime(2026, 11, 24, 9, 0)
    old.record_load(Load(batch="b1", source="google_ads", started_at=now, finished_at=now))
    assert "sync_cursors" not in old.tables()
    old.close()

    log = OperatingLog.open(log_url)
    assert log.revision() == HEAD_REVISION
    assert [load.batch for load in log.loads()] == ["b1"]
    advance(log, "hubspot", "contacts", "2026-11-24T09:00:00.000Z", rows=3, now=now)
    assert read_cursor(log, "hubspot", "contacts") == "2026-11-24T09:00:00.000Z"
    log.close()
    engine = engine_for(log_url)
    with engine.begin() as connection:  # and back down again
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    engine.dispose()
    again = OperatingLog(engine_for(log_url))
    assert "sync_cursors" not in again.tables()
    assert [load.batch for load in again.loads()] == ["b1"]
    again.close()


def test_a_cursor_never_moves_backwards_and_counts_rows(log_url: str) -> None:
    log = OperatingLog.open(log_url)
    now = datetime(2026, 11, 24, 9, 0)
    assert read_cursor(log, "salesforce", "CampaignMember") is None
    advance(log, "salesforce", "CampaignMember", "2026-03-04T15:22:10.000Z", rows=200, now=now)
    advance(log, "salesforce", "CampaignMember", "2026-03-01T00:00:00.000Z", rows=5, now=now)
    advance(log, "salesforce", "CampaignMember", None, rows=0, now=now + timedelta(hours=1))
    [stored] = cursors(log, "salesforce")
    assert (stored.cursor, stored.rows) == ("2026-03-04T15:22:10.000Z", 205)
    assert stored.updated_at == now + timedelta(hours=1)
    log.close()


def test_a_failed_log_write_moves_no_cursor(tmp_path: Path) -> None:
    log = OperatingLog.open(OperatingLog.sqlite_url(tmp_path))
    now = datetime(2026, 11, 24, 9, 0)
    broken = Load(batch="x" * 65, source="s", started_at=now, finished_at=None)  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017 - the driver's own integrity error
        advance(log, "hubspot", "deals", "2026-03-04T15:22:10.000Z", rows=1, load=broken)
    assert read_cursor(log, "hubspot", "deals") is None
    log.close()


def test_retry_after_seconds_an_http_date_or_backoff_bounded() -> None:
    policy = RetryPolicy(attempts=4, max_wait=30.0)
    assert policy.delay(429, "7", attempt=1) == 7.0
    assert policy.delay(429, "3600", attempt=1) == 30.0  # cut to max_wait
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    assert 15 <= (policy.delay(503, later, attempt=1) or 0) <= 20
    assert [policy.delay(500, None, attempt=a) for a in (1, 2, 3)] == [1.0, 2.0, 4.0]
    assert policy.delay(429, "1", attempt=4) is None  # the fourth try was the last
    assert policy.delay(400, "1", attempt=1) is None
    assert policy.delay(401, None, attempt=1) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-04T15:22:10.123Z", "2026-03-04T15:22:10.123Z"),  # HubSpot
        ("2026-03-04T15:22:10.000+0000", "2026-03-04T15:22:10.000Z"),  # Salesforce
        ("2026-03-04T10:22:10-05:00", "2026-03-04T15:22:10.000Z"),
        ("1772637730123", "2026-03-04T15:22:10.123Z"),  # epoch milliseconds
        ("2026-03-04", "2026-03-04T00:00:00.000Z"),
    ],
)
def test_api_times_become_utc_cursors(value: str, expected: str) -> None:
    instant = parse_instant(value)
    assert instant is not None
    assert cursor_text(instant) == expected


@pytest.mark.parametrize("value", ["", None, "2026-02-30T09:00:00Z", "next tuesday", "12"])
def test_what_is_no_time_is_none(value: str | None) -> None:
    assert parse_instant(value) is None


def test_record_numbers_are_stable_per_record() -> None:
    assert record_number("8000000001") == 8000000001  # HubSpot: the id itself
    sf = record_number("0065e00000AbCdEQAA")
    assert sf == record_number("0065e00000AbCdEQAA") != record_number("0065e00000AbCdFQAA")
    assert 0 < sf < 2**63


def test_an_unknown_system_is_refused() -> None:
    with pytest.raises(IntakeError, match="no API sync for 'pipedrive'") as info:
        open_source("pipedrive")
    assert "hubspot, salesforce" in (info.value.hint or "")


def test_a_salesforce_instance_that_is_no_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALESFORCE_INSTANCE_URL", "acme.my.salesforce.com")
    monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", "00D!token")
    with pytest.raises(IntakeError, match="SALESFORCE_INSTANCE_URL must be a URL"):
        open_source("salesforce")


def test_the_hubspot_base_defaults_to_hubspots_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-x")
    monkeypatch.delenv("HUBSPOT_API_BASE", raising=False)
    source = open_source("hubspot")
    try:
        assert source.base_url == "https://api.hubapi.com"  # type: ignore[attr-defined]
    finally:
        source.close()
