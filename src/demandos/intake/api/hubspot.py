"""HubSpot CRM v3: companies, contacts and deals, read incrementally through the official client.

Reads with HubSpot's own Python client (``hubspot-api-client``), pointed at ``HUBSPOT_API_BASE``
when set (tests serve the documented API on 127.0.0.1); the token is a private app's access token
from ``HUBSPOT_ACCESS_TOKEN`` with the scopes ``crm.objects.companies.read``,
``crm.objects.contacts.read``, ``crm.objects.deals.read`` and ``crm.schemas.deals.read``.

Each object is read with the CRM search endpoint (``POST /crm/v3/objects/{object}/search``),
filtered on its last-modified property ``GTE`` the cursor (epoch milliseconds, as HubSpot wants
times) and sorted on it ascending, ``limit`` 200 and ``after`` to page. The filter is "at or
after", not "after": records modified in the cursor's own millisecond but on the next page (or
committed a moment after the last sync read) are read again rather than skipped; reading a record
twice changes nothing. The search returns at most 10,000 results per query, so a longer read starts
a new query from the newest time it has seen. Contacts keep their last-modified time in
``lastmodifieddate``; companies and deals in ``hs_lastmodifieddate``.

Rows are written as HubSpot's "all properties" export writes them, in the columns the
``hubspot_companies``, ``hubspot_contacts`` and ``hubspot_deals`` connectors read: option labels,
not internal values (``Computer Software`` for ``COMPUTER_SOFTWARE``; properties API), deal stage
and pipeline labels (pipelines API), date-times as ``YYYY-MM-DD HH:MM`` in the zone the connector
reads the export in. ``Associated Company IDs`` is a contact's primary company
(``associatedcompanyid``) and a deal's companies (associations API v4, one batch read per page).
Search does not return archived (deleted) records, so a deletion in HubSpot is not seen by an
incremental sync.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

import urllib3

from demandos.errors import IntakeError
from demandos.intake.api.source import (
    ApiObject,
    Page,
    RetryPolicy,
    env,
    page_cursor,
    parse_instant,
    refused,
    text,
)

TOKEN_VAR = "HUBSPOT_ACCESS_TOKEN"
BASE_VAR = "HUBSPOT_API_BASE"
BASE_URL = "https://api.hubapi.com"
PAGE_SIZE = 200  # the search endpoint's largest page
SEARCH_WINDOW = 10_000  # the search endpoint returns no result past this many for one query
EXPORT_TIME = "%Y-%m-%d %H:%M"  # how the CRM export writes a date-time
TOKEN_HINT = (
    f"set {TOKEN_VAR} to the access token of a HubSpot private app (Settings → Integrations → "
    "Private Apps) with the crm.objects.companies.read, crm.objects.contacts.read, "
    "crm.objects.deals.read and crm.schemas.deals.read scopes"
)

Kind = Literal["text", "time", "option", "id", "stage", "pipeline", "companies"]


@dataclass(frozen=True)
class Column:
    """One export column: its label, the property it comes from and how it is written."""

    label: str
    prop: str | None = None
    kind: Kind = "text"


@dataclass(frozen=True)
class HubSpotObject(ApiObject):
    modified: str = "hs_lastmodifieddate"  # the property the cursor follows
    columns: tuple[Column, ...] = ()

    @property
    def properties(self) -> list[str]:
        names = {c.prop for c in self.columns if c.prop} | {self.modified}
        return sorted(names)


def _object(name: str, connector: str, modified: str, *columns: Column) -> HubSpotObject:
    return HubSpotObject(
        name, connector, tuple(c.label for c in columns), modified=modified, columns=columns
    )


COMPANIES = _object(
    "companies",
    "hubspot_companies",
    "hs_lastmodifieddate",
    Column("Record ID", kind="id"),
    Column("Company name", "name"),
    Column("Annual Revenue", "annualrevenue"),
    Column("Company Domain Name", "domain"),
    Column("Country/Region", "country"),
    Column("Create Date", "createdate", "time"),
    Column("Industry", "industry", "option"),
    Column("Number of Employees", "numberofemployees"),
)
CONTACTS = _object(
    "contacts",
    "hubspot_contacts",
    "lastmodifieddate",
    Column("Record ID", kind="id"),
    Column("First Name", "firstname"),
    Column("Last Name", "lastname"),
    Column("Became a Lead Date", "hs_lifecyclestage_lead_date", "time"),
    Column(
        "Became a Marketing Qualified Lead Date",
        "hs_lifecyclestage_marketingqualifiedlead_date",
        "time",
    ),
    Column(
        "Became a Sales Qualified Lead Date", "hs_lifecyclestage_salesqualifiedlead_date", "time"
    ),
    Column("Company Name", "company"),
    Column("Country/Region", "country"),
    Column("Create Date", "createdate", "time"),
    Column("Email", "email"),
    Column("Job Title", "jobtitle"),
    Column("Lifecycle Stage", "lifecyclestage", "option"),
    Column("Original Source", "hs_analytics_source", "option"),
    Column("Original Source Drill-Down 1", "hs_analytics_source_data_1"),
    Column("Original Source Drill-Down 2", "hs_analytics_source_data_2"),
    Column("Associated Company IDs", "associatedcompanyid"),
)
DEALS = _object(
    "deals",
    "hubspot_deals",
    "hs_lastmodifieddate",
    Column("Record ID", kind="id"),
    Column("Deal Name", "dealname"),
    Column("Amount", "amount"),
    Column("Close Date", "closedate", "time"),
    Column("Create Date", "createdate", "time"),
    Column("Deal Stage", "dealstage", "stage"),
    Column("Pipeline", "pipeline", "pipeline"),
    Column("Associated Company IDs", kind="companies"),
)
OBJECTS: tuple[HubSpotObject, ...] = (COMPANIES, CONTACTS, DEALS)  # companies first

T = TypeVar("T")


@dataclass
class Labels:
    """What the export shows instead of internal values: option, stage and pipeline labels."""

    options: dict[str, dict[str, str]] = field(default_factory=dict)  # property -> value -> label
    stages: dict[str, str] = field(default_factory=dict)  # stage id -> label
    pipelines: dict[str, str] = field(default_factory=dict)  # pipeline id -> label

    def option(self, prop: str, value: str) -> str:
        known = self.options.get(prop, {})
        return ";".join(known.get(v, v) for v in value.split(";")) if value else ""


class HubSpot:
    """The HubSpot CRM API as a source of export rows."""

    system = "hubspot"
    label = "HubSpot"
    objects: tuple[ApiObject, ...] = OBJECTS

    def __init__(
        self,
        token: str,
        *,
        base_url: str = BASE_URL,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
    ) -> None:
        from hubspot import Client

        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        # One configured client per API: the library builds a new connection pool on each access.
        client = Client.create(access_token=token, host=self.base_url)
        crm = client.crm
        self._search = crm.objects.search_api
        self._properties = crm.properties.core_api
        self._pipelines = crm.pipelines.pipelines_api
        self._associations = crm.associations.v4.batch_api
        self._apis: list[Any] = [
            self._search,
            self._properties,
            self._pipelines,
            self._associations,
        ]

    @classmethod
    def from_env(cls, *, retry: RetryPolicy | None = None) -> HubSpot:
        """The source configured by ``HUBSPOT_ACCESS_TOKEN`` (and ``HUBSPOT_API_BASE``)."""
        token = env(TOKEN_VAR, source="hubspot", hint=TOKEN_HINT)
        base = os.environ.get(BASE_VAR, "").strip() or BASE_URL
        return cls(token, base_url=base, retry=retry)

    # -- reading -------------------------------------------------------------------------------

    def pages(self, obj: ApiObject, since: str | None, zone: ZoneInfo) -> Iterator[Page]:
        assert isinstance(obj, HubSpotObject), obj
        from hubspot.crm.objects import (
            Filter,
            FilterGroup,
            PublicObjectSearchRequest,
        )

        labels = self._labels(obj)
        start, after, in_window, number = since, None, 0, 0
        while True:
            filters = (
                [
                    FilterGroup(
                        filters=[
                            Filter(property_name=obj.modified, operator="GTE", value=_millis(start))
                        ]
                    )
                ]
                if start
                else []
            )
            request = PublicObjectSearchRequest(
                filter_groups=filters,
                sorts=[{"propertyName": obj.modified, "direction": "ASCENDING"}],
                properties=obj.properties,
                limit=PAGE_SIZE,
                after=after,
            )
            result = self._call(
                self._search.do_search, object_type=obj.name, public_object_search_request=request
            )
            records: list[dict[str, Any]] = [
                {"id": str(r.id), "properties": dict(r.properties or {})} for r in result.results
            ]
            companies = self._deal_companies(records) if obj.name == "deals" else {}
            number += 1
            cursor = page_cursor([r["properties"].get(obj.modified) for r in records])
            yield Page(
                number=number,
                request=f"POST {self.base_url}/crm/v3/objects/{obj.name}/search",
                rows=[_row(obj, r, labels, companies, zone) for r in records],
                records=records,
                ids=[r["id"] for r in records],
                cursor=cursor,
            )
            following = result.paging.next.after if result.paging and result.paging.next else None
            if not following or not records:
                return
            in_window += len(records)
            if in_window + PAGE_SIZE > SEARCH_WINDOW:  # the next page would pass the window
                if cursor is None or cursor == start:
                    raise IntakeError(
                        f"more than {SEARCH_WINDOW:,} HubSpot {obj.name} share the modification "
                        f"time {cursor}; the search API cannot page past them",
                        source="hubspot",
                        hint="run the sync again with --full after HubSpot support raises "
                        "the limit, or export the object as a file and ingest it",
                    )
                start, after, in_window = cursor, None, 0
            else:
                after = following

    def _labels(self, obj: HubSpotObject) -> Labels:
        labels = Labels()
        wanted = {c.prop for c in obj.columns if c.kind == "option"}
        if wanted:
            response = self._call(self._properties.get_all, object_type=obj.name)
            for prop in response.results:
                if prop.name in wanted and prop.options:
                    labels.options[prop.name] = {o.value: o.label for o in prop.options}
        if any(c.kind in ("stage", "pipeline") for c in obj.columns):
            pipelines = self._call(self._pipelines.get_all, object_type="deals")
            for pipeline in pipelines.results:
                labels.pipelines[pipeline.id] = pipeline.label
                labels.stages.update({s.id: s.label for s in pipeline.stages})
        return labels

    def _deal_companies(self, records: list[dict[str, Any]]) -> dict[str, list[str]]:
        """Deal id → its associated company ids (v4 associations, batch read)."""
        if not records:
            return {}
        from hubspot.crm.associations.v4 import (
            BatchInputPublicFetchAssociationsBatchRequest,
            PublicFetchAssociationsBatchRequest,
        )

        request = BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[PublicFetchAssociationsBatchRequest(id=r["id"]) for r in records]
        )
        response = self._call(
            self._associations.get_page,
            from_object_type="deals",
            to_object_type="companies",
            batch_input_public_fetch_associations_batch_request=request,
        )
        found: dict[str, list[str]] = {}
        for result in response.results or []:
            found[str(result._from.id)] = [str(to.to_object_id) for to in result.to or []]
        for record in records:  # the record's own list, in case a batch answer is partial
            record["associations"] = {"companies": found.get(record["id"], [])}
        return found

    # -- calls ---------------------------------------------------------------------------------

    def _call(self, method: Callable[..., T], **kwargs: Any) -> T:
        """One API call: retried on 429 (after ``Retry-After``) and brief 5xx, errors explained."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return method(_request_timeout=self.timeout, **kwargs)
            except urllib3.exceptions.HTTPError as exc:
                raise IntakeError(
                    f"cannot reach the HubSpot API at {self.base_url}: {exc}",
                    source="hubspot",
                    hint=f"check the network, or {BASE_VAR} if you set it",
                ) from exc
            except Exception as exc:
                status = getattr(exc, "status", None)
                if not isinstance(status, int) or not _is_api_error(exc):
                    raise
                headers = getattr(exc, "headers", None) or {}
                wait = self.retry.delay(status, headers.get("Retry-After"), attempt)
                if wait is not None:
                    self.retry.sleep(wait)
                    continue
                raise self._error(status, _detail(exc)) from exc

    def _error(self, status: int, detail: str) -> IntakeError:
        if status in (401, 403):
            return refused("HubSpot", status, detail, variable=TOKEN_VAR, hint=TOKEN_HINT)
        if status == 429:
            return IntakeError(
                f"the HubSpot API kept answering 429 Too Many Requests: {detail}",
                source="hubspot",
                hint="another integration may be using the portal's rate limit; sync again "
                "later — the cursor keeps what was loaded",
            )
        return IntakeError(
            f"the HubSpot API answered {status}: {detail}",
            source="hubspot",
            hint="sync again later; if it persists, check HubSpot's status page",
        )

    def close(self) -> None:
        for api in self._apis:
            client = api.api_client
            client.rest_client.pool_manager.clear()
            client.close()


def _is_api_error(exc: Exception) -> bool:
    """The client's ``ApiException`` (each of its API packages defines its own class)."""
    return any(cls.__name__ == "ApiException" for cls in type(exc).__mro__)


def _detail(exc: Exception) -> str:
    """HubSpot's error message from an error response, else the HTTP reason."""
    body = getattr(exc, "body", None)
    try:
        data = json.loads(body) if body else {}
    except (TypeError, ValueError):
        data = {}
    message = data.get("message") if isinstance(data, dict) else None
    return str(message or getattr(exc, "reason", "") or "no detail")


def _millis(cursor: str | None) -> str:
    instant = parse_instant(cursor)
    assert instant is not None, cursor
    return str(int(instant.timestamp() * 1000))


def _export_time(value: str, zone: ZoneInfo) -> str:
    """An API date-time as the export writes it; a value that is no time stays as it was."""
    instant = parse_instant(value)
    if instant is None:
        return value
    return instant.astimezone(zone).strftime(EXPORT_TIME)


def _row(
    obj: HubSpotObject,
    record: Mapping[str, Any],
    labels: Labels,
    companies: Mapping[str, list[str]],
    zone: ZoneInfo,
) -> dict[str, str]:
    props: Mapping[str, Any] = record["properties"]
    row: dict[str, str] = {}
    for column in obj.columns:
        value = text(props.get(column.prop)) if column.prop else ""
        if column.kind == "id":
            value = text(record["id"])
        elif column.kind == "time":
            value = _export_time(value, zone)
        elif column.kind == "option" and column.prop:
            value = labels.option(column.prop, value)
        elif column.kind == "stage":
            value = labels.stages.get(value, value)
        elif column.kind == "pipeline":
            value = labels.pipelines.get(value, value)
        elif column.kind == "companies":
            value = ";".join(companies.get(text(record["id"]), []))
        row[column.label] = value
    return row


__all__ = ["BASE_VAR", "COMPANIES", "CONTACTS", "DEALS", "TOKEN_VAR", "HubSpot"]
