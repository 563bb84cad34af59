"""The fact store's public API, run against every backend (embedded and a real PostgreSQL)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pyarrow as pa
import pytest
from store_helpers import IBIS_DUCKDB_DEPRECATIONS, accounts, batch, count, opportunity, rows

from demandos.errors import ConcurrentLoadError, SchemaError, StoreError
from demandos.progress import CapturedProgress
from demandos.store import ALL_TABLES, FactStore, LoadResult, open_facts
from demandos.store.schema import BATCH, VALID_FROM, VALID_TO

pytestmark = IBIS_DUCKDB_DEPRECATIONS


def test_first_load_inserts_and_reload_changes_nothing(store: FactStore) -> None:
    data = accounts(("a1", "Acme", 10), ("a2", "Globex", None))
    first = store.load("accounts", data, batch="first")
    assert first == LoadResult(
        "accounts", read=2, inserted=2, updated=0, unchanged=0, batch="first"
    )

    again = store.load("accounts", data)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert count(store.table("accounts")) == 2
    assert count(store.versions("accounts")) == 2  # no new versions
    assert {r[BATCH] for r in rows(store.versions("accounts"))} == {"first"}


def test_update_keeps_the_earlier_version(store: FactStore) -> None:
    v1 = batch("opportunities", [opportunity("o1", "Discovery"), opportunity("o2", "Discovery")])
    store.load("opportunities", v1)
    between = datetime.now(UTC)
    v2 = batch("opportunities", [opportunity("o1", "Proposal"), opportunity("o2", "Discovery")])
    result = store.load("opportunities", v2)
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 1)

    assert [r["stage"] for r in rows(store.table("opportunities"))] == ["Proposal", "Discovery"]
    before = rows(store.table("opportunities", as_of=between))
    assert [r["stage"] for r in before] == ["Discovery", "Discovery"]
    assert store.table("opportunities").columns == tuple(ALL_TABLES["opportunities"].column_names)

    o1 = rows(store.versions("opportunities").filter(lambda t: t.opp_id == "o1"), order=VALID_FROM)
    assert [v["stage"] for v in o1] == ["Discovery", "Proposal"]
    assert o1[0][VALID_TO] == o1[1][VALID_FROM]  # closed exactly when the new one starts
    assert o1[1][VALID_TO] is None
    # before the first load nothing was stored
    assert count(store.table("opportunities", as_of=datetime(2000, 1, 1))) == 0


def test_as_of_accepts_aware_and_naive_utc(store: FactStore) -> None:
    store.load("accounts", accounts(("a1", "Old", 1)))
    between = datetime.now(UTC)
    store.load("accounts", accounts(("a1", "New", 1)))
    naive = between.replace(tzinfo=None)
    in_paris = between.astimezone(timezone(timedelta(hours=1)))
    for when in (naive, in_paris):
        assert rows(store.table("accounts", as_of=when))[0]["name"] == "Old"


def test_last_row_of_a_key_wins_within_a_batch(store: FactStore) -> None:
    data = accounts(("a1", "first", 1), ("a2", "only", 2), ("a1", "last", 3))
    result = store.load("accounts", data)
    assert (result.read, result.inserted) == (3, 2)
    assert {r["account_id"]: r["name"] for r in rows(store.table("accounts"))} == {
        "a1": "last",
        "a2": "only",
    }


def test_order_decides_which_row_of_a_key_wins(store: FactStore) -> None:
    """A batch out of file order names each row's place: the highest number wins, not the last."""
    data = accounts(("a1", "row 9", 1), ("a2", "only", 2), ("a1", "row 4", 3))
    result = store.load("accounts", data, order=pa.array([9, 5, 4]))
    assert (result.read, result.inserted) == (3, 2)
    assert {r["account_id"]: r["name"] for r in rows(store.table("accounts"))} == {
        "a1": "row 9",
        "a2": "only",
    }
    with pytest.raises(SchemaError, match=r"2 numbers .* for 3 rows"):
        store.load("accounts", data, order=pa.array([1, 2]))


def test_first_load_of_distinct_keys_reads_back_every_type(store: FactStore) -> None:
    """A first load with no key twice is written without a merge; it reads back the same."""
    data = batch(
        "assets",
        [
            {
                "asset_id": f"as{i}",
                "title": f"Guide {i}",
                "type": "guide",
                "segments": ["mid_market", "enterprise"] if i % 2 else None,
                "status": "published",
                "published_at": datetime(2026, 1, 1 + i, 9, 30),
            }
            for i in range(5)
        ],
    )
    result = store.load("assets", data)
    assert (result.inserted, result.updated, result.unchanged) == (5, 0, 0)
    back = {r["asset_id"]: r for r in rows(store.table("assets"))}
    assert back["as1"]["segments"] == ["mid_market", "enterprise"]
    assert back["as2"]["segments"] is None
    assert back["as4"]["published_at"] == datetime(2026, 1, 5, 9, 30)
    again = store.load("assets", data)
    assert (again.inserted, again.unchanged) == (0, 5)


def test_null_values_compare_equal(store: FactStore) -> None:
    data = batch(
        "assets",
        [
            {"asset_id": "x", "title": "T", "type": "post", "status": "live", "segments": None},
            {"asset_id": "y", "title": "T", "type": "post", "status": "live", "segments": ["a"]},
        ],
    )
    store.load("assets", data)
    again = store.load("assets", data)
    assert again.unchanged == 2
    changed = batch(
        "assets",
        [
            {"asset_id": "x", "title": "T", "type": "post", "status": "live", "segments": []},
            {"asset_id": "y", "title": "T", "type": "post", "status": "live", "segments": ["a"]},
        ],
    )
    assert store.load("assets", changed).updated == 1  # NULL is not the empty list


def test_batch_is_cast_to_declared_types(store: FactStore) -> None:
    data = pa.table(
        {
            "date": ["2024-03-01", "2024-03-02"],  # strings → date
            "channel": pa.array(["email", "email"]).dictionary_encode(),
            "size": pa.array([10, 12], pa.int32()),  # int32 → int64
        }
    )
    store.load("audiences", data)
    got = rows(store.table("audiences"))
    assert got[0] == {"date": date(2024, 3, 1), "channel": "email", "size": 10}
    # the same values given with other types are unchanged
    same = pa.table({"date": [date(2024, 3, 1)], "channel": ["email"], "size": [10]})
    assert store.load("audiences", same).unchanged == 1


def test_multi_table_transaction_is_all_or_nothing(store: FactStore) -> None:
    store.load("accounts", accounts(("a1", "Acme", 1)))
    with pytest.raises(RuntimeError, match="boom"), store.transaction() as tx:
        tx.load("accounts", accounts(("a1", "Changed", 1), ("a2", "New", 2)))
        tx.load("opportunities", batch("opportunities", [opportunity("o1", "Discovery")]))
        raise RuntimeError("boom")
    assert [(r["account_id"], r["name"]) for r in rows(store.table("accounts"))] == [("a1", "Acme")]
    assert count(store.table("opportunities")) == 0
    assert count(store.versions("accounts")) == 1

    with store.transaction(source="crm", batch="b-42") as tx:
        tx.load("accounts", accounts(("a2", "New", 2)))
        tx.load("opportunities", batch("opportunities", [opportunity("o1", "Discovery")]))
    assert count(store.table("accounts")) == 2
    assert rows(store.versions("opportunities"))[0][BATCH] == "b-42"
    a2 = rows(store.versions("accounts").filter(lambda t: t.account_id == "a2"))
    assert a2[0][BATCH] == "b-42"


def test_loads_in_one_transaction_see_each_other(store: FactStore) -> None:
    with store.transaction() as tx:
        first = tx.load("accounts", accounts(("a1", "One", 1)))
        second = tx.load("accounts", accounts(("a1", "Two", 1), ("a2", "Other", 2)))
        third = tx.load("accounts", accounts(("a1", "Two", 1)))
    assert (first.inserted, second.inserted, second.updated, third.unchanged) == (1, 1, 1, 1)
    assert {r["name"] for r in rows(store.table("accounts"))} == {"Two", "Other"}


@pytest.mark.parametrize(
    ("data", "column", "words"),
    [
        (pa.table({"account_id": ["a1"]}), "name", "lacks the required column"),
        (pa.table({"name": ["Acme"]}), "account_id", "lacks the key column"),
        (pa.table({"account_id": ["a1", None], "name": ["A", "B"]}), "account_id", "empty in 1"),
        (
            pa.table(
                {"account_id": ["a1"], "name": [None]},
            ),
            "name",
            "empty in 1 row",
        ),
        (pa.table({"account_id": ["a1"], "name": ["A"], "nmae": ["x"]}), "nmae", "has no column"),
        (pa.table({"account_id": ["a1"], "name": ["A"], "_batch": ["x"]}), "_batch", "no column"),
        (pa.table({"account_id": ["a1"], "name": ["A"], "employees": ["ten"]}), "employees", "int"),
    ],
    ids=[
        "missing-required",
        "missing-key",
        "null-key",
        "null-required",
        "unknown",
        "system",
        "uncastable",
    ],
)
def test_schema_errors_name_table_and_column_and_write_nothing(
    store: FactStore, data: pa.Table, column: str, words: str
) -> None:
    store.load("accounts", accounts(("a0", "Before", 1)))
    with pytest.raises(SchemaError) as info, store.transaction() as tx:
        tx.load("opportunities", batch("opportunities", [opportunity("o1", "Discovery")]))
        tx.load("accounts", data)
    message = str(info.value)
    assert "'accounts'" in message and repr(column) in message and words in message
    assert info.value.hint
    assert rows(store.table("accounts"))[0]["name"] == "Before"
    assert count(store.versions("accounts")) == 1
    assert count(store.table("opportunities")) == 0


def test_unknown_column_suggests_the_declared_one(store: FactStore) -> None:
    with pytest.raises(SchemaError) as info:
        store.load("accounts", pa.table({"account_id": ["a1"], "name": ["A"], "nmae": ["x"]}))
    assert info.value.hint == "did you mean 'name'?"


def test_unknown_table_suggests_a_name(store: FactStore) -> None:
    with pytest.raises(StoreError, match="opportunites") as info:
        store.table("opportunites")
    assert info.value.hint == "did you mean 'opportunities'?"
    with pytest.raises(StoreError):
        store.load("acounts", accounts(("a1", "A", 1)))


def test_quarantine_loads_like_any_table(store: FactStore) -> None:
    row = {
        "file_sha256": "abc",
        "row_number": 3,
        "source": "csv",
        "file": "people.csv",
        "target_table": "people",
        "raw": '{"person_id": ""}',
        "reason": "person_id is empty",
        "quarantined_at": datetime(2024, 5, 1, 12),
    }
    first = store.load("quarantine", batch("quarantine", [row]))
    again = store.load("quarantine", batch("quarantine", [row]))
    assert (first.inserted, again.unchanged) == (1, 1)
    by_name = {s.table: s for s in store.summary()}
    assert by_name["quarantine"].rows == 1
    assert by_name["quarantine"].max_time == datetime(2024, 5, 1, 12)


def test_summary_counts_rows_and_time_range(store: FactStore) -> None:
    store.load(
        "opportunities",
        batch(
            "opportunities",
            [
                opportunity("o1", "A", created=datetime(2024, 2, 1)),
                opportunity("o2", "A", created=datetime(2024, 1, 15)),
            ],
        ),
    )
    store.load(
        "opportunities",
        batch("opportunities", [opportunity("o1", "B", created=datetime(2024, 2, 1))]),
    )
    summary = store.summary()
    assert [s.table for s in summary] == list(ALL_TABLES)
    opps = next(s for s in summary if s.table == "opportunities")
    assert (opps.rows, opps.min_time, opps.max_time) == (
        2,
        datetime(2024, 1, 15),
        datetime(2024, 2, 1),
    )
    assert next(s for s in summary if s.table == "accounts").rows == 0


def test_empty_batch_changes_nothing(store: FactStore) -> None:
    empty = pa.table({"account_id": pa.array([], pa.string()), "name": pa.array([], pa.string())})
    result = store.load("accounts", empty)
    assert (result.read, result.inserted, result.updated, result.unchanged) == (0, 0, 0, 0)
    assert count(store.versions("accounts")) == 0


def test_a_second_loader_waits_for_the_first(store_factory: Any) -> None:
    first, second = store_factory(), store_factory(lock_timeout=30)
    entered = threading.Event()
    results: list[LoadResult] = []

    def slow_load() -> None:
        with first.transaction() as tx:
            tx.load("accounts", accounts(("a1", "First", 1)))
            entered.set()
            time.sleep(0.5)

    thread = threading.Thread(target=slow_load)
    thread.start()
    assert entered.wait(10)
    results.append(second.load("accounts", accounts(("a1", "Second", 1))))
    thread.join()
    assert results[0].updated == 1  # it merged over the first load, not beside it
    second.refresh()
    assert rows(second.table("accounts"))[0]["name"] == "Second"


def test_a_loader_gives_up_after_the_lock_timeout(store_factory: Any) -> None:
    first, second = store_factory(), store_factory(lock_timeout=0.2)
    with first.transaction() as tx:
        tx.load("accounts", accounts(("a1", "First", 1)))
        with pytest.raises(ConcurrentLoadError) as info:
            second.load("accounts", accounts(("a2", "Second", 2)))
        assert info.value.hint
    assert count(first.table("accounts")) == 1


def test_one_transaction_at_a_time_per_store(store: FactStore) -> None:
    with store.transaction() as tx:
        with pytest.raises(StoreError, match="already open"), store.transaction():
            pass
        tx.load("accounts", accounts(("a1", "A", 1)))
    with pytest.raises(StoreError, match="finished"):
        tx.load("accounts", accounts(("a2", "B", 2)))
    assert count(store.table("accounts")) == 1


def test_progress_is_reported(store_factory: Any) -> None:
    progress = CapturedProgress()
    s = store_factory(progress=progress)
    s.load("accounts", accounts(("a1", "A", 1)))
    assert progress.steps == ["Merging 1 rows into accounts"]
    assert progress.finished == 1


def test_closed_store_refuses_work(store_factory: Any) -> None:
    s = store_factory()
    s.close()
    s.close()  # twice is fine
    with pytest.raises(StoreError, match="closed"):
        s.table("accounts")
    with pytest.raises(StoreError, match="closed"):
        s.load("accounts", accounts(("a1", "A", 1)))


def test_open_facts_rejects_bad_arguments(tmp_path: Any) -> None:
    with pytest.raises(StoreError, match="needs a database URL"):
        open_facts(tmp_path, backend="postgres")
    with pytest.raises(StoreError, match="unknown fact store backend"):
        open_facts(tmp_path, backend="bigquery")  # type: ignore[arg-type]


# -- business time: opportunities as they stood on a day ------------------------------------------


def _history(
    opp_id: str,
    at: datetime,
    stage: str,
    amount: float | None,
    closed: bool | None,
    won: bool | None,
) -> dict[str, Any]:
    return {
        "opp_id": opp_id,
        "changed_at": at,
        "stage": stage,
        "amount": amount,
        "is_closed": closed,
        "is_won": won,
    }


@pytest.fixture
def pipeline(store: FactStore) -> FactStore:
    """Five deals with a hand-written history (see each test for the expected state)."""
    opps = [
        opportunity("o1", "Closed Won", 150, created=datetime(2024, 1, 1), closed=True, won=True),
        opportunity("o2", "Closed Lost", 80, created=datetime(2024, 1, 3), closed=True),
        opportunity("o3", "Discovery", 10, created=datetime(2024, 1, 10)),
        opportunity("o4", "Proposal", 50, created=datetime(2024, 1, 2)),  # no history at all
        opportunity("o5", "Closed Lost", 70, created=datetime(2024, 1, 1), closed=True),
    ]
    history = [
        _history("o1", datetime(2024, 1, 1, 9), "Discovery", 100, None, None),
        _history("o1", datetime(2024, 1, 4), "Proposal", 120, False, False),
        _history("o1", datetime(2024, 1, 8), "Closed Won", 150, True, True),
        _history("o2", datetime(2024, 1, 3), "Discovery", 90, False, False),
        _history("o2", datetime(2024, 1, 5, 12), "Closed Lost", 80, True, False),
        _history("o3", datetime(2024, 1, 10), "Discovery", 10, False, False),
        _history("o5", datetime(2024, 1, 2), "Closed Lost", None, None, None),
    ]
    with store.transaction() as tx:
        tx.load("opportunities", batch("opportunities", opps))
        tx.load("opportunity_history", batch("opportunity_history", history))
    return store


def _state(store: FactStore, when: date | datetime) -> dict[str, tuple[Any, ...]]:
    return {
        r["opp_id"]: (r["stage"], r["amount"], r["is_closed"], r["is_won"])
        for r in rows(store.opportunities_as_of(when))
    }


def test_opportunities_as_of_a_day_uses_the_last_change_of_that_day(pipeline: FactStore) -> None:
    assert _state(pipeline, date(2024, 1, 5)) == {
        "o1": ("Proposal", 120, False, False),
        "o2": ("Closed Lost", 80, True, False),  # changed at noon that day: a date is the whole day
        "o4": ("Proposal", 50, False, False),  # no history: its opportunities row
        "o5": ("Closed Lost", 70, True, False),  # amount and closed-ness from the same-stage row
    }
    open_pipeline = pipeline.opportunities_as_of(date(2024, 1, 5))
    open_pipeline = open_pipeline.filter(~open_pipeline.is_closed)
    assert open_pipeline.amount.sum().to_pyarrow().as_py() == 170


def test_opportunities_as_of_a_moment(pipeline: FactStore) -> None:
    state = _state(pipeline, datetime(2024, 1, 5))
    assert state["o2"] == ("Discovery", 90, False, False)
    early = _state(pipeline, date(2024, 1, 2))
    # o1's first change says nothing of closed/won and its stage differs from today's: open
    assert early == {
        "o1": ("Discovery", 100, False, False),
        "o4": ("Proposal", 50, False, False),
        "o5": ("Closed Lost", 70, True, False),
    }
    assert pipeline.opportunities_as_of(date(2024, 1, 2)).columns == tuple(
        ALL_TABLES["opportunities"].column_names
    )
