"""The operating log: reviews, decisions, actions, workflow runs, kernel versions, loads and the
cursors of API syncs.

A transactional store with migrations (SQLAlchemy 2 + Alembic): a SQLite file in the workspace's
``.demandos`` folder by default (WAL mode, so the server reads while the CLI writes), PostgreSQL
when the workspace names a URL. The schema evolves only through the migrations in
``store/migrations``; ``OperatingLog.open`` brings any database up to date.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from demandos.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")


class Base(DeclarativeBase):
    pass


class KernelVersion(Base):
    __tablename__ = "kernel_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, index=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    author: Mapped[str | None] = mapped_column(String(200))
    changelog: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)


class ProposalDecision(Base):
    """What became of a kernel refinement proposal (0004): accepted or rejected, once."""

    __tablename__ = "kernel_proposal_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[str] = mapped_column(String(20), unique=True, index=True)
    decision: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(300))
    change: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(String(20))
    decided_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    kernel_version: Mapped[int | None] = mapped_column(Integer)  # published on acceptance


class Review(Base):
    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ritual_id: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    period: Mapped[str] = mapped_column(String(20))
    held_at: Mapped[datetime | None] = mapped_column(DateTime)
    summary: Mapped[str | None] = mapped_column(Text)
    pack_path: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    attendees: Mapped[list[str] | None] = mapped_column(JSON)  # person ids (0003)
    notes: Mapped[str | None] = mapped_column(Text)


class Decision(Base):
    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"), index=True)
    made_at: Mapped[datetime] = mapped_column(DateTime)
    title: Mapped[str] = mapped_column(String(300))
    rationale: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="made")
    # 0003: the metric it is about, the ritual instance it was made in, and the metric's value
    # when it was made (for "the movement of its metric since").
    metric_id: Mapped[str | None] = mapped_column(String(100), index=True)
    ritual_id: Mapped[str | None] = mapped_column(String(100), index=True)
    period: Mapped[str | None] = mapped_column(String(20))
    metric_period: Mapped[str | None] = mapped_column(String(20))
    metric_value: Mapped[float | None] = mapped_column(Float)


class Action(Base):
    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"), index=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str] = mapped_column(String(100), index=True)
    due: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    # 0003: the metric it moves and the ritual instance it came from
    metric_id: Mapped[str | None] = mapped_column(String(100), index=True)
    ritual_id: Mapped[str | None] = mapped_column(String(100), index=True)
    period: Mapped[str | None] = mapped_column(String(20))


class WorkflowRun(Base):
    __tablename__ = "workflow_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(100), index=True)
    subject: Mapped[str | None] = mapped_column(String(300))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")
    # the procedure as it was when the run started: name, clock, SLAs, steps and checklists
    steps: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_by: Mapped[str | None] = mapped_column(String(100))  # 0005


class WorkflowRunStep(Base):
    """One step of a run (0005): the checklist items ticked, and when it was done, by whom."""

    __tablename__ = "workflow_run_steps"
    __table_args__ = (UniqueConstraint("run_id", "step_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("workflow_runs.id"), index=True)
    step_id: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    checked: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # item, at, by
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    done_by: Mapped[str | None] = mapped_column(String(100))


class User(Base):
    """Someone who signs in to the web app (0006). ``person_id`` links to team.yaml."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # admin, editor, viewer
    person_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime)


class WebSession(Base):
    """A signed-in browser (0006): the cookie carries the token, the log keeps its hash."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class ApiToken(Base):
    """A token for the REST API (0006); only its hash is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class Load(Base):
    __tablename__ = "loads"
    batch: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    file: Mapped[str | None] = mapped_column(String(1000))
    file_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime] = mapped_column(DateTime)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SyncCursor(Base):
    """How far an API sync of one object has read: the newest modification time loaded.

    ``cursor`` is an ISO 8601 UTC timestamp (``2026-03-04T15:22:10.123Z``), written only after the
    page that reached it was committed to the fact store; ``rows`` counts the records fetched
    under this cursor since it was first set.
    """

    __tablename__ = "sync_cursors"
    system: Mapped[str] = mapped_column(String(50), primary_key=True)
    object: Mapped[str] = mapped_column(String(100), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    rows: Mapped[int] = mapped_column(Integer, default=0)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def engine_for(url: str) -> Engine:
    """An engine for a SQLite or PostgreSQL URL (plain ``postgresql://`` uses psycopg 3)."""
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


HEAD_REVISION = "0006"  # the newest migration in store/migrations (a test keeps them equal)


def revision_of(engine: Engine) -> str | None:
    """The migration the database is at, or None before the first one."""
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema through the Alembic migrations.

    A database already at the newest migration is left alone without loading Alembic, which
    takes longer to import than most commands take to run.
    """
    if revision_of(engine) == HEAD_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class OperatingLog:
    """The transactional store of what the team did: open it, then use ``session()``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> OperatingLog:
        try:
            engine = engine_for(url)
            migrate(engine)
        except Exception as exc:  # the driver's own errors vary; name the database and the fix
            raise StoreError(
                f"cannot open the operating log at {_redact(url)}: {exc}",
                hint="check `store.log_url` in demandos.yaml and that the database is reachable",
            ) from exc
        return cls(engine)

    @classmethod
    def sqlite_url(cls, data_dir: Path) -> str:
        data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{data_dir / 'oplog.sqlite'}"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def tables(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

    def revision(self) -> str | None:
        return revision_of(self.engine)

    def record_load(self, load: Load) -> None:
        with self.session() as session:
            session.merge(load)

    def loads(self) -> list[Load]:
        with self.session() as session:
            return list(session.scalars(select(Load).order_by(Load.finished_at)))

    def count(self, model: type[Base]) -> int:
        with self.session() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)

    def close(self) -> None:
        self.engine.dispose()


def _redact(url: str) -> str:
    """Hide a password in a URL before it reaches a message."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url
