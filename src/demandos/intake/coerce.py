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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from demandos.intake.connector import trimmed, written
from demandos.store.schema import ARROW_TYPES, QUARANTINE, Column, TableSchema

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
    """The rows that fit the table, and quarantine rows for those that don't.

    ``rows`` need not be in file order; ``order`` gives each its source row number, so a load
    keeps the last row of a key as the file has it (``tx.load(table, rows, order=order)``).
    """

    rows: pa.Table
    quarantine: pa.Table
    order: pa.ChunkedArray | None = None

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


def _value(column: Column, source_type: pa.DataType) -> str:
    """SQL: the raw column's value, NULL when blank (text is trimmed)."""
    ref = f"raw.{_q(column.name)}"
    return f"NULLIF({trimmed(ref)}, '')" if _is_text(source_type) else ref


def _filled(
    schema: TableSchema, column: Column, types: dict[str, pa.DataType], own: set[str]
) -> str:
    """SQL: the column's raw value, or its fallback column's where it has none (or no column).

    ``own`` names the relation's own columns.
    """
    fallback = schema.column(column.fallback) if column.fallback else None
    other = _value(fallback, types[fallback.name]) if fallback and fallback.name in own else None
    if column.name not in own:
        assert other is not None  # only fallbacks make a column present that the source lacks
        return other
    value = _value(column, types[column.name])
    return f"COALESCE({value}, {other})" if other else value


def _cast(column: Column, source_type: pa.DataType, value: str, number: str) -> str:
    """SQL that casts ``value`` to the column's declared type, NULL when it does not fit.

    ``number`` is the value as a DOUBLE (``TRY_CAST``), which whole numbers are checked on.
    """
    text = _is_text(source_type)
    if column.type == "string":
        return f"CAST({value} AS VARCHAR)"
    if source_type == ARROW_TYPES[column.type]:  # typed already (a parsed date, Parquet)
        return value
    if column.type == "list":
        if text:
            return (
                f"list_filter(list_transform(string_split({value}, '{LIST_SEPARATOR}'), "
                "lambda x: NULLIF(TRIM(x), '')), lambda x: x IS NOT NULL)"
            )
        return f"TRY_CAST({value} AS VARCHAR[])"
    if column.type == "int":
        return f"CASE WHEN {number} = FLOOR({number}) THEN CAST({number} AS BIGINT) END"
    if column.type == "float":
        return f"TRY_CAST({value} AS DOUBLE)"
    if column.type == "bool":
        return f"TRY_CAST({value} AS BOOLEAN)"
    if column.type == "date":
        return f"CAST(TRY_CAST({value} AS TIMESTAMP) AS DATE)"
    if column.type == "timestamp":
        return f"TRY_CAST({value} AS TIMESTAMP)"
    raise AssertionError(column.type)


def _typed_cast(column: Column, source_type: pa.DataType, typed: str, value: str) -> str:
    """SQL: a typed column with its value as written beside it (``value``), cast to its type.

    A typed value is kept as it is. A value the connector did not parse (``typed`` is NULL) is
    cast from the text as written, as the connector's text would have been: the same values fit
    as when connectors handed every value over as text.
    """
    kept = _cast(column, source_type, typed, f"TRY_CAST({typed} AS DOUBLE)")
    return f"COALESCE({kept}, {_cast(column, pa.string(), value, f'TRY_CAST({value} AS DOUBLE)')})"


def _problem(column: Column, required: bool, value: str, cast: str, label: str, source: str) -> str:
    """SQL for this column's reason text, NULL when the value is fine.

    ``value`` is the raw value (NULL when blank) and ``cast`` the value cast (NULL when it does
    not fit); the reason names the column as the file does (``label``) and quotes the value as
    the column ``source`` holds it.
    """
    name = label.replace("'", "''")
    checks = []
    if required:
        checks.append(f"WHEN {value} IS NULL THEN 'column {name}: a value is required'")
    if column.type in EXPECTED:
        shown = f"left(CAST(raw.{_q(source)} AS VARCHAR), 60)"
        checks.append(
            f"WHEN NOT ({value} IS NULL) AND ({cast}) IS NULL THEN "
            f"'column {name}: ''' || {shown} || ''' is not {EXPECTED[column.type]}'"
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
    con = duckdb.connect()
    try:
        con.register("raw", raw)
        return check(
            con, "raw", schema, rows="raw", source=source, file=file, sha256=sha256, now=now
        )
    finally:
        con.close()


def check(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    schema: TableSchema,
    *,
    rows: str,
    source: str,
    file: str,
    sha256: str,
    now: datetime | None = None,
    labels: Mapping[str, str] | None = None,
) -> Coerced:
    """:func:`coerce` of the relation ``relation`` in ``con``, computed once.

    ``labels`` names the source's column for a canonical column made from one (``amount`` from
    ``Total Spent``): reasons name the column a person finds in the file.

    A bad row's raw values come from the relation ``rows`` by ``__row``: its ``__raw`` column
    when it has one, else its columns as JSON. Only bad rows are looked up, so a pipeline of views
    can pass a placeholder ``__raw`` along and build the JSON for the few rows that need it.
    """
    now = now or datetime.now().replace(microsecond=0)
    types = {f.name: f.type for f in _schema(con, relation)}
    own = set(types)  # the relation's own columns
    for c in schema.columns:  # a column the source lacks takes its fallback column's values
        if c.name not in types and c.fallback in types:
            types[c.name] = types[c.fallback]
    present = [c for c in schema.columns if c.name in types]
    # A column typed by the connector with its value as written beside it (``connector.dated``):
    # the written text is the raw value, and the typed value is kept as it is (_typed_cast).
    beside = {c.name: written(c.name) for c in present if written(c.name) in own and not c.fallback}
    # In steps, so that each value is trimmed, parsed and cast once: the raw value (NULL when
    # blank) as __v<i>, its number as __n<i> (whole numbers), the value cast as __c<i>.
    values = [
        f"raw.{_q(beside[c.name])} AS __v{i}"
        if c.name in beside
        else f"{_filled(schema, c, types, own)} AS __v{i}"
        for i, c in enumerate(present)
    ]
    numbers = [
        f"TRY_CAST(__v{i} AS DOUBLE) AS __n{i}"
        for i, c in enumerate(present)
        if c.type == "int" and c.name not in beside
    ]
    casts = [
        f"{_typed_cast(c, types[c.name], _q(c.name), f'__v{i}')} AS __c{i}"
        if c.name in beside
        else f"{_cast(c, types[c.name], f'__v{i}', f'__n{i}')} AS __c{i}"
        for i, c in enumerate(present)
    ]
    outputs = [f"raw.__c{i} AS {_q(c.name)}" for i, c in enumerate(present)]
    outputs += [
        f"CAST(NULL AS {_sql_type(c)}) AS {_q(c.name)}"
        for c in schema.columns
        if c.name not in types
    ]
    problems = [
        _problem(
            c,
            c.required or c.name in schema.key,
            f"raw.__v{i}",
            f"raw.__c{i}",
            (labels or {}).get(c.name, c.name),
            beside.get(c.name, c.name),
        )
        for i, c in enumerate(present)
    ]
    if FLAGGED in types:  # a reason the connector or a normalizer found
        problems.insert(0, f"NULLIF(raw.{_q(FLAGGED)}, '')")
    reason = f"concat_ws('; ', {', '.join(problems)})" if problems else "''"
    step = f"(SELECT raw.*, {', '.join(values)} FROM {relation} raw)" if values else relation
    if numbers:
        step = f"(SELECT *, {', '.join(numbers)} FROM {step})"
    if casts:
        step = f"(SELECT *, {', '.join(casts)} FROM {step})"
    checked = con.sql(
        f"SELECT {', '.join(outputs)}, raw.{_q(ROW_NUMBER)} AS {ROW_NUMBER}, "
        f"{reason} AS {FLAGGED} FROM {step} raw"
    ).to_arrow_table()
    reasons = checked.column(FLAGGED)
    fits = pc.equal(reasons, "")
    if reasons.null_count == 0 and pc.all(fits).as_py():  # the common case: no copy
        good, bad = checked, checked.slice(0, 0)
    else:
        good = checked.filter(fits)
        bad = checked.filter(pc.not_equal(reasons, ""))
    return Coerced(
        rows=good.select([c.name for c in schema.columns]).cast(schema.arrow_schema()),
        order=good.column(ROW_NUMBER),
        quarantine=_quarantine(
            con, bad, rows, source=source, file=file, sha256=sha256, table=schema.name, now=now
        ),
    )


def _schema(con: duckdb.DuckDBPyConnection, relation: str) -> pa.Schema:
    """The Arrow types of a relation's columns, as a batch of it would have them."""
    return con.sql(f"SELECT * FROM {relation} LIMIT 0").to_arrow_table().schema


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    bad: pa.Table,
    rows: str,
    *,
    source: str,
    file: str,
    sha256: str,
    table: str,
    now: datetime,
) -> pa.Table:
    """Quarantine rows for ``bad`` (``__row``, ``__reason``), with raw values from ``rows``."""
    if bad.num_rows == 0:
        return QUARANTINE.arrow_schema().empty_table()
    bad = bad.select([ROW_NUMBER, FLAGGED])
    names = _schema(con, rows).names
    originals = [n for n in names if n not in (ROW_NUMBER, FLAGGED, SOURCE_ROW)]
    raw_json = (
        f"r.{_q(SOURCE_ROW)}"
        if SOURCE_ROW in names  # the row as the source file had it
        else "to_json(struct_pack(" + ", ".join(f"{_q(n)} := r.{_q(n)}" for n in originals) + "))"
    )
    con.register("__bad_rows", bad)
    try:
        out = con.sql(
            "SELECT ? AS file_sha256, b.__row AS row_number, ? AS source, ? AS file, "
            "? AS target_table, j.raw AS raw, b.__reason AS reason, "
            "CAST(? AS TIMESTAMP) AS quarantined_at, CAST(NULL AS TIMESTAMP) AS resolved_at "
            f"FROM __bad_rows b LEFT JOIN (SELECT r.{_q(ROW_NUMBER)} AS __row, "
            f"any_value(CAST({raw_json} AS VARCHAR)) AS raw FROM {rows} r "
            f"WHERE r.{_q(ROW_NUMBER)} IN (SELECT __row FROM __bad_rows) "
            f"GROUP BY r.{_q(ROW_NUMBER)}) j ON j.__row = b.__row ORDER BY b.__row",
            params=[sha256, source, file, table, now],
        ).to_arrow_table()
    finally:
        con.unregister("__bad_rows")
    return out.cast(QUARANTINE.arrow_schema())


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
