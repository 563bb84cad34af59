"""The fact store on PostgreSQL: the same tables, merge rules and history, for teams.

Each canonical table is a table in one schema (default ``demandos``) with the system columns; a
partial unique index keeps one current version per key. A transaction is a PostgreSQL
transaction: batches are COPYed into temporary tables, then merged with the shared SQL of
:mod:`demandos.store.merge` (an UPDATE closes changed versions, an INSERT adds new ones).
Concurrent loaders queue on a transaction-level advisory lock; readers are never blocked and see
the last committed state (MVCC).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import ibis
import psycopg
import pyarrow as pa
from psycopg import errors as pg_errors

from demandos.errors import ConcurrentLoadError, StoreError
from demandos.progress import Progress
from demandos.store.batch import ORDER
from demandos.store.facts import FactStore, Loader, load_clock
from demandos.store.merge import (
    INSERT,
    SAME,
    UPDATE,
    classify_sql,
    close_versions_sql,
    counts_sql,
    new_versions_sql,
    quote,
)
from demandos.store.schema import (
    ALL_TABLES,
    BATCH,
    SQL_TYPES,
    VALID_FROM,
    VALID_TO,
    TableSchema,
)

LOADS = "_loads"  # one row per load that changed a table: batch, source, time, counts
COPY_TYPES = {
    "string": "text",
    "int": "int8",
    "float": "float8",
    "bool": "bool",
    "date": "date",
    "timestamp": "timestamp",
    "list": "text[]",
}
COPY_CHUNK = 50_000  # rows converted to Python at a time while copying a batch


class PostgresFactStore(FactStore):
    """Facts in the PostgreSQL database ``url``, schema ``schema``."""

    backend = "postgres"

    def __init__(
        self,
        url: str,
        *,
        schema: str = "demandos",
        lock_timeout: float = 60.0,
        progress: Progress | None = None,
    ) -> None:
        super().__init__(progress=progress)
        self.url = url
        self.schema = schema
        self.lock_timeout = lock_timeout
        self._reader = self._connect(autocommit=True)
        try:
            self._create_tables()
            self._con: Any = ibis.postgres.from_connection(self._reader)
        except BaseException:
            self._reader.close()
            raise

    def _connect(self, *, autocommit: bool) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self.url, autocommit=autocommit)
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot connect to the PostgreSQL fact store: {exc}".strip(),
                hint="check store.url in demandos.yaml and that the server is running",
            ) from None

    def qualified(self, table: str) -> str:
        return f"{quote(self.schema)}.{quote(table)}"

    def _create_tables(self) -> None:
        """Create the schema, tables and indexes that are missing (idempotent, serialized).

        When everything exists (the usual case) nothing is locked, so opening a store never
        waits for a load in progress.
        """
        missing_columns = self._missing_columns()
        if self._missing_relations() or missing_columns:
            with self._reader.transaction(), self._reader.cursor() as cur:
                cur.execute(f"SET LOCAL lock_timeout = '{int(self.lock_timeout * 1000)}ms'")
                cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self._ddl_lock,))
                for statement in self._ddl(self._missing_columns()):
                    cur.execute(statement)

    def _ddl(self, missing_columns: dict[str, list[str]]) -> Iterator[str]:
        yield f"CREATE SCHEMA IF NOT EXISTS {quote(self.schema)}"
        for name, schema in ALL_TABLES.items():
            table = self.qualified(name)
            key = ", ".join(quote(k) for k in schema.key)
            yield f"CREATE TABLE IF NOT EXISTS {table} ({schema.sql_columns('postgres')})"
            if missing_columns.get(name):  # a table stored before these columns were declared
                yield from self._upgrade(name, schema, missing_columns[name])
            yield (
                f"CREATE UNIQUE INDEX IF NOT EXISTS {quote(name + '_current')} ON {table} "
                f"({key}) WHERE {quote(VALID_TO)} IS NULL"
            )
            yield (
                f"CREATE INDEX IF NOT EXISTS {quote(name + '_versions')} ON {table} "
                f"({key}, {quote(VALID_TO)})"
            )
        yield (
            f"CREATE TABLE IF NOT EXISTS {self.qualified(LOADS)} (batch TEXT NOT NULL, "
            "source TEXT NOT NULL, loaded_at TIMESTAMP NOT NULL, table_name TEXT NOT NULL, "
            "read BIGINT, inserted BIGINT, updated BIGINT, unchanged BIGINT)"
        )

    def _upgrade(self, name: str, schema: TableSchema, columns: list[str]) -> Iterator[str]:
        """Add declared columns a stored table lacks; the key's indexes are built again.

        A column with a fallback takes its fallback's value in the rows already stored (spend
        stored before ``campaign`` was part of its key has one campaign per program).
        """
        table = self.qualified(name)
        types = SQL_TYPES["postgres"]
        for column in (schema.column(c) for c in columns):
            yield (
                f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {quote(column.name)} "
                f"{types[column.type]}"
            )
            if column.fallback:
                yield (
                    f"UPDATE {table} SET {quote(column.name)} = {quote(column.fallback)} "
                    f"WHERE {quote(column.name)} IS NULL"
                )
        if set(columns) & set(schema.key):  # created again below, on the declared key
            yield f"DROP INDEX IF EXISTS {quote(self.schema)}.{quote(name + '_current')}"
            yield f"DROP INDEX IF EXISTS {quote(self.schema)}.{quote(name + '_versions')}"

    def _missing_columns(self) -> dict[str, list[str]]:
        """Declared columns that the stored tables (those that exist) lack, by table."""
        found: dict[str, set[str]] = {}
        for table, column in self._reader.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = %s",
            (self.schema,),
        ):
            found.setdefault(str(table), set()).add(str(column))
        return {
            name: [c for c in schema.column_names if c not in found[name]]
            for name, schema in ALL_TABLES.items()
            if name in found and not set(schema.column_names) <= found[name]
        }

    def _missing_relations(self) -> set[str]:
        expected = {LOADS} | {
            f"{n}{suffix}" for n in ALL_TABLES for suffix in ("", "_current", "_versions")
        }
        found = self._reader.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s",
            (self.schema,),
        )
        return expected - {str(r[0]) for r in found}

    @property
    def _ddl_lock(self) -> str:
        return f"demandos.ddl:{self.schema}"

    @property
    def _lock_name(self) -> str:
        return f"demandos.load:{self.schema}"

    @property
    def ibis_connection(self) -> Any:
        return self._con

    def _versions(self, name: str) -> ibis.Table:
        return self._con.table(name, database=self.schema)

    def _begin(self, *, source: str, batch: str) -> Loader:
        conn = self._connect(autocommit=False)
        try:
            with conn.cursor() as cur:
                cur.execute(f"SET LOCAL lock_timeout = '{int(self.lock_timeout * 1000)}ms'")
                cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self._lock_name,))
                cur.execute("SET LOCAL lock_timeout = 0")
                cur.execute(f"SELECT max(loaded_at) FROM {self.qualified(LOADS)}")
                row = cur.fetchone()
            previous: datetime | None = row[0] if row else None
        except pg_errors.LockNotAvailable:
            conn.close()
            raise ConcurrentLoadError(
                f"another process has been loading into schema {self.schema!r} for more than "
                f"{self.lock_timeout:g} seconds",
                hint="wait for that load to finish, then run this one again",
            ) from None
        except BaseException:
            conn.close()
            raise
        return PostgresLoader(
            self, conn, batch=batch, source=source, load_time=load_clock(previous)
        )

    def _close(self) -> None:
        self._con.disconnect()
        self._reader.close()


class PostgresLoader(Loader):
    """One PostgreSQL transaction, holding the load lock until it ends."""

    def __init__(
        self,
        store: PostgresFactStore,
        conn: psycopg.Connection[Any],
        *,
        batch: str,
        source: str,
        load_time: datetime,
    ) -> None:
        super().__init__(batch=batch, source=source, load_time=load_time, progress=store._progress)
        self._store = store
        self._conn = conn

    def _merge(self, schema: TableSchema, staged: pa.Table) -> dict[str, int]:
        target = self._store.qualified(schema.name)
        with self._conn.cursor() as cur:
            self._stage(cur, schema, staged)
            cur.execute(
                "CREATE TEMP TABLE _changes ON COMMIT DROP AS "
                + classify_sql(schema, "_staged", target)
            )
            cur.execute("ANALYZE _changes")  # fresh statistics for the joins below
            cur.execute(counts_sql("_changes"))
            counts = {str(a): int(n) for a, n in cur.fetchall()}
            if counts.get(UPDATE):
                cur.execute(close_versions_sql(schema, target, "_changes", self.load_time))
            if counts.get(INSERT) or counts.get(UPDATE):
                columns = ", ".join(
                    quote(c) for c in [*schema.column_names, VALID_FROM, VALID_TO, BATCH]
                )
                cur.execute(
                    f"INSERT INTO {target} ({columns}) "
                    + new_versions_sql(schema, "_changes", self.load_time, self.batch)
                )
                cur.execute(
                    f"INSERT INTO {self._store.qualified(LOADS)} VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        self.batch,
                        self.source,
                        self.load_time,
                        schema.name,
                        staged.num_rows,
                        counts.get(INSERT, 0),
                        counts.get(UPDATE, 0),
                        counts.get(SAME, 0),
                    ),
                )
            cur.execute("DROP TABLE _staged, _changes")
        return counts

    def _stage(self, cur: psycopg.Cursor[Any], schema: TableSchema, staged: pa.Table) -> None:
        """COPY the prepared batch into the temporary table ``_staged``."""
        columns = [*schema.columns]
        definition = ", ".join(
            [f"{quote(c.name)} {COPY_TYPES[c.type]}" for c in columns] + [f"{ORDER} int8"]
        )
        cur.execute(f"CREATE TEMP TABLE _staged ({definition}) ON COMMIT DROP")
        names = ", ".join([quote(c.name) for c in columns] + [ORDER])
        with cur.copy(f"COPY _staged ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([COPY_TYPES[c.type] for c in columns] + ["int8"])
            for row in _rows(staged):
                copy.write_row(row)

    def _commit(self) -> None:
        try:
            self._conn.commit()
        finally:
            self._conn.close()

    def _rollback(self) -> None:
        with contextlib.suppress(Exception):
            self._conn.rollback()
        with contextlib.suppress(Exception):
            self._conn.close()


def _rows(table: pa.Table) -> Iterator[tuple[Any, ...]]:
    """The rows of ``table`` as tuples, a chunk at a time (never the whole table in Python)."""
    for chunk in table.to_batches(max_chunksize=COPY_CHUNK):
        yield from zip(*(column.to_pylist() for column in chunk.columns), strict=True)
