"""The PostgreSQL store on a real server: isolation, schemas, and what it keeps in the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from store_helpers import accounts, batch, count, rows

from demandos.errors import StoreError
from demandos.store import FactStore, open_facts

pytestmark = pytest.mark.postgres


@pytest.fixture
def store(postgres_url: str, tmp_path: Path) -> Iterator[FactStore]:
    with open_facts(tmp_path, backend="postgres", url=postgres_url) as s:
        yield s


def test_a_second_connection_reads_the_old_state_while_a_load_is_open(
    store: FactStore, postgres_url: str, tmp_path: Path
) -> None:
    store.load("accounts", accounts(("a1", "Old", 1)))
    with open_facts(tmp_path, backend="postgres", url=postgres_url) as other:
        with store.transaction() as tx:
            tx.load("accounts", accounts(("a1", "New", 1), ("a2", "Added", 2)))
            assert [r["name"] for r in rows(other.table("accounts"))] == ["Old"]
            assert [r["name"] for r in rows(store.table("accounts"))] == ["Old"]
            with open_facts(  # opening a store does not wait for the load either
                tmp_path, backend="postgres", url=postgres_url, lock_timeout=2
            ) as third:
                assert count(third.table("accounts")) == 1
        assert [r["name"] for r in rows(other.table("accounts"))] == ["New", "Added"]


def test_tables_live_in_their_schema_with_one_current_version_per_key(
    store: FactStore, postgres_url: str
) -> None:
    store.load("accounts", accounts(("a1", "A", 1)), batch="b1", source="test")
    with psycopg.connect(postgres_url) as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'demandos'"
            )
        }
        assert {"accounts", "quarantine", "opportunity_history", "_loads"} <= tables
        loads = conn.execute("SELECT batch, source, table_name, inserted FROM demandos._loads")
        assert loads.fetchall() == [("b1", "test", "accounts", 1)]
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(
                "INSERT INTO demandos.accounts (account_id, name, _valid_from) "
                "VALUES ('a1', 'twin', now())"
            )


def test_schemas_keep_stores_apart_and_reopening_keeps_data(
    store: FactStore, postgres_url: str, tmp_path: Path
) -> None:
    store.load("accounts", accounts(("a1", "A", 1)))
    with open_facts(tmp_path, backend="postgres", url=postgres_url, schema="client_b") as b:
        assert count(b.table("accounts")) == 0
        b.load("accounts", accounts(("x", "X", 1), ("y", "Y", 2)))
        assert count(b.table("accounts")) == 2
    with open_facts(tmp_path, backend="postgres", url=postgres_url) as again:
        assert count(again.table("accounts")) == 1


def test_an_unreachable_server_is_a_store_error(tmp_path: Path) -> None:
    url = "postgresql://nobody@127.0.0.1:1/nothing?connect_timeout=2"
    with pytest.raises(StoreError, match="cannot connect") as info:
        open_facts(tmp_path, backend="postgres", url=url)
    assert info.value.hint


def test_a_table_stored_before_a_key_column_is_upgraded_in_place(
    postgres_url: str, tmp_path: Path
) -> None:
    """Spend stored before ``campaign`` joined its key: opening the store adds the column,
    fills it from the program and builds the key's indexes again; nothing is loaded twice."""
    row = {"date": date(2026, 3, 1), "channel": "events", "platform": "sponsor"}
    spend = batch("spend", [{**row, "program_id": "summit", "amount": 500.0, "currency": "USD"}])
    with open_facts(tmp_path, backend="postgres", url=postgres_url) as store:
        store.load("spend", spend)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE demandos.spend DROP COLUMN campaign")  # and its indexes
    with open_facts(tmp_path, backend="postgres", url=postgres_url) as store:
        assert [r["campaign"] for r in rows(store.table("spend"))] == ["summit"]
        again = store.load("spend", spend)
        assert (again.inserted, again.unchanged) == (0, 1)
    with psycopg.connect(postgres_url) as conn:
        [(definition,)] = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'demandos' "
            "AND indexname = 'spend_current'"
        ).fetchall()
    assert "campaign" in definition
