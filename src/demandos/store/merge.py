"""The merge rules, written once as SQL that DuckDB and PostgreSQL both run.

A load merges a batch into a table by the table's declared key:

1. the batch is de-duplicated by key: the last row of a key wins (:func:`classify_sql`);
2. a key with no current version is an **insert**; a key whose current version has the same
   values (NULL-safe, over every value column) is **same** and writes nothing; otherwise it is an
   **update**;
3. an update closes the current version (``_valid_to = load time``, :func:`closed_versions_sql`
   and :func:`close_versions_sql`) and, like an insert, adds a new current version
   (``_valid_from = load time``, ``_valid_to = NULL``, :func:`new_versions_sql`).

Versions are never deleted, so every earlier state stays readable (system-time history).
"""

from __future__ import annotations

from datetime import datetime

from demandos.store.batch import ORDER
from demandos.store.schema import BATCH, VALID_FROM, VALID_TO, TableSchema

ACTION = "_action"
INSERT, UPDATE, SAME = "insert", "update", "same"


def quote(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def string_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def timestamp_literal(value: datetime) -> str:
    """A naive UTC timestamp as a SQL literal, to the microsecond."""
    return f"TIMESTAMP '{value:%Y-%m-%d %H:%M:%S.%f}'"


def _columns(names: list[str] | tuple[str, ...], alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + quote(n) for n in names)


def _key_match(schema: TableSchema, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{quote(k)} = {right}.{quote(k)}" for k in schema.key)


def classify_sql(schema: TableSchema, staged: str, versions: str) -> str:
    """Each key of the staged batch once (its last row), with its ``_action``.

    ``staged`` holds the declared columns plus ``_ord``; ``versions`` every stored version of the
    table (with the system columns). Keys are never NULL (the batch was checked), so a missing
    match shows as a NULL key on the stored side.
    """
    cols = schema.column_names
    partition = _columns(schema.key)
    latest = (
        f"SELECT {_columns(cols)} FROM (SELECT {_columns(cols)}, ROW_NUMBER() OVER "
        f"(PARTITION BY {partition} ORDER BY {quote(ORDER)} DESC) AS _rn FROM {staged}) d "
        "WHERE _rn = 1"
    )
    current = f"SELECT {_columns(cols)} FROM {versions} WHERE {quote(VALID_TO)} IS NULL"
    changed = (
        " OR ".join(f"s.{quote(v)} IS DISTINCT FROM c.{quote(v)}" for v in schema.value_columns)
        or "FALSE"
    )
    return (
        f"SELECT {_columns(cols, 's')}, CASE WHEN c.{quote(schema.key[0])} IS NULL "
        f"THEN '{INSERT}' WHEN {changed} THEN '{UPDATE}' ELSE '{SAME}' END AS {ACTION} "
        f"FROM ({latest}) s LEFT JOIN ({current}) c ON {_key_match(schema, 's', 'c')}"
    )


def counts_sql(changes: str) -> str:
    """``(action, rows)`` for each action that occurs."""
    return f"SELECT {ACTION}, COUNT(*) FROM {changes} GROUP BY {ACTION}"


def new_versions_sql(schema: TableSchema, changes: str, load_time: datetime, batch: str) -> str:
    """The versions a load adds: one current version per inserted or updated key."""
    return (
        f"SELECT {_columns(schema.column_names)}, {timestamp_literal(load_time)} AS "
        f"{quote(VALID_FROM)}, CAST(NULL AS TIMESTAMP) AS {quote(VALID_TO)}, "
        f"{string_literal(batch)} AS {quote(BATCH)} FROM {changes} "
        f"WHERE {ACTION} <> '{SAME}'"
    )


def duplicate_keys_sql(schema: TableSchema, staged: str) -> str:
    """0 when no two rows of ``staged`` can share a key (their key hashes all differ).

    A positive count may be a hash collision rather than a duplicate: it only sends the batch
    through :func:`classify_sql`, never drops a row.
    """
    return f"SELECT count(*) - count(DISTINCT hash({_columns(schema.key)})) FROM {staged}"


def _updated_keys(schema: TableSchema, changes: str) -> str:
    return f"SELECT {_columns(schema.key)} FROM {changes} WHERE {ACTION} = '{UPDATE}'"


def closed_versions_sql(
    schema: TableSchema, versions: str, changes: str, load_time: datetime
) -> str:
    """``versions`` again, with the current version of every updated key closed at load time.

    For engines that rewrite immutable files instead of updating rows in place.
    """
    closing = (
        f"CASE WHEN v.{quote(VALID_TO)} IS NULL AND u.{quote(schema.key[0])} IS NOT NULL "
        f"THEN {timestamp_literal(load_time)} ELSE v.{quote(VALID_TO)} END"
    )
    return (
        f"SELECT {_columns(schema.column_names, 'v')}, v.{quote(VALID_FROM)}, "
        f"{closing} AS {quote(VALID_TO)}, v.{quote(BATCH)} FROM {versions} v "
        f"LEFT JOIN ({_updated_keys(schema, changes)}) u ON {_key_match(schema, 'v', 'u')}"
    )


def close_versions_sql(schema: TableSchema, target: str, changes: str, load_time: datetime) -> str:
    """An UPDATE closing the current version of every updated key at load time, in place."""
    return (
        f"UPDATE {target} AS v SET {quote(VALID_TO)} = {timestamp_literal(load_time)} "
        f"FROM ({_updated_keys(schema, changes)}) u "
        f"WHERE {_key_match(schema, 'v', 'u')} AND v.{quote(VALID_TO)} IS NULL"
    )


def affected_files_sql(schema: TableSchema, versions: str, changes: str) -> str:
    """The files (``filename`` column of ``versions``) holding a current version to close."""
    return (
        f"SELECT DISTINCT v.filename FROM {versions} v "
        f"JOIN ({_updated_keys(schema, changes)}) u ON {_key_match(schema, 'v', 'u')} "
        f"WHERE v.{quote(VALID_TO)} IS NULL"
    )
