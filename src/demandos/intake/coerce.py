"""Turn raw source values into a canonical table's types, and explain every row that won't fit.

Values arrive as text (CSV, XLSX) or loosely typed (Parquet). Each column is cast to its declared
type with DuckDB's ``TRY_CAST``; a row whose required value is blank, or whose non-blank value does
not cast, is not dropped: it goes to the quarantine with its raw values and a reason a person can
act on ("column close_date: '31/02/2026' is not a date (want YYYY-MM-DD)").
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from demandos.store.schema import QUARANTINE, Column, TableSchema

ROW_NUMBER = "__row"  # 1-based data row number in the source file, added by the reader
SOURCE_ROW = "__raw"  # optional: the source row as JSON, kept in the quarantine
FLAGGED = "__reason"  # optional: why a connector or normalizer refuses the row

EXPECTED = {
    "int": "a whole number",
    "float": "a number (no currency symbols or thousands separators)",
    "bool": "true or false",
    "date": "a date (want YYYY-MM-DD)",
    "timestamp": "a date and time (want YYYY-MM-DD HH:MM:SS)",
}
LIST_SEPARATOR = ";"  # a list column in a text file: "enterprise;mid_market"


@dataclass(frozen=True)
class Coerced:
    """The rows that fit the table, and quarantine rows for those that don't."""

    rows: pa.Table
    quarantine: pa.Table

    @property
    def read(self) -> int:
        return int(self.rows.num_rows + self.quarantine.num_rows)


def reason_kind(reason: str) -> str:
    """A reason without the row's own values, to count reasons across rows."""
    return re.sub(r"'(?:[^']|'')*' is not", "not", reason).strip()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _is_text(arrow_type: pa.DataType) -> bool:
    return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))


def _cast(column: Column, source_type: pa.DataType) -> str:
    """SQL that casts the raw column to its declared type, NULL when it does not fit."""
    ref = f"raw.{_q(column.name)}"
    text = _is_text(source_type)
    value = f"NULLIF(TRIM({ref}), '')" if text else ref
    if column.type == "string":
        return f"CAST({value} AS VARCHAR)"
    if column.type == "list":
        if text:
            return (
                f"list_filter(list_transform(string_split({value}, '{LIST_SEPARATOR}'), "
                "lambda x: NULLIF(TRIM(x), '')), lambda x: x IS NOT NULL)"
            )
        return f"TRY_CAST({value} AS VARCHAR[])"
    if column.type == "int":
        as_double = f"TRY_CAST({value} AS DOUBLE)"
        return f"CASE WHEN {as_double} = FLOOR({as_double}) THEN CAST({as_double} AS BIGINT) END"
    if column.type == "float":
        return f"TRY_CAST({value} AS DOUBLE)"
    if column.type == "bool":
        return f"TRY_CAST({value} AS BOOLEAN)"
    if column.type == "date":
        return f"CAST(TRY_CAST({value} AS TIMESTAMP) AS DATE)"
    if column.type == "timestamp":
        return f"TRY_CAST({value} AS TIMESTAMP)"
    raise AssertionError(column.type)


def _problem(column: Column, source_type: pa.DataType, required: bool) -> str:
    """SQL for this column's reason text, NULL when the value is fine."""
    ref = f"raw.{_q(column.name)}"
    blank = f"NULLIF(TRIM({ref}), '') IS NULL" if _is_text(source_type) else f"{ref} IS NULL"
    checks = []
    if required:
        checks.append(f"WHEN {blank} THEN 'column {column.name}: a value is required'")
    if column.type in EXPECTED:
        shown = f"left(CAST({ref} AS VARCHAR), 60)"
        checks.append(
            f"WHEN NOT ({blank}) AND ({_cast(column, source_type)}) IS NULL THEN "
            f"'column {column.name}: ''' || {shown} || ''' is not {EXPECTED[column.type]}'"
        )
    if not checks:
        return "NULL"
    return "CASE " + " ".join(checks) + " END"


def coerce(
    raw: pa.Table,
    schema: TableSchema,
    *,
    source: str,
    file: str,
    sha256: str,
    now: datetime | None = None,
) -> Coerced:
    """Cast ``raw`` (with a ``__row`` column) to ``schema``; bad rows become quarantine rows.

    Columns the schema declares but the file lacks are NULL (the reader has already refused files
    that lack a required column); columns the file has beyond the schema are kept in ``raw`` only.
    """
    now = now or datetime.now().replace(microsecond=0)
    present = [c for c in schema.columns if c.name in raw.column_names]
    con = duckdb.connect()
    try:
        con.register("raw", raw)
        types = {f.name: f.type for f in raw.schema}
        casts = [f"{_cast(c, types[c.name])} AS {_q(c.name)}" for c in present]
        casts += [
            f"CAST(NULL AS {_sql_type(c)}) AS {_q(c.name)}"
            for c in schema.columns
            if c.name not in raw.column_names
        ]
        problems = [_problem(c, types[c.name], c.required or c.name in schema.key) for c in present]
        if FLAGGED in raw.column_names:  # a reason the connector or a normalizer found
            problems.insert(0, f"NULLIF(raw.{_q(FLAGGED)}, '')")
        reason = f"concat_ws('; ', {', '.join(problems)})" if problems else "''"
        originals = [n for n in raw.column_names if n not in (ROW_NUMBER, FLAGGED, SOURCE_ROW)]
        raw_json = (
            f"raw.{_q(SOURCE_ROW)}"
            if SOURCE_ROW in raw.column_names  # the row as the source file had it
            else "to_json(struct_pack("
            + ", ".join(f"{_q(n)} := raw.{_q(n)}" for n in originals)
            + "))"
        )
        con.execute(
            f"CREATE TEMP TABLE checked AS SELECT {', '.join(casts)}, "
            f"raw.{_q(ROW_NUMBER)} AS __row, {reason} AS __reason, "
            f"CAST({raw_json} AS VARCHAR) AS __raw FROM raw"
        )
        names = ", ".join(_q(c.name) for c in schema.columns)
        good = con.sql(
            f"SELECT {names} FROM checked WHERE __reason = '' ORDER BY __row"
        ).to_arrow_table()
        bad = con.sql(
            "SELECT ? AS file_sha256, __row AS row_number, ? AS source, ? AS file, "
            "? AS target_table, __raw AS raw, __reason AS reason, "
            "CAST(? AS TIMESTAMP) AS quarantined_at, CAST(NULL AS TIMESTAMP) AS resolved_at "
            "FROM checked WHERE __reason <> '' ORDER BY __row",
            params=[sha256, source, file, schema.name, now],
        ).to_arrow_table()
    finally:
        con.close()
    return Coerced(
        rows=good.cast(schema.arrow_schema()),
        quarantine=bad.cast(QUARANTINE.arrow_schema()),
    )


def quarantine_rows(
    rows: list[tuple[int, dict[str, object], str]],
    *,
    source: str,
    file: str,
    sha256: str,
    target_table: str | None,
    now: datetime | None = None,
) -> pa.Table:
    """Quarantine rows built in Python: (row number, raw values, reason) each."""
    now = now or datetime.now().replace(microsecond=0)
    return pa.Table.from_pylist(
        [
            {
                "file_sha256": sha256,
                "row_number": number,
                "source": source,
                "file": file,
                "target_table": target_table,
                "raw": json.dumps(values, default=str, ensure_ascii=False),
                "reason": reason,
                "quarantined_at": now,
                "resolved_at": None,
            }
            for number, values, reason in rows
        ],
        schema=QUARANTINE.arrow_schema(),
    )


def _sql_type(column: Column) -> str:
    from demandos.store.schema import SQL_TYPES

    return SQL_TYPES["duckdb"][column.type]
