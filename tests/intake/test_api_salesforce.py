"""Salesforce API sync against a real HTTP server that serves the documented REST query API.

The server (``api_server.SalesforceOrg``) holds a small org in memory, parses the SOQL each
request sends (fields, relationship paths, the ``SystemModstamp`` filter and order), pages with
``nextRecordsUrl`` and answers 400 to anything malformed; ``org.invalid`` must stay empty.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from api_server import ApiServer, SalesforceOrg, Seen

from demandos import IntakeError, Workspace
from demandos.intake.api import sync
from demandos.intake.api.cursors import read_cursor
from demandos.progress import CapturedProgress
from demandos.simulate.company import write_company
from demandos.simulate.params import NORTHWIND

UTM = {"UTM_Source__c", "UTM_Medium__c", "UTM_Campaign__c"}


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    write_company(tmp_path / "w", NORTHWIND)  # timezone America/New_York
    with Workspace.open(tmp_path / "w") as workspace:
        yield workspace


@pytest.fixture
def org() -> SalesforceOrg:
    org = SalesforceOrg(batch_size=2000)
    org.custom["CampaignMember"] = set(UTM)
    for api, label, closed, won in (
        ("Prospecting", "Prospecting", False, False),
        ("Negotiation/Review", "Negotiation/Review", False, False),
        ("Closed Won", "Closed Won", True, True),
        ("Closed Lost", "Closed Lost", True, False),
    ):
        org.add("OpportunityStage", ApiName=api, MasterLabel=label, IsClosed=closed, IsWon=won)
    maya = org.add("User", Name="Maya Patel")
    acme = org.add("Account", Name="Acme Ledger")
    opp = org.add(
        "Opportunity",
        Name="Acme - AP automation",
        AccountId=acme,
        OwnerId=maya,
        StageName="Closed Won",
        Amount=42000.0,
        CloseDate=date(2026, 2, 27),
    )
    for stage, amount in (("Prospecting", 40000.0), ("Negotiation/Review", 42000.0)):
        org.add(
            "OpportunityHistory",
            OpportunityId=opp,
            StageName=stage,
            Amount=amount,
            CloseDate=date(2026, 2, 27),
        )
    webinar = org.add("Campaign", Name="Month-end masterclass", Type="Webinar")
    ana = org.add("Contact", FirstName="Ana", LastName="Ruiz", AccountId=acme)
    bo = org.add("Lead", FirstName="Bo", LastName="Li", Company="Beta Books")
    for person, kind, email in ((ana, "Contact", "ana@acmeledger.com"), (bo, "Lead", "bo@b.io")):
        org.add(
            "CampaignMember",
            CampaignId=webinar,
            ContactId=person if kind == "Contact" else None,
            LeadId=person if kind == "Lead" else None,
            LeadOrContactId=person,
            Type=kind,
            Email=email,
            Status="Registered",
            HasResponded=False,
            UTM_Source__c="zoom",
            UTM_Medium__c="webinar",
            UTM_Campaign__c="month_end_webinars",
        )
    return org


@pytest.fixture
def server(org: SalesforceOrg, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiServer]:
    with ApiServer(org) as running:
        monkeypatch.setenv("SALESFORCE_INSTANCE_URL", running.url)
        monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", org.token)
        monkeypatch.delenv("SALESFORCE_API_VERSION", raising=False)
        yield running
    assert org.invalid == []  # every request was one the real API accepts


def queries(server: ApiServer, obj: str) -> list[str]:
    """The SOQL of every first-page query on ``obj``, in order."""
    return [
        str(s.param("q"))
        for s in server.requests("/query")
        if s.param("q") and f" FROM {obj} " in f"{s.param('q')} "
    ]


def stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def newest(org: SalesforceOrg, obj: str) -> str:
    return stamp(max(r["SystemModstamp"] for r in org.tables[obj].values()))


def rows(ws: Workspace, table: str, key: str, **as_of: datetime) -> dict[str, dict[str, object]]:
    return {r[key]: r for r in ws.facts.table(table, **as_of).to_pyarrow().to_pylist()}


def test_first_sync_loads_history_and_touches_in_report_shape(
    ws: Workspace, org: SalesforceOrg, server: ApiServer
) -> None:
    reports = {r.object: r for r in sync(ws, "salesforce")}

    assert list(reports) == ["Opportunity", "OpportunityHistory", "CampaignMember"]
    deals = reports["Opportunity"]
    assert (deals.source, deals.fetched, deals.inserted, deals.quarantined) == (
        "salesforce_opportunities",
        1,
        1,
        0,
    )
    [soql] = queries(server, "Opportunity")
    assert soql.startswith("SELECT Id, SystemModstamp, Owner.Name, Account.Name, AccountId, ")
    assert soql.endswith(" FROM Opportunity ORDER BY SystemModstamp ASC")
    [(opp_id, record)] = org.tables["Opportunity"].items()
    [deal] = rows(ws, "opportunities", "opp_id").values()
    assert deal["opp_id"] == opp_id and deal["account_id"] == record["AccountId"]
    assert (deal["stage"], deal["amount"], deal["is_closed"], deal["is_won"]) == (
        "Closed Won",
        42000.0,
        True,
        True,
    )
    assert deal["close_date"] == date(2026, 2, 27)
    created = record["CreatedDate"].astimezone(ZoneInfo("America/New_York"))
    assert deal["created_at"] == created.replace(tzinfo=None, second=0, microsecond=0)
    assert read_cursor(ws.log, "salesforce", "Opportunity") == newest(org, "Opportunity")
    history = reports["OpportunityHistory"]
    assert (history.source, history.fetched, history.inserted, history.quarantined) == (
        "salesforce_opportunity_history",
        2,
        2,
        0,
    )
    [soql] = queries(server, "OpportunityHistory")
    assert soql.startswith("SELECT Id, SystemModstamp, Opportunity.Owner.Name, ")
    assert soql.endswith(" FROM OpportunityHistory ORDER BY SystemModstamp ASC")
    changes = sorted(
        ws.facts.table("opportunity_history").to_pyarrow().to_pylist(),
        key=lambda r: r["changed_at"],
    )
    assert [(c["stage"], c["amount"], c["is_closed"]) for c in changes] == [
        ("Prospecting", 40000.0, False),
        ("Negotiation/Review", 42000.0, False),
    ]
    first = min(org.tables["OpportunityHistory"].values(), key=lambda r: r["CreatedDate"])
    # the report writes minutes in the user's zone: 14:0x UTC is 09:0x in New York
    local = first["CreatedDate"].astimezone(ZoneInfo("America/New_York"))
    assert changes[0]["changed_at"] == local.replace(tzinfo=None, second=0)

    members = reports["CampaignMember"]
    assert (members.fetched, members.inserted, members.quarantined) == (2, 2, 0)
    touches = rows(ws, "touchpoints", "touch_id")
    assert set(touches) == set(org.tables["CampaignMember"])  # Campaign Member ID
    ana = next(t for t in touches.values() if t["account_id"])
    assert ana["channel"] == "webinars"  # from the org's custom UTM fields and the UTM rules
    assert ana["program_id"] == "month_end_webinars"
    assert ana["touch_type"] == "registered"  # the member status
    assert server.requests("/sobjects/CampaignMember/describe")
    assert read_cursor(ws.log, "salesforce", "OpportunityHistory") == newest(
        org, "OpportunityHistory"
    )
    assert read_cursor(ws.log, "salesforce", "CampaignMember") == newest(org, "CampaignMember")


def test_second_sync_filters_on_the_cursor_and_keeps_history(
    ws: Workspace, org: SalesforceOrg, server: ApiServer
) -> None:
    sync(ws, "salesforce")
    cursor = read_cursor(ws.log, "salesforce", "CampaignMember")
    before = datetime.now(UTC).replace(tzinfo=None)
    member = min(org.tables["CampaignMember"], key=lambda r: org.tables["CampaignMember"][r]["Id"])
    org.update("CampaignMember", member, Status="Attended", HasResponded=True)
    opp = next(iter(org.tables["Opportunity"]))
    org.add(
        "OpportunityHistory",
        OpportunityId=opp,
        StageName="Closed Won",
        Amount=42000.0,
        CloseDate=date(2026, 2, 27),
    )
    server.forget()
    time.sleep(0.01)

    reports = {r.object: r for r in sync(ws, "salesforce")}

    [soql] = queries(server, "CampaignMember")
    assert cursor is not None
    literal = cursor.replace(".000Z", "Z")
    assert f" WHERE SystemModstamp >= {literal} ORDER BY SystemModstamp ASC" in soql
    assert (reports["CampaignMember"].fetched, reports["CampaignMember"].updated) == (2, 1)
    assert reports["CampaignMember"].unchanged == 1  # the record at the cursor, read again
    assert rows(ws, "touchpoints", "touch_id")[member]["touch_type"] == "attended"
    assert rows(ws, "touchpoints", "touch_id", as_of=before)[member]["touch_type"] == "registered"
    history = reports["OpportunityHistory"]
    assert (history.fetched, history.inserted, history.unchanged) == (2, 1, 1)
    won = [c for c in ws.facts.table("opportunity_history").to_pyarrow().to_pylist() if c["is_won"]]
    assert [(c["stage"], c["is_closed"]) for c in won] == [("Closed Won", True)]


def test_a_changed_opportunity_is_read_again_and_keeps_its_earlier_state(
    ws: Workspace, org: SalesforceOrg, server: ApiServer
) -> None:
    """Incremental on SystemModstamp: a deal moved back to negotiation and resized is read
    again, its row is updated, and the store still answers what it said before."""
    sync(ws, "salesforce")
    cursor = read_cursor(ws.log, "salesforce", "Opportunity")
    before = datetime.now(UTC).replace(tzinfo=None)
    opp = next(iter(org.tables["Opportunity"]))
    org.update(
        "Opportunity", opp, StageName="Negotiation/Review", Amount=45500.0, IsClosed=False,
        IsWon=False,
    )  # fmt: skip
    beta = org.add("Account", Name="Beta Books")
    new = org.add(
        "Opportunity",
        Name="Beta - close management",
        AccountId=beta,
        StageName="Prospecting",
        Amount=18250.5,
        CloseDate=date(2026, 4, 30),
        LeadSource="Paid Search",
    )
    server.forget()
    time.sleep(0.01)

    report = next(r for r in sync(ws, "salesforce") if r.object == "Opportunity")

    [soql] = queries(server, "Opportunity")
    assert cursor is not None
    assert f" WHERE SystemModstamp >= {cursor.replace('.000Z', 'Z')} " in soql
    assert (report.fetched, report.inserted, report.updated) == (2, 1, 1)
    deals = rows(ws, "opportunities", "opp_id")
    assert (deals[opp]["stage"], deals[opp]["amount"], deals[opp]["is_closed"]) == (
        "Negotiation/Review",
        45500.0,
        False,
    )
    assert (deals[new]["source"], deals[new]["account_id"]) == ("Paid Search", beta)
    assert rows(ws, "opportunities", "opp_id", as_of=before)[opp]["stage"] == "Closed Won"
    assert read_cursor(ws.log, "salesforce", "Opportunity") == newest(org, "Opportunity")


def test_pages_follow_next_records_url_and_each_page_moves_the_cursor(
    ws: Workspace, org: SalesforceOrg, server: ApiServer
) -> None:
    org.batch_size = 2
    opp = next(iter(org.tables["Opportunity"]))
    for n in range(3):
        org.add("OpportunityHistory", OpportunityId=opp, StageName="Prospecting", Amount=n * 1.0)

    history = sync(ws, "salesforce")[1]  # after Opportunity

    assert (history.pages, history.fetched, history.inserted) == (3, 5, 5)
    more = [s.path for s in server.requests("/query/")]
    assert len([p for p in more if re.search(r"/query/01g\w+-\d+$", p)]) >= 2
    loads = [load for load in ws.log.loads() if load.source == "salesforce_opportunity_history"]
    assert [load.counts["rows"] for load in loads] == [2, 2, 1]
    stamps = sorted(stamp(r["SystemModstamp"]) for r in org.tables["OpportunityHistory"].values())
    assert [load.counts["cursor"] for load in loads] == [stamps[1], stamps[3], stamps[4]]


def test_429_waits_for_retry_after_then_succeeds(ws: Workspace, server: ApiServer) -> None:
    server.fail(
        lambda s: " FROM OpportunityHistory " in f"{s.param('q')} ",
        429,
        [{"message": "Too many requests", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
        headers={"Retry-After": "1"},
    )
    started = time.monotonic()
    history = sync(ws, "salesforce")[1]  # after Opportunity
    assert time.monotonic() - started >= 1.0
    refused, served = [s for s in server.requests("/query") if "OpportunityHistory" in str(s.query)]
    assert (refused.status, served.status) == (429, 200)
    assert history.inserted == 2


def test_the_org_api_limit_is_reported_without_retrying(ws: Workspace, server: ApiServer) -> None:
    server.fail(
        "/query",
        403,
        [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
    )
    with pytest.raises(IntakeError, match="API limit: TotalRequests Limit exceeded"):
        sync(ws, "salesforce")
    assert len(server.requests("/query")) == 1


def test_401_names_the_token_variable_and_loads_nothing(
    ws: Workspace, server: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SALESFORCE_ACCESS_TOKEN", "00D5e000000AbCd!expired")
    with pytest.raises(IntakeError) as info:
        sync(ws, "salesforce")
    assert "SALESFORCE_ACCESS_TOKEN" in info.value.message
    assert "Session expired or invalid" in info.value.message
    assert "sf org display" in (info.value.hint or "")
    assert ws.facts.table("opportunity_history").count().execute() == 0
    assert read_cursor(ws.log, "salesforce", "OpportunityHistory") is None


@pytest.mark.parametrize("variable", ["SALESFORCE_INSTANCE_URL", "SALESFORCE_ACCESS_TOKEN"])
def test_a_missing_variable_is_named_before_any_request(
    variable: str, ws: Workspace, server: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(variable)
    with pytest.raises(IntakeError, match=f"{variable} is not set"):
        sync(ws, "salesforce")
    assert server.seen == []


def test_a_record_with_a_bad_date_is_quarantined_and_the_cursor_still_moves(
    ws: Workspace, org: SalesforceOrg, server: ApiServer
) -> None:
    opp = next(iter(org.tables["Opportunity"]))
    bad = org.add(
        "OpportunityHistory",
        OpportunityId=opp,
        StageName="Closed Won",
        Amount=42000.0,
        CloseDate="2026-02-30",  # no such day
    )
    history = sync(ws, "salesforce")[1]  # after Opportunity

    assert (history.fetched, history.inserted, history.quarantined) == (3, 2, 1)
    [row] = [
        q
        for q in ws.facts.table("quarantine").to_pyarrow().to_pylist()
        if q["source"] == "salesforce_opportunity_history"
    ]
    assert "Close Date" in row["reason"] and "2026-02-30" in row["reason"]
    assert row["file"] == "Salesforce API OpportunityHistory"
    assert read_cursor(ws.log, "salesforce", "OpportunityHistory") == stamp(
        org.tables["OpportunityHistory"][bad]["SystemModstamp"]
    )
    sync(ws, "salesforce")  # read again at the cursor: still one quarantine row
    assert ws.facts.table("quarantine").count().execute() == 1


class CrashOnSecondPage(CapturedProgress):
    """Dies while the second page of ``origin`` is loading, inside its load transaction."""

    def __init__(self, origin: str) -> None:
        super().__init__()
        self.origin = origin

    def advance(self, amount: float = 1) -> None:
        super().advance(amount)
        loading = [s for s in self.steps if s == f"Loading {self.origin}"]
        if len(loading) == 2 and self.steps[-1] == loading[-1]:
            raise KeyboardInterrupt("the process was killed")


def test_a_crash_mid_sync_leaves_the_cursor_at_the_last_committed_page(
    ws: Workspace, org: SalesforceOrg, server: ApiServer
) -> None:
    org.batch_size = 2
    opp = next(iter(org.tables["Opportunity"]))
    for n in range(3):
        org.add("OpportunityHistory", OpportunityId=opp, StageName="Prospecting", Amount=n * 1.0)
    ordered = sorted(org.tables["OpportunityHistory"].values(), key=lambda r: r["SystemModstamp"])

    with pytest.raises(KeyboardInterrupt):
        sync(ws, "salesforce", progress=CrashOnSecondPage("Salesforce API OpportunityHistory"))

    assert ws.facts.table("opportunity_history").count().execute() == 2  # page 2 rolled back
    assert read_cursor(ws.log, "salesforce", "OpportunityHistory") == stamp(
        ordered[1]["SystemModstamp"]
    )
    server.forget()

    history = sync(ws, "salesforce")[1]  # after Opportunity

    [soql] = queries(server, "OpportunityHistory")
    assert f">= {stamp(ordered[1]['SystemModstamp']).replace('.000Z', 'Z')} " in soql
    assert ws.facts.table("opportunity_history").count().execute() == 5
    assert (history.inserted, history.unchanged) == (3, 1)
    assert read_cursor(ws.log, "salesforce", "OpportunityHistory") == stamp(
        ordered[-1]["SystemModstamp"]
    )


def test_requests_carry_the_bearer_token(
    ws: Workspace, org: SalesforceOrg, server: ApiServer
) -> None:
    sync(ws, "salesforce")
    seen: list[Seen] = server.seen
    assert seen and all(s.headers["authorization"] == f"Bearer {org.token}" for s in seen)
