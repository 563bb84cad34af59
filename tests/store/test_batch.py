"""Checking and casting a batch before it is merged (the same for every backend)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pyarrow as pa
import pytest

import demandos.store
from demandos.errors import SchemaError
from demandos.store import table_schema
from demandos.store.batch import ORDER, prepare

TOUCHPOINTS = table_schema("touchpoints")


def _touch(ts: pa.Array) -> pa.Table:
    n = len(ts)
    return pa.table(
        {
            "touch_id": [f"t{i}" for i in range(n)],
            "ts": ts,
            "channel": ["email"] * n,
            "touch_type": ["open"] * n,
        }
    )


def test_prepared_batch_has_every_declared_column_in_order_and_a_row_number() -> None:
    out = prepare(TOUCHPOINTS, _touch(pa.array([datetime(2024, 1, 1)] * 3, pa.timestamp("us"))))
    assert out.column_names == [*TOUCHPOINTS.column_names, ORDER]
    assert out.schema.remove(len(out.schema) - 1) == TOUCHPOINTS.arrow_schema()
    assert out.column("person_id").null_count == 3  # optional and missing: NULL
    assert out.column(ORDER).to_pylist() == [0, 1, 2]


def test_timestamps_become_naive_utc_microseconds() -> None:
    paris = timezone(timedelta(hours=1))
    aware = pa.array([datetime(2024, 1, 1, 12, tzinfo=paris)], pa.timestamp("us", tz="+01:00"))
    assert prepare(TOUCHPOINTS, _touch(aware)).column("ts")[0].as_py() == datetime(2024, 1, 1, 11)
    nanos = pa.array([1_700_000_000_123_456_789], pa.timestamp("ns", tz="UTC"))
    got = prepare(TOUCHPOINTS, _touch(nanos)).column("ts")[0].as_py()
    assert got == datetime.fromtimestamp(1_700_000_000, UTC).replace(
        tzinfo=None, microsecond=123_456
    )


def test_a_record_batch_is_accepted_and_other_objects_are_not() -> None:
    table = _touch(pa.array([datetime(2024, 1, 1)], pa.timestamp("us")))
    assert prepare(TOUCHPOINTS, table.to_batches()[0]).num_rows == 1
    with pytest.raises(SchemaError, match=r"must be a pyarrow\.Table") as info:
        prepare(TOUCHPOINTS, table.to_pylist())  # type: ignore[arg-type]
    assert "from_pandas" in (info.value.hint or "")


def test_a_column_given_twice_is_refused() -> None:
    table = _touch(pa.array([datetime(2024, 1, 1)], pa.timestamp("us")))
    twice = table.append_column("channel", pa.array(["web"]))
    with pytest.raises(SchemaError, match="'channel' twice"):
        prepare(TOUCHPOINTS, twice)


def test_the_store_package_exports_what_it_documents() -> None:
    exported = set(demandos.store.__all__)
    assert exported == {
        "ALL_TABLES",
        "QUARANTINE",
        "TABLES",
        "FactStore",
        "LoadResult",
        "Loader",
        "TableSummary",
        "open_facts",
        "table_schema",
    }
    assert all(getattr(demandos.store, name) is not None for name in exported)
