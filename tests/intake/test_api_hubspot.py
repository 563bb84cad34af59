"""HubSpot API sync against a real HTTP server that serves the documented CRM v3 API.

The server (``api_server.HubSpotCrm``) holds a small portal in memory, checks each request as
HubSpot does (bearer token, filter and sort shapes, paging tokens it issued) and answers 400 to
anything else; ``crm.invalid`` lists those answers and must stay empty.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from api_server import ApiServer, HubSpotCrm, Seen, millis

from demandos import IntakeError, Workspace
from demandos.intake.api import hubspot, sync
from demandos.intake.api.cursors import read_cursor
from demandos.intake.api.source import RetryPolicy
from demandos.progress import CapturedProgress
from demandos.simulate.company import write_company
from demandos.simulate.params import NORTHWIND
from demandos.store.oplog import Load


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    write_company(tmp_path / "w", NORTHWIND)  # timezone America/New_York
    with Workspace.open(tmp_path / "w") as workspace:
        yield workspace


@pytest.fixture
def crm() -> HubSpotCrm:
    crm = HubSpotCrm()
    acme = crm.add(
        "companies",
        name="Acme Ledger",
        domain="acmeledger.com",
        industry="COMPUTER_SOFTWARE",
        numberofemployees=120,
        annualrevenue=5_000_000,
        country="United States",
    )
    beta = crm.add(
        "companies",
        name="Beta Books",
        domain="www.BetaBooks.io/about",
        industry="FINANCIAL_SERVICES",
        numberofemployees=40,
        country="Germany",
    )
    crm.add(
        "contacts",
        firstname="Ana",
        lastname="Ruiz",
        email="ana@acmeledger.com",
        jobtitle="CFO",
        associatedcompanyid=acme,
        hs_analytics_source="PAID_SEARCH",
        hs_lifecyclestage_lead_date="2026-01-05T15:00:00.000Z",
    )
    crm.add(
        "contacts",
        firstname="Bo",
        lastname="Li",
        email="bo@betabooks.io",
        associatedcompanyid=beta,
        hs_analytics_source="ORGANIC_SEARCH",
    )
    crm.add(
        "deals",
        companies=[acme],
        dealname="Acme - AP automation",
        amount=42000,
        dealstage="closedwon",
        pipeline="default",
        closedate="2026-02-27T17:00:00.000Z",
    )
    crm.add(
        "deals",
        companies=[beta],
        dealname="Beta - close",
        amount=18250.5,
        dealstage="qualifiedtobuy",
        pipeline="default",
        closedate="2026-03-31T16:00:00.000Z",
    )
    return crm


@pytest.fixture
def server(crm: HubSpotCrm, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiServer]:
    with ApiServer(crm) as running:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", crm.token)
        monkeypatch.setenv("HUBSPOT_API_BASE", running.url)
        yield running
    assert crm.invalid == []  # every request was one the real API accepts


def rows(ws: Workspace, table: str, key: str, **as_of: datetime) -> dict[str, dict[str, object]]:
    return {r[key]: r for r in ws.facts.table(table, **as_of).to_pyarrow().to_pylist()}


def searches(server: ApiServer, obj: str) -> list[Seen]:
    return server.requests(f"/crm/v3/objects/{obj}/search")


def cursor_filter(request: Seen) -> list[dict[str, str]]:
    return [f for group in request.body.get("filterGroups", []) for f in group["filters"]]


def test_first_sync_loads_every_object_in_its_export_shape(
    ws: Workspace, crm: HubSpotCrm, server: ApiServer
) -> None:
    reports = sync(ws, "hubspot")

    assert [(r.object, r.source) for r in reports] == [
        ("companies", "hubspot_companies"),
        ("contacts", "hubspot_contacts"),
        ("deals", "hubspot_deals"),
    ]
    assert [(r.fetched, r.inserted, r.updated, r.quarantined) for r in reports] == [
        (2, 2, 0, 0)
    ] * 3
    accounts = rows(ws, "accounts", "name")
    assert accounts["Acme Ledger"]["industry"] == "Computer Software"  # the option's label
    assert accounts["Beta Books"]["domain"] == "betabooks.io"
    assert accounts["Acme Ledger"]["employees"] == 120
    people = rows(ws, "people", "email")
    acme_id = str(accounts["Acme Ledger"]["account_id"])
    assert people["ana@acmeledger.com"]["account_id"] == acme_id
    assert people["ana@acmeledger.com"]["lead_source"] == "Paid Search"  # no drill-down
    # 15:00 UTC is 10:00 in New York, the workspace's zone (as the export writes it)
    assert people["ana@acmeledger.com"]["lead_at"] == datetime(2026, 1, 5, 10, 0)
    deals = rows(ws, "opportunities", "opp_id")
    won = next(d for d in deals.values() if d["amount"] == 42000)
    assert (won["stage"], won["is_closed"], won["is_won"]) == ("Closed Won", True, True)
    assert won["account_id"] == acme_id  # from the v4 associations batch read
    assert str(won["close_date"]) == "2026-02-27"
    # the first search reads everything, oldest modification first
    for obj, modified in (("companies", "hs_lastmodifieddate"), ("contacts", "lastmodifieddate")):
        [request] = searches(server, obj)
        assert cursor_filter(request) == []
        assert request.body["sorts"] == [{"propertyName": modified, "direction": "ASCENDING"}]
        assert request.headers["authorization"] == f"Bearer {crm.token}"
    # each cursor is the newest modification time of its object
    for obj in ("companies", "contacts", "deals"):
        newest = max(crm.modified(obj, rid) for rid in crm.records[obj])
        assert read_cursor(ws.log, "hubspot", obj) == newest
    assert [r.cursor for r in reports] == [
        read_cursor(ws.log, "hubspot", r.object) for r in reports
    ]


def test_second_sync_reads_from_the_cursor_and_keeps_history(
    ws: Workspace, crm: HubSpotCrm, server: ApiServer
) -> None:
    sync(ws, "hubspot")
    before = datetime.now(UTC).replace(tzinfo=None)
    cursor = read_cursor(ws.log, "hubspot", "companies")
    assert cursor is not None
    acme = next(
        r for r, v in crm.records["companies"].items() if v["properties"]["name"] == "Acme Ledger"
    )
    crm.update("companies", acme, name="Acme Ledger Inc.", numberofemployees=150)
    new_contact = crm.add("contacts", firstname="Cy", lastname="Ng", email="cy@acmeledger.com")
    server.forget()
    time.sleep(0.01)  # a later system time for the second load

    reports = {r.object: r for r in sync(ws, "hubspot")}

    [request] = searches(server, "companies")
    stamp = datetime.fromisoformat(cursor.replace("Z", "+00:00"))
    assert cursor_filter(request) == [
        {"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": str(millis(stamp))}
    ]
    # only what changed since, plus the record at the cursor's own millisecond
    assert reports["companies"].fetched == 2
    assert (reports["companies"].updated, reports["companies"].unchanged) == (1, 1)
    assert (reports["contacts"].fetched, reports["contacts"].inserted) == (2, 1)
    assert (reports["deals"].fetched, reports["deals"].unchanged) == (1, 1)
    assert rows(ws, "accounts", "account_id")[acme]["name"] == "Acme Ledger Inc."
    assert rows(ws, "accounts", "account_id", as_of=before)[acme]["name"] == "Acme Ledger"
    assert new_contact in rows(ws, "people", "person_id")
    assert read_cursor(ws.log, "hubspot", "companies") == crm.modified("companies", acme)
    assert read_cursor(ws.log, "hubspot", "contacts") == crm.modified("contacts", new_contact)


def test_full_sync_reads_everything_again_and_changes_nothing(
    ws: Workspace, server: ApiServer
) -> None:
    sync(ws, "hubspot")
    server.forget()
    reports = sync(ws, "hubspot", full=True)
    assert all(cursor_filter(r) == [] for r in searches(server, ""))
    assert [(r.fetched, r.inserted, r.updated, r.unchanged) for r in reports] == [(2, 0, 0, 2)] * 3


def test_pages_follow_the_after_tokens_and_each_page_moves_the_cursor(
    ws: Workspace, crm: HubSpotCrm, server: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hubspot, "PAGE_SIZE", 2)
    for n in range(3):
        crm.add("companies", name=f"Company {n}", domain=f"company{n}.com")

    [companies, *_] = sync(ws, "hubspot")

    assert (companies.pages, companies.fetched, companies.inserted) == (3, 5, 5)
    requests = searches(server, "companies")
    afters = [r.body.get("after") for r in requests]
    assert afters[0] is None and all(afters[1:]) and len(set(afters)) == 3
    assert all(r.body["limit"] == 2 for r in requests)
    loads = [load for load in ws.log.loads() if load.source == "hubspot_companies"]
    assert [load.counts["rows"] for load in loads] == [2, 2, 1]
    stamps = sorted(crm.modified("companies", r) for r in crm.records["companies"])
    assert [load.counts["cursor"] for load in loads] == [stamps[1], stamps[3], stamps[4]]


def test_a_read_past_the_search_window_starts_a_new_search_from_the_newest_time(
    ws: Workspace, crm: HubSpotCrm, server: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hubspot, "PAGE_SIZE", 2)
    monkeypatch.setattr(hubspot, "SEARCH_WINDOW", 4)
    crm.window = 4  # the server refuses to page past it, as HubSpot does past 10,000
    for n in range(5):
        crm.add("companies", name=f"Company {n}", domain=f"company{n}.com")

    [companies, *_] = sync(ws, "hubspot")

    assert ws.facts.table("accounts").count().execute() == 7
    requests = searches(server, "companies")
    [restart] = [r for r in requests if cursor_filter(r) and r.body.get("after") is None]
    fourth = sorted(crm.modified("companies", r) for r in crm.records["companies"])[3]
    stamp = datetime.fromisoformat(fourth.replace("Z", "+00:00"))
    assert cursor_filter(restart)[0]["value"] == str(millis(stamp))  # the newest time seen
    assert len(requests) == 4
    assert companies.fetched == 4 + 4  # the restart reads the fourth record again


def test_429_waits_for_retry_after_then_succeeds(
    ws: Workspace, crm: HubSpotCrm, server: ApiServer
) -> None:
    server.fail(
        "/crm/v3/objects/companies/search",
        429,
        {
            "status": "error",
            "message": "You have reached your secondly limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": "3d2a6d6c-0000-4000-8000-000000000003",
            "policyName": "SECONDLY",
        },
        headers={"Retry-After": "1"},
    )
    started = time.monotonic()
    [companies, *_] = sync(ws, "hubspot")
    assert time.monotonic() - started >= 1.0
    first, second = searches(server, "companies")
    assert (first.status, second.status) == (429, 200)
    assert first.body == second.body  # the same request, tried again
    assert companies.inserted == 2


def test_429_that_does_not_stop_gives_up_after_bounded_tries(
    ws: Workspace, crm: HubSpotCrm, server: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    patient = RetryPolicy(attempts=3, sleep=waits.append)  # records the waits, sleeps none
    configured = classmethod(lambda cls: cls(crm.token, base_url=server.url, retry=patient))
    monkeypatch.setattr(hubspot.HubSpot, "from_env", configured)
    server.fail(
        "/search",
        429,
        {"status": "error", "message": "slow down"},
        times=10,
        headers={"Retry-After": "7"},
    )

    with pytest.raises(IntakeError, match="429") as info:
        sync(ws, "hubspot")

    assert waits == [7.0, 7.0]
    assert len(searches(server, "companies")) == 3
    assert "cursor keeps" in (info.value.hint or "")


def test_401_names_the_token_variable_and_loads_nothing(
    ws: Workspace, crm: HubSpotCrm, server: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "pat-na1-revoked")
    with pytest.raises(IntakeError) as info:
        sync(ws, "hubspot")
    assert "HUBSPOT_ACCESS_TOKEN" in info.value.message
    assert "401" in info.value.message
    assert "private app" in (info.value.hint or "").lower()
    assert ws.facts.table("accounts").count().execute() == 0
    assert read_cursor(ws.log, "hubspot", "companies") is None


def test_403_missing_scope_names_the_token_variable(ws: Workspace, server: ApiServer) -> None:
    server.fail(
        "/crm/v3/properties/companies",
        403,
        {
            "status": "error",
            "message": "This app hasn't been granted all required scopes to make this call.",
            "category": "MISSING_SCOPES",
        },
    )
    with pytest.raises(IntakeError, match=r"HUBSPOT_ACCESS_TOKEN.*required scopes"):
        sync(ws, "hubspot")


def test_missing_token_names_the_variable_before_any_request(
    ws: Workspace, server: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN")
    with pytest.raises(IntakeError, match="HUBSPOT_ACCESS_TOKEN is not set") as info:
        sync(ws, "hubspot")
    assert "never from the workspace files" in (info.value.hint or "")
    assert server.seen == []


def test_a_record_with_a_bad_date_is_quarantined_and_the_cursor_still_moves(
    ws: Workspace, crm: HubSpotCrm, server: ApiServer
) -> None:
    bad = crm.add(
        "contacts",
        firstname="Di",
        lastname="Bad",
        email="di@acmeledger.com",
        hs_lifecyclestage_lead_date="2026-02-30T09:00:00.000Z",  # no such day
    )
    reports = {r.object: r for r in sync(ws, "hubspot")}

    contacts = reports["contacts"]
    assert (contacts.fetched, contacts.inserted, contacts.quarantined) == (3, 2, 1)
    quarantine = ws.facts.table("quarantine").to_pyarrow().to_pylist()
    [row] = [q for q in quarantine if q["source"] == "hubspot_contacts"]
    assert "Became a Lead Date" in row["reason"] and "2026-02-30" in row["reason"]
    assert bad in row["raw"]
    assert row["file"] == "HubSpot API contacts"
    assert row["row_number"] == int(bad)  # the record's id: one quarantine row per record
    assert read_cursor(ws.log, "hubspot", "contacts") == crm.modified("contacts", bad)
    # the next sync does not quarantine it twice
    again = {r.object: r for r in sync(ws, "hubspot")}
    assert again["contacts"].quarantined == 1
    assert ws.facts.table("quarantine").count().execute() == 1


class CrashOnSecondPage(CapturedProgress):
    """Dies while the second page of ``object`` is loading, inside its load transaction."""

    def __init__(self, obj: str) -> None:
        super().__init__()
        self.object = obj

    def advance(self, amount: float = 1) -> None:
        super().advance(amount)
        loading = [s for s in self.steps if s.startswith(f"Loading {self.object}")]
        if len(loading) == 2 and self.steps[-1] == loading[-1]:
            raise KeyboardInterrupt("the process was killed")


def test_a_crash_mid_sync_leaves_the_cursor_at_the_last_committed_page(
    ws: Workspace, crm: HubSpotCrm, server: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hubspot, "PAGE_SIZE", 2)
    for n in range(3):
        crm.add("contacts", firstname=f"P{n}", lastname="X", email=f"p{n}@acmeledger.com")
    ordered = sorted(crm.records["contacts"], key=lambda r: crm.modified("contacts", r))

    with pytest.raises(KeyboardInterrupt):
        sync(ws, "hubspot", progress=CrashOnSecondPage("HubSpot API contacts"))

    assert set(rows(ws, "people", "person_id")) == set(ordered[:2])  # page 2 rolled back
    assert read_cursor(ws.log, "hubspot", "contacts") == crm.modified("contacts", ordered[1])
    server.forget()

    [_, contacts, _] = sync(ws, "hubspot")

    [first, *_] = searches(server, "contacts")
    stamp = datetime.fromisoformat(crm.modified("contacts", ordered[1]).replace("Z", "+00:00"))
    assert cursor_filter(first)[0]["value"] == str(millis(stamp))
    assert set(rows(ws, "people", "person_id")) == set(ordered)
    assert (contacts.inserted, contacts.unchanged) == (3, 1)
    assert read_cursor(ws.log, "hubspot", "contacts") == crm.modified("contacts", ordered[-1])


def test_every_page_is_recorded_as_a_load_in_the_operating_log(
    ws: Workspace, server: ApiServer
) -> None:
    sync(ws, "hubspot")
    loads: list[Load] = ws.log.loads()
    assert [load.source for load in loads] == [
        "hubspot_companies",
        "hubspot_contacts",
        "hubspot_deals",
    ]
    assert all(load.counts["request"].endswith("/search") for load in loads)
    assert all(len(load.file_sha256 or "") == 64 for load in loads)
    assert loads[0].finished_at - loads[0].started_at < timedelta(minutes=1)
