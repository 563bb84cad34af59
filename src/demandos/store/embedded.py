"""The embedded fact store: immutable Parquet files and snapshot manifests, read with DuckDB.

No server and no database file: DuckDB locks a database file to one process, so the data lives
in Parquet files that any number of processes read while one process loads (see
:mod:`demandos.store.snapshots` for the layout and how a commit is published).

A load merges in an in-memory DuckDB over the files of the latest snapshot and the staged Arrow
batch (the SQL is in :mod:`demandos.store.merge`). New and changed keys go to one new file; when
an update must close current versions, only the files holding those versions are rewritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from collections.abc import Callable, Hashable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import filelock
import ibis
import ibis.expr.operations as ops
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from demandos.errors import ConcurrentLoadError
from demandos.progress import Progress
from demandos.store.batch import ORDER
from demandos.store.facts import Backend, FactStore, Loader, T, TableSummary, load_clock
from demandos.store.merge import (
    INSERT,
    UPDATE,
    affected_files_sql,
    classify_sql,
    closed_versions_sql,
    counts_sql,
    duplicate_keys_sql,
    new_versions_sql,
    quote,
    string_literal,
)
from demandos.store.schema import (
    ALL_TABLES,
    ARROW_TYPES,
    BATCH,
    SQL_TYPES,
    SYSTEM_COLUMNS,
    VALID_FROM,
    VALID_TO,
    TableSchema,
)
from demandos.store.snapshots import Snapshot, SnapshotLog

REMEMBERED = 4096
"""How many small results (``remembered``) the store keeps for the snapshot it reads."""
KEEP_SNAPSHOTS = 20  # garbage collection keeps every file the last 20 snapshots use …
GC_GRACE = timedelta(hours=1)  # … and every file younger than this (readers pin snapshots)
TEMP = ".tmp"  # DuckDB spills here when a merge does not fit in memory
ROW_GROUP = 122_880  # rows per Parquet row group: DuckDB reads row groups in parallel


def scan_sql(schema: TableSchema, paths: list[str], *, filename: bool = False) -> str:
    """A SELECT over a table's files: every version, with the system columns."""
    if not paths:
        types = SQL_TYPES["duckdb"]
        cols = [(c.name, c.type) for c in schema.columns] + list(SYSTEM_COLUMNS)
        select = ", ".join(f"CAST(NULL AS {types[t]}) AS {quote(n)}" for n, t in cols)
        extra = ", CAST(NULL AS VARCHAR) AS filename" if filename else ""
        return f"SELECT {select}{extra} LIMIT 0"
    files = ", ".join(string_literal(p) for p in paths)
    options = ", filename = true" if filename else ""
    scan = f"SELECT * FROM read_parquet([{files}], union_by_name = true{options})"
    fallbacks = [c for c in schema.columns if c.fallback]
    if not fallbacks and not any(c.added for c in schema.columns):
        return scan
    # Files written before a column was declared lack it: every column is there (NULL when a
    # file has none), and an empty value of a column with a fallback reads as its fallback's.
    every = f"({scan_sql(schema, [], filename=filename)}) UNION ALL BY NAME ({scan})"
    if not fallbacks:
        return f"SELECT * FROM ({every})"
    filled = ", ".join(
        f"COALESCE({quote(c.name)}, {quote(str(c.fallback))}) AS {quote(c.name)}" for c in fallbacks
    )
    return f"SELECT * REPLACE ({filled}) FROM ({every})"


class EmbeddedFactStore(FactStore):
    """Facts in ``root`` (a workspace's ``.demandos/facts``); see the module docstring."""

    backend: Backend = "embedded"

    def __init__(
        self,
        root: Path,
        *,
        lock_timeout: float = 60.0,
        progress: Progress | None = None,
        keep_snapshots: int = KEEP_SNAPSHOTS,
        gc_grace: timedelta = GC_GRACE,
    ) -> None:
        super().__init__(progress=progress)
        self.root = Path(root)
        self.log = SnapshotLog(self.root)
        self.lock_timeout = lock_timeout
        self.keep_snapshots = keep_snapshots
        self.gc_grace = gc_grace
        self._con: Any = ibis.duckdb.connect()
        self._snapshot = Snapshot(id=-1)
        self._derived: dict[str, tuple[str, pa.Table]] = {}  # name -> key, rows (see derived)
        self._view_tables: dict[str, ibis.Table] = {}  # the views as ibis tables, until repointed
        self._remembered: dict[Hashable, Any] = {}  # of the pinned snapshot (see remembered)
        self._pin(self.log.current())

    @property
    def snapshot(self) -> Snapshot:
        """The snapshot this store reads (pinned until :meth:`refresh` or a load of its own)."""
        return self._snapshot

    @property
    def ibis_connection(self) -> Any:
        return self._con

    def refresh(self) -> bool:
        self._check_open()
        latest = self.log.current()
        if latest.id == self._snapshot.id:
            return False
        self._pin(latest)
        return True

    def _pin(self, snapshot: Snapshot) -> None:
        """Point the views (one per table, every version) at the files of ``snapshot``."""
        for name, schema in ALL_TABLES.items():
            files = snapshot.files(name)
            if self._snapshot.id >= 0 and files == self._snapshot.files(name):
                continue  # the same files: the view can stay
            paths = [str(self.root / f) for f in files]
            self._con.raw_sql(f"CREATE OR REPLACE VIEW {quote(name)} AS {scan_sql(schema, paths)}")
            self._view_tables.pop(name, None)
        self._snapshot = snapshot
        self._remembered.clear()

    def _versions(self, name: str) -> ibis.Table:
        if name not in self._view_tables:  # asking DuckDB for a view's columns takes ~10 ms
            self._view_tables[name] = self._con.table(name)
        return self._view_tables[name]

    def remembered(self, key: Hashable, compute: Callable[[], T]) -> T:
        """As :meth:`FactStore.remembered`: kept in memory until the store pins another
        snapshot (at most ``REMEMBERED`` results; the oldest go first)."""
        self._check_open()
        if self._snapshot.id < 0:
            return compute()
        if key not in self._remembered:
            while len(self._remembered) >= REMEMBERED:
                del self._remembered[next(iter(self._remembered))]
            self._remembered[key] = compute()
        found: T = self._remembered[key]
        return found

    def recall(self, key: Hashable) -> Any:
        return self._remembered.get(key) if self._snapshot.id >= 0 else None

    def summary(self) -> list[TableSummary]:
        """As :meth:`FactStore.summary`, kept per snapshot in ``summaries/`` (a snapshot never
        changes, so neither does its summary): only the first reader of a snapshot scans."""
        self._check_open()
        if self._snapshot.id < 0:
            return super().summary()
        key = hashlib.sha256(
            json.dumps(self._snapshot.tables, sort_keys=True).encode("utf-8")
        ).hexdigest()[:32]
        path = self.root / SUMMARIES / f"{key}.json"
        try:
            return [_summary_from_json(row) for row in json.loads(path.read_text("utf-8"))]
        except (OSError, ValueError, KeyError, TypeError):
            pass  # not written yet, or unreadable: compute it again
        found = super().summary()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            for old in path.parent.glob("*.json"):  # summaries of older snapshots
                old.unlink(missing_ok=True)
            temp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
            temp.write_text(json.dumps([_summary_to_json(t) for t in found]), encoding="utf-8")
            temp.replace(path)
        except OSError:
            pass  # a read-only facts folder: summaries are only not kept
        return found

    def derived(self, name: str, build: Callable[[FactStore], ibis.Table]) -> ibis.Table:
        """As :meth:`FactStore.derived`, kept in ``derived/`` under a key made of the query's SQL
        and the files (and scan) of every table it reads: a load that changes one of those
        tables, or a change to the query, gives a new key and the rows are computed again."""
        self._check_open()
        expr = build(self)
        key = self._derived_key(expr)
        if key is None:
            return expr
        known = self._derived.get(name)
        if known is not None and known[0] == key:
            return ibis.memtable(known[1])
        path = self.root / DERIVED / f"{name}-{key}.parquet"
        try:
            rows = pq.read_table(path)
        except (OSError, pa.ArrowException):  # not kept yet, or unreadable: compute it again
            rows = expr.to_pyarrow()
            with contextlib.suppress(OSError):  # a read-only facts folder: rows are not kept
                path.parent.mkdir(parents=True, exist_ok=True)
                temp = path.with_suffix(f".{uuid.uuid4().hex}.tmp")
                pq.write_table(rows, temp)
                temp.replace(path)
                for old in path.parent.glob(f"{name}-*.parquet"):  # of older snapshots
                    if old != path:
                        old.unlink(missing_ok=True)
        self._derived[name] = (key, rows)
        return ibis.memtable(rows)

    def _derived_key(self, expr: ibis.Table) -> str | None:
        """What the rows of ``expr`` depend on, hashed; None when it reads anything but tables
        of this store (an in-memory table, a query, a Spark store's views), whose rows its SQL
        does not fix."""
        sources = expr.op().find(ops.PhysicalTable)
        if self._snapshot.id < 0 or not all(
            isinstance(t, ops.DatabaseTable) and t.name in ALL_TABLES for t in sources
        ):
            return None
        names = sorted({t.name for t in sources})
        scans = {n: scan_sql(ALL_TABLES[n], list(self._snapshot.files(n))) for n in names}
        text = json.dumps([ibis.to_sql(expr, dialect="duckdb"), scans], sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def _begin(self, *, source: str, batch: str) -> Loader:
        self.root.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(self.log.lock_path), timeout=self.lock_timeout)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise ConcurrentLoadError(
                f"another process has been loading into {self.root} for more than "
                f"{self.lock_timeout:g} seconds",
                hint="wait for that load to finish, then run this one again",
            ) from None
        try:
            base = self.log.current()
            return EmbeddedLoader(self, base, lock, batch=batch, source=source)
        except BaseException:
            lock.release()
            raise

    def _committed(self, snapshot: Snapshot) -> None:
        """A load of this store was published: read it, and drop files nobody needs."""
        self._pin(snapshot)
        try:
            removed = self.log.collect_garbage(
                snapshot, keep=self.keep_snapshots, grace=self.gc_grace, own=(SUMMARIES, DERIVED)
            )
        except OSError as exc:  # a failed clean-up never fails a load
            self._progress.note(f"could not remove old fact files: {exc}")
            return
        if removed:
            self._progress.note(f"removed {removed} fact files no snapshot uses any more")

    def _close(self) -> None:
        self._con.disconnect()


SUMMARIES = "summaries"
"""Folder (in the facts folder) of the current snapshot's table summaries."""
DERIVED = "derived"
"""Folder (in the facts folder) of derived tables kept per snapshot (:meth:`FactStore.derived`)."""


def _summary_to_json(t: TableSummary) -> dict[str, Any]:
    return {
        "table": t.table,
        "rows": t.rows,
        "min_time": t.min_time.isoformat() if t.min_time is not None else None,
        "max_time": t.max_time.isoformat() if t.max_time is not None else None,
        "time_column": t.time_column,
    }


def _summary_from_json(row: dict[str, Any]) -> TableSummary:
    schema = ALL_TABLES[row["table"]]
    is_date = bool(schema.time_column and schema.column(schema.time_column).type == "date")

    def when(value: str | None) -> date | datetime | None:
        if value is None:
            return None
        return date.fromisoformat(value) if is_date else datetime.fromisoformat(value)

    return TableSummary(
        table=row["table"],
        rows=int(row["rows"]),
        min_time=when(row["min_time"]),
        max_time=when(row["max_time"]),
        time_column=row["time_column"],
    )


def _repetitive(table: pa.Table, sample: int = 16_384) -> list[str]:
    """The columns worth dictionary-encoding: few distinct values among the first rows.

    Trying a dictionary on a column of ids or amounts only to give it up costs more than the
    rest of the write; a glance at a sample of each column avoids it.
    """
    head = table.slice(0, sample)
    names = []
    for field in head.schema:
        if pa.types.is_list(field.type):  # lists of labels (segments, tags): their values repeat
            names.append(f"{field.name}.list.element")
        elif pc.count_distinct(head.column(field.name)).as_py() * 4 <= max(head.num_rows, 1):
            names.append(field.name)
    return names


class EmbeddedLoader(Loader):
    """One transaction: files written so far, and the tables as they will be committed."""

    def __init__(
        self,
        store: EmbeddedFactStore,
        base: Snapshot,
        lock: filelock.BaseFileLock,
        *,
        batch: str,
        source: str,
    ) -> None:
        super().__init__(
            batch=batch,
            source=source,
            load_time=load_clock(base.loaded_at),
            progress=store._progress,
        )
        self._store = store
        self._root = store.root
        self._base = base
        self._lock = lock
        self._tables = {name: list(base.files(name)) for name in ALL_TABLES}
        self._written: list[str] = []  # relative paths of files written by this transaction
        self._published = False
        self._finished = False
        self._connection: duckdb.DuckDBPyConnection | None = None

    @property
    def _db(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB for this transaction's merges, opened on first use."""
        if self._connection is None:
            temp = self._root / TEMP
            temp.mkdir(exist_ok=True)
            self._connection = duckdb.connect(":memory:")
            self._connection.execute(f"SET temp_directory = {string_literal(str(temp))}")
            self._connection.execute("SET preserve_insertion_order = false")
        return self._connection

    def _merge(self, schema: TableSchema, staged: pa.Table) -> dict[str, int]:
        db, name = self._db, schema.name
        files = {str(self._root / rel): rel for rel in self._tables[name]}
        db.register("_staged", staged)
        try:
            if not files and not self._duplicate_keys(schema):
                # Nothing stored yet and no key twice: every row is an insert, written as is.
                self._tables[name].append(self._write_fresh(schema, staged))
                return {INSERT: staged.num_rows}
            db.execute(f"CREATE OR REPLACE TEMP VIEW _versions AS {scan_sql(schema, [*files])}")
            db.execute(
                "CREATE OR REPLACE TEMP TABLE _changes AS "
                + classify_sql(schema, "_staged", "_versions")
            )
            counts = {str(a): int(n) for a, n in db.execute(counts_sql("_changes")).fetchall()}
            replaced: list[tuple[str, str]] = []
            if not (counts.get(INSERT) or counts.get(UPDATE)):
                return counts
            added = self._write(
                name, new_versions_sql(schema, "_changes", self.load_time, self.batch)
            )
            if counts.get(UPDATE):
                db.execute(
                    "CREATE OR REPLACE TEMP VIEW _located AS "
                    + scan_sql(schema, [*files], filename=True)
                )
                affected = db.execute(affected_files_sql(schema, "_located", "_changes"))
                for (path,) in affected.fetchall():
                    rewritten = self._write(
                        name,
                        closed_versions_sql(
                            schema, f"({scan_sql(schema, [path])})", "_changes", self.load_time
                        ),
                    )
                    replaced.append((files[path], rewritten))
            for old, new in replaced:  # the working state changes only once every file is written
                self._replace(name, old, new)
            self._tables[name].append(added)
            return counts
        finally:
            db.unregister("_staged")
            db.execute("DROP TABLE IF EXISTS _changes")

    def _duplicate_keys(self, schema: TableSchema) -> bool:
        """Whether two rows of ``_staged`` may share a key (a hash collision counts as yes)."""
        [(count,)] = self._db.execute(duplicate_keys_sql(schema, "_staged")).fetchall()
        return bool(count)

    def _write_fresh(self, schema: TableSchema, staged: pa.Table) -> str:
        """Write a prepared batch as the first versions of its table; the file's relative path.

        Straight from Arrow: the batch needs no SQL, and pyarrow's writer takes a fraction of
        the time of a DuckDB ``COPY`` and writes smaller files.
        """
        rows = staged.num_rows
        versions = staged.drop_columns([ORDER])
        for name, value in (
            (VALID_FROM, pa.repeat(pa.scalar(self.load_time, ARROW_TYPES["timestamp"]), rows)),
            (VALID_TO, pa.nulls(rows, ARROW_TYPES["timestamp"])),
            (BATCH, pa.repeat(pa.scalar(self.batch, ARROW_TYPES["string"]), rows)),
        ):
            versions = versions.append_column(name, value)
        rel = self._new_file(schema.name)
        versions = versions.cast(schema.arrow_schema(with_system=True))
        pq.write_table(
            versions,
            self._root / rel,
            compression="zstd",
            row_group_size=ROW_GROUP,
            use_dictionary=_repetitive(versions),
        )
        return rel

    def _new_file(self, table: str) -> str:
        """A new file's relative path, recorded as written by this transaction."""
        rel = f"{table}/{uuid.uuid4().hex}.parquet"
        (self._root / table).mkdir(exist_ok=True)
        self._written.append(rel)
        return rel

    def _write(self, table: str, select: str) -> str:
        """Write the rows of ``select`` to a new file of ``table``; its relative path."""
        rel = self._new_file(table)
        self._db.execute(
            f"COPY ({select}) TO {string_literal(str(self._root / rel))} "
            f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP})"
        )
        return rel

    def _replace(self, table: str, old: str, new: str) -> None:
        files = self._tables[table]
        files[files.index(old)] = new
        if old in self._written:  # written earlier in this transaction, never published
            self._written.remove(old)
            (self._root / old).unlink(missing_ok=True)

    def _commit(self) -> None:
        try:
            changed = {n: tuple(f) for n, f in self._tables.items()}
            if changed == {n: self._base.files(n) for n in ALL_TABLES}:
                self._store._pin(self._base)  # nothing changed: no new snapshot, but read
                return  # the state this transaction merged into
            snapshot = Snapshot(
                id=self._base.id + 1,
                tables=changed,
                loaded_at=self.load_time,
                batch=self.batch,
                source=self.source,
                loads=tuple(
                    {
                        "table": r.table,
                        "read": r.read,
                        "inserted": r.inserted,
                        "updated": r.updated,
                        "unchanged": r.unchanged,
                    }
                    for r in self.results
                ),
            )
            self._store.log.commit(snapshot, [self._root / rel for rel in self._written])
            self._published = True
            self._store._committed(snapshot)
        finally:
            self._finish()

    def _rollback(self) -> None:
        try:
            if not self._published:
                for rel in self._written:
                    with contextlib.suppress(OSError):
                        (self._root / rel).unlink(missing_ok=True)
        finally:
            self._finish()

    def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
        self._lock.release()
