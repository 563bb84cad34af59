"""SQL pieces the marketing connectors share, beside ``connector.col/number/when``.

- ``rows_with(*optional)``: the view ``raw`` as a FROM clause in which the optional columns
  exist even when the export leaves them out (NULL then), so one SELECT reads every column set
  a platform lets people choose, and a file's header decides nothing but values.
- ``flags(...)``: the ``__reason`` column — why a row the platform should never write is refused,
  naming the file's column as the person sees it.
- ``one_day(start, end)``: a row of a report not broken down by day (spend's grain is a day).

No connector is registered here (the registry imports the module and finds none).
"""

from __future__ import annotations

from collections.abc import Sequence

from demandos.intake.coerce import FLAGGED
from demandos.intake.connector import col, trimmed


def text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def blank(name: str) -> str:
    """SQL: the raw column is empty or absent."""
    return f"NULLIF({trimmed(col(name))}, '') IS NULL"


def cell(name: str) -> str:
    """SQL: the raw column, trimmed, NULL when empty."""
    return f"NULLIF({trimmed(col(name))}, '')"


def rows_with(*optional: str) -> str:
    """``raw`` with every ``optional`` column present (NULL where the file has none)."""
    if not optional:
        return "raw"
    empty = ", ".join(f"CAST(NULL AS VARCHAR) AS {col(n)}" for n in optional)
    return f"((SELECT * FROM raw) UNION ALL BY NAME (SELECT {empty} WHERE false))"


def flags(*checks: tuple[str, str]) -> str:
    """``__reason``: each (condition, message expression) that holds, joined by '; '."""
    if not checks:
        return f"CAST(NULL AS VARCHAR) AS {FLAGGED}"
    parts = ", ".join(f"CASE WHEN {condition} THEN {message} END" for condition, message in checks)
    return f"NULLIF(concat_ws('; ', {parts}), '') AS {FLAGGED}"


def shown(name: str) -> str:
    """SQL: the raw value quoted for a reason (``'2/30/2026'``), cut to 60 characters."""
    return f"'''' || left({trimmed(col(name))}, 60) || ''''"


def one_day(start: str, end: str, formats: Sequence[str], advice: str) -> tuple[str, str]:
    """A flag for a row whose start and end dates differ: it is not one day's numbers."""
    listed = ", ".join(text(f) for f in formats)
    first, last = (f"try_strptime({cell(n)}, [{listed}])" for n in (start, end))
    condition = f"{first} <> {last}"  # NULL (no flag) when either is not a date: coerce says so
    message = (
        f"'the row covers ' || strftime({first}, '%Y-%m-%d') || ' to ' || "
        f"strftime({last}, '%Y-%m-%d') || {text(': ' + advice)}"
    )
    return condition, message
