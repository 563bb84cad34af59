"""The embedded store: Parquet files and snapshots, crash safety and readers in other processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from store_helpers import IBIS_DUCKDB_DEPRECATIONS, accounts, batch, count, rows
from store_worker import audiences

from demandos.errors import StoreError
from demandos.store import FactStore, open_facts
from demandos.store.embedded import EmbeddedFactStore
from demandos.store.snapshots import CURRENT, PAUSE_ENV

pytestmark = IBIS_DUCKDB_DEPRECATIONS
WORKER = Path(__file__).with_name("store_worker.py")


@pytest.fixture
def facts(tmp_path: Path) -> Path:
    return tmp_path / ".demandos" / "facts"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedFactStore]:
    with open_facts(tmp_path / ".demandos") as s:
        assert isinstance(s, EmbeddedFactStore)
        yield s


def _worker(*args: object, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), *map(str, args)],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for(path: Path, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"worker exited with {process.returncode}: {err.decode()}")
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.02)


def _parquet_files(facts: Path) -> set[str]:
    return {f"{p.parent.name}/{p.name}" for p in facts.glob("*/*.parquet")}


def _total(store: FactStore) -> tuple[int, int]:
    t = store.table("audiences")
    row = t.aggregate(n=t.count(), s=t["size"].sum()).to_pyarrow().to_pylist()[0]
    return row["n"], row["s"] or 0


def test_layout_is_parquet_files_and_snapshot_manifests(
    store: EmbeddedFactStore, facts: Path
) -> None:
    assert not facts.exists()  # opening writes nothing
    store.load("accounts", accounts(("a1", "A", 1)), batch="b1", source="test")
    assert (facts / CURRENT).read_text().strip() == "1"
    manifest = json.loads((facts / "_snapshots" / "1.json").read_text())
    assert manifest["batch"] == "b1" and manifest["source"] == "test"
    assert manifest["loads"] == [
        {"table": "accounts", "read": 1, "inserted": 1, "updated": 0, "unchanged": 0}
    ]
    assert _parquet_files(facts) == set(manifest["tables"]["accounts"])


def test_an_unchanged_reload_writes_no_file_and_no_snapshot(
    store: EmbeddedFactStore, facts: Path
) -> None:
    store.load("accounts", accounts(("a1", "A", 1)))
    before = _parquet_files(facts), sorted((facts / "_snapshots").iterdir())
    store.load("accounts", accounts(("a1", "A", 1)))
    assert (_parquet_files(facts), sorted((facts / "_snapshots").iterdir())) == before
    assert store.snapshot.id == 1


def test_an_update_rewrites_only_the_files_holding_the_changed_keys(
    store: EmbeddedFactStore,
) -> None:
    store.load("audiences", audiences(0, 100, 1))
    store.load("audiences", audiences(100, 100, 1))
    first, second = store.snapshot.files("audiences")
    store.load("audiences", audiences(150, 1, 2))  # one key of the second file
    files = store.snapshot.files("audiences")
    assert first in files and second not in files and len(files) == 3
    assert _total(store) == (200, 201)
    store.load("audiences", audiences(500, 10, 1))  # append only: one new file, nothing rewritten
    assert set(files) < set(store.snapshot.files("audiences"))
    assert len(store.snapshot.files("audiences")) == 4


def test_a_reader_keeps_its_snapshot_until_it_refreshes(tmp_path: Path) -> None:
    with open_facts(tmp_path) as writer, open_facts(tmp_path) as reader:
        writer.load("accounts", accounts(("a1", "A", 1)))
        assert count(reader.table("accounts")) == 0
        assert reader.refresh() is True
        assert count(reader.table("accounts")) == 1
        assert reader.refresh() is False


def test_a_failed_transaction_leaves_no_files(store: EmbeddedFactStore, facts: Path) -> None:
    store.load("audiences", audiences(0, 100, 1))
    before = _parquet_files(facts)
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.load("audiences", audiences(50, 100, 2))  # writes a new file and rewrites one
        tx.load("accounts", accounts(("a1", "A", 1)))
        raise RuntimeError
    assert _parquet_files(facts) == before
    assert _total(store) == (100, 100)


def test_garbage_collection_keeps_recent_snapshots_and_young_files(tmp_path: Path) -> None:
    facts = tmp_path / "facts"
    with EmbeddedFactStore(facts, keep_snapshots=2, gc_grace=timedelta(0)) as store:
        for size in range(1, 6):
            store.load("audiences", audiences(0, 10, size))  # each rewrites the previous file
        kept = {f for s in (4, 5) for f in store.log.read(s).tables["audiences"]}
        assert _parquet_files(facts) == kept
        assert sorted(p.name for p in (facts / "_snapshots").iterdir()) == ["4.json", "5.json"]
        assert _total(store) == (10, 50)
    with EmbeddedFactStore(facts, keep_snapshots=2) as store:  # default grace: one hour
        store.load("audiences", audiences(0, 10, 9))
        assert len(_parquet_files(facts)) == len(kept) + 2  # nothing young is removed


def test_a_damaged_current_pointer_is_reported(facts: Path, tmp_path: Path) -> None:
    facts.mkdir(parents=True)
    (facts / CURRENT).write_text("7\n")
    with pytest.raises(StoreError, match="damaged") as info:
        open_facts(tmp_path / ".demandos")
    assert info.value.hint


def test_a_load_killed_mid_commit_leaves_the_previous_state(tmp_path: Path, facts: Path) -> None:
    root = tmp_path / ".demandos"
    with open_facts(root) as store:
        store.load("audiences", audiences(0, 1_000, 1))
        assert _total(store) == (1_000, 1_000)
    before = _parquet_files(facts)

    marker = tmp_path / "paused"
    # 200,000 rows: 500 update earlier keys (so a file is rewritten), the rest are new.
    loader = _worker("load", root, 500, 200_000, 2, env={PAUSE_ENV: str(marker)})
    _wait_for(marker, loader)
    assert loader.poll() is None
    loader.send_signal(signal.SIGKILL)
    loader.communicate(timeout=30)
    assert loader.returncode == -signal.SIGKILL

    orphans = _parquet_files(facts) - before
    assert len(orphans) == 2  # it had written its files (new rows, one rewrite) …
    assert (facts / "_snapshots" / "2.json").exists()  # … and its manifest …
    assert (facts / CURRENT).read_text().strip() == "1"  # … but never published them
    with open_facts(root, lock_timeout=5) as store:
        assert _total(store) == (1_000, 1_000)
        assert count(store.versions("audiences")) == 1_000
        result = store.load("audiences", audiences(0, 10, 3))  # the lock died with the process
        assert (result.updated, result.unchanged) == (10, 0)
        assert _total(store) == (1_000, 1_000 + 20)
    with EmbeddedFactStore(facts, gc_grace=timedelta(0)) as store:
        store.load("audiences", audiences(0, 1, 4))  # its commit collects the garbage
        log = store.log
        committed = {
            f
            for n in range(1, log.current().id + 1)
            for fs in log.read(n).tables.values()
            for f in fs
        }
        assert _parquet_files(facts) == committed
        assert not orphans & committed


def test_another_process_reads_while_this_one_loads(tmp_path: Path) -> None:
    root = tmp_path / ".demandos"
    ready, stop, out = tmp_path / "ready", tmp_path / "stop", tmp_path / "readings"
    expected = {0: (0, 0)}
    reader = _worker("read", root, ready, stop, out)
    try:
        _wait_for(ready, reader)
        with open_facts(root) as store:
            steps = [(0, 20_000, 1), (0, 20_000, 2), (20_000, 20_000, 3), (10_000, 20_000, 5)]
            assert isinstance(store, EmbeddedFactStore)
            for start, n, size in steps:
                store.load("audiences", audiences(start, n, size))
                expected[store.snapshot.id] = _total(store)
                _wait_for_reading(out, store.snapshot.id, reader)
        stop.touch()
        _, err = reader.communicate(timeout=60)
        assert reader.returncode == 0, err.decode()
    finally:
        if reader.poll() is None:
            reader.kill()
    readings = [tuple(map(int, line.split())) for line in out.read_text().splitlines()]
    assert len(readings) > len(steps)
    for snapshot, n, total in readings:
        assert (n, total) == expected[snapshot]  # whole snapshots only, never a partial state
    assert {r[0] for r in readings} == set(expected)  # and it saw every one of them


def _wait_for_reading(out: Path, snapshot: int, reader: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not any(line.split()[0] == str(snapshot) for line in out.read_text().splitlines()):
        assert reader.poll() is None, reader.communicate()[1].decode()
        assert time.monotonic() < deadline, f"the reader never saw snapshot {snapshot}"
        time.sleep(0.02)


def test_files_written_before_a_key_column_read_it_from_its_fallback(tmp_path: Path) -> None:
    """Spend files written before ``campaign`` joined its key read as one campaign per program,
    and loading the same row again changes nothing."""
    row = {"date": date(2026, 3, 1), "channel": "events", "platform": "sponsor", "currency": "USD"}
    spend = batch("spend", [{**row, "program_id": "summit", "amount": 500.0}])
    with open_facts(tmp_path) as store:
        store.load("spend", spend)
    [path] = (tmp_path / "facts" / "spend").glob("*.parquet")
    pq.write_table(pq.read_table(path).drop_columns(["campaign"]), path)  # an older file
    with open_facts(tmp_path) as store:
        assert [r["campaign"] for r in rows(store.table("spend"))] == ["summit"]
        again = store.load("spend", spend)
        assert (again.inserted, again.unchanged) == (0, 1)


def test_a_snapshots_summary_is_kept_and_follows_new_loads(tmp_path: Path, facts: Path) -> None:
    with open_facts(tmp_path / ".demandos") as first:
        first.load("audiences", audiences(0, 10, 5))
        computed = first.summary()
    kept = list((facts / "summaries").glob("*.json"))
    assert len(kept) == 1
    with open_facts(tmp_path / ".demandos") as second:
        assert second.summary() == computed  # read back, dates as dates
        row = next(t for t in computed if t.table == "audiences")
        assert (row.rows, row.min_time) == (10, date(2000, 1, 1))
        kept[0].write_text("{not json", encoding="utf-8")  # a damaged file is computed again
        assert second.summary() == computed
        second.load("audiences", audiences(10, 10, 5))
        row = next(t for t in second.summary() if t.table == "audiences")
        assert row.rows == 20  # a new snapshot, a new summary
    assert len(list((facts / "summaries").glob("*.json"))) == 1  # older ones are dropped
