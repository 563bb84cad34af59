"""The fact store read through Spark: the embedded store's Parquet snapshots, queried by PySpark.

Loads are those of the embedded store (:mod:`demandos.store.embedded`): the same merge, the same
immutable Parquet files and snapshot manifests, the same atomic commit and load lock. Only reading
changes: each canonical table is a Spark temporary view over the Parquet files of the pinned
snapshot, and metrics compile to Spark SQL through Ibis's PySpark backend. The views are made
lazily (a table nobody reads is never scanned) and remade when :meth:`refresh` or a load of this
store moves the pin to a snapshot whose files differ. With ``cache`` (the default) a view's rows
are persisted in Spark (memory, spilling to disk) on first use, because a metric tree reads each
table dozens of times; they are released when the view is remade and on :meth:`close`.

Spark reads each file with the schema declared in :mod:`demandos.store.schema` (no schema
inference, no job per table); timestamps are ``TIMESTAMP_NTZ`` (naive UTC, as everywhere in the
store) and the session time zone is UTC, so timestamp literals mean the same on every backend.

Sessions: a store given a ``SparkSession`` (a notebook's, a cluster's, a test suite's) reads
through a child session of it (``newSession()``: its own temporary views and SQL settings, the
same Spark context) and never stops it. Otherwise it starts one from ``master`` and ``config`` —
or joins the process's running one — and stops only a Spark context it started itself.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import uuid
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import ibis

from demandos.errors import StoreError
from demandos.progress import Progress
from demandos.store.embedded import GC_GRACE, KEEP_SNAPSHOTS, EmbeddedFactStore
from demandos.store.facts import Backend
from demandos.store.schema import ALL_TABLES, SQL_TYPES, SYSTEM_COLUMNS, TableSchema
from demandos.store.snapshots import Snapshot

DEFAULT_MASTER = "local[*]"

LOCAL_CONFIG: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    # A handful of cores: 200 shuffle partitions would make every small group-by slow, and
    # adaptive re-planning costs more than it saves on one machine.
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.adaptive.enabled": "false",
}
"""Defaults for a Spark context started in local mode; ``config`` overrides any of them."""

SESSION_CONFIG: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}
"""Set on every session the store reads through (timestamps are naive UTC in the store)."""


def spark_ddl(schema: TableSchema) -> str:
    """A table's columns with the system columns, as a Spark DDL schema string."""
    types = SQL_TYPES["spark"]
    cols = [(c.name, c.type) for c in schema.columns] + list(SYSTEM_COLUMNS)
    return ", ".join(f"`{name}` {types[kind]}" for name, kind in cols)


def _java_missing(environ: Mapping[str, str]) -> str | None:
    """Why Spark cannot start a JVM here, or None when a ``java`` is found."""
    home = environ.get("JAVA_HOME")
    if home:
        return None if Path(home, "bin", "java").exists() else f"JAVA_HOME={home} has no bin/java"
    if shutil.which("java", path=environ.get("PATH")):
        return None
    return "no `java` on PATH and JAVA_HOME is not set"


def start_session(
    *, master: str = DEFAULT_MASTER, config: Mapping[str, str] | None = None, root: Path
) -> tuple[Any, bool]:
    """The process's Spark session, started when there is none; True when this call started it.

    ``root`` is the facts folder; a session started here keeps its warehouse folder beside it.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise StoreError(
            "the spark fact store needs PySpark, which is not installed",
            hint="pip install 'demandos[spark]' (PySpark 4.0 and Ibis's PySpark backend)",
        ) from None
    running = SparkSession.getActiveSession()
    if running is not None:
        return running, False
    why = _java_missing(os.environ)
    if why is not None:
        raise StoreError(
            f"the spark fact store needs Java 17 or newer to start Spark: {why}",
            hint="install a JDK (Debian/Ubuntu: apt install openjdk-17-jre-headless) and put "
            "`java` on PATH or set JAVA_HOME, or use store.backend: embedded",
        )
    settings: dict[str, str] = {
        "spark.app.name": "demandos",
        "spark.sql.warehouse.dir": str(root.parent / "spark-warehouse"),
    }
    if master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        settings.update(LOCAL_CONFIG)
    settings.update(config or {})
    builder = SparkSession.builder.master(master)
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # pyspark raises PySparkRuntimeError and friends, untyped here
        raise StoreError(
            f"Spark did not start (master {master!r}): {exc}".strip(),
            hint="check store.spark.master and store.spark.config in demandos.yaml, and that "
            "Java 17 or newer runs (`java -version`)",
        ) from None
    session.sparkContext.setLogLevel("ERROR")
    return session, True


class SparkFactStore(EmbeddedFactStore):
    """Embedded facts in ``root`` read through Spark; see the module docstring."""

    backend: Backend = "spark"

    def __init__(
        self,
        root: Path,
        *,
        session: Any = None,
        master: str = DEFAULT_MASTER,
        config: Mapping[str, str] | None = None,
        cache: bool = True,
        lock_timeout: float = 60.0,
        progress: Progress | None = None,
        keep_snapshots: int = KEEP_SNAPSHOTS,
        gc_grace: timedelta = GC_GRACE,
    ) -> None:
        root = Path(root)
        if session is None:
            session, self._owns_context = start_session(master=master, config=config, root=root)
        else:
            self._owns_context = False
        self._session: Any = session.newSession()
        try:
            importlib.import_module("ibis.backends.pyspark")  # needs ibis-framework[pyspark]
        except ImportError as exc:
            self._stop()
            raise StoreError(
                f"the spark fact store needs Ibis's PySpark backend ({exc.name} is missing)",
                hint="pip install 'demandos[spark]'",
            ) from None
        self._spark: Any = ibis.pyspark.connect(self._session, **SESSION_CONFIG)
        self._prefix = f"demandos_{uuid.uuid4().hex[:12]}_"
        self._cache = cache
        self._views: dict[str, tuple[tuple[str, ...], Any, ibis.Table]] = {}  # files, frame, table
        super().__init__(
            root,
            lock_timeout=lock_timeout,
            progress=progress,
            keep_snapshots=keep_snapshots,
            gc_grace=gc_grace,
        )

    @property
    def session(self) -> Any:
        """The Spark session this store reads through (its own temporary views)."""
        return self._session

    @property
    def ibis_connection(self) -> Any:
        return self._spark

    def _pin(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot  # views follow lazily, in _versions

    def _versions(self, name: str) -> ibis.Table:
        files = self._snapshot.files(name)
        known = self._views.get(name)
        if known is not None and known[0] == files:
            return known[2]
        if known is not None:
            self._drop(known[1])
        ddl = spark_ddl(ALL_TABLES[name])
        if files:
            paths = [str(self.root / f) for f in files]
            frame = self._session.read.schema(ddl).parquet(*paths)
            if self._cache:  # a metric tree reads each table many times: read the files once
                frame = frame.persist()
        else:
            frame = self._session.createDataFrame([], schema=ddl)
        view = self._prefix + name
        frame.createOrReplaceTempView(view)
        table = self._spark.table(view)
        self._views[name] = (files, frame, table)
        return table

    @staticmethod
    def _drop(frame: Any) -> None:
        with contextlib.suppress(Exception):
            frame.unpersist()

    def _close(self) -> None:
        try:
            for name, (_, frame, _) in self._views.items():
                self._drop(frame)
                with contextlib.suppress(Exception):
                    self._session.catalog.dropTempView(self._prefix + name)
            self._views.clear()
        finally:
            self._stop()
            super()._close()

    def _stop(self) -> None:
        if self._owns_context:
            self._owns_context = False
            with contextlib.suppress(Exception):
                self._session.stop()
