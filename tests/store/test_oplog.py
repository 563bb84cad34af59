"""The operating log: migrations on SQLite and a real PostgreSQL, and no lock-outs under WAL."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from demandos.errors import StoreError
from demandos.store.oplog import (
    HEAD_REVISION,
    MIGRATIONS,
    Action,
    Load,
    OperatingLog,
    Review,
    _redact,
)

HEAD = "0006"  # the newest migration in store/migrations/versions
TABLES = [
    "actions",
    "alembic_version",
    "api_tokens",
    "decisions",
    "kernel_proposal_decisions",
    "kernel_versions",
    "loads",
    "reviews",
    "sync_cursors",
    "users",
    "web_sessions",
    "workflow_run_steps",
    "workflow_runs",
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def log_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return OperatingLog.sqlite_url(tmp_path / ".demandos")
    return str(request.getfixturevalue("postgres_url"))


def test_open_migrates_to_head_and_reopens(log_url: str) -> None:
    log = OperatingLog.open(log_url)
    assert log.tables() == TABLES
    assert log.revision() == HEAD
    log.close()
    again = OperatingLog.open(log_url)  # an up-to-date database is left as it is
    assert again.revision() == HEAD
    again.close()


def test_head_revision_is_the_newest_migration() -> None:
    """Opening an up-to-date log skips Alembic on the strength of this constant."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION == HEAD


def test_review_with_actions_round_trips(log_url: str) -> None:
    log = OperatingLog.open(log_url)
    now = datetime(2026, 11, 23, 9, 0)
    with log.session() as s:
        review = Review(
            ritual_id="monday_review", kind="weekly_review", period="2026-W48", created_at=now
        )
        s.add(review)
        s.flush()
        s.add(
            Action(
                review_id=review.id,
                title="Cut LinkedIn retargeting",
                owner="maya",
                due=date(2026, 11, 27),
                created_at=now,
            )
        )
    with log.session() as s:
        action = s.scalars(select(Action)).one()
        assert (action.owner, action.status, action.due) == ("maya", "open", date(2026, 11, 27))
    assert log.count(Review) == 1
    log.close()


def test_failed_unit_of_work_writes_nothing(log_url: str) -> None:
    log = OperatingLog.open(log_url)
    with pytest.raises(RuntimeError), log.session() as s:
        s.add(Review(ritual_id="x", kind="qbr", period="2026-Q4", created_at=datetime.now()))
        s.flush()
        raise RuntimeError("interrupted")
    assert log.count(Review) == 0
    log.close()


def test_sqlite_reader_is_not_locked_out_by_a_writer(tmp_path: Path) -> None:
    url = OperatingLog.sqlite_url(tmp_path)
    log = OperatingLog.open(url)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = set()
    while writer.poll() is None:
        seen.add(log.count(Load))  # must never raise "database is locked"
    _out, err = writer.communicate()
    assert writer.returncode == 0, err
    assert log.count(Load) == 200
    assert seen <= set(range(201))
    log.close()


WRITER = """
import sys
from datetime import datetime
from demandos.store.oplog import Load, OperatingLog
log = OperatingLog.open(sys.argv[1])
for i in range(200):
    now = datetime.now()
    log.record_load(Load(batch=str(i), source="t", started_at=now, finished_at=now, counts={}))
"""


def test_unreachable_database_names_it_and_hides_the_password() -> None:
    with pytest.raises(StoreError) as info:
        OperatingLog.open("postgresql://ops:s3cret@127.0.0.1:9/nowhere")
    assert "ops:***@127.0.0.1:9/nowhere" in info.value.message
    assert "s3cret" not in info.value.message
    assert "log_url" in (info.value.hint or "")


def test_redact_leaves_urls_without_password() -> None:
    assert _redact("sqlite:///x.db") == "sqlite:///x.db"
    assert _redact("postgresql://u@h/db") == "postgresql://u@h/db"
