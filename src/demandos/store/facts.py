"""The fact store: canonical tables that keep their history, on an embedded engine or PostgreSQL.

    store = open_facts(workspace / ".demandos")             # embedded: Parquet + DuckDB
    with store.transaction(source="hubspot") as tx:         # all loads visible together, or none
        tx.load("accounts", accounts)                       # merge by key -> LoadResult
        tx.load("opportunities", opportunities)
    store.table("opportunities")                            # current rows, an ibis table
    store.table("opportunities", as_of=last_monday)         # rows as stored at that moment
    store.opportunities_as_of(date(2024, 3, 4))             # deals as they stood that day

Two clocks: *system time* (``_valid_from``/``_valid_to``, when a version was loaded and replaced)
answers "what did the store say then?"; *business time* (``opportunity_history.changed_at``)
answers "what stage was the deal in then?". Timestamps are naive UTC; aware ones are converted.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, TypeVar

import ibis
import pyarrow as pa

from demandos.errors import StoreError
from demandos.progress import NullProgress, Progress, step
from demandos.store.batch import prepare
from demandos.store.merge import INSERT, SAME, UPDATE
from demandos.store.schema import ALL_TABLES, VALID_FROM, VALID_TO, TableSchema, table_schema

T = TypeVar("T")

Backend = Literal["embedded", "postgres", "spark"]


@dataclass(frozen=True)
class LoadResult:
    """What one load did to one table. ``read`` counts batch rows before de-duplication."""

    table: str
    read: int
    inserted: int
    updated: int
    unchanged: int
    batch: str

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated)


@dataclass(frozen=True)
class TableSummary:
    """A canonical table's current rows and the range of its time column."""

    table: str
    rows: int
    min_time: date | datetime | None
    max_time: date | datetime | None
    time_column: str | None = None


def utc_naive(value: datetime) -> datetime:
    """``value`` as a naive UTC timestamp (naive values are taken to be UTC already)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def load_clock(previous: datetime | None) -> datetime:
    """Now (naive UTC), strictly after the previous load so versions never share a start."""
    now = datetime.now(UTC).replace(tzinfo=None)
    if previous is not None and now <= previous:
        return previous + timedelta(microseconds=1)
    return now


class Loader(ABC):
    """Loads into the store inside one transaction; see :meth:`FactStore.transaction`."""

    def __init__(self, *, batch: str, source: str, load_time: datetime, progress: Progress) -> None:
        self.batch = batch
        self.source = source
        self.load_time = load_time
        self.results: list[LoadResult] = []
        self._progress = progress
        self._open = True
        self._failed = False  # a merge failed part-way: the transaction can only roll back

    def load(
        self, table: str, rows: pa.Table, *, order: pa.Array | pa.ChunkedArray | None = None
    ) -> LoadResult:
        """Merge ``rows`` into ``table`` by its key (see :mod:`demandos.store.merge`).

        Of rows with the same key the last one wins: the last in the batch, or with ``order``
        (one distinct number per row, such as the source file's row numbers) the highest.
        """
        if not self._open:
            raise StoreError(
                "this transaction is finished",
                hint="load inside the `with store.transaction() as tx:` block",
            )
        if self._failed:
            raise StoreError(
                "an earlier load in this transaction failed; the transaction can only roll back",
                hint="let the error leave the `with` block, fix its cause, then load again",
            )
        schema = table_schema(table)
        staged = prepare(schema, rows, order)
        counts: dict[str, int] = {}
        if staged.num_rows:
            with step(self._progress, f"Merging {staged.num_rows:,} rows into {schema.name}"):
                try:
                    counts = self._merge(schema, staged)
                except BaseException:
                    self._failed = True
                    raise
        result = LoadResult(
            table=schema.name,
            read=staged.num_rows,
            inserted=counts.get(INSERT, 0),
            updated=counts.get(UPDATE, 0),
            unchanged=counts.get(SAME, 0),
            batch=self.batch,
        )
        self.results.append(result)
        return result

    @abstractmethod
    def _merge(self, schema: TableSchema, staged: pa.Table) -> dict[str, int]:
        """Merge a prepared batch; the number of keys per action."""

    @abstractmethod
    def _commit(self) -> None:
        """Make every load of the transaction visible at once."""

    @abstractmethod
    def _rollback(self) -> None:
        """Forget every load of the transaction; must not raise."""


class FactStore(ABC):
    """The canonical facts with their history. Open one with :func:`open_facts`."""

    backend: Backend

    def __init__(self, *, progress: Progress | None = None) -> None:
        self._progress: Progress = progress or NullProgress()
        self._loader: Loader | None = None
        self._closed = False

    # -- writing -------------------------------------------------------------------------------

    @contextmanager
    def transaction(self, *, source: str = "", batch: str | None = None) -> Iterator[Loader]:
        """Loads that become visible together when the block ends, or not at all.

        An exception in the block (or the death of the process) leaves the store as it was.
        ``batch`` names the load (default: a new uuid4 hex) and is kept in every written version.
        """
        self._check_open()
        if self._loader is not None:
            raise StoreError(
                "a transaction is already open on this store",
                hint="load inside the open transaction, or finish it first",
            )
        if batch is not None and not batch.strip():
            raise StoreError("a batch id cannot be empty", hint="leave `batch` out for a new id")
        loader = self._begin(source=source, batch=batch or uuid.uuid4().hex)
        self._loader = loader
        try:
            try:
                yield loader
                loader._open = False
                if loader._failed:
                    raise StoreError(
                        "a load failed inside this transaction, so none of its loads were stored",
                        hint="fix the cause of the first error, then load again",
                    )
                loader._commit()
            except BaseException:
                loader._open = False
                loader._rollback()
                raise
        finally:
            self._loader = None

    def load(
        self,
        table: str,
        rows: pa.Table,
        *,
        source: str = "",
        batch: str | None = None,
        order: pa.Array | pa.ChunkedArray | None = None,
    ) -> LoadResult:
        """Load one table in a transaction of its own (``order``: see :meth:`Loader.load`)."""
        with self.transaction(source=source, batch=batch) as tx:
            return tx.load(table, rows, order=order)

    @abstractmethod
    def _begin(self, *, source: str, batch: str) -> Loader:
        """Start a transaction (taking the load lock)."""

    # -- reading -------------------------------------------------------------------------------

    @property
    @abstractmethod
    def ibis_connection(self) -> Any:
        """The ibis backend the tables are read through."""

    @abstractmethod
    def _versions(self, name: str) -> ibis.Table:
        """Every stored version of a table, with the system columns."""

    def versions(self, name: str) -> ibis.Table:
        """Every version of a table ever stored, with ``_valid_from``, ``_valid_to``, ``_batch``.

        For audits and tracing; metrics read :meth:`table`.
        """
        self._check_open()
        return self._versions(table_schema(name).name)

    def refresh(self) -> bool:
        """Read the latest committed state from now on; True when it changed."""
        return False

    def table(self, name: str, *, as_of: datetime | None = None) -> ibis.Table:
        """The current rows of a canonical table, or the rows as stored at ``as_of``."""
        schema = table_schema(name)
        versions = self.versions(schema.name)
        valid_to = versions[VALID_TO]
        if as_of is None:
            current = versions.filter(valid_to.isnull())
        else:
            when = ibis.literal(utc_naive(as_of), type="timestamp")
            current = versions.filter(
                versions[VALID_FROM] <= when, valid_to.isnull() | (valid_to > when)
            )
        return current.select(*schema.column_names)

    def opportunities_as_of(self, when: date | datetime) -> ibis.Table:
        """Each opportunity created by ``when``, in the stage and amount it had at ``when``.

        Stage, amount, is_closed and is_won come from the opportunity's latest
        ``opportunity_history`` change at or before ``when`` (a date means the end of that day).
        An opportunity without such a change keeps its ``opportunities`` row. A change that does
        not say whether the deal was closed or won takes it from the opportunity when the stages
        match, and counts as open otherwise. Columns are those of ``opportunities``.
        """
        opps = self.table("opportunities")
        hist = self.table("opportunity_history")
        if isinstance(when, datetime):
            limit = ibis.literal(utc_naive(when), type="timestamp")
            created, changed = opps.created_at <= limit, hist.changed_at <= limit
        else:
            limit = ibis.literal(datetime.combine(when + timedelta(days=1), time()))
            created, changed = opps.created_at < limit, hist.changed_at < limit
        hist = hist.filter(changed)
        latest = hist.mutate(
            _rn=ibis.row_number().over(group_by=hist.opp_id, order_by=ibis.desc(hist.changed_at))
        )
        latest = latest.filter(latest._rn == 0).select(
            _h_opp=latest.opp_id,
            _h_stage=latest.stage,
            _h_amount=latest.amount,
            _h_closed=latest.is_closed,
            _h_won=latest.is_won,
        )
        opps = opps.filter(created)
        j = opps.left_join(latest, opps.opp_id == latest._h_opp)
        has = j._h_opp.notnull()
        same = j._h_stage == j.stage
        state = {
            "amount": has.ifelse(ibis.coalesce(j._h_amount, j.amount), j.amount),
            "stage": has.ifelse(j._h_stage, j.stage),
            "is_closed": has.ifelse(
                ibis.coalesce(j._h_closed, same.ifelse(j.is_closed, False)), j.is_closed
            ),
            "is_won": has.ifelse(ibis.coalesce(j._h_won, same.ifelse(j.is_won, False)), j.is_won),
        }
        columns = ALL_TABLES["opportunities"].column_names
        return j.select(*[state[c].name(c) if c in state else j[c] for c in columns])

    def derived(self, name: str, build: Callable[[FactStore], ibis.Table]) -> ibis.Table:
        """``build(self)``: a small table computed from the stored tables alone.

        ``build`` reads this store's tables and nothing else that can change (no specs, no
        clock), so its result is fixed by the files of the tables it reads: a store that can
        keep it per snapshot does (the embedded store, in ``derived/``), and every other reader
        of that snapshot reads the kept rows instead of computing them again. The rows are held
        in memory: for tables of thousands of rows, not of millions.
        """
        self._check_open()
        return build(self)

    def remembered(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, remembered while this store reads the same snapshot, for results that
        are small and costly (one period's attribution credit): a store that pins snapshots
        keeps them in memory until it reads another; this one computes every time."""
        return compute()

    def recall(self, key: Hashable) -> Any:
        """What :meth:`remembered` keeps under ``key`` for this snapshot, else None."""
        return None

    def summary(self) -> list[TableSummary]:
        """Every canonical table (quarantine included): current rows and time range."""
        parts = []
        for name, schema in ALL_TABLES.items():
            t = self.table(name)
            col = schema.time_column
            none = ibis.null("timestamp")
            parts.append(
                t.aggregate(
                    table=ibis.literal(name),
                    rows=t.count(),
                    min_time=t[col].min().cast("timestamp") if col else none,
                    max_time=t[col].max().cast("timestamp") if col else none,
                )
            )
        found = {r["table"]: r for r in ibis.union(*parts).to_pyarrow().to_pylist()}
        out = []
        for name, schema in ALL_TABLES.items():
            row = found[name]
            out.append(
                TableSummary(
                    table=name,
                    rows=int(row["rows"]),
                    min_time=_as_declared(schema, row["min_time"]),
                    max_time=_as_declared(schema, row["max_time"]),
                    time_column=schema.time_column,
                )
            )
        return out

    # -- lifetime ------------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Release connections; the store cannot be used afterwards."""
        if not self._closed:
            self._closed = True
            self._close()

    @abstractmethod
    def _close(self) -> None: ...

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the fact store is closed", hint="open it again with open_facts()")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _as_declared(schema: TableSchema, value: datetime | None) -> date | datetime | None:
    """A time read back as a timestamp, as the declared type of the table's time column."""
    col = schema.time_column
    if value is None or col is None or schema.column(col).type != "date":
        return value
    return value.date()


def open_facts(
    root: Path,
    *,
    backend: Backend = "embedded",
    url: str | None = None,
    schema: str = "demandos",
    spark: Mapping[str, Any] | None = None,
    lock_timeout: float = 60.0,
    progress: Progress | None = None,
) -> FactStore:
    """Open the fact store of a workspace.

    ``root`` is the workspace's ``.demandos`` folder; embedded facts live in ``root/"facts"``.
    With ``backend="postgres"``, ``url`` names the database and ``schema`` the schema that holds
    the tables (created when missing). With ``backend="spark"``, the embedded facts (in ``url``
    when given, a folder) are read through Spark; ``spark`` holds ``master`` (default
    ``local[*]``), ``config`` (Spark settings), ``session`` (a running SparkSession to use) and
    ``cache`` (persist the tables read, default True).
    A load waits up to ``lock_timeout`` seconds for another process's load to finish, then fails
    with ConcurrentLoadError.
    """
    if backend == "embedded":
        from demandos.store.embedded import EmbeddedFactStore

        return EmbeddedFactStore(Path(root) / "facts", lock_timeout=lock_timeout, progress=progress)
    if backend == "postgres":
        if not url:
            raise StoreError(
                "the postgres fact store needs a database URL",
                hint="set store.url in demandos.yaml, e.g. postgresql://user@host:5432/demandos",
            )
        try:
            from demandos.store.postgres import PostgresFactStore
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise StoreError(
                f"the postgres fact store needs extra packages ({exc.name} is missing)",
                hint="pip install 'demandos[postgres]'",
            ) from None
        return PostgresFactStore(url, schema=schema, lock_timeout=lock_timeout, progress=progress)
    if backend == "spark":
        from demandos.store.spark import DEFAULT_MASTER, SparkFactStore

        options = dict(spark or {})
        unknown = sorted(set(options) - {"master", "config", "session", "cache"})
        if unknown:
            raise StoreError(
                f"unknown spark option(s) {', '.join(map(repr, unknown))}",
                hint="spark takes master, config, session and cache",
            )
        return SparkFactStore(
            Path(url.removeprefix("file://")) if url else Path(root) / "facts",
            session=options.get("session"),
            master=options.get("master") or DEFAULT_MASTER,
            config=options.get("config"),
            cache=bool(options.get("cache", True)),
            lock_timeout=lock_timeout,
            progress=progress,
        )
    raise StoreError(
        f"unknown fact store backend {backend!r}", hint="use 'embedded', 'postgres' or 'spark'"
    )
