"""The mapping connector: any CSV, XLSX or Parquet file plus a mapping file; bad mappings fail
with the mapping's file, line and a did-you-mean, before anything is written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from demandos import Workspace
from demandos.errors import IntakeError, SpecErrors
from demandos.intake.connectors.generic import HINT, ingest_mapped
from demandos.intake.quarantine import open_rows
from demandos.simulate.company import write_company
from demandos.simulate.params import NORTHWIND

BING = """\
Report: Campaign performance
Report period: 3/1/2026 - 3/2/2026
Day,Campaign,Spend,Impr.,Clicks,Currency
03/01/2026,LinkedIn - controllers and finance leaders,"1,234.50","10,000",12,USD
03/02/2026,Bing - brand,20.00,300,4,USD
03/02/2026,Bing - competitors,$5.00,310,2,USD
Total,,"1,259.50","10,610",18,
"""

MAPPING = """\
table: spend
source: bing_ads
columns:
  date: Day
  amount: Spend
  impressions: Impr.
  clicks: Clicks
  currency: Currency
  utm_campaign: Campaign
constants:
  platform: bing_ads
  utm_source: google
  utm_medium: cpc
formats:
  date: ["%m/%d/%Y"]
footer: "^Total"
"""


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    write_company(tmp_path / "w", NORTHWIND)
    with Workspace.open(tmp_path / "w") as workspace:
        yield workspace


def files(tmp_path: Path, mapping: str = MAPPING, data: str = BING) -> tuple[Path, Path]:
    (tmp_path / "bing.csv").write_text(data, encoding="utf-8")
    (tmp_path / "bing.yaml").write_text(mapping, encoding="utf-8")
    return tmp_path / "bing.csv", tmp_path / "bing.yaml"


def test_a_csv_under_a_preamble_maps_to_spend(ws: Workspace, tmp_path: Path) -> None:
    data, mapping = files(tmp_path)
    report = ingest_mapped(ws, data, mapping)
    assert (report.source, report.rows, report.footers) == ("bing_ads", 3, 1)
    spend = {r["program_id"]: r for r in ws.facts.table("spend").to_pyarrow().to_pylist()}
    mapped = spend["linkedin_controllers"]  # a program claims the campaign by name
    assert (mapped["date"], mapped["amount"], mapped["impressions"]) == (
        date(2026, 3, 1),
        1234.50,
        10000,
    )
    assert (mapped["channel"], mapped["platform"]) == ("google_ads", "bing_ads")  # utm rule
    assert spend["Bing - brand"]["amount"] == 20.0
    [bad] = open_rows(ws.facts).to_pyarrow().to_pylist()
    assert (bad["source"], bad["row_number"]) == ("bing_ads", 3)
    assert bad["reason"].startswith("column Spend: '$5.00' is not a number")  # as the file says
    [load] = ws.log.loads()
    assert (load.source, load.counts["mapping"]) == ("bing_ads", str(mapping))
    again = ingest_mapped(ws, data, mapping)
    assert again.total("inserted") == again.total("updated") == 0


def test_a_parquet_file_keeps_its_types_and_moves_instants_into_the_workspace_zone(
    ws: Workspace, tmp_path: Path
) -> None:
    table = pa.table(
        {
            "id": pa.array([101, 102], pa.int64()),
            "answered": pa.array(
                [datetime(2026, 1, 15, 17, 0), datetime(2026, 7, 15, 17, 0)],
                pa.timestamp("us", tz="UTC"),
            ),
            "rating": pa.array([9.0, None], pa.float64()),
            "topics": pa.array([["pricing", "onboarding"], []], pa.list_(pa.string())),
        }
    )
    pq.write_table(table, tmp_path / "interviews.parquet")
    (tmp_path / "m.yaml").write_text(
        "table: feedback\nsource: interviews\n"
        "columns: {feedback_id: id, ts: answered, score: rating, tags: topics}\n"
        "constants: {kind: interview}\n"
    )
    report = ingest_mapped(ws, tmp_path / "interviews.parquet", tmp_path / "m.yaml")
    assert report.quarantined == 0
    feedback = {r["feedback_id"]: r for r in ws.facts.table("feedback").to_pyarrow().to_pylist()}
    assert feedback["101"]["ts"] == datetime(2026, 1, 15, 12, 0)  # 17:00 UTC in New York (EST)
    assert feedback["102"]["ts"] == datetime(2026, 7, 15, 13, 0)  # (EDT)
    assert (feedback["101"]["score"], feedback["101"]["tags"]) == (9.0, ["pricing", "onboarding"])
    assert (feedback["102"]["kind"], feedback["102"]["score"]) == ("interview", None)


def test_an_xlsx_sheet_with_a_zone_and_list_separator(ws: Workspace, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["When", "Who", "What", "Tags"])
    sheet.append([datetime(2026, 3, 4, 9, 30), "Ledgerly", "price cut", "pricing|web"])
    book.save(tmp_path / "intel.xlsx")
    (tmp_path / "m.yaml").write_text(
        "table: competitor_signals\nsource: intel_sheet\ntimezone: Europe/Berlin\n"
        "columns: {signal_id: What, ts: When, competitor: Who, kind: What, note: Tags}\n"
    )
    ingest_mapped(ws, tmp_path / "intel.xlsx", tmp_path / "m.yaml")
    [signal] = ws.facts.table("competitor_signals").to_pyarrow().to_pylist()
    assert signal["ts"] == datetime(2026, 3, 4, 3, 30)  # 09:30 in Berlin (CET) in New York
    assert (signal["competitor"], signal["note"]) == ("Ledgerly", "pricing|web")


def replace(old: str, new: str) -> str:
    assert old in MAPPING
    return MAPPING.replace(old, new)


BAD_MAPPINGS = [
    ("misspelt-key", replace("columns:", "colums:"), 3, "unknown field 'colums'", "columns"),
    ("unknown-table", replace("table: spend", "table: spends"), 1, "no canonical table", "spend"),
    ("unknown-column", replace("  amount:", "  ammount:"), 5, "no column 'ammount'", "amount"),
    (
        "required-left-out",
        replace("  platform: bing_ads\n", ""),
        3,
        "spend needs column(s) platform",
        "constants",
    ),
    (
        "formats-on-a-number",
        replace('  date: ["%m/%d/%Y"]', '  date: ["%m/%d/%Y"]\n  amount: ["%d"]'),
        16,
        "'amount' is a float column",
        "date and timestamp",
    ),
    (
        "column-and-constant",
        replace("  platform: bing_ads", "  platform: bing_ads\n  currency: USD"),
        12,
        "'currency' is both a file column and a constant",
        "keep one",
    ),
    ("bad-zone", MAPPING + "timezone: Europe/Berlinn\n", 17, "not a known timezone", "Berlin"),
    ("yaml-syntax", replace('["%m/%d/%Y"]', '["%m/%d/%Y"'), 16, "is not closed", "close"),
    ("not-text", replace("  clicks: Clicks", "  clicks: 12"), 7, "expected text", "quotes"),
    (
        "a-platform-name",
        replace("source: bing_ads", "source: google_ads"),
        2,
        "name of a platform connector",
        "differently",
    ),
    ("not-in-the-file", replace("amount: Spend", "amount: Spent"), 5, "no column 'Spent'", "Spend"),
]


@pytest.mark.parametrize(
    ("mapping", "line", "message", "hint"),
    [case[1:] for case in BAD_MAPPINGS],
    ids=[case[0] for case in BAD_MAPPINGS],
)
def test_a_bad_mapping_names_file_line_and_fix_and_writes_nothing(
    ws: Workspace, tmp_path: Path, mapping: str, line: int, message: str, hint: str
) -> None:
    data, path = files(tmp_path, mapping)
    with pytest.raises(SpecErrors) as raised:
        ingest_mapped(ws, data, path)
    [finding] = raised.value.findings  # one mistake, one finding
    assert (finding.location.file, finding.location.line) == (str(path), line)
    assert message in finding.message
    assert hint in (finding.hint or "")
    assert raised.value.hint == HINT
    assert all(s.rows == 0 for s in ws.summary())
    assert ws.log.loads() == []


def test_a_missing_mapping_or_data_file(ws: Workspace, tmp_path: Path) -> None:
    data, mapping = files(tmp_path)
    with pytest.raises(IntakeError, match="mapping file not found"):
        ingest_mapped(ws, data, tmp_path / "nope.yaml")
    with pytest.raises(IntakeError, match="file not found"):
        ingest_mapped(ws, tmp_path / "nope.csv", mapping)
    (tmp_path / "data.json").write_text("{}")
    with pytest.raises(IntakeError, match=r"\.json is not a format the mapping reads"):
        ingest_mapped(ws, tmp_path / "data.json", mapping)


def test_the_cli_reads_a_file_with_a_mapping(ws: Workspace, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from demandos.cli.main import app

    data, mapping = files(tmp_path)
    args = ["ingest", str(data), "--mapping", str(mapping), "-w", str(ws.root)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "bing_ads" in result.output and "quarantined 1 row" in result.output
    [load] = [x for x in ws.log.loads() if x.source == "bing_ads"]
    assert load.counts["mapping"] == str(mapping)


def test_retry_skips_mapped_rows_with_a_note(ws: Workspace, tmp_path: Path) -> None:
    data, mapping = files(tmp_path)
    ingest_mapped(ws, data, mapping)
    [report] = ws.retry_quarantine()
    assert (report.retried, report.loaded) == (1, 0)
    assert "--mapping" in report.note
