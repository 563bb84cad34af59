"""Marketing connectors (LinkedIn, Meta, GA4, Mailchimp, survey, win/loss, finance, intel):
values checked by hand on the real-format fixtures, the demo company's exports end to end, and
files that must be refused whole.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from demandos import Workspace
from demandos.errors import IntakeError
from demandos.intake.connector import Context
from demandos.intake.ingest import IngestReport, ingest_file
from demandos.intake.normalize import rules_for
from demandos.intake.quarantine import open_rows
from demandos.simulate.company import write_company
from demandos.simulate.engine import simulate
from demandos.simulate.exports import LOG_FILE, write_exports
from demandos.simulate.params import NORTHWIND

FIXTURES = Path(__file__).with_name("fixtures")
SEED = 7


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    write_company(tmp_path / "w", NORTHWIND)
    with Workspace.open(tmp_path / "w") as workspace:
        yield workspace


def rows(ws: Workspace, table: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ws.facts.table(table).to_pyarrow().to_pylist()
    return found


def quarantined(ws: Workspace) -> dict[int, dict[str, Any]]:
    return {r["row_number"]: r for r in open_rows(ws.facts).to_pyarrow().to_pylist()}


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def fixture_lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text(encoding="utf-8-sig").splitlines()


# -- LinkedIn ---------------------------------------------------------------------------------


def test_linkedin_rows_map_to_programs_and_keep_utc_days(ws: Workspace) -> None:
    [report] = ws.ingest([FIXTURES / "linkedin_ads.csv"])
    assert report.rows == 5 and report.quarantined == 0
    spend = {(r["program_id"], r["date"]): r for r in rows(ws, "spend")}
    first = spend[("linkedin_controllers", date(2026, 3, 1))]
    assert (first["amount"], first["impressions"], first["clicks"]) == (265.85, 3164, 17)
    assert first["conversions"] == 5.0  # Leads
    assert (first["channel"], first["platform"], first["currency"]) == (
        "linkedin_ads",
        "linkedin_ads",
        "USD",
    )
    launch = spend[("close_in_3_days_launch", date(2026, 3, 2))]  # "Launch: Close in 3 days"
    assert launch["amount"] == 1347.26
    assert sum(r["amount"] for r in spend.values()) == pytest.approx(3251.97)


def test_two_campaigns_of_one_program_on_one_day_keep_all_their_spend(
    ws: Workspace, tmp_path: Path
) -> None:
    """A program claims one campaign by its name and another by its id: both rows are kept,
    the stored spend equals the file's, and loading the file again changes nothing."""
    header = fixture_lines("linkedin_ads.csv")[:5]
    rows_ = [
        "3/1/2026,3/1/2026,Default Campaign Group,LinkedIn - controllers and finance leaders,"
        "327880295,Sponsored Content,Lead Generation,USD,265.85,3164,17,0.54%,84.02,15.64,5,53.17",
        "3/1/2026,3/1/2026,Default Campaign Group,linkedin_controllers,"
        "327880301,Sponsored Content,Lead Generation,USD,1001.10,9000,60,0.67%,111.23,16.69,7,"
        "143.01",
        "3/1/2026,3/1/2026,Default Campaign Group,Unclaimed test,"
        "327880302,Sponsored Content,Lead Generation,USD,50.00,800,2,0.25%,62.50,25.00,0,",
    ]
    export = write(tmp_path / "two_campaigns.csv", "\n".join(header + rows_) + "\n")
    [report] = ws.ingest([export])
    assert (report.rows, report.quarantined, report.total("inserted")) == (3, 0, 3)
    spend = rows(ws, "spend")
    assert round(sum(r["amount"] for r in spend), 2) == 1316.95  # 265.85 + 1001.10 + 50.00
    program = [r for r in spend if r["program_id"] == "linkedin_controllers"]
    assert sorted(r["campaign"] for r in program) == ["327880295", "327880301"]
    assert sum(r["impressions"] for r in program) == 12164
    [again] = ws.ingest([export])
    assert (again.total("inserted"), again.total("updated"), again.total("unchanged")) == (0, 0, 3)
    assert round(sum(r["amount"] for r in rows(ws, "spend")), 2) == 1316.95


def test_spend_without_a_campaign_column_keeps_one_campaign_per_program(
    ws: Workspace, tmp_path: Path
) -> None:
    """A Google Ads report without Campaign ID names campaigns by name; a canonical spend file
    without ``campaign`` has one campaign per program, as before campaigns were kept."""
    lines = fixture_lines("google_ads.csv")
    [report] = ws.ingest([write(tmp_path / "google.csv", "\n".join(lines) + "\n")])
    assert report.quarantined == 0
    by_program = {r["program_id"]: r["campaign"] for r in rows(ws, "spend")}
    assert all(campaign for campaign in by_program.values())
    canonical = write(
        tmp_path / "spend.csv",
        "date,channel,platform,program_id,amount,currency\n"
        "2026-03-01,events,sponsor,summit_2026,500,USD\n"
        "2026-03-02,events,sponsor,summit_2026,250,USD\n",
    )
    [load] = ws.load([canonical])
    assert (load.inserted, load.quarantined) == (2, 0)
    summit = [r for r in rows(ws, "spend") if r["program_id"] == "summit_2026"]
    assert {r["campaign"] for r in summit} == {"summit_2026"}


def test_linkedin_thousands_separators_and_a_report_without_daily_breakdown(
    ws: Workspace, tmp_path: Path
) -> None:
    lines = fixture_lines("linkedin_ads.csv")
    lines[6] = lines[6].replace("1347.26,20891", '"1,347.26","20,891"')
    lines[7] = lines[7].replace("3/2/2026,3/2/2026", "3/2/2026,3/8/2026")  # a week, not a day
    [report] = ws.ingest([write(tmp_path / "li.csv", "\n".join(lines) + "\n")])
    launch = next(r for r in rows(ws, "spend") if r["program_id"] == "close_in_3_days_launch")
    assert (launch["amount"], launch["impressions"]) == (1347.26, 20891)
    assert report.quarantined_rows == [3]
    assert quarantined(ws)[3]["reason"] == (
        "the row covers 2026-03-02 to 2026-03-08: export the report with the Daily time breakdown"
    )


def test_foreign_spend_is_converted_with_rates_csv_or_quarantined(
    ws: Workspace, tmp_path: Path
) -> None:
    (ws.root / "rates.csv").write_text("month,currency,rate\n2026-03,EUR,1.10\n")
    lines = fixture_lines("linkedin_ads.csv")
    lines[5] = lines[5].replace(",USD,265.85,", ",EUR,265.85,")  # 3/1/2026: a rate exists
    lines[6] = lines[6].replace(",USD,1347.26,", ",GBP,1347.26,")  # no GBP rate
    [report] = ws.ingest([write(tmp_path / "li.csv", "\n".join(lines) + "\n")])
    converted = next(r for r in rows(ws, "spend") if r["date"] == date(2026, 3, 1))
    assert (converted["amount"], converted["currency"]) == (pytest.approx(292.435), "USD")
    assert report.quarantined_rows == [2]
    assert quarantined(ws)[2]["reason"] == (
        "no exchange rate for GBP in 2026-03: add it to rates.csv"
    )


# -- Meta -------------------------------------------------------------------------------------


def test_meta_summary_row_is_not_data_and_spend_adds_up_to_it(ws: Workspace) -> None:
    [report] = ws.ingest([FIXTURES / "meta_ads.csv"])
    assert report.quarantined == 0 and report.tables["spend"].inserted == 5
    spend = rows(ws, "spend")
    assert sum(r["amount"] for r in spend) == pytest.approx(299.39)  # the summary row's total
    assert sum(r["impressions"] for r in spend) == 11028
    assert sum(r["clicks"] for r in spend) == 108  # Link clicks
    by_key = {(r["program_id"], r["date"]): r for r in spend}
    retargeting = by_key[("meta_retargeting", date(2026, 3, 3))]
    assert (retargeting["amount"], retargeting["conversions"]) == (79.38, 3.0)
    assert {r["channel"] for r in spend} == {"meta_ads"}
    assert {r["currency"] for r in spend} == {"USD"}  # from "Amount spent (USD)"
    # a campaign no program claims keeps its name, so its spend is not lost
    assert ("Meta - month-end webinar", date(2026, 3, 2)) in by_key


def test_meta_currency_comes_from_the_header_and_a_retry_finds_a_new_rate(
    ws: Workspace, tmp_path: Path
) -> None:
    (ws.root / "rates.csv").write_text("month,currency,rate\n2026-03,EUR,1.10\n")
    lines = fixture_lines("meta_ads.csv")
    lines[0] = lines[0].replace("(USD)", "(EUR)")
    lines[2] = lines[2].replace("2026-03-01,2026-03-01", "2026-04-01,2026-04-01")  # no rate yet
    [report] = ws.ingest([write(tmp_path / "meta.csv", "\n".join(lines) + "\n", "utf-8-sig")])
    spend = {(r["program_id"], r["date"]): r for r in rows(ws, "spend")}
    march = spend[("meta_retargeting", date(2026, 3, 2))]
    assert (march["amount"], march["currency"]) == (pytest.approx(72.62 * 1.10), "USD")
    assert report.quarantined_rows == [2]
    assert quarantined(ws)[2]["reason"] == (
        "no exchange rate for EUR in 2026-04: add it to rates.csv"
    )
    (ws.root / "rates.csv").write_text("month,currency,rate\n2026-03,EUR,1.10\n2026-04,EUR,1.2\n")
    [retried] = ws.retry_quarantine()
    assert (retried.retried, retried.loaded) == (1, 1)
    april = next(r for r in rows(ws, "spend") if r["date"] == date(2026, 4, 1))
    assert april["amount"] == pytest.approx(67.54 * 1.2)


def test_meta_export_without_an_amount_column_is_refused(ws: Workspace, tmp_path: Path) -> None:
    lines = fixture_lines("meta_ads.csv")
    lines[0] = lines[0].replace("Amount spent (USD)", "Spend")
    with pytest.raises(IntakeError, match=r"lacks column\(s\) Amount spent \(<currency>\)"):
        ws.ingest([write(tmp_path / "meta.csv", "\n".join(lines) + "\n")])


# -- GA4 --------------------------------------------------------------------------------------


def test_ga4_dates_source_medium_and_channels(ws: Workspace) -> None:
    [report] = ws.ingest([FIXTURES / "ga4.csv"])
    assert report.rows == 10 and report.quarantined == 0  # comment lines are not rows
    sessions = {(r["source"], r["medium"], r["campaign"]): r for r in rows(ws, "web_sessions")}
    assert {r["date"] for r in sessions.values()} == {date(2026, 3, 2)}  # from 20260302
    cpc = sessions[("google", "cpc", "google_high_intent")]
    assert (cpc["channel"], cpc["program_id"]) == ("google_ads", "google_high_intent")
    assert (cpc["sessions"], cpc["engaged_sessions"], cpc["new_users"], cpc["key_events"]) == (
        17,
        11,
        7,
        1.0,
    )
    direct = sessions[("(direct)", "(none)", "direct_traffic")]
    assert direct["channel"] == "direct"
    organic = sessions[("bing", "organic", "(organic)")]  # GA4's reserved campaign value
    assert (organic["channel"], organic["program_id"]) == ("organic_search", None)
    assert sum(r["sessions"] for r in sessions.values()) == 819


# -- Mailchimp --------------------------------------------------------------------------------


MAILCHIMP_PM = (
    '"Close Notes (biweekly newsletter)","Evening edition","close_notes subscribers",'
    '"Jun 09, 2018 09:30 pm",'
    "Saturday,100,98,1,1,2,0,0,40,40.82%,76,8,8.16%,10,1,0,0,0,abc123def0,0,0,0"
)


def test_mailchimp_sends_are_newsletter_sends_at_their_local_time(ws: Workspace) -> None:
    ws.ingest([FIXTURES / "mailchimp_campaigns.csv"])
    sends = {r["campaign_id"]: r for r in rows(ws, "email_campaigns")}
    first = sends["3003a69917"]
    assert first["send_time"] == datetime(2025, 5, 1, 6, 0)  # "May 01, 2025 06:00 am"
    assert (first["channel"], first["program_id"]) == ("newsletter", "close_notes")
    assert (first["title"], first["list_name"]) == (
        "Close Notes (biweekly newsletter)",
        "close_notes subscribers",
    )
    assert (first["recipients"], first["delivered"], first["unique_opens"]) == (5994, 5912, 2159)
    assert (first["unique_clicks"], first["unsubscribes"]) == (318, 16)
    assert (first["hard_bounces"], first["soft_bounces"]) == (20, 62)


def test_mailchimp_program_is_the_campaign_title_not_the_audience(ws: Workspace) -> None:
    ws.ingest([FIXTURES / "mailchimp_campaigns.csv"])
    programs = {r["title"]: r["program_id"] for r in rows(ws, "email_campaigns")}
    # the title names the program (channels.yaml's name); the audience says nothing about it
    assert programs == {
        "Close Notes (biweekly newsletter)": "close_notes",
        "Product update: approvals": "Product update: approvals",  # no program claims it
    }


def test_mailchimp_pm_times_and_an_account_in_another_zone(ws: Workspace, tmp_path: Path) -> None:
    header = fixture_lines("mailchimp_campaigns.csv")[0]
    path = write(tmp_path / "mc.csv", f"{header}\n{MAILCHIMP_PM}\n")
    context = Context(timezone="America/New_York", source_timezone="Europe/London")
    ingest_file(ws.facts, path, context=context, rules=rules_for(ws.specs, ws.facts))
    [send] = rows(ws, "email_campaigns")
    assert send["send_time"] == datetime(2018, 6, 9, 16, 30)  # 21:30 in London (BST), in NY


# -- survey and win/loss ----------------------------------------------------------------------


def test_survey_responses_in_utc_become_workspace_times(ws: Workspace) -> None:
    ws.ingest([FIXTURES / "survey_nps.csv"])
    feedback = {r["feedback_id"]: r for r in rows(ws, "feedback")}
    nps = feedback["40000220"]
    assert nps["ts"] == datetime(2026, 10, 17, 4, 40, 38)  # 08:40:38Z is 04:40:38 EDT
    assert (nps["kind"], nps["score"]) == ("nps", 9.0)
    assert nps["tags"] == ["close_faster", "automation"]  # "close_faster, automation"
    csat = feedback["40000195"]
    assert (csat["kind"], csat["score"], csat["tags"]) == ("survey", 2.0, ["audit_ready"])
    assert csat["text"] == "How long does audit preparation take your team?"


def test_survey_response_without_score_or_outside_the_scale_is_refused(
    ws: Workspace, tmp_path: Path
) -> None:
    lines = fixture_lines("survey_nps.csv")
    lines[4] = lines[4].replace(",NPS,9,", ",NPS,,")
    lines[5] = lines[5].replace(",NPS,8,", ",NPS,11,")
    [report] = ws.ingest([write(tmp_path / "nps.csv", "\r\n".join(lines) + "\r\n")])
    reasons = {n: r["reason"] for n, r in quarantined(ws).items()}
    assert reasons == {
        4: "column Score: the response has no score",
        5: "column Score: '11' is not an NPS score (0 to 10)",
    }
    assert report.tables["feedback"].inserted == 5


def test_win_loss_interviews(ws: Workspace) -> None:
    ws.ingest([FIXTURES / "win_loss.csv"])
    feedback = {r["feedback_id"]: r for r in rows(ws, "feedback")}
    first = feedback["WL-0001"]
    assert (first["ts"], first["kind"], first["competitor"]) == (
        datetime(2025, 6, 21),
        "win_loss",
        "BillBox",
    )
    assert (first["score"], first["text"]) == (None, "No decision: the sponsor left.")
    assert feedback["WL-0002"]["tags"] == ["audit_trail", "integration"]
    assert feedback["WL-0002"]["competitor"] is None


# -- competitor signals and finance -----------------------------------------------------------


def test_competitor_signals_without_ids_get_a_stable_one(ws: Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path / "intel.csv",
        "Date,Competitor,Type,Note\n"
        "2025-05-16,Ledgerly,Pricing change,Ledgerly changed its pricing page\n",
    )
    ws.ingest([path])
    [signal] = rows(ws, "competitor_signals")
    expected = hashlib.md5(
        b"2025-05-16 00:00:00|Ledgerly|pricing_change|Ledgerly changed its pricing page"
    ).hexdigest()
    assert (signal["signal_id"], signal["kind"]) == (expected, "pricing_change")
    [again] = ws.ingest([path])
    assert again.total("inserted") == 0 and len(rows(ws, "competitor_signals")) == 1


def test_competitor_signals_keep_the_logs_ids(ws: Workspace) -> None:
    ws.ingest([FIXTURES / "competitor_signals.csv"])
    signals = {r["signal_id"]: r for r in rows(ws, "competitor_signals")}
    first = signals["sig-00001"]
    assert (first["ts"], first["competitor"], first["kind"], first["source"]) == (
        datetime(2025, 5, 16),
        "Ledgerly",
        "campaign",
        "ad_library",
    )


def test_finance_costs_months_categories_and_amounts(ws: Workspace, tmp_path: Path) -> None:
    ws.ingest([FIXTURES / "finance_costs.csv"])
    costs = {(r["month"], r["category"], r["item"]): r["amount"] for r in rows(ws, "costs")}
    people = (date(2025, 5, 1), "people", "Demand team salaries and benefits (6 FTE)")
    assert costs[people] == 78000.0
    assert sum(costs.values()) == pytest.approx(2 * 99050.0)  # two months of the sheet
    path = write(
        tmp_path / "costs.csv",
        'Month,Category,Item,Amount\r\nMay 2025,People,Salaries,"78,000.00"\r\n'
        "2025-06,Travel,Flights,1200.00\r\n",
    )
    [report] = ws.ingest([path])
    assert report.tables["costs"].inserted == 1
    assert quarantined(ws)[2]["reason"] == (
        "column Category: 'Travel' is not one of media, people, tools, agency, other"
    )


# -- the demo company's exports, end to end ---------------------------------------------------

MARKETING = (
    "linkedin/campaign_performance.csv",
    "meta/ads_manager.csv",
    "ga4/traffic_acquisition.csv",
    "mailchimp/campaigns.csv",
    "survey/nps_responses.csv",
    "survey/win_loss.csv",
    "finance/costs.csv",
    "intel/competitor_signals.csv",
)
# The column a reason names for each column the simulation breaks: the file's own column,
# which a person can find in the export (Meta's amount column is read by its currency suffix and
# competitor signals through a step of their own, so those name the canonical column).
NAMED = {
    ("linkedin/campaign_performance.csv", "Start Date (in UTC)"): "column Start Date (in UTC):",
    ("meta/ads_manager.csv", "Amount spent (USD)"): "column amount:",
    ("ga4/traffic_acquisition.csv", "Date"): "column Date:",
    ("mailchimp/campaigns.csv", "Send Date"): "column Send Date:",
    ("survey/nps_responses.csv", "Score"): "column Score:",
    ("survey/win_loss.csv", "Interview Date"): "column Interview Date:",
    ("finance/costs.csv", "Amount"): "column Amount:",
    ("intel/competitor_signals.csv", "Competitor"): "column competitor:",
}


@dataclass
class Demo:
    ws: Workspace
    exports: Path
    reports: dict[str, IngestReport]
    problems: list[dict[str, str]]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("demo") / "w"
    write_company(root, NORTHWIND)
    sim = root / ".demandos" / "simulation"
    simulate(NORTHWIND, "small", SEED, sim, root / "truth")
    with Workspace.open(root) as ws:
        programs = {p.id: p.name for p in ws.specs.channels.programs}
        exports = root / "exports"
        write_exports(sim, exports, programs=programs, currency=NORTHWIND.currency, seed=SEED)
        with (exports / LOG_FILE).open(newline="", encoding="utf-8") as fh:
            problems = [p for p in csv.DictReader(fh) if p["file"] in MARKETING]
        reports = ws.ingest([exports / f for f in MARKETING])
        yield Demo(ws, exports, dict(zip(MARKETING, reports, strict=True)), problems)


def test_demo_files_are_read_by_their_connectors(demo: Demo) -> None:
    assert {f: r.source for f, r in demo.reports.items()} == {
        "linkedin/campaign_performance.csv": "linkedin_ads",
        "meta/ads_manager.csv": "meta_ads",
        "ga4/traffic_acquisition.csv": "ga4",
        "mailchimp/campaigns.csv": "mailchimp_campaigns",
        "survey/nps_responses.csv": "survey_nps",
        "survey/win_loss.csv": "win_loss",
        "finance/costs.csv": "finance_costs",
        "intel/competitor_signals.csv": "competitor_signals",
    }


def test_every_injected_problem_is_caught_and_nothing_else(demo: Demo) -> None:
    kinds = {p["kind"] for p in demo.problems}
    assert kinds == {"blank_required", "bad_date", "currency_format", "duplicate_row"}
    found = {
        (Path(r["file"]).relative_to(demo.exports).as_posix(), r["row_number"]): r
        for r in open_rows(demo.ws.facts).to_pyarrow().to_pylist()
    }
    expected = set()
    for p in demo.problems:
        if p["kind"] == "duplicate_row":
            continue
        key = (p["file"], int(p["row"]))
        expected.add(key)
        assert key in found, p
        assert found[key]["reason"].startswith(NAMED[(p["file"], p["column"])]), found[key]
        assert json.loads(found[key]["raw"])[p["column"]] == p["value"]  # as the file had it
    assert set(found) == expected


def test_duplicated_rows_are_merged(demo: Demo) -> None:
    duplicates = [p for p in demo.problems if p["kind"] == "duplicate_row"]
    assert {p["file"] for p in duplicates} == {"finance/costs.csv", "survey/nps_responses.csv"}
    for p in duplicates:
        report = demo.reports[p["file"]]
        [counts] = report.tables.values()
        # every row read is stored or quarantined, except the copy merged into its original
        assert counts.inserted == counts.read - counts.quarantined - 1
    nps = [r for r in rows(demo.ws, "feedback") if r["kind"] in ("nps", "survey")]
    [dup] = [p for p in duplicates if p["file"] == "survey/nps_responses.csv"]
    assert [r["feedback_id"] for r in nps].count(dup["value"]) == 1


def _cents(text: str) -> int:
    return round(float(text.replace("$", "").replace(",", "")) * 100)


@pytest.mark.parametrize(
    ("platform", "file", "amount_column"),
    [
        ("linkedin_ads", "linkedin/campaign_performance.csv", "Total Spent"),
        ("meta_ads", "meta/ads_manager.csv", "Amount spent (USD)"),
    ],
)
def test_spend_equals_the_simulation_to_the_cent(
    demo: Demo, platform: str, file: str, amount_column: str
) -> None:
    parts = demo.ws.root / ".demandos" / "simulation" / "spend" / "*.parquet"
    [(simulated,)] = duckdb.execute(
        f"SELECT sum(CAST(round(amount * 100) AS BIGINT)) FROM read_parquet('{parts}') "
        f"WHERE platform = '{platform}'"
    ).fetchall()
    stored = sum(
        round(r["amount"] * 100) for r in rows(demo.ws, "spend") if r["platform"] == platform
    )
    refused = [
        _cents(json.loads(r["raw"])[amount_column])
        for r in open_rows(demo.ws.facts).to_pyarrow().to_pylist()
        if r["file"].endswith(file)
    ]
    assert len(refused) == 1
    assert stored == simulated - sum(refused)


def test_web_sessions_equal_the_simulation(demo: Demo) -> None:
    parts = demo.ws.root / ".demandos" / "simulation" / "web_sessions" / "*.parquet"
    [(simulated,)] = duckdb.execute(f"SELECT sum(sessions) FROM read_parquet('{parts}')").fetchall()
    [refused] = [
        int(json.loads(r["raw"])["Sessions"])
        for r in open_rows(demo.ws.facts).to_pyarrow().to_pylist()
        if r["file"].endswith("ga4/traffic_acquisition.csv")
    ]
    assert sum(r["sessions"] for r in rows(demo.ws, "web_sessions")) == simulated - refused


def test_ingesting_the_demo_files_again_changes_nothing(demo: Demo) -> None:
    versions = {t: demo.ws.facts.versions(t).count().execute() for t in ("spend", "quarantine")}
    again = demo.ws.ingest([demo.exports / f for f in MARKETING])
    assert sum(r.total("inserted") + r.total("updated") for r in again) == 0
    assert {t: demo.ws.facts.versions(t).count().execute() for t in versions} == versions


# -- files refused whole ----------------------------------------------------------------------


def _without_total_spent(tmp_path: Path) -> Path:
    lines = [
        ",".join(c for i, c in enumerate(line.split(",")) if i != 8) if n >= 4 else line
        for n, line in enumerate(fixture_lines("linkedin_ads.csv"))
    ]
    return write(tmp_path / "li.csv", "\n".join(lines) + "\n")


def _latin1(tmp_path: Path) -> Path:
    text = (FIXTURES / "linkedin_ads.csv").read_text().replace("Launch:", "Lancement été:")
    return write(tmp_path / "li.csv", text, "latin-1")


@pytest.mark.parametrize(
    ("make", "source", "message"),
    [
        (_without_total_spent, None, r"LinkedIn Campaign Manager export lacks column\(s\) Total"),
        (
            lambda p: write(p / "li.csv", (FIXTURES / "linkedin_ads.csv").read_text()),
            "meta_ads",
            "this is not a Meta Ads Manager meta_ads export",
        ),
        (lambda p: write(p / "empty.csv", ""), "linkedin_ads", "the file is empty"),
        (_latin1, None, "the file is not UTF-8 text"),
    ],
    ids=["missing-column", "wrong-source", "empty", "not-utf8"],
)
def test_malformed_files_fail_whole_and_write_nothing(
    ws: Workspace, tmp_path: Path, make: Any, source: str | None, message: str
) -> None:
    ws.ingest([FIXTURES / "ga4.csv"])  # something already stored, which must stay as it is
    before = {s.table: s.rows for s in ws.summary()}
    loads = len(ws.log.loads())
    path = make(tmp_path)
    with pytest.raises(IntakeError, match=message) as error:
        ws.ingest([path], source=source)
    assert str(path) in str(error.value) and error.value.hint
    assert {s.table: s.rows for s in ws.summary()} == before
    assert len(ws.log.loads()) == loads
