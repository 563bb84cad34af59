"""Small hand-made batches and ways to read results, shared by the store tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa
import pytest

from demandos.store import table_schema

BACKENDS = ["embedded", pytest.param("postgres", marks=pytest.mark.postgres)]

# ibis 12.0.0 reads DuckDB results with fetch_arrow_table(), which DuckDB 2.0 deprecates (fixed
# upstream in ibis PR #12001, not yet released). Harmless; without this, warnings-as-errors fails
# every embedded read. Remove when ibis is upgraded.
IBIS_DUCKDB_DEPRECATIONS = pytest.mark.filterwarnings(
    r"ignore:fetch_\w+\(\) is deprecated, use to_arrow_\w+\(\) instead:DeprecationWarning"
)


def batch(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    """A batch with the declared types of ``table``, holding only the columns the rows name."""
    schema = table_schema(table).arrow_schema()
    names = list(dict.fromkeys(k for row in rows for k in row))
    fields = [schema.field(n) if n in schema.names else pa.field(n, pa.string()) for n in names]
    return pa.Table.from_pylist(rows, schema=pa.schema(fields))


def accounts(*rows: tuple[str, str, int | None]) -> pa.Table:
    return batch("accounts", [{"account_id": a, "name": n, "employees": e} for a, n, e in rows])


def opportunity(
    opp_id: str,
    stage: str,
    amount: float | None = 100.0,
    *,
    created: datetime = datetime(2024, 1, 1),
    closed: bool = False,
    won: bool = False,
) -> dict[str, Any]:
    return {
        "opp_id": opp_id,
        "created_at": created,
        "amount": amount,
        "stage": stage,
        "is_closed": closed,
        "is_won": won,
    }


def rows(table: Any, *, order: str | list[str] | None = None) -> list[dict[str, Any]]:
    """An ibis table's rows as dicts, sorted by ``order`` (default: the first column)."""
    data = table.to_pyarrow().to_pylist()
    keys = [order] if isinstance(order, str) else order or [table.columns[0]]
    return sorted(data, key=lambda r: tuple(str(r[k]) for k in keys))


def count(table: Any) -> int:
    return int(table.count().to_pyarrow().as_py())
