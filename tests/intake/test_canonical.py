"""The canonical loader: real files in, counts that match the store, bad input refused whole."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from demandos.errors import IntakeError
from demandos.intake.canonical import load_files
from demandos.store.facts import FactStore, open_facts
from demandos.workspace import SAMPLE_DIR


@pytest.fixture
def store(tmp_path: Path) -> Iterator[FactStore]:
    with open_facts(tmp_path / ".demandos") as facts:
        yield facts


def rows(store: FactStore, table: str) -> list[dict[str, object]]:
    return store.table(table).to_pyarrow().to_pylist()


def write_csv(path: Path, header: list[str], data: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(data)
    return path


def test_sample_loads_and_counts_match_the_store(store: FactStore) -> None:
    reports = load_files(store, [SAMPLE_DIR])
    assert {r.table for r in reports} >= {
        "accounts",
        "people",
        "touchpoints",
        "spend",
        "opportunities",
        "opportunity_history",
        "costs",
    }
    by_table = {s.table: s.rows for s in store.summary()}
    for report in reports:
        assert report.read == report.inserted + report.quarantined  # first load: all new
        assert by_table[report.table] == report.inserted
    assert by_table["quarantine"] == sum(r.quarantined for r in reports) > 0


def test_reloading_the_same_files_changes_nothing(store: FactStore) -> None:
    load_files(store, [SAMPLE_DIR])
    before = {s.table: s.rows for s in store.summary()}
    again = load_files(store, [SAMPLE_DIR])
    assert all(r.inserted == r.updated == 0 for r in again)
    assert sum(r.unchanged for r in again) == sum(r.read - r.quarantined for r in again)
    assert {s.table: s.rows for s in store.summary()} == before


def test_bad_rows_go_to_quarantine_with_raw_values_and_reasons(
    store: FactStore, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "spend.csv",
        ["date", "channel", "platform", "program_id", "amount", "currency", "clicks"],
        [
            ["2026-11-02", "paid_search", "google_ads", "brand", "120.50", "USD", "31"],
            ["2026-11-03", "paid_search", "google_ads", "brand", "$1,200", "USD", "12"],
            ["2026-11-31", "paid_search", "google_ads", "brand", "80", "USD", "9"],
            ["2026-11-04", "", "google_ads", "brand", "80", "USD", "9"],
            ["2026-11-05", "paid_search", "google_ads", "brand", "80", "USD", "9.5"],
        ],
    )
    [report] = load_files(store, [path])
    assert (report.read, report.inserted, report.quarantined) == (5, 1, 4)
    assert rows(store, "spend")[0]["amount"] == pytest.approx(120.50)
    quarantined = sorted(rows(store, "quarantine"), key=lambda r: r["row_number"])
    assert [q["row_number"] for q in quarantined] == [2, 3, 4, 5]
    assert "column amount: '$1,200' is not a number" in quarantined[0]["reason"]
    assert json.loads(quarantined[0]["raw"])["amount"] == "$1,200"
    assert "column date: '2026-11-31' is not a date" in quarantined[1]["reason"]
    assert quarantined[2]["reason"] == "column channel: a value is required"
    assert "column clicks: '9.5' is not a whole number" in quarantined[3]["reason"]
    assert (
        report.reasons["column amount: not a number (no currency symbols or thousands separators)"]
        == 1
    )


def test_list_columns_split_on_semicolons(store: FactStore, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "assets.csv",
        ["asset_id", "title", "type", "status", "segments"],
        [["a1", "Buyer's guide", "guide", "published", "mid_market; enterprise"]],
    )
    load_files(store, [path])
    assert rows(store, "assets")[0]["segments"] == ["mid_market", "enterprise"]


@pytest.mark.parametrize(
    ("name", "content", "message", "hint"),
    [
        ("accounts.csv", b"", "the file is empty", "header row"),
        ("accounts.csv", b"PK\x03\x04\x00\x00binary", "binary file, not CSV", "UTF-8 CSV"),
        (
            "accounts.csv",
            "account_id,name\na1,Café Müller\n".encode("latin-1"),
            "not UTF-8",
            "CSV UTF-8",
        ),
        (
            "accounts.csv",
            b"account_id,company\na1,Acme\n",
            "lacks required column(s) name",
            "account_id, name",
        ),
        (
            "acounts.csv",
            b"account_id,name\na1,Acme\n",
            "which canonical table",
            "did you mean 'accounts'?",
        ),
        ("accounts.json", b"{}", "not a format", ".csv"),
        ("accounts.csv", b'account_id,name\n"a1,"Acme\n', "not a readable CSV", "UTF-8 CSV"),
    ],
)
def test_unreadable_files_are_refused_and_nothing_is_half_loaded(
    store: FactStore, tmp_path: Path, name: str, content: bytes, message: str, hint: str
) -> None:
    good = write_csv(
        tmp_path / "costs.csv",
        ["month", "category", "item", "amount"],
        [["2026-10-01", "tools", "CRM", "900"]],
    )
    bad = tmp_path / "bad" / name
    bad.parent.mkdir()
    bad.write_bytes(content)
    with pytest.raises(IntakeError) as info:
        load_files(store, [good, bad])
    assert message in info.value.message
    assert name in info.value.message
    assert hint in (info.value.hint or "")
    assert {s.table: s.rows for s in store.summary()}["costs"] == 0  # the good file waited too


spend_row = st.tuples(
    st.dates(
        min_value=__import__("datetime").date(2026, 1, 1),
        max_value=__import__("datetime").date(2026, 1, 10),
    ),
    st.sampled_from(["brand", "competitor", "webinar"]),
    st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=st.lists(st.lists(spend_row, max_size=15), min_size=1, max_size=3))
def test_totals_match_the_raw_rows(
    tmp_path_factory: pytest.TempPathFactory, batches: list[list[tuple[object, str, object]]]
) -> None:
    root = tmp_path_factory.mktemp("ws")
    expected: dict[tuple[str, str], float] = {}
    with open_facts(root / ".demandos") as store:
        for i, batch in enumerate(batches):
            path = write_csv(
                root / f"b{i}" / "spend.csv" if (root / f"b{i}").mkdir() is None else root,
                ["date", "channel", "platform", "program_id", "amount", "currency"],
                [
                    [d.isoformat(), "paid_search", "google_ads", p, str(a), "USD"]
                    for d, p, a in batch
                ],
            )
            load_files(store, [path])
            for d, p, a in batch:  # the last row of a key wins
                expected[(d.isoformat(), p)] = float(a)  # type: ignore[arg-type]
        stored = rows(store, "spend")
    assert len(stored) == len(expected)
    assert sum(r["amount"] for r in stored) == pytest.approx(sum(expected.values()), abs=1e-6)
