"""One test over every registered connector: its real-format fixture is detected, read and
loaded with nothing quarantined, and what lands in the store adds up to the file.

Every connector ships a fixture ``tests/intake/fixtures/<connector name>.<csv|xlsx>`` in its
platform's real export format, and beside it ``<connector name>.expected.json``: the rows the
fixture yields per canonical table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from demandos import Workspace
from demandos.intake.registry import connectors, detect
from demandos.simulate.company import write_company
from demandos.simulate.params import NORTHWIND

FIXTURES = Path(__file__).with_name("fixtures")

# connector -> {canonical table: rows the fixture yields}
EXPECTED: dict[str, dict[str, int]] = {
    path.name.removesuffix(".expected.json"): json.loads(path.read_text())
    for path in sorted(FIXTURES.glob("*.expected.json"))
}


def fixture_for(name: str) -> Path:
    found = sorted(p for p in FIXTURES.glob(f"{name}.*") if p.suffix in (".csv", ".xlsx"))
    assert found, f"connector {name} has no fixture in {FIXTURES}"
    return found[0]


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    write_company(tmp_path / "w", NORTHWIND)
    with Workspace.open(tmp_path / "w") as workspace:
        yield workspace


def test_every_connector_has_a_fixture_and_expectations() -> None:
    assert set(connectors()) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_connector_reads_its_real_format(name: str, ws: Workspace) -> None:
    path = fixture_for(name)
    found, _ = detect(path)
    assert found.name == name
    [report] = ws.ingest([path])
    assert report.quarantined == 0, report.reasons
    assert {t: c.inserted for t, c in report.tables.items()} == EXPECTED[name]
    stored = {s.table: s.rows for s in ws.summary()}
    for table, rows in EXPECTED[name].items():
        assert stored[table] == rows, table
    [again] = ws.ingest([path])  # idempotent
    assert again.total("inserted") == again.total("updated") == 0


def test_google_ads_numbers_and_mapping(ws: Workspace) -> None:
    ws.ingest([fixture_for("google_ads")])
    spend = ws.facts.table("spend").to_pyarrow().to_pylist()
    by_program = {(r["program_id"], r["date"].isoformat()): r for r in spend}
    first = by_program[("google_high_intent", "2026-11-01")]
    assert (first["amount"], first["impressions"], first["clicks"]) == (1204.50, 12480, 131)
    assert first["channel"] == "google_ads" and first["platform"] == "google_ads"
    # a campaign no program claims keeps its name, so its spend is not lost
    assert ("Brand - Northwind", "2026-11-03") in by_program
    assert sum(r["amount"] for r in spend) == pytest.approx(2285.00)  # equals the Total row
