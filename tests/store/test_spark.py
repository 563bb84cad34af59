"""The spark fact store: the embedded store's snapshots, read through a real local Spark session."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from store_helpers import accounts, batch, opportunity

from demandos.errors import StoreError
from demandos.store import FactStore, open_facts
from demandos.store.spark import SparkFactStore

pytestmark = pytest.mark.spark


@pytest.fixture
def spark_store(spark_session: Any, tmp_path: Path) -> Any:
    with open_facts(tmp_path / ".demandos", backend="spark", spark={"session": spark_session}) as s:
        yield s


def _accounts(store: FactStore, as_of: datetime | None = None) -> dict[str, int | None]:
    rows = store.table("accounts", as_of=as_of).to_pyarrow().to_pylist()
    return {r["account_id"]: r["employees"] for r in rows}


def test_reads_what_it_loaded_with_history(spark_store: SparkFactStore) -> None:
    assert spark_store.backend == "spark"
    assert _accounts(spark_store) == {}  # empty tables have the declared columns
    spark_store.load("accounts", accounts(("a1", "Acme", 10), ("a2", "Beta", None)))
    first = spark_store.snapshot.loaded_at
    assert first is not None
    spark_store.load("accounts", accounts(("a1", "Acme", 12)))
    assert _accounts(spark_store) == {"a1": 12, "a2": None}
    assert _accounts(spark_store, as_of=first) == {"a1": 10, "a2": None}
    assert spark_store.versions("accounts").count().execute() == 3
    # the files are the embedded store's: DuckDB reads the same snapshot
    with open_facts(spark_store.root.parent) as embedded:
        assert _accounts(embedded) == _accounts(spark_store)


def test_refresh_moves_to_another_process_load(
    spark_session: Any, spark_store: SparkFactStore, tmp_path: Path
) -> None:
    spark_store.load("accounts", accounts(("a1", "Acme", 10)))
    with open_facts(tmp_path / ".demandos") as writer:  # another reader-writer, embedded
        writer.load("accounts", accounts(("a2", "Beta", 5)))
    assert _accounts(spark_store) == {"a1": 10}  # readers keep their pinned snapshot
    assert spark_store.refresh() is True
    assert _accounts(spark_store) == {"a1": 10, "a2": 5}
    assert spark_store.refresh() is False


def test_dates_timestamps_lists_and_business_history(spark_store: SparkFactStore) -> None:
    change = {"opp_id": "o1", "changed_at": datetime(2024, 2, 1, 23, 30), "stage": "Won",
              "amount": 150.0, "is_closed": True, "is_won": True}  # fmt: skip
    asset = {"asset_id": "x1", "title": "Guide", "type": "guide", "status": "live",
             "segments": ["smb", "mid"]}  # fmt: skip
    with spark_store.transaction(source="test") as tx:
        tx.load("opportunities", batch("opportunities", [opportunity("o1", "Discovery", 100.0)]))
        tx.load("opportunity_history", batch("opportunity_history", [change]))
        tx.load("assets", batch("assets", [asset]))
    that_day = spark_store.opportunities_as_of(date(2024, 2, 1)).to_pyarrow().to_pylist()
    before = spark_store.opportunities_as_of(datetime(2024, 2, 1, 23)).to_pyarrow().to_pylist()
    assert [(r["stage"], r["amount"], r["is_won"]) for r in that_day] == [("Won", 150.0, True)]
    assert [(r["stage"], r["is_won"]) for r in before] == [("Discovery", False)]
    assets = spark_store.table("assets").to_pyarrow().to_pylist()
    assert assets[0]["segments"] == ["smb", "mid"]
    summary = {s.table: s for s in spark_store.summary()}
    assert summary["opportunities"].rows == 1
    assert summary["opportunity_history"].max_time == datetime(2024, 2, 1, 23, 30)


def test_each_store_has_its_own_views_and_leaves_the_session_running(
    spark_session: Any, tmp_path: Path
) -> None:
    one = open_facts(tmp_path / "one", backend="spark", spark={"session": spark_session})
    two = open_facts(tmp_path / "two", backend="spark", spark={"session": spark_session})
    with one, two:
        one.load("accounts", accounts(("a1", "Acme", 1)))
        two.load("accounts", accounts(("b1", "Beta", 2)))
        assert (_accounts(one), _accounts(two)) == ({"a1": 1}, {"b1": 2})
    assert spark_session.range(3).count() == 3  # closing a store does not stop Spark


def test_bad_spark_options_are_named(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as info:
        open_facts(tmp_path, backend="spark", spark={"mastr": "local[1]"})
    assert "'mastr'" in str(info.value)
    assert "master" in (info.value.hint or "")


def _open_in_child(tmp_path: Path, code: str, env: dict[str, str]) -> str:
    """Open a spark store in a fresh interpreter (no Spark running); its StoreError, as text."""
    script = (
        f"{code}\n"
        "from demandos.errors import StoreError\n"
        "from demandos.store import open_facts\n"
        "try:\n"
        f"    open_facts({str(tmp_path)!r}, backend='spark')\n"
        "except StoreError as e:\n"
        "    print(e.message); print(e.hint)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_missing_java_is_a_store_error_with_the_fix(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(tmp_path)  # no java here
    out = _open_in_child(tmp_path, "", env)
    assert "needs Java 17" in out and "JAVA_HOME" in out and "openjdk-17" in out


def test_missing_pyspark_is_a_store_error_with_the_fix(tmp_path: Path) -> None:
    out = _open_in_child(tmp_path, "import sys; sys.modules['pyspark'] = None", dict(os.environ))
    assert "needs PySpark" in out and "demandos[spark]" in out
