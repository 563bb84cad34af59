"""Salesforce REST API: SOQL queries read incrementally on ``SystemModstamp``, over plain httpx.

Salesforce publishes no Python client of its own; the REST query resource is two requests
(``GET /services/data/vXX.X/query?q=…``, then ``GET nextRecordsUrl`` until ``done``), so httpx
does it with nothing between us and the documented API. (``simple-salesforce`` builds its base
URL as ``https://{instance}``, so it cannot be pointed at a plain-HTTP test server.)

Credentials come from ``SALESFORCE_INSTANCE_URL`` (``https://yourdomain.my.salesforce.com``) and
``SALESFORCE_ACCESS_TOKEN`` (an OAuth access token; ``sf org display --target-org ALIAS`` prints
both for an org the Salesforce CLI is logged in to); ``SALESFORCE_API_VERSION`` picks the version.

Objects, each read into the report its connector reads: ``Opportunity`` (the "Opportunities"
report, ``salesforce_opportunities``; closed and won from the record's ``IsClosed`` and
``IsWon``), ``OpportunityHistory`` (the "Opportunity History" report,
``salesforce_opportunity_history``) and ``CampaignMember`` (the "Campaign Members" report,
``salesforce_campaign_members``; the org's custom UTM fields on the member — ``UTM_Source__c``,
``pi__utm_source__c`` … found by describe — fill the report's UTM columns).

Each object is read with ``SELECT … FROM Object WHERE SystemModstamp >= cursor ORDER BY
SystemModstamp ASC``. The filter is "at or after", not "after": ``SystemModstamp`` has whole
seconds, so a bulk update writes many records with the same stamp, and those past a page boundary
(or committed just after the last sync read) must be read again rather than skipped; reading a
record twice changes nothing.

Rows are written as the Salesforce report export writes them: report column labels, US dates
(``3/4/2026``) and date-times (``3/4/2026 3:22 PM``) in the zone the connector reads the export in,
amounts with two decimals, checkboxes as ``1``/``0``. Times are to the minute, as in the report,
so that a change read from a file and from the API is one row (two saves of one deal within a
minute are one change, in both). A history row's ``Closed`` and ``Won`` come from its stage
(``OpportunityStage``), as the report shows them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import httpx

from demandos.errors import IntakeError
from demandos.intake.api.source import (
    ApiObject,
    Page,
    RetryPolicy,
    env,
    page_cursor,
    parse_day,
    parse_instant,
    refused,
    text,
)

INSTANCE_VAR = "SALESFORCE_INSTANCE_URL"
TOKEN_VAR = "SALESFORCE_ACCESS_TOKEN"
VERSION_VAR = "SALESFORCE_API_VERSION"
API_VERSION = "62.0"
MODSTAMP = "SystemModstamp"
TOKEN_HINT = (
    f"set {TOKEN_VAR} to a current OAuth access token and {INSTANCE_VAR} to the org's URL "
    "(`sf org display --target-org ALIAS` prints both); access tokens expire with the session"
)

Kind = Literal["text", "day", "date", "datetime", "money", "closed", "won", "flag", "blank"]


@dataclass(frozen=True)
class Column:
    """One report column: its label, the field path it comes from and how it is written."""

    label: str
    path: str | None = None  # "Opportunity.Account.Name"
    kind: Kind = "text"


@dataclass(frozen=True)
class SalesforceObject(ApiObject):
    columns: tuple[Column, ...] = ()
    stages: bool = False  # needs OpportunityStage for Closed/Won

    utm: bool = False  # reads the object's custom UTM fields, where the org has them

    def soql(self, columns: tuple[Column, ...], since: str | None) -> str:
        paths = ["Id", MODSTAMP, *(c.path for c in columns if c.path)]
        where = f" WHERE {MODSTAMP} >= {_soql_time(since)}" if since else ""
        return (
            f"SELECT {', '.join(dict.fromkeys(paths))} FROM {self.name}{where} "
            f"ORDER BY {MODSTAMP} ASC"
        )


def _object(
    name: str, connector: str, *columns: Column, stages: bool = False, utm: bool = False
) -> SalesforceObject:
    return SalesforceObject(
        name, connector, tuple(c.label for c in columns), columns=columns, stages=stages, utm=utm
    )


OPPORTUNITIES = _object(
    "Opportunity",
    "salesforce_opportunities",
    Column("Opportunity Owner", "Owner.Name"),
    Column("Account Name", "Account.Name"),
    Column("Account ID", "AccountId"),
    Column("Opportunity Name", "Name"),
    Column("Opportunity ID", "Id"),
    Column("Type", "Type"),
    Column("Lead Source", "LeadSource"),
    Column("Amount", "Amount", "money"),
    Column("Close Date", "CloseDate", "day"),
    Column("Created Date", "CreatedDate", "datetime"),
    Column("Stage", "StageName"),
    Column("Closed", "IsClosed", "flag"),
    Column("Won", "IsWon", "flag"),
)
OPPORTUNITY_HISTORY = _object(
    "OpportunityHistory",
    "salesforce_opportunity_history",
    Column("Opportunity Owner", "Opportunity.Owner.Name"),
    Column("Account Name", "Opportunity.Account.Name"),
    Column("Opportunity Name", "Opportunity.Name"),
    Column("Opportunity ID", "OpportunityId"),
    Column("Created Date", "Opportunity.CreatedDate", "date"),
    Column("Edit Date", "CreatedDate", "datetime"),
    Column("From Stage", kind="blank"),  # the report computes it; the API has no such field
    Column("To Stage", "StageName"),
    Column("Amount", "Amount", "money"),
    Column("Close Date", "CloseDate", "day"),
    Column("Closed", "StageName", "closed"),
    Column("Won", "StageName", "won"),
    stages=True,
)
CAMPAIGN_MEMBERS = _object(
    "CampaignMember",
    "salesforce_campaign_members",
    Column("Campaign Name", "Campaign.Name"),
    Column("Campaign ID", "CampaignId"),
    Column("Campaign Type", "Campaign.Type"),
    Column("Member Type", "Type"),
    Column("Campaign Member ID", "Id"),
    Column("Lead/Contact ID", "LeadOrContactId"),
    Column("First Name", "FirstName"),
    Column("Last Name", "LastName"),
    Column("Company (Account)", "CompanyOrAccount"),
    Column("Account ID", "Contact.AccountId"),
    Column("Email", "Email"),
    Column("Member Status", "Status"),
    Column("Responded", "HasResponded", "flag"),
    Column("Created Date", "CreatedDate", "datetime"),
    Column("First Responded Date", "FirstRespondedDate", "day"),
    utm=True,
)
OBJECTS: tuple[SalesforceObject, ...] = (OPPORTUNITIES, OPPORTUNITY_HISTORY, CAMPAIGN_MEMBERS)
# A custom field is read as a UTM column when its name, without ``__c`` and anything but letters,
# ends so: UTM_Source__c, utm_source__c, pi__utm_source__c (Account Engagement).
UTM_FIELDS = {"utmsource": "UTM Source", "utmmedium": "UTM Medium", "utmcampaign": "UTM Campaign"}


@dataclass(frozen=True)
class Stage:
    closed: bool
    won: bool


class Salesforce:
    """The Salesforce REST API as a source of report rows."""

    system = "salesforce"
    label = "Salesforce"
    objects: tuple[ApiObject, ...] = OBJECTS

    def __init__(
        self,
        instance_url: str,
        token: str,
        *,
        version: str = API_VERSION,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.instance_url = instance_url.rstrip("/")
        self.version = version.lstrip("v")
        self.retry = retry or RetryPolicy()
        self._http = httpx.Client(
            base_url=self.instance_url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
        )

    @classmethod
    def from_env(cls, *, retry: RetryPolicy | None = None) -> Salesforce:
        """The source configured by ``SALESFORCE_INSTANCE_URL`` and ``SALESFORCE_ACCESS_TOKEN``."""
        instance = env(INSTANCE_VAR, source="salesforce", hint=TOKEN_HINT)
        token = env(TOKEN_VAR, source="salesforce", hint=TOKEN_HINT)
        if not instance.startswith(("https://", "http://")):
            raise IntakeError(
                f"{INSTANCE_VAR} must be a URL, like https://yourdomain.my.salesforce.com; "
                f"it is {instance!r}",
                source="salesforce",
                hint=TOKEN_HINT,
            )
        version = os.environ.get(VERSION_VAR, "").strip() or API_VERSION
        return cls(instance, token, version=version, retry=retry)

    # -- reading -------------------------------------------------------------------------------

    def pages(self, obj: ApiObject, since: str | None, zone: ZoneInfo) -> Iterator[Page]:
        assert isinstance(obj, SalesforceObject), obj
        stages = self._stages() if obj.stages else {}
        columns = obj.columns + (self._utm_columns(obj.name) if obj.utm else ())
        header = tuple(c.label for c in columns)
        url: str | None = f"/services/data/v{self.version}/query"
        params: dict[str, str] | None = {"q": obj.soql(columns, since)}
        number = 0
        while url:
            data = self._get(url, params)
            records: list[dict[str, Any]] = list(data.get("records") or [])
            number += 1
            yield Page(
                number=number,
                request=f"GET {self.instance_url}{url}",
                rows=[_row(columns, r, stages, zone) for r in records],
                records=records,
                ids=[text(r.get("Id")) for r in records],
                cursor=page_cursor([r.get(MODSTAMP) for r in records]),
                header=header,
            )
            url = None if data.get("done", True) else data.get("nextRecordsUrl")
            params = None

    def _utm_columns(self, name: str) -> tuple[Column, ...]:
        """The org's custom UTM fields on ``name`` (describe), as the report's UTM columns."""
        data = self._get(f"/services/data/v{self.version}/sobjects/{name}/describe", None)
        found: dict[str, Column] = {}
        for described in data.get("fields") or []:
            api_name = text(described.get("name"))
            if not described.get("custom") or not api_name.lower().endswith("__c"):
                continue
            key = "".join(ch for ch in api_name.lower().removesuffix("__c") if ch.isalpha())
            for suffix, label in UTM_FIELDS.items():
                if key.endswith(suffix) and label not in found:
                    found[label] = Column(label, api_name)
        return tuple(found[label] for label in UTM_FIELDS.values() if label in found)

    def _stages(self) -> dict[str, Stage]:
        """Every opportunity stage by API name and label: whether it is closed, and won."""
        found: dict[str, Stage] = {}
        url: str | None = f"/services/data/v{self.version}/query"
        params: dict[str, str] | None = {
            "q": "SELECT ApiName, MasterLabel, IsClosed, IsWon FROM OpportunityStage"
        }
        while url:
            data = self._get(url, params)
            for r in data.get("records") or []:
                stage = Stage(bool(r.get("IsClosed")), bool(r.get("IsWon")))
                found[text(r.get("MasterLabel"))] = stage
                found[text(r.get("ApiName"))] = stage
            url = None if data.get("done", True) else data.get("nextRecordsUrl")
            params = None
        return found

    # -- calls ---------------------------------------------------------------------------------

    def _get(self, url: str, params: Mapping[str, str] | None) -> dict[str, Any]:
        """One GET: retried on 429 (after ``Retry-After``) and brief 5xx, errors explained."""
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.get(url, params=params)
            except httpx.HTTPError as exc:
                raise IntakeError(
                    f"cannot reach Salesforce at {self.instance_url}: {exc}",
                    source="salesforce",
                    hint=f"check the network and {INSTANCE_VAR}",
                ) from exc
            if response.is_success:
                data = response.json()
                if not isinstance(data, dict):
                    raise IntakeError(
                        f"Salesforce answered {urljoin(self.instance_url, url)} with "
                        "something that is not a query result",
                        source="salesforce",
                        hint=f"check that {INSTANCE_VAR} is the org's URL",
                    )
                return data
            wait = self.retry.delay(
                response.status_code, response.headers.get("Retry-After"), attempt
            )
            if wait is None:
                raise self._error(response)
            self.retry.sleep(wait)

    def _error(self, response: httpx.Response) -> IntakeError:
        status = response.status_code
        code, detail = _detail(response)
        if status == 401 or (status == 403 and code != "REQUEST_LIMIT_EXCEEDED"):
            return refused("Salesforce", status, detail, variable=TOKEN_VAR, hint=TOKEN_HINT)
        if code == "REQUEST_LIMIT_EXCEEDED" or status == 429:
            return IntakeError(
                f"Salesforce refused the request for its API limit: {detail}",
                source="salesforce",
                hint="the org has used its API requests for now; sync again later — the "
                "cursor keeps what was loaded",
            )
        if status == 404:
            return IntakeError(
                f"Salesforce has no {response.request.url.path}: {detail}",
                source="salesforce",
                hint=f"check {INSTANCE_VAR} and {VERSION_VAR} (default {API_VERSION})",
            )
        return IntakeError(
            f"Salesforce answered {status} {code}: {detail}",
            source="salesforce",
            hint="a field the sync reads may be hidden from this user (field-level security); "
            "otherwise sync again later",
        )

    def close(self) -> None:
        self._http.close()


def _detail(response: httpx.Response) -> tuple[str, str]:
    """Salesforce's error code and message: ``[{"errorCode": …, "message": …}]``."""
    try:
        data = response.json()
    except ValueError:
        return "", response.reason_phrase or "no detail"
    first = data[0] if isinstance(data, list) and data else data
    if isinstance(first, dict):
        return text(first.get("errorCode")), text(first.get("message")) or "no detail"
    return "", response.reason_phrase or "no detail"


def _soql_time(cursor: str) -> str:
    """A cursor as a SOQL date-time literal, to the second (``2026-03-04T15:22:10Z``)."""
    instant = parse_instant(cursor)
    assert instant is not None, cursor
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def field(record: Mapping[str, Any], path: str) -> Any:
    """A field of a record by path: ``Opportunity.Account.Name`` (None along a missing link)."""
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def us_date(day: date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def us_datetime(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{us_date(moment)} {hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def _cell(column: Column, value: Any, stages: Mapping[str, Stage], zone: ZoneInfo) -> str:
    raw = text(value)
    if column.kind == "blank" or value is None:
        return ""
    if column.kind in ("date", "datetime"):
        instant = parse_instant(raw)
        if instant is None:
            return raw
        local = instant.astimezone(zone)
        return us_date(local) if column.kind == "date" else us_datetime(local)
    if column.kind == "day":
        day = parse_day(raw)
        return us_date(day) if day and len(raw.strip()) == 10 else raw
    if column.kind == "money":
        try:
            return f"{float(raw):.2f}"
        except ValueError:
            return raw
    if column.kind in ("closed", "won"):
        stage = stages.get(raw)
        if stage is None:
            return ""
        return "1" if (stage.closed if column.kind == "closed" else stage.won) else "0"
    if column.kind == "flag":
        return "1" if value is True else "0" if value is False else raw
    return raw


def _row(
    columns: tuple[Column, ...],
    record: Mapping[str, Any],
    stages: Mapping[str, Stage],
    zone: ZoneInfo,
) -> dict[str, str]:
    return {
        c.label: _cell(c, field(record, c.path) if c.path else None, stages, zone) for c in columns
    }


__all__ = [
    "CAMPAIGN_MEMBERS",
    "INSTANCE_VAR",
    "OPPORTUNITIES",
    "OPPORTUNITY_HISTORY",
    "TOKEN_VAR",
    "VERSION_VAR",
    "Salesforce",
]
