"""The laws of the merge, on every backend: the store agrees with "the last value per key"."""

from __future__ import annotations

import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_helpers import BACKENDS, IBIS_DUCKDB_DEPRECATIONS, count, rows

from demandos.store import FactStore, open_facts, table_schema

pytestmark = IBIS_DUCKDB_DEPRECATIONS

ASSETS = table_schema("assets")
asset = st.fixed_dictionaries(
    {
        "asset_id": st.sampled_from(["a", "b", "c", "d"]),
        "title": st.sampled_from(["Guide", "Report"]),
        "type": st.just("ebook"),
        "status": st.sampled_from(["draft", "live"]),
        "segments": st.none() | st.lists(st.sampled_from(["smb", "ent"]), max_size=2),
        "published_at": st.none()
        | st.sampled_from([datetime(2024, 1, 1), datetime(2024, 1, 2, 3, 4, 5, 6)]),
    }
)
loads = st.lists(st.lists(asset, max_size=6), min_size=1, max_size=4)


def _full(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row.get(name) for name in ASSETS.column_names}


def _open(backend: str, request: pytest.FixtureRequest, base: Path) -> FactStore:
    """A fresh, empty store for one example: a new folder, or a new PostgreSQL schema."""
    if backend == "postgres":
        url = request.getfixturevalue("postgres_url")
        return open_facts(base, backend="postgres", url=url, schema=f"h{uuid.uuid4().hex[:12]}")
    return open_facts(Path(tempfile.mkdtemp(dir=base)))


@pytest.mark.parametrize("backend", BACKENDS)
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=loads)
def test_current_rows_are_the_last_value_per_key(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    batches: list[list[dict[str, Any]]],
) -> None:
    expected: dict[str, dict[str, Any]] = {}
    moments: list[tuple[datetime, dict[str, dict[str, Any]]]] = []
    versions = 0
    with _open(backend, request, tmp_path) as store:
        for load in batches:
            last = {row["asset_id"]: _full(row) for row in load}  # the last row of a key wins
            inserted = sum(k not in expected for k in last)
            updated = sum(k in expected and expected[k] != v for k, v in last.items())
            result = store.load("assets", pa.Table.from_pylist(load, schema=ASSETS.arrow_schema()))
            assert (result.read, result.inserted, result.updated, result.unchanged) == (
                len(load),
                inserted,
                updated,
                len(last) - inserted - updated,
            )
            versions += inserted + updated
            expected.update(last)
            moments.append((datetime.now(UTC), dict(expected)))

        assert rows(store.table("assets")) == sorted(expected.values(), key=lambda r: r["asset_id"])
        for moment, then in moments:  # every earlier state can still be read
            assert rows(store.table("assets", as_of=moment)) == sorted(
                then.values(), key=lambda r: r["asset_id"]
            )
        assert count(store.versions("assets")) == versions
        summary = {s.table: s.rows for s in store.summary()}
        assert summary["assets"] == len(expected)
        assert sum(summary.values()) == len(expected)
