"""The CRM connectors: HubSpot companies, contacts and deals; Salesforce opportunity history and
campaign members. Values checked by hand on the real-format fixtures, then end to end on the demo
company's own exports against the simulation that wrote them."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from openpyxl import load_workbook

from demandos import Workspace
from demandos.errors import IntakeError
from demandos.intake.connector import Context
from demandos.intake.ingest import IngestReport, ingest_file
from demandos.intake.normalize import rules_for
from demandos.intake.quarantine import open_rows
from demandos.simulate.company import write_company
from demandos.simulate.engine import simulate
from demandos.simulate.exports import LOG_FILE, write_exports
from demandos.simulate.exports.hubspot import (
    original_source,
)
from demandos.simulate.exports.salesforce import salesforce_id
from demandos.simulate.params import NORTHWIND, SizeParams
from demandos.spec import load_specs_or_raise

FIXTURES = Path(__file__).with_name("fixtures")
COMPANIES = FIXTURES / "hubspot_companies.csv"
CONTACTS = FIXTURES / "hubspot_contacts.csv"
CONTACTS_XLSX = FIXTURES / "hubspot_contacts.xlsx"
DEALS = FIXTURES / "hubspot_deals.csv"
HISTORY = FIXTURES / "salesforce_opportunity_history.csv"
MEMBERS = FIXTURES / "salesforce_campaign_members.csv"
# the same records from a portal connected to Salesforce: the synced Salesforce ids added
SYNCED = {
    name: FIXTURES / f"hubspot_{name}_synced.csv" for name in ("companies", "contacts", "deals")
}


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    write_company(tmp_path / "w", NORTHWIND)  # timezone America/New_York, channels.yaml's rules
    with Workspace.open(tmp_path / "w") as workspace:
        yield workspace


def stored(ws: Workspace, table: str, key: str) -> dict[Any, dict[str, Any]]:
    return {r[key]: r for r in ws.facts.table(table).to_pyarrow().to_pylist()}


def one(ws: Workspace, path: Path, **kwargs: Any) -> IngestReport:
    [report] = ws.ingest([path], **kwargs)
    return report


# --- HubSpot companies ------------------------------------------------------------------------


def test_companies_keep_the_crm_labels_and_a_bare_domain(ws: Workspace) -> None:
    report = one(ws, COMPANIES)
    assert (report.tables["accounts"].read, report.tables["accounts"].inserted) == (6, 5)
    accounts = stored(ws, "accounts", "account_id")
    assert set(accounts) == {f"400000000{i}" for i in range(1, 6)}  # the duplicate merged
    beacon = accounts["4000000001"]
    assert (beacon["name"], beacon["domain"], beacon["industry"]) == (
        "Beacon Textiles Co",
        "beacontextilesco.example",
        "Fintech",
    )
    assert (beacon["employees"], beacon["annual_revenue"], beacon["country"]) == (
        71,
        9244000.0,
        "GB",
    )
    assert beacon["created_at"] == datetime(
        2025, 2, 23, 21, 29
    )  # the portal's zone is the workspace's
    # typed into the property as a URL: kept as the host people's emails use
    assert accounts["4000000004"]["domain"] == "maplecomponents.example"
    harbor = accounts["4000000005"]
    assert harbor["name"] == "Harbor Freight Partners, LLC"
    assert (harbor["annual_revenue"], harbor["employees"]) == (None, None)
    assert harbor["industry"] == "Professional Services"


# --- HubSpot contacts -------------------------------------------------------------------------


def test_contacts_find_their_account_by_company_id_colleague_or_email_domain(
    ws: Workspace,
) -> None:
    first = one(ws, CONTACTS)  # before the companies: only ids and colleagues resolve
    assert first.quarantined == 0
    assert stored(ws, "people", "person_id")["1002"]["account_id"] is None
    one(ws, COMPANIES)
    again = one(ws, CONTACTS)
    assert (again.tables["people"].updated, again.tables["people"].unchanged) == (1, 7)
    account = {k: r["account_id"] for k, r in stored(ws, "people", "person_id").items()}
    assert account == {
        "1001": "4000000001",  # Associated Company IDs
        "1002": "4000000002",  # no company id: the stored account with the email's domain
        "1003": "4000000003",  # no company id: the one company its colleague is associated with
        "1004": "4000000003",
        "1005": None,  # a gmail.com colleague says nothing about one's company
        "1006": "4000000004",
        "1007": "4000000005",  # the first (primary) of two associated companies
        "1008": None,  # nobody knows beaconnetworkscorp.example
    }


def test_a_domain_whose_contacts_name_two_companies_says_nothing(
    ws: Workspace, tmp_path: Path
) -> None:
    lines = CONTACTS.read_text(encoding="utf-8").splitlines()
    other = lines[4].replace("1004,Keiko", "1009,Ana").replace("keiko.", "ana.")
    path = tmp_path / "contacts.csv"
    path.write_text("\n".join([*lines, other.replace(",4000000003", ",4000000001")]) + "\n")
    one(ws, path)
    account = {k: r["account_id"] for k, r in stored(ws, "people", "person_id").items()}
    assert (account["1004"], account["1009"]) == ("4000000003", "4000000001")
    assert account["1003"] is None  # its colleagues are with two companies: neither is its own


def test_contacts_with_unreadable_dates_are_refused_quoting_the_value(
    ws: Workspace, tmp_path: Path
) -> None:
    lines = CONTACTS.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",2025-05-01 06:30,julia", ",2025-02-30 06:30,julia")
    lines[2] = lines[2].replace("2025-05-08 16:43", "8 May 2025")
    lines[3] = lines[3].replace(",2025-05-01 07:58,amelia", ",,amelia")
    lines[4] = lines[4].replace(",2025-05-01 08:02,keiko", ",2025-05-01T08:02,keiko")
    path = tmp_path / "contacts.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = one(ws, path)
    assert (report.quarantined, report.tables["people"].inserted) == (4, 4)
    rows = {r["row_number"]: r for r in open_rows(ws.facts).to_pyarrow().to_pylist()}
    want = "is not a date (HubSpot writes YYYY-MM-DD HH:MM)"
    assert rows[1]["reason"] == (
        f"column Create Date: '2025-02-30 06:30' {want}; "
        "column Create Date: '2025-02-30 06:30' is not a date and time (want YYYY-MM-DD HH:MM:SS)"
    )
    assert (
        rows[2]["reason"] == f"column Became a Marketing Qualified Lead Date: '8 May 2025' {want}"
    )
    assert rows[3]["reason"] == "column Create Date: a value is required"
    assert rows[4]["reason"] == f"column Create Date: '2025-05-01T08:02' {want}"
    assert json.loads(rows[1]["raw"])["Create Date"] == "2025-02-30 06:30"


def test_contacts_map_lifecycle_dates_title_and_original_source(ws: Workspace) -> None:
    one(ws, CONTACTS)
    people = stored(ws, "people", "person_id")
    amelia = people["1003"]
    assert amelia["email"] == "amelia.okafor@atlasstudioscorp.example"
    assert amelia["title"] == "Head of Accounting"
    assert (amelia["created_at"], amelia["lead_at"]) == (datetime(2025, 5, 1, 7, 58),) * 2
    assert amelia["mql_at"] == datetime(2025, 5, 6, 21, 45)
    assert amelia["sql_at"] == datetime(2025, 5, 20, 10, 0)
    assert amelia["lead_source"] == "Organic Search / google"  # with its first drill-down
    assert people["1007"]["email"] == "marco.foster@harborfreight.example"  # matched lower-case
    victor = people["1008"]
    assert (victor["lead_at"], victor["mql_at"], victor["title"]) == (None, None, None)
    assert victor["lead_source"] == "Email Marketing / Newsletter"
    # no touchpoint is made from the original source: touches come from the CRM's members
    assert ws.facts.table("touchpoints").count().execute() == 0


def test_the_xlsx_export_reads_the_same_as_the_csv(ws: Workspace) -> None:
    one(ws, CONTACTS)
    before = stored(ws, "people", "person_id")
    report = one(ws, CONTACTS_XLSX)  # typed cells: integer ids, date-time cells
    assert report.source == "hubspot_contacts"
    people = report.tables["people"]
    assert (people.read, people.unchanged, people.inserted, people.updated) == (4, 4, 0, 0)
    assert stored(ws, "people", "person_id") == before


def test_hubspot_times_move_from_the_portal_zone_to_the_workspace_zone(ws: Workspace) -> None:
    context = Context(timezone="America/New_York", source_timezone="UTC")
    rules = rules_for(ws.specs, ws.facts)
    for path in (CONTACTS, DEALS):
        ingest_file(ws.facts, path, context=context, rules=rules)
    people = stored(ws, "people", "person_id")
    assert people["1001"]["created_at"] == datetime(2025, 5, 1, 2, 30)  # EDT: UTC-4
    assert people["1007"]["created_at"] == datetime(2026, 1, 20, 9, 46)  # EST: UTC-5
    assert people["1007"]["mql_at"] == datetime(2026, 2, 2, 6, 15)
    deal = stored(ws, "opportunities", "opp_id")["8000000001"]
    assert deal["created_at"] == datetime(2025, 5, 26, 12, 24)
    assert deal["close_date"] == date(2025, 8, 6)  # a calendar day: not moved to the 5th


# --- HubSpot deals ----------------------------------------------------------------------------


def test_deal_stage_says_closed_and_won(ws: Workspace) -> None:
    one(ws, DEALS)
    deals = stored(ws, "opportunities", "opp_id")
    flags = {k: (r["stage"], r["is_closed"], r["is_won"]) for k, r in deals.items()}
    assert flags == {
        "8000000001": ("Closed Lost", True, False),
        "8000000002": ("Closed Won", True, True),
        "8000000003": ("Discovery", False, False),
        "8000000004": ("closedwon", True, True),  # HubSpot's internal stage value
        "8000000005": ("Contract sent", False, False),
        "8000000006": ("Closed lost", True, False),
        "8000000007": ("Appointment scheduled", False, False),
    }
    amounts = {k: r["amount"] for k, r in deals.items()}
    assert amounts["8000000001"] == 34900.0 and amounts["8000000003"] == 18250.5
    assert amounts["8000000005"] is None
    first = deals["8000000001"]
    assert first["account_id"] == "4000000001"
    assert first["created_at"] == datetime(2025, 5, 26, 16, 24)
    assert first["close_date"] == date(2025, 8, 6)
    assert deals["8000000006"]["account_id"] is None
    assert deals["8000000007"]["account_id"] == "4000000004"  # the first of two companies
    assert {r["source"] for r in deals.values()} == {None}  # the default export has no source


def test_deal_problems_are_refused_naming_the_column(ws: Workspace, tmp_path: Path) -> None:
    text = DEALS.read_text(encoding="utf-8").splitlines()
    text[1] = text[1].replace(",34900,", ',"$34,900.00",')
    text[2] = text[2].replace("2025-10-06 00:00", "2025-02-30 00:00")
    text[3] = text[3].replace("2026-12-09 00:00", "")
    bad = tmp_path / "deals.csv"
    bad.write_text("\n".join(text) + "\n", encoding="utf-8")
    report = one(ws, bad)
    assert report.tables["opportunities"].inserted == 4
    reasons = {r["row_number"]: r["reason"] for r in open_rows(ws.facts).to_pyarrow().to_pylist()}
    assert reasons[1] == (
        "column Amount: '$34,900.00' is not a number (no currency symbols or thousands separators)"
    )
    assert reasons[2] == (
        "column Close Date: '2025-02-30 00:00' is not a date (HubSpot writes YYYY-MM-DD HH:MM)"
    )
    assert reasons[3].startswith("column Close Date: a value is required")


# --- Salesforce opportunity history -----------------------------------------------------------


def test_history_reads_us_times_flags_and_leaves_the_footer_out(ws: Workspace) -> None:
    report = one(ws, HISTORY)
    assert (report.rows, report.footers, report.quarantined) == (7, 3, 0)
    history = {
        (r["opp_id"], r["changed_at"]): r
        for r in ws.facts.table("opportunity_history").to_pyarrow().to_pylist()
    }
    won = history[("006000000000002AAA", datetime(2025, 10, 6, 0, 1))]  # 12:01 AM
    assert (won["stage"], won["amount"], won["is_closed"], won["is_won"]) == (
        "Closed Won",
        20200.0,
        True,
        True,
    )
    evaluation = history[("006000000000002AAA", datetime(2025, 6, 26, 22, 46))]  # 10:46 PM
    assert (evaluation["stage"], evaluation["is_closed"], evaluation["is_won"]) == (
        "Evaluation",
        False,
        False,
    )
    assert history[("00600000000000AAAQ", datetime(2026, 10, 30, 0, 44))]["amount"] == 18250.5


def test_opportunities_report_reads_ids_times_and_checkboxes(ws: Workspace, tmp_path: Path) -> None:
    report = one(ws, FIXTURES / "salesforce_opportunities.csv")
    assert (report.rows, report.footers, report.quarantined) == (3, 3, 0)
    deals = {r["opp_id"]: r for r in ws.facts.table("opportunities").to_pyarrow().to_pylist()}
    won = deals["0065e00000XyZaBAAV"]
    assert (won["account_id"], won["amount"], won["stage"], won["source"]) == (
        "0015e00000AbCdEAAV",
        42000.0,
        "Closed Won",
        "Webinar",
    )
    assert (won["is_closed"], won["is_won"], won["close_date"]) == (True, True, date(2026, 2, 27))
    assert won["created_at"] == datetime(2026, 1, 5, 9, 14)  # the user's zone is the workspace's
    lost = deals["0065e00000XyZaDAAV"]
    assert (lost["is_closed"], lost["is_won"], lost["source"]) == (True, False, None)
    assert deals["0065e00000XyZaCAAV"]["amount"] == 18250.5
    # a bad close date is refused with the report's own column name and format
    lines = (FIXTURES / "salesforce_opportunities.csv").read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "opps.csv"
    bad.write_text("\n".join([lines[0], lines[1].replace('"2/27/2026"', '"27.02.2026"')]) + "\n")
    broken = one(ws, bad)
    assert broken.quarantined == 1
    [reason] = broken.reasons
    assert reason == "column Close Date: not a date (Salesforce writes M/D/YYYY)"


def test_history_without_checkboxes_says_closed_only_for_the_closed_stages(
    ws: Workspace, tmp_path: Path
) -> None:
    rows = list(csv.reader(HISTORY.read_text(encoding="utf-8").splitlines()))
    body = [r[:10] for r in rows[:7] if r]  # header and six changes, without Closed and Won
    path = tmp_path / "history.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL).writerows(body)
    one(ws, path, source="salesforce_opportunity_history")
    got = {
        r["stage"]: (r["is_closed"], r["is_won"])
        for r in ws.facts.table("opportunity_history").to_pyarrow().to_pylist()
    }
    assert got["Closed Won"] == (True, True) and got["Closed Lost"] == (True, False)
    assert got["Discovery"] == (None, None)  # unsaid: the store takes it from the opportunity


def test_salesforce_times_move_from_the_user_zone(ws: Workspace) -> None:
    context = Context(timezone="America/New_York", source_timezone="Europe/Berlin")
    ingest_file(ws.facts, HISTORY, context=context, rules=rules_for(ws.specs, ws.facts))
    changed = {
        r["changed_at"] for r in ws.facts.table("opportunity_history").to_pyarrow().to_pylist()
    }
    assert datetime(2025, 5, 26, 10, 24) in changed  # 4:24 PM CEST = 10:24 AM EDT


# --- Salesforce campaign members --------------------------------------------------------------


def test_campaign_members_become_touches_with_channel_and_program(ws: Workspace) -> None:
    report = one(ws, MEMBERS)
    assert (report.rows, report.footers, report.quarantined) == (8, 3, 0)
    touches = stored(ws, "touchpoints", "touch_id")
    mapped = {k: (r["channel"], r["program_id"], r["touch_type"]) for k, r in touches.items()}
    assert mapped == {
        "t-000000002": ("organic_search", "seo_content_hub", "page_view"),  # google / organic
        "t-000000388": ("organic_search", "seo_content_hub", "content_download"),
        "t-000000003": ("linkedin_ads", "linkedin_controllers", "ad_click"),
        "t-000000197": ("webinars", "month_end_webinars", "webinar_attend"),  # medium webinar
        "t-000000137": ("partners", "accounting_partners", "partner_referral"),  # accounting_*
        # no UTM campaign: the program by the campaign's name
        "t-000000015": ("newsletter", "close_notes", "email_click"),
        "t-000000008": ("outbound_sdr", "sdr_outbound", "sdr_call"),
        # a campaign no program claims keeps its name
        "t-000000412": ("google_ads", "Brand - Northwind", "ad_click"),
    }
    quinn = touches["t-000000388"]
    assert quinn["ts"] == datetime(2025, 5, 5, 14, 10)  # the touch's own time, not the member's
    assert (quinn["person_id"], quinn["account_id"]) == ("003000000000019AAA", "0010000000000BhAAI")
    assert quinn["asset_id"] == "as-0001"
    lead = touches["t-000000197"]
    assert (lead["person_id"], lead["account_id"]) == ("00Q00000000000DAAQ", None)
    assert lead["ts"] == datetime(2025, 5, 1, 13, 21)


def test_a_standard_campaign_members_report_falls_back_to_the_member(
    ws: Workspace, tmp_path: Path
) -> None:
    rows = list(csv.DictReader(MEMBERS.read_text(encoding="utf-8").splitlines()))[:3]
    keep = ("Campaign Name", "Campaign ID", "Member Type", "Lead/Contact ID", "Member Status",
            "Created Date", "First Responded Date", "UTM Source", "UTM Medium")  # fmt: skip
    path = tmp_path / "members.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.DictWriter(fh, keep, quoting=csv.QUOTE_ALL, extrasaction="ignore")
        out.writeheader()
        out.writerows(rows)
        fh.write('\n"Grand Totals (3 records)"\n')
    report = one(ws, path)
    assert report.source == "salesforce_campaign_members"
    touches = stored(ws, "touchpoints", "touch_id")
    # one touch per membership: Quinn's two touches of the content hub are one member
    assert report.tables["touchpoints"].inserted == 2
    quinn = touches["70100000000000DAAQ/003000000000019AAA"]
    assert quinn["ts"] == datetime(2025, 5, 1, 0, 43)  # the member's Created Date
    assert (quinn["touch_type"], quinn["channel"], quinn["program_id"]) == (
        "responded",
        "organic_search",
        "seo_content_hub",  # the program channels.yaml names like the campaign
    )


# --- HubSpot synced with Salesforce: one id space -----------------------------------------------


def test_synced_records_take_their_salesforce_ids(ws: Workspace) -> None:
    for name in ("companies", "contacts", "deals"):
        report = one(ws, SYNCED[name])
        assert report.source == f"hubspot_{name}" and report.quarantined == 0
    accounts = stored(ws, "accounts", "account_id")
    assert set(accounts) == {salesforce_id("001", n) for n in range(1, 6)}  # duplicate merged
    assert accounts["001000000000001AAA"]["name"] == "Beacon Textiles Co"
    people = {k: r["account_id"] for k, r in stored(ws, "people", "person_id").items()}
    assert people == {
        "003000000000001AAA": "001000000000001AAA",
        "003000000000002AAA": "001000000000002AAA",  # Salesforce knows the account HubSpot lacks
        "1003": "001000000000003AAA",  # not synced: its record id; its colleague's account
        "003000000000004AAA": "001000000000003AAA",
        salesforce_id("00Q", 5): None,  # a lead: no account
        "003000000000006AAA": "001000000000004AAA",
        "003000000000007AAA": "001000000000005AAA",  # a converted lead: the contact id wins
        salesforce_id("00Q", 8): None,
    }
    deals = {k: r["account_id"] for k, r in stored(ws, "opportunities", "opp_id").items()}
    assert deals == {
        "006000000000001AAA": "001000000000001AAA",
        "006000000000002AAA": "001000000000002AAA",
        "00600000000000AAAQ": "001000000000003AAA",
        "006000000000004AAA": "001000000000004AAA",
        "006000000000005AAA": "001000000000005AAA",
        "8000000006": None,  # a HubSpot-only deal keeps its record id
        "006000000000007AAA": "001000000000004AAA",  # the opportunity's account
    }


def test_salesforce_history_joins_synced_deals(ws: Workspace) -> None:
    one(ws, SYNCED["deals"])
    one(ws, HISTORY)
    deals = set(stored(ws, "opportunities", "opp_id"))
    history = {r["opp_id"] for r in ws.facts.table("opportunity_history").to_pyarrow().to_pylist()}
    assert history and history <= deals
    as_of = ws.facts.opportunities_as_of(date(2025, 7, 1)).to_pyarrow().to_pylist()
    stages = {r["opp_id"]: r["stage"] for r in as_of}
    assert stages["006000000000002AAA"] == "Evaluation"  # moved there on 6/26, won in October
    assert stages["006000000000001AAA"] == "Discovery"


def test_unsynced_files_keep_hubspot_ids_beside_synced_ones(ws: Workspace) -> None:
    one(ws, COMPANIES)  # without the Salesforce columns: record ids, as before
    assert set(stored(ws, "accounts", "account_id")) == {f"400000000{i}" for i in range(1, 6)}


# --- files that cannot be read ----------------------------------------------------------------


def test_a_contacts_file_without_a_required_column_is_refused_whole(
    ws: Workspace, tmp_path: Path
) -> None:
    rows = list(csv.reader(CONTACTS.read_text(encoding="utf-8").splitlines()))
    drop = rows[0].index("Create Date")
    path = tmp_path / "contacts.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([r[:drop] + r[drop + 1 :] for r in rows])
    with pytest.raises(IntakeError) as err:
        ws.ingest([path])
    message = str(err.value)
    assert str(path) in message and "hubspot_contacts" in message
    assert "lacks column(s) Create Date" in message  # what was expected
    assert "found Record ID, First Name, Last Name" in message  # and what was found
    assert err.value.hint and "HubSpot" in err.value.hint
    assert all(s.rows == 0 for s in ws.summary())


def test_the_wrong_source_is_refused_clearly(ws: Workspace) -> None:
    for path in (CONTACTS, CONTACTS_XLSX):
        with pytest.raises(IntakeError) as err:
            ws.ingest([path], source="hubspot_deals")
        message = str(err.value)
        assert "not a HubSpot hubspot_deals export" in message
        assert "Record ID, Deal Name, Deal Stage" in message  # expected
        assert "found Record ID, First Name, Last Name" in message
        assert str(path) in message
    assert all(s.rows == 0 for s in ws.summary())


# --- end to end: the demo company's CRM exports -----------------------------------------------

SIZE = SizeParams(accounts=300, people_per_account=6.0, leads_per_day=5.0, chunk_rows=4_000)
SEED = 11
# export file → (connector, canonical table, the column(s) that key a row); "A|B": A, else B.
# HubSpot records are keyed by the Salesforce ids the integration synced onto them.
CONTACT_KEY = "Salesforce Contact ID|Salesforce Lead ID"
FILES = {
    "hubspot/companies.csv": ("hubspot_companies", "accounts", ("Salesforce Account ID",)),
    "hubspot/contacts.csv": ("hubspot_contacts", "people", (CONTACT_KEY,)),
    "hubspot/deals.csv": ("hubspot_deals", "opportunities", ("Salesforce Opportunity ID",)),
    "salesforce/opportunity_history.csv": (
        "salesforce_opportunity_history",
        "opportunity_history",
        ("Opportunity ID", "Edit Date"),
    ),
    "salesforce/campaign_members.csv": (
        "salesforce_campaign_members",
        "touchpoints",
        ("Touch ID",),
    ),
}
CANONICAL = {"Touch Type": "touch_type", "Amount": "amount"}  # as the common check names them


@dataclass
class Demo:
    root: Path
    sim: Path
    exports: Path
    reports: dict[str, IngestReport]
    problems: list[dict[str, str]]  # every injected problem

    def problems_in(self, *files: str) -> list[dict[str, str]]:
        return [p for p in self.problems if p["file"] in (files or FILES)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    root = tmp_path_factory.mktemp("crm") / "northwind"
    write_company(root, NORTHWIND)
    sim = root / ".demandos" / "simulation"
    simulate(NORTHWIND, SIZE, SEED, sim, root / "truth")
    programs = {p.id: p.name for p in load_specs_or_raise(root).channels.programs}
    exports = root / "exports"
    write_exports(sim, exports, programs=programs, currency=NORTHWIND.currency, seed=SEED)
    reports = {}
    with Workspace.open(root) as ws:
        for name in FILES:  # companies before contacts and deals
            reports[name] = one(ws, exports / name)
    with (exports / LOG_FILE).open(newline="", encoding="utf-8") as fh:
        problems = list(csv.DictReader(fh))
    return Demo(root, sim, exports, reports, problems)


def quarantined(ws: Workspace, exports: Path) -> dict[tuple[str, int], dict[str, Any]]:
    return {
        (Path(r["file"]).relative_to(exports).as_posix(), r["row_number"]): r
        for r in open_rows(ws.facts).to_pyarrow().to_pylist()
    }


def export_rows(path: Path) -> list[dict[str, str]]:
    """The data rows of an export, footer left out."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r for r in rows if None not in r.values()]  # a footer line fills one cell


def key_of(row: dict[str, Any], columns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(
        next((str(row[c]) for c in column.split("|") if row.get(c)), "") for column in columns
    )


def test_every_injected_problem_is_caught_naming_its_column(demo: Demo) -> None:
    with Workspace.open(demo.root) as ws:
        caught = quarantined(ws, demo.exports)
    problems = demo.problems_in()
    kinds = {p["kind"] for p in problems}
    assert kinds == {"duplicate_row", "blank_required", "bad_date", "currency_format"}
    checked = 0
    for problem in problems:
        if problem["kind"] == "duplicate_row":
            continue
        found = caught.get((problem["file"], int(problem["row"])))
        assert found is not None, problem
        column = problem["column"]
        reason = found["reason"]
        assert column.lower() in reason.lower() or CANONICAL.get(column, "?") in reason, problem
        assert json.loads(found["raw"])[column] == problem["value"], problem  # the row as written
        checked += 1
    assert checked >= 8
    # nothing else is refused: every quarantined row is an injected problem
    injected = {(p["file"], int(p["row"])) for p in problems}
    assert set(caught) <= injected


def test_duplicate_rows_merge_into_one_row_per_key(demo: Demo) -> None:
    duplicates = [p for p in demo.problems_in() if p["kind"] == "duplicate_row"]
    assert {p["file"] for p in duplicates} >= {
        "hubspot/companies.csv",
        "hubspot/contacts.csv",
        "salesforce/opportunity_history.csv",
        "salesforce/campaign_members.csv",
    }
    with Workspace.open(demo.root) as ws:
        caught = quarantined(ws, demo.exports)
        for name, (_, table, key) in FILES.items():
            rows = export_rows(demo.exports / name)
            report = demo.reports[name]
            assert report.rows == len(rows), name
            clean = {key_of(r, key) for i, r in enumerate(rows, 1) if (name, i) not in caught}
            counts = report.tables[table]
            assert counts.inserted == len(clean), name  # each key once, duplicates merged
            assert ws.facts.table(table).count().execute() == len(clean), name
        for p in duplicates:
            rows = export_rows(demo.exports / p["file"])
            row = int(p["row"])
            assert rows[row - 1] == rows[row - 2], p


def sim_rows(sim: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect()
    try:
        for folder in sim.iterdir():
            con.execute(
                f'CREATE VIEW "{folder.name}" AS SELECT * FROM read_parquet('
                f"'{folder}/part-*.parquet')"
            )
        return con.sql(sql).fetchall()
    finally:
        con.close()


MINUTE = "date_trunc('minute', {})"  # HubSpot and Salesforce show date-times to the minute
NUMBERED = """
    a AS (SELECT account_id, row_number() OVER (ORDER BY account_id) AS an FROM accounts),
    p AS (SELECT person_id, row_number() OVER (ORDER BY person_id) AS pn FROM people),
    o AS (SELECT opp_id, row_number() OVER (ORDER BY opp_id) AS onr FROM opportunities)
"""


def expected_rows(sim: Path, table: str) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """The simulation's rows of ``table`` as the CRM exports carry them: ids, labels, minutes."""
    m = MINUTE.format
    if table == "accounts":
        found = sim_rows(
            sim,
            f"WITH {NUMBERED} SELECT an, name, domain, industry, employees, annual_revenue, "
            f"country, {m('created_at')}, technologies FROM accounts JOIN a USING (account_id)",
        )
        return {
            (salesforce_id("001", r[0]),): (*r[1:3], r[3].replace("_", " ").title(), *r[4:])
            for r in found
        }
    if table == "people":
        found = sim_rows(
            sim,
            f"WITH {NUMBERED} SELECT pn, an, email, title, {m('created_at')}, {m('lead_at')}, "
            f"{m('mql_at')}, {m('sql_at')}, lead_source, department FROM people "
            "JOIN p USING (person_id) LEFT JOIN a USING (account_id)",
        )
        return {
            (salesforce_id("003" if r[1] else "00Q", r[0]),): (
                salesforce_id("001", r[1]) if r[1] else None,
                *r[2:8],
                " / ".join(part for part in original_source(r[8]) if part) or None,
                r[9],
            )
            for r in found
        }
    if table == "opportunities":
        found = sim_rows(
            sim,
            f"WITH {NUMBERED} SELECT onr, an, {m('created_at')}, amount, stage, close_date, "
            "is_closed, is_won FROM opportunities JOIN o USING (opp_id) "
            "LEFT JOIN a USING (account_id)",
        )
        return {
            (salesforce_id("006", r[0]),): (salesforce_id("001", r[1]), *r[2:], None) for r in found
        }
    if table == "opportunity_history":
        found = sim_rows(
            sim,
            f"WITH {NUMBERED} SELECT onr, {m('changed_at')}, stage, amount, is_closed, is_won "
            "FROM opportunity_history JOIN o USING (opp_id)",
        )
        return {(salesforce_id("006", r[0]), r[1]): r[2:] for r in found}
    assert table == "touchpoints"
    found = sim_rows(
        sim,
        f"WITH {NUMBERED} SELECT touch_id, {m('ts')}, pn, an, channel, program_id, asset_id, "
        "touch_type FROM touchpoints t JOIN p USING (person_id) "
        "JOIN people pp USING (person_id) LEFT JOIN a ON a.account_id = pp.account_id",
    )
    return {
        (r[0],): (
            r[1],
            salesforce_id("003" if r[3] else "00Q", r[2]),
            salesforce_id("001", r[3]) if r[3] else None,
            *r[4:],
        )
        for r in found
    }


def store_rows(ws: Workspace, table: str) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    schema_key = {
        "accounts": ("account_id",),
        "people": ("person_id",),
        "opportunities": ("opp_id",),
        "opportunity_history": ("opp_id", "changed_at"),
        "touchpoints": ("touch_id",),
    }[table]
    rows = ws.facts.table(table).to_pyarrow().to_pylist()
    return {
        tuple(r[k] for k in schema_key): tuple(v for c, v in r.items() if c not in schema_key)
        for r in rows
    }


def refused_keys(ws: Workspace, demo: Demo, name: str) -> set[tuple[Any, ...]]:
    """The keys of the export rows of ``name`` in the quarantine, as the store keys them."""
    _, table, columns = FILES[name]
    keys = set()
    for (file, _), row in quarantined(ws, demo.exports).items():
        if file != name:
            continue
        raw = json.loads(row["raw"])
        if table == "opportunity_history":
            edit = datetime.strptime(raw["Edit Date"], "%m/%d/%Y %I:%M %p")
            keys.add((raw["Opportunity ID"], edit))
        else:
            keys.add(key_of(raw, columns))
    return keys


@pytest.mark.parametrize("name", sorted(FILES))
def test_the_store_holds_the_simulated_rows_but_the_refused_ones(demo: Demo, name: str) -> None:
    _, table, _ = FILES[name]
    expected = expected_rows(demo.sim, table)
    with Workspace.open(demo.root) as ws:
        got = store_rows(ws, table)
        refused = refused_keys(ws, demo, name)
    assert set(expected) - set(got) == refused
    assert {k: v for k, v in expected.items() if k not in refused} == got


def test_the_xlsx_adds_only_what_the_csv_refused(demo: Demo, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(demo.root, root)
    book = load_workbook(demo.exports / "hubspot/contacts.xlsx", read_only=True)
    try:
        sheet = book.worksheets[0].iter_rows(values_only=True)
        header = [str(h) for h in next(sheet)]
        ids = [key_of(dict(zip(header, r, strict=True)), (CONTACT_KEY,))[0] for r in sheet]
    finally:
        book.close()
    with Workspace.open(root) as ws:
        refused_csv = refused_keys(ws, demo, "hubspot/contacts.csv")
        report = one(ws, demo.exports / "hubspot/contacts.xlsx")
        caught = [r for r in quarantined(ws, demo.exports) if r[0].endswith(".xlsx")]
        got = store_rows(ws, "people")
    xlsx_problems = demo.problems_in("hubspot/contacts.xlsx")
    assert sorted(int(p["row"]) for p in xlsx_problems) == sorted(row for _, row in caught)
    refused_xlsx = {(ids[row - 1],) for _, row in caught}
    recovered = {k for k in refused_csv if k[0] in ids} - refused_xlsx
    people = report.tables["people"]
    assert (people.inserted, people.updated) == (len(recovered), 0)
    assert people.unchanged == len(ids) - len(refused_xlsx) - len(recovered)
    expected = expected_rows(demo.sim, "people")
    assert {k: v for k, v in expected.items() if k not in refused_csv - recovered} == got
