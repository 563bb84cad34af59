"""Each platform's export against its inputs: row counts, totals to the cent, formats, quirks."""

from __future__ import annotations

import csv
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fixtures_exports.read import ExportTable, loose_cents, read_export
from fixtures_exports.sim_parquet import PROGRAMS, write_sim

from demandos.simulate.exports import (
    LOG_FILE,
    finance,
    ga4,
    google_ads,
    hubspot,
    intel,
    linkedin,
    mailchimp,
    meta,
    salesforce,
    survey,
    write_exports,
)
from demandos.simulate.exports.formats import us_datetime

US_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
HUBSPOT_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    sim = write_sim(tmp_path_factory.mktemp("sim"))
    out = tmp_path_factory.mktemp("exports")
    write_exports(sim, out, programs=PROGRAMS, seed=11)
    return sim, out


@pytest.fixture(scope="module")
def injected(run: tuple[Path, Path]) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    with (run[1] / LOG_FILE).open(newline="", encoding="utf-8") as fh:
        for p in csv.DictReader(fh):
            found.setdefault(p["file"], []).append(p)
    return found


def sql(sim: Path, query: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect()
    for folder in sim.iterdir():
        con.execute(
            f"CREATE VIEW {folder.name} AS SELECT * FROM read_parquet('{folder}/*.parquet')"
        )
    return con.sql(query).fetchall()


def without_duplicates(table: ExportTable, problems: list[dict[str, str]]) -> list[list[Any]]:
    dup = {int(p["row"]) for p in problems if p["kind"] == "duplicate_row"}
    return [r for i, r in enumerate(table.rows, start=1) if i not in dup]


def spend_cents(sim: Path, platform: str) -> int:
    got = sql(sim, f"SELECT sum(round(amount * 100)) FROM spend WHERE platform = '{platform}'")
    return int(got[0][0])


def test_google_ads_report_reconciles_to_the_cent(run: tuple[Path, Path]) -> None:
    sim, out = run
    t = read_export(out, google_ads.CAMPAIGN_REPORT)
    assert t.preamble == [["Campaign report"], ["May 1, 2025 - May 5, 2025"]]
    data = [r for r in t.rows if not r[0].startswith("Total:")]
    totals = [r for r in t.rows if r[0].startswith("Total:")]
    assert [r[0] for r in totals] == ["Total: Campaigns", "Total: Account"]
    assert t.rows[-2:] == totals  # totals come last
    cost = t.header.index("Cost")
    expected = spend_cents(sim, "google_ads")
    assert sum(loose_cents(r[cost]) for r in data) == expected
    assert all(loose_cents(r[cost]) == expected for r in totals)
    assert len(data) == sql(sim, "SELECT count(*) FROM spend WHERE platform = 'google_ads'")[0][0]
    assert {r[1] for r in data} == {PROGRAMS["google_high_intent"], PROGRAMS["google_competitor"]}
    # the UI's number formats
    impr, ctr = t.header.index("Impr."), t.header.index("CTR")
    assert any("," in r[impr] for r in data) and all(re.fullmatch(r"[\d,]+", r[impr]) for r in data)
    assert any("," in r[cost] for r in data)
    assert all(re.fullmatch(r"\d+\.\d\d%", r[ctr]) for r in t.rows)
    assert {r[t.header.index("Currency code")] for r in t.rows} == {"USD"}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", r[t.header.index("Day")]) for r in data)


def test_linkedin_report_reconciles_and_writes_us_dates(
    run: tuple[Path, Path], injected: dict[str, list[dict[str, str]]]
) -> None:
    sim, out = run
    t = read_export(out, linkedin.CAMPAIGN_PERFORMANCE)
    assert t.preamble == [
        ["Campaign Performance Report (in UTC)"],
        ["Report Start: 5/1/2025"],
        ["Report End: 5/5/2025"],
        [],
    ]
    assert sum(loose_cents(v) for v in t.column("Total Spent")) == spend_cents(sim, "linkedin_ads")
    bad = {int(p["row"]) for p in injected[linkedin.CAMPAIGN_PERFORMANCE.path]}
    starts = t.column("Start Date (in UTC)")
    assert all(US_DATE.match(v) for i, v in enumerate(starts, start=1) if i not in bad)
    assert all(re.fullmatch(r"\d+\.\d\d", v) for v in t.column("Total Spent"))
    assert all(re.fullmatch(r"\d{9}", v) for v in t.column("Campaign ID"))


def test_meta_export_has_a_summary_row_and_reconciles(run: tuple[Path, Path]) -> None:
    sim, out = run
    raw = (out / "meta/ads_manager.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfReporting starts,Reporting ends,Campaign name,")
    t = read_export(out, meta.ADS_MANAGER.resolved("USD"))
    summary, data = t.dicts()[0], t.dicts()[1:]
    assert summary["Campaign name"] == ""
    assert (summary["Reporting starts"], summary["Reporting ends"]) == ("2025-05-01", "2025-05-05")
    expected = spend_cents(sim, "meta_ads")
    assert loose_cents(str(summary["Amount spent (USD)"])) == expected
    assert sum(loose_cents(str(r["Amount spent (USD)"])) for r in data) == expected
    assert all(r["Reporting starts"] == r["Reporting ends"] for r in data)
    assert {r["Result indicator"] for r in data} == {meta.RESULT_INDICATOR}


def test_ga4_report_has_its_comment_preamble_and_reconciles(run: tuple[Path, Path]) -> None:
    sim, out = run
    t = read_export(out, ga4.TRAFFIC_ACQUISITION)
    assert all(line[0].startswith("#") for line in t.preamble)
    assert t.preamble[1] == ["# Traffic acquisition: Session source / medium"]
    assert t.preamble[-2:] == [["# Start date: 20250501"], ["# End date: 20250505"]]
    assert (
        sum(int(v) for v in t.column("Sessions"))
        == sql(sim, "SELECT sum(sessions) FROM web_sessions")[0][0]
    )
    assert len(t.rows) == sql(sim, "SELECT count(*) FROM web_sessions")[0][0]
    assert {"(direct) / (none)", "google / cpc", "g2 / referral"} <= set(
        t.column("Session source / medium")
    )
    assert {"(direct)", "(organic)", "(referral)", "google_high_intent"} <= set(
        t.column("Session campaign")
    )
    rates = [v for v in t.column("Engagement rate") if v != "0"]
    assert rates and all(re.fullmatch(r"0\.\d+|1", v) for v in rates)


def test_hubspot_contacts_companies_and_deals(
    run: tuple[Path, Path], injected: dict[str, list[dict[str, str]]]
) -> None:
    sim, out = run
    contacts = read_export(out, hubspot.CONTACTS)
    companies = read_export(out, hubspot.COMPANIES)
    deals = read_export(out, hubspot.DEALS)
    # HubSpot's layout: id and name first, properties by label (case-insensitive), associations
    middle = contacts.header[3:-2]
    assert middle == sorted(middle, key=str.casefold)
    assert companies.header[2:] == sorted(companies.header[2:], key=str.casefold)

    people = without_duplicates(contacts, injected.get(hubspot.CONTACTS.path, []))
    assert len(people) == sql(sim, "SELECT count(*) FROM people")[0][0]
    assert len({r[0] for r in people}) == len(people)
    stages = set(contacts.column("Lifecycle Stage"))
    assert stages <= set(hubspot.LIFECYCLE.values()) and "Marketing Qualified Lead" in stages
    assert {"Paid Social", "Organic Search", "Other Campaigns"} <= set(
        contacts.column("Original Source")
    )
    bad = {int(p["row"]) for p in injected[hubspot.CONTACTS.path] if p["kind"] == "bad_date"}
    created = contacts.column("Create Date")
    assert all(HUBSPOT_TIME.match(v) for i, v in enumerate(created, start=1) if i not in bad)

    accounts = without_duplicates(companies, injected.get(hubspot.COMPANIES.path, []))
    assert len(accounts) == sql(sim, "SELECT count(*) FROM accounts")[0][0]
    company_ids = {r[0] for r in accounts}
    linked = {
        v
        for v in contacts.column("Associated Company IDs") + deals.column("Associated Company IDs")
        if v
    }
    assert linked and linked <= company_ids

    assert len(deals.rows) == sql(sim, "SELECT count(*) FROM opportunities")[0][0]
    total = sql(sim, "SELECT sum(round(amount * 100)) FROM opportunities")[0][0]
    assert sum(loose_cents(v) for v in deals.column("Amount") if v) == int(total)
    assert any(v.startswith("$") for v in deals.column("Amount"))


def test_salesforce_history_has_the_report_footer(
    run: tuple[Path, Path], injected: dict[str, list[dict[str, str]]]
) -> None:
    sim, out = run
    t = read_export(out, salesforce.OPPORTUNITY_HISTORY)
    n = sql(sim, "SELECT count(*) FROM opportunity_history")[0][0]
    assert t.footer == [
        [],
        [f"Grand Totals ({n} records)"],
        [],
        ["Confidential Information - Do Not Distribute"],
        ["Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."],
    ]
    raw = (out / salesforce.OPPORTUNITY_HISTORY.path).read_text(encoding="utf-8")
    assert all(line.startswith('"') for line in raw.splitlines() if line)  # every field quoted
    rows = without_duplicates(t, injected[salesforce.OPPORTUNITY_HISTORY.path])
    assert len(rows) == n
    ids = [r[t.header.index("Opportunity ID")] for r in rows]
    assert all(re.fullmatch(r"006[0-9A-Za-z]{15}", i) for i in ids)
    assert len(set(ids)) == sql(sim, "SELECT count(DISTINCT opp_id) FROM opportunity_history")[0][0]
    first_from: dict[str, str] = {}
    for r in rows:
        first_from.setdefault(r[t.header.index("Opportunity ID")], r[t.header.index("From Stage")])
    assert set(first_from.values()) == {""}
    edit = t.column("Edit Date")
    assert all(re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d\d [AP]M", v) for v in edit)


def test_salesforce_campaign_members_hold_every_touch_of_a_known_person(
    run: tuple[Path, Path], injected: dict[str, list[dict[str, str]]]
) -> None:
    sim, out = run
    t = read_export(out, salesforce.CAMPAIGN_MEMBERS)
    known = "SELECT count(*) FROM touchpoints WHERE person_id IN (SELECT person_id FROM people)"
    n = sql(sim, known)[0][0]
    assert t.footer[1] == [f"Grand Totals ({n} records)"]
    assert t.footer[3:] == [
        ["Confidential Information - Do Not Distribute"],
        ["Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."],
    ]
    raw = (out / salesforce.CAMPAIGN_MEMBERS.path).read_text(encoding="utf-8")
    assert all(line.startswith('"') for line in raw.splitlines() if line)  # every field quoted
    problems = injected[salesforce.CAMPAIGN_MEMBERS.path]
    assert {p["kind"] for p in problems} == {"duplicate_row", "blank_required", "bad_date"}
    rows = [dict(zip(t.header, r, strict=True)) for r in without_duplicates(t, problems)]
    assert len(rows) == n
    touches = {
        r[0]: r[1:]
        for r in sql(
            sim,
            "SELECT t.touch_id, t.ts, t.touch_type, t.utm_source, t.utm_medium, p.account_id, "
            "p.email FROM touchpoints t JOIN people p USING (person_id)",
        )
    }
    assert [r["Touch ID"] for r in rows] == sorted(touches)  # one row per touch, by id
    bad = {p["value"] for p in problems if p["kind"] == "bad_date"}
    for r in rows:
        ts, kind, source, medium, account, email = touches[r["Touch ID"]]
        if r["Touch Date"] not in bad:
            assert r["Touch Date"] == us_datetime(ts)
        assert r["Touch Type"] in (kind, "")  # "" where a blank was injected
        assert (r["UTM Source"], r["UTM Medium"], r["Email"]) == (source, medium, email or "")
        contact = account is not None  # a person with an account is a contact, else a lead
        assert r["Member Type"] == ("Contact" if contact else "Lead")
        assert r["Lead/Contact ID"][:3] == ("003" if contact else "00Q")
        assert r["Account ID"][:3] == ("001" if contact else "")
        assert (r["Responded"] == "1") == (r["First Responded Date"] != "")
    assert {r["Member Type"] for r in rows} == {"Contact", "Lead"}
    # a member joins its campaign at its first touch; a campaign has one id and a name
    members: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        members.setdefault((r["Campaign ID"], r["Lead/Contact ID"]), []).append(r["Created Date"])
    assert all(len(set(created)) == 1 for created in members.values())
    campaigns = {(r["Campaign ID"], r["Campaign Name"], r["Campaign Type"]) for r in rows}
    assert len({c[0] for c in campaigns}) == len(campaigns)
    assert all(re.fullmatch(r"701[0-9A-Za-z]{15}", c[0]) for c in campaigns)
    # the fixture's touches have no program: each channel's catch-all campaign holds them
    channels = {c[0] for c in sql(sim, "SELECT DISTINCT channel FROM touchpoints")}
    assert {c[1] for c in campaigns} == {salesforce.unassigned(c) for c in channels}
    assert ("google_ads - unassigned", "Advertisement") in {(c[1], c[2]) for c in campaigns}


def test_salesforce_ids_carry_the_case_safe_suffix() -> None:
    assert salesforce.salesforce_id("006", 1) == "006000000000001AAA"
    assert len(salesforce.salesforce_id("006", 62**5)) == 18
    # the suffix flags upper-case letters, five characters at a time: "A" is 15th → "AAQ"
    assert salesforce.salesforce_id("006", 10) == "00600000000000AAAQ"
    assert salesforce.salesforce_id("006", 36) == "00600000000000aAAA"


def test_mailchimp_quotes_fields_with_spaces_and_reconciles(run: tuple[Path, Path]) -> None:
    sim, out = run
    raw = (out / mailchimp.CAMPAIGNS.path).read_text(encoding="utf-8").splitlines()
    assert raw[0].startswith('Title,Subject,List,"Send Date","Send Weekday","Total Recipients"')
    assert ',Unsubscribes,"Abuse Complaints",' in raw[0]
    t = read_export(out, mailchimp.CAMPAIGNS)
    assert len(t.rows) == sql(sim, "SELECT count(*) FROM email_campaigns")[0][0]
    delivered = sum(int(v) for v in t.column("Successful Deliveries"))
    assert delivered == sql(sim, "SELECT sum(delivered) FROM email_campaigns")[0][0]
    assert all(re.fullmatch(r"\d+\.\d\d%", v) for v in t.column("Open Rate"))
    dates = [v for v in t.column("Send Date") if v]
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d\d, \d{4} \d\d:\d\d [ap]m", v) for v in dates)
    assert "May 02, 2025 09:30 pm" in dates


def test_survey_and_win_loss_come_from_feedback(
    run: tuple[Path, Path], injected: dict[str, list[dict[str, str]]]
) -> None:
    sim, out = run
    nps = read_export(out, survey.NPS)
    responses = without_duplicates(nps, injected[survey.NPS.path])
    kinds = Counter(r[nps.header.index("Survey Type")] for r in responses)
    expected = dict(sql(sim, "SELECT kind, count(*) FROM feedback GROUP BY kind"))
    assert kinds == {"NPS": expected["nps"], "CSAT": expected["survey"]}
    assert 'Loved the "close" view, really' in nps.column("Comment")
    wl = read_export(out, survey.WIN_LOSS)
    assert len(wl.rows) == expected["win_loss"]
    assert set(wl.column("Competitor")) == {"Ledgerly"}


def test_finance_costs_reconcile_after_undoing_the_injected_problems(
    run: tuple[Path, Path], injected: dict[str, list[dict[str, str]]]
) -> None:
    sim, out = run
    t = read_export(out, finance.COSTS)
    rows = without_duplicates(t, injected[finance.COSTS.path])
    total = sql(sim, "SELECT sum(round(amount * 100)) FROM costs")[0][0]
    assert sum(loose_cents(r[3]) for r in rows) == int(total)
    assert {r[1] for r in rows} == {"People", "Tools", "Agency"}
    assert all(re.fullmatch(r"\d{4}-\d\d", r[0]) for r in rows)
    assert (out / finance.COSTS.path).read_bytes().count(b"\r\n") == len(t.rows) + 1


def test_competitor_signals_log(run: tuple[Path, Path]) -> None:
    sim, out = run
    t = read_export(out, intel.SIGNALS)
    assert len(t.rows) == sql(sim, "SELECT count(*) FROM competitor_signals")[0][0]
    assert Decimal(len([v for v in t.column("Competitor") if v])) == len(t.rows) - 1
