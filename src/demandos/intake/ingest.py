"""Ingest export files: detect the source, read, translate, normalize, check, load — per file,
all or nothing, with every unreadable row kept in the quarantine with its reason.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from demandos.errors import IntakeError
from demandos.intake.coerce import (
    FLAGGED,
    ROW_NUMBER,
    SOURCE_ROW,
    Coerced,
    check,
    file_sha256,
    quarantine_rows,
    reason_kind,
)
from demandos.intake.connector import Connector, Context, col
from demandos.intake.normalize import Rules, normalized
from demandos.intake.readers import RawFile, read_csv, read_xlsx
from demandos.intake.registry import detect
from demandos.progress import NullProgress, Progress
from demandos.store.facts import FactStore
from demandos.store.schema import QUARANTINE, TABLES


@dataclass
class TableCounts:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0


@dataclass
class IngestReport:
    """What happened to one file: counts that equal what the store now holds."""

    file: str
    source: str
    sha256: str
    rows: int = 0  # data rows in the file (totals and footers left out)
    footers: int = 0
    quarantined: int = 0  # source rows in the quarantine, once each whatever tables they feed
    quarantined_rows: list[int] = field(default_factory=list)
    tables: dict[str, TableCounts] = field(default_factory=dict)
    reasons: Counter[str] = field(default_factory=Counter)

    def total(self, what: str) -> int:
        return sum(getattr(t, what) for t in self.tables.values())


SUFFIXES = (".csv", ".xlsx")


def expand_files(paths: list[Path]) -> list[Path]:
    """Files as given, and the export files inside any folder given (recursively, sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in SUFFIXES and not p.name.startswith(("_", "."))
            )
            if not found:
                raise IntakeError("the folder holds no .csv or .xlsx files", file=path)
            files.extend(found)
        else:
            files.append(path)
    return files


def read_file(path: Path, connector: Connector, header_line: int) -> RawFile:
    reader = read_xlsx if path.suffix.lower() == ".xlsx" else read_csv
    raw = reader(path, header_line, connector.footer, connector.comment)
    missing = connector.missing(raw.header)
    if missing:
        raise IntakeError(
            f"the {connector.system} export lacks column(s) {', '.join(missing)}; "
            f"found {', '.join(raw.header.columns)}",
            file=path,
            source=connector.name,
            hint=f"export it again from {connector.system} with those columns",
        )
    return raw


SOURCE_ROWS = "source_rows"  # the rows as read, in the connection of one file's pipeline
SOURCE_JSON = "source_json"  # __row, and __raw: the row as JSON (for the quarantine)


def translate(connector: Connector, raw: pa.Table, context: Context) -> dict[str, pa.Table]:
    """The connector's SQL over the raw text: one batch per canonical table (text, but for the
    dates a connector parses: typed, with their values as written beside them).
    """
    con = duckdb.connect()
    try:
        views = translated(con, connector, raw, context, raw_json=True)
        return {t: con.sql(f"SELECT * FROM {v}").to_arrow_table() for t, v in views.items()}
    finally:
        con.close()


def translated(
    con: duckdb.DuckDBPyConnection,
    connector: Connector,
    raw: pa.Table,
    context: Context,
    *,
    raw_json: bool,
) -> dict[str, str]:
    """Views in ``con`` of the connector's SQL over ``raw``: canonical table -> view name.

    Connectors pass ``__raw`` (the source row as JSON) along for the quarantine. Building it for
    every row costs more than the rest of translation, so with ``raw_json=False`` it is NULL in
    the views, and the view ``source_json`` gives it by ``__row`` for the rows that need it.
    """
    con.register(SOURCE_ROWS, raw)
    names = [n for n in raw.column_names if n != ROW_NUMBER]
    as_json = "to_json(struct_pack(" + ", ".join(f"{col(n)} := {col(n)}" for n in names) + "))"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {SOURCE_JSON} AS SELECT {ROW_NUMBER}, "
        f"CAST({as_json} AS VARCHAR) AS {SOURCE_ROW} FROM {SOURCE_ROWS}"
    )
    value = f"CAST({as_json} AS VARCHAR)" if raw_json else "CAST(NULL AS VARCHAR)"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW raw AS SELECT *, {value} AS {SOURCE_ROW} FROM {SOURCE_ROWS}"
    )
    views = {}
    for table in connector.outputs:
        views[table] = f"{table}__translated"
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {views[table]} AS {connector.sql(table, context)}"
        )
    return views


def source_labels(
    con: duckdb.DuckDBPyConnection,
    connector: Connector,
    table: str,
    context: Context,
    names: list[str],
) -> dict[str, str]:
    """Canonical column -> the file's column it is made from, where it is made from one.

    Read from the connector's SELECT as DuckDB parses it: an output column whose expression
    reads exactly one of the file's columns (``{number("Total Spent")} AS amount``) is named
    by it in quarantine reasons.
    """
    [(tree,)] = con.execute(
        "SELECT json_serialize_sql(?)", [connector.sql(table, context)]
    ).fetchall()
    parsed = json.loads(tree)
    if parsed.get("error") or not parsed.get("statements"):
        return {}
    header = set(names)
    labels = {}
    for item in parsed["statements"][0]["node"].get("select_list", []):
        read = {name for name in _column_refs(item) if name in header}
        if item.get("alias") and len(read) == 1:
            labels[str(item["alias"])] = read.pop()
    return labels


def _column_refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("class") == "COLUMN_REF":
            yield str(node["column_names"][-1])
        for value in node.values():
            yield from _column_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _column_refs(value)


def ingest_file(
    facts: FactStore,
    path: Path,
    *,
    source: str | None = None,
    context: Context | None = None,
    rules: Rules | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest one export file in one transaction; the report's counts equal the store's."""
    progress = progress or NullProgress()
    context, rules = context or Context(), rules or Rules()
    connector, header_line = detect(path, source)
    # The file is hashed while it is read: hashlib and Arrow's reader both release the GIL.
    with ThreadPoolExecutor(max_workers=1) as pool:
        sha256 = pool.submit(file_sha256, path)
        raw = read_file(path, connector, header_line)
        report = IngestReport(
            str(path), connector.name, sha256.result(), rows=raw.table.num_rows, footers=raw.footers
        )
    return ingest_rows(
        facts, connector, raw, report, context=context, rules=rules, progress=progress
    )


def ingest_rows(
    facts: FactStore,
    connector: Connector,
    raw: RawFile,
    report: IngestReport,
    *,
    context: Context,
    rules: Rules,
    progress: Progress,
) -> IngestReport:
    """Translate, normalize, check and load rows read from a file or an API page."""
    batches: dict[str, Coerced] = {}
    con = duckdb.connect()  # one pipeline of views per table, computed once by ``check``
    try:
        names = raw.table.column_names
        for table, view in translated(con, connector, raw.table, context, raw_json=False).items():
            batches[table] = check(
                con,
                normalized(con, table, view, rules),
                TABLES[table],
                rows=SOURCE_JSON,
                source=connector.name,
                file=report.file,
                sha256=report.sha256,
                labels=source_labels(con, connector, table, context, names),
            )
    finally:
        con.close()
    broken = quarantine_rows(
        [(row, {"line": text}, reason) for row, text, reason in raw.broken],
        source=connector.name,
        file=report.file,
        sha256=report.sha256,
        target_table=None,
    )
    quarantine = _one_per_row([c.quarantine for c in batches.values()] + [broken])
    progress.start(f"Loading {Path(report.file).name}", total=len(batches))
    try:
        with facts.transaction(source=connector.name) as tx:
            for table, coerced in batches.items():
                result = tx.load(table, coerced.rows, order=coerced.order)
                report.tables[table] = TableCounts(
                    read=coerced.read,
                    inserted=result.inserted,
                    updated=result.updated,
                    unchanged=result.unchanged,
                    quarantined=coerced.quarantine.num_rows,
                )
                progress.advance()
            if quarantine.num_rows:
                tx.load("quarantine", first_seen(facts, quarantine))
    finally:
        progress.finish()
    report.quarantined = quarantine.num_rows
    report.quarantined_rows = quarantine.column("row_number").to_pylist()
    report.reasons.update(
        reason_kind(part)
        for reason in quarantine.column("reason").to_pylist()
        for part in reason.split("; ")
    )
    return report


def first_seen(facts: FactStore, rows: pa.Table) -> pa.Table:
    """``rows`` with the ``quarantined_at`` of rows already in the quarantine kept as it was."""
    if rows.num_rows == 0:
        return rows
    known = facts.table("quarantine")
    shas = list(set(rows.column("file_sha256").to_pylist()))
    existing = (
        known.filter(known.file_sha256.isin(shas))
        .select("file_sha256", "row_number", "quarantined_at")
        .to_pyarrow()
    )
    if existing.num_rows == 0:
        return rows
    con = duckdb.connect()
    try:
        con.register("new", rows)
        con.register("old", existing)
        return (
            con.sql(
                "SELECT n.* REPLACE (COALESCE(o.quarantined_at, n.quarantined_at) "
                "AS quarantined_at) "
                "FROM new n LEFT JOIN old o USING (file_sha256, row_number) ORDER BY n.row_number"
            )
            .to_arrow_table()
            .cast(QUARANTINE.arrow_schema())
        )
    finally:
        con.close()


def _one_per_row(tables: list[pa.Table]) -> pa.Table:
    """A source row that fails in two tables is one quarantine row, with both reasons."""
    table = pa.concat_tables([t for t in tables if t.num_rows] or tables[:1])
    if table.num_rows == 0:
        return table
    con = duckdb.connect()
    try:
        con.register("q", table)
        return (
            con.sql(
                "SELECT file_sha256, row_number, any_value(source) AS source, "
                "any_value(file) AS file, "
                "string_agg(DISTINCT target_table, ', ') AS target_table, any_value(raw) AS raw, "
                "string_agg(DISTINCT reason, '; ') AS reason, any_value(quarantined_at) AS "
                "quarantined_at, CAST(NULL AS TIMESTAMP) AS resolved_at "
                "FROM q GROUP BY file_sha256, row_number ORDER BY row_number"
            )
            .to_arrow_table()
            .cast(table.schema)
        )
    finally:
        con.close()


__all__ = ["FLAGGED", "IngestReport", "TableCounts", "ingest_file", "ingest_rows", "translate"]
