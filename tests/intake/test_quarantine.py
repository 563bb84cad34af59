"""Quarantine round trip: bad rows kept with reasons, listed, shown, and retried after a fix."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from demandos import Workspace
from demandos.cli.main import app
from demandos.intake.quarantine import open_rows, show, summary
from demandos.simulate.company import write_company
from demandos.simulate.params import NORTHWIND

# A Google Ads export with a foreign currency, a symbol, a bad date and a cut row.
BAD_EXPORT = Path(__file__).with_name("fixtures") / "bad_google_ads.csv"


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    write_company(tmp_path / "w", NORTHWIND)
    with Workspace.open(tmp_path / "w") as workspace:
        yield workspace


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "google_ads_report.csv"
    path.write_bytes(BAD_EXPORT.read_bytes())
    return path


def test_bad_rows_are_kept_with_reasons_and_counted_once(ws: Workspace, export: Path) -> None:
    [report] = ws.ingest([export])
    assert (report.rows, report.total("inserted"), report.quarantined) == (4, 1, 4)
    reasons = {r["row_number"]: r["reason"] for r in open_rows(ws.facts).to_pyarrow().to_pylist()}
    assert reasons[2] == "no exchange rate for EUR in 2026-11: add it to rates.csv"
    assert reasons[3].startswith("column Cost: '$40.00' is not a number")  # the file's column
    assert reasons[4].startswith("column Day: '2026-11-31' is not a date")
    assert reasons[5] == "the row has 2 cells, the header has 13"
    groups = summary(ws.facts)
    assert sum(g.rows for g in groups) == 4
    assert show(ws.facts, export.name, 3)["raw"]["Cost"] == "$40.00"


def test_reingesting_the_same_file_changes_nothing(ws: Workspace, export: Path) -> None:
    ws.ingest([export])
    versions = ws.facts.versions("quarantine").count().execute()
    [again] = ws.ingest([export])
    assert again.total("inserted") == again.total("updated") == 0
    assert ws.facts.versions("quarantine").count().execute() == versions


def test_retry_after_adding_the_missing_rate_loads_the_row(ws: Workspace, export: Path) -> None:
    ws.ingest([export])
    [before] = ws.retry_quarantine()
    assert (before.retried, before.loaded) == (4, 0)
    (ws.root / "rates.csv").write_text("month,currency,rate\n2026-11,EUR,1.10\n")
    [after] = ws.retry_quarantine()
    assert (after.retried, after.loaded, after.still_quarantined) == (4, 1, 3)
    spend = ws.facts.table("spend").to_pyarrow().to_pylist()
    converted = [r for r in spend if r["program_id"] == "google_competitor"]
    assert [(r["amount"], r["currency"]) for r in converted] == [(pytest.approx(55.0), "USD")]
    assert {r["row_number"] for r in open_rows(ws.facts).to_pyarrow().to_pylist()} == {3, 4, 5}


def test_cli_lists_shows_and_retries(ws: Workspace, export: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(export), "-w", str(ws.root)]).exit_code == 0
    listed = runner.invoke(app, ["quarantine", "list", "-w", str(ws.root)])
    assert listed.exit_code == 0 and "add it to rates.csv" in listed.output
    shown = runner.invoke(app, ["quarantine", "show", export.name, "3", "-w", str(ws.root)])
    assert shown.exit_code == 0 and "$40.00" in shown.output
    missing = runner.invoke(app, ["quarantine", "show", export.name, "99", "-w", str(ws.root)])
    assert missing.exit_code != 0
    retried = runner.invoke(app, ["quarantine", "retry", "-w", str(ws.root)])
    assert retried.exit_code == 0 and "still quarantined" in retried.output


def test_a_known_program_without_utm_takes_its_channel(ws: Workspace, tmp_path: Path) -> None:
    import pyarrow as pa

    from demandos.intake.normalize import normalize, rules_for

    batch = pa.table(
        {
            "channel": pa.array([None, None], pa.string()),
            "program_id": pa.array([None, None], pa.string()),
            "utm_source": ["", "google"],
            "utm_medium": ["", "cpc"],
            "utm_campaign": ["Month-end masterclass webinars", "Google - competitor terms"],
        }
    )
    out = normalize("touchpoints", batch, rules_for(ws.specs, ws.facts)).to_pylist()
    assert [(r["channel"], r["program_id"]) for r in out] == [
        ("webinars", "month_end_webinars"),
        ("google_ads", "google_competitor"),
    ]


def test_a_flagged_row_without_a_rate_keeps_both_reasons(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "linkedin.csv"
    path.write_text(
        "Start Date (in UTC),End Date (in UTC),Campaign Group Name,Campaign Name,Currency,"
        "Total Spent,Impressions,Clicks,Leads\n"
        "11/1/2026,11/3/2026,G,LinkedIn - controllers and finance leaders,EUR,50.00,100,2,0\n"
        "11/2/2026,11/2/2026,G,LinkedIn - controllers and finance leaders,USD,20.00,100,2,0\n"
    )
    [report] = ws.ingest([path])
    assert (report.total("inserted"), report.quarantined_rows) == (1, [1])
    [row] = open_rows(ws.facts).to_pyarrow().to_pylist()
    assert row["reason"].split("; ") == [
        "the row covers 2026-11-01 to 2026-11-03: export the report with the Daily time breakdown",
        "no exchange rate for EUR in 2026-11: add it to rates.csv",
    ]
    assert show(ws.facts, path.name, 1)["raw"]["Start Date (in UTC)"] == "11/1/2026"
