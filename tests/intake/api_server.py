"""Small in-memory CRMs behind a real HTTP server on 127.0.0.1, shaped like the documented APIs.

``ApiServer`` runs one app in a thread (stdlib ``http.server``), records every request it sees,
and can answer the next matching requests with an injected failure (a 429 with ``Retry-After``, a
401). The apps check what the real APIs check and answer 400 when a request is malformed:

- ``HubSpotCrm``: CRM v3 search (``POST /crm/v3/objects/{object}/search``: ``filterGroups``,
  ``sorts``, ``limit`` ≤ 200, ``after`` paging tokens it issued, no paging past 10,000 results),
  properties (``GET /crm/v3/properties/{object}``), deal pipelines (``GET
  /crm/v3/pipelines/deals``) and v4 association batch reads; a private-app bearer token.
- ``SalesforceOrg``: the REST query resource (``GET /services/data/vXX.X/query?q=SOQL``, then
  ``nextRecordsUrl`` until ``done``) for ``SELECT fields FROM Object [WHERE SystemModstamp >=
  literal] ORDER BY SystemModstamp ASC`` with relationship fields (``Opportunity.Account.Name``);
  a bearer access token.

Both keep a clock that moves one minute per change, so a test can modify records between syncs
and know their modification times.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int = 0

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    match: Callable[[Seen], bool]
    reply: Reply
    times: int


class ApiServer:
    """A threaded HTTP server on 127.0.0.1 that hands each request to ``app.handle``."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[Seen] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(data) if data else None
                except ValueError:
                    body = data.decode("utf-8", "replace")
                seen = Seen(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                reply = server._reply(seen)
                seen.status = reply.status
                payload = b"" if reply.body is None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail(
        self,
        match: str | Callable[[Seen], bool],
        status: int,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests whose path contains ``match`` with ``status``."""
        test = (lambda s: match in s.path) if isinstance(match, str) else match
        with self._lock:
            self._faults.append(Fault(test, Reply(status, body, headers or {}), times))

    def _reply(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            for fault in self._faults:
                if fault.times > 0 and fault.match(seen):
                    fault.times -= 1
                    return fault.reply
            return self.app.handle(seen)

    def requests(self, path: str = "") -> list[Seen]:
        """The requests seen so far whose path contains ``path``, oldest first."""
        with self._lock:
            return [s for s in self.seen if path in s.path]

    def forget(self) -> None:
        with self._lock:
            self.seen.clear()

    def __enter__(self) -> ApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@contextmanager
def serving(app: Any) -> Iterator[ApiServer]:
    with ApiServer(app) as server:
        yield server


def iso_ms(moment: datetime) -> str:
    """``2026-01-05T09:00:00.000Z``: how HubSpot writes a date-time."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


# -- HubSpot -------------------------------------------------------------------------------------

HUBSPOT_TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
MODIFIED = {
    "companies": "hs_lastmodifieddate",
    "contacts": "lastmodifieddate",
    "deals": "hs_lastmodifieddate",
}
OPERATORS = {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY"}
HUBSPOT_OPTIONS: dict[str, dict[str, dict[str, str]]] = {
    "companies": {
        "industry": {
            "COMPUTER_SOFTWARE": "Computer Software",
            "FINANCIAL_SERVICES": "Financial Services",
            "HOSPITAL_HEALTH_CARE": "Hospital & Health Care",
        },
        "hs_ideal_customer_profile": {"tier_1": "Tier 1", "tier_2": "Tier 2", "tier_3": "Tier 3"},
    },
    "contacts": {
        "lifecyclestage": {
            "subscriber": "Subscriber",
            "lead": "Lead",
            "marketingqualifiedlead": "Marketing Qualified Lead",
            "salesqualifiedlead": "Sales Qualified Lead",
            "opportunity": "Opportunity",
            "customer": "Customer",
        },
        "hs_analytics_source": {
            "ORGANIC_SEARCH": "Organic Search",
            "PAID_SEARCH": "Paid Search",
            "PAID_SOCIAL": "Paid Social",
            "EMAIL_MARKETING": "Email Marketing",
            "REFERRALS": "Referrals",
            "DIRECT_TRAFFIC": "Direct Traffic",
            "OFFLINE": "Offline Sources",
            "OTHER_CAMPAIGNS": "Other Campaigns",
        },
        "hs_persona": {"persona_1": "Finance Leader", "persona_2": "Controller"},
    },
    "deals": {"dealtype": {"newbusiness": "New Business", "existingbusiness": "Existing Business"}},
}
PIPELINE_STAGES = (
    ("appointmentscheduled", "Appointment Scheduled", False, "0.2"),
    ("qualifiedtobuy", "Qualified To Buy", False, "0.4"),
    ("contractsent", "Contract Sent", False, "0.9"),
    ("closedwon", "Closed Won", True, "1.0"),
    ("closedlost", "Closed Lost", True, "0.0"),
)


class HubSpotCrm:
    """Companies, contacts and deals of one portal, served as CRM v3 (and v4 associations)."""

    max_limit = 200
    window = 10_000

    def __init__(self, token: str = HUBSPOT_TOKEN) -> None:
        self.token = token
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self.records: dict[str, dict[str, dict[str, Any]]] = {o: {} for o in MODIFIED}
        self.deal_companies: dict[str, list[str]] = {}
        self.invalid: list[str] = []  # why each 400 was answered: tests expect none
        self._next_id = {"companies": 4_000_000_001, "contacts": 1_001, "deals": 8_000_000_001}
        self._tokens: dict[str, int] = {}

    # -- the data ------------------------------------------------------------------------------

    def tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now

    def add(self, obj: str, *, companies: list[str] | None = None, **props: Any) -> str:
        """A new record; returns its id. ``companies``: the deal's associated company ids."""
        moment = self.tick()
        rid = str(self._next_id[obj])
        self._next_id[obj] += 1
        values = {k: (None if v is None else str(v)) for k, v in props.items()}
        values.setdefault("createdate", iso_ms(moment))
        values[MODIFIED[obj]] = iso_ms(moment)
        values["hs_object_id"] = rid
        self.records[obj][rid] = {"id": rid, "properties": values, "createdAt": moment}
        if companies is not None:
            self.deal_companies[rid] = companies
        return rid

    def update(self, obj: str, rid: str, **props: Any) -> datetime:
        """Change a record as a user would: its last-modified time moves on."""
        moment = self.tick()
        values = self.records[obj][rid]["properties"]
        values.update({k: (None if v is None else str(v)) for k, v in props.items()})
        values[MODIFIED[obj]] = iso_ms(moment)
        return moment

    def modified(self, obj: str, rid: str) -> str:
        return str(self.records[obj][rid]["properties"][MODIFIED[obj]])

    # -- the API -------------------------------------------------------------------------------

    def handle(self, req: Seen) -> Reply:
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(
                401,
                {
                    "status": "error",
                    "message": "Authentication credentials not found. This API supports OAuth "
                    "2.0 authentication and you can find more details at "
                    "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                    "correlationId": "c1a4c8c6-0000-4000-8000-000000000001",
                    "category": "INVALID_AUTHENTICATION",
                },
            )
        found = re.fullmatch(r"/crm/v3/objects/(\w+)/search", req.path)
        if req.method == "POST" and found and found.group(1) in MODIFIED:
            return self._search(found.group(1), req.body)
        found = re.fullmatch(r"/crm/v3/properties/(\w+)", req.path)
        if req.method == "GET" and found and found.group(1) in MODIFIED:
            return Reply(200, {"results": self._properties(found.group(1))})
        if req.method == "GET" and req.path == "/crm/v3/pipelines/deals":
            return Reply(200, {"results": [self._pipeline()]})
        if req.method == "POST" and req.path == "/crm/v4/associations/deals/companies/batch/read":
            return self._associations(req.body)
        return Reply(404, {"status": "error", "message": f"no route {req.method} {req.path}"})

    def _bad(self, message: str) -> Reply:
        self.invalid.append(message)
        return Reply(
            400,
            {
                "status": "error",
                "message": message,
                "correlationId": "c1a4c8c6-0000-4000-8000-000000000002",
                "category": "VALIDATION_ERROR",
            },
        )

    def _search(self, obj: str, body: Any) -> Reply:
        if not isinstance(body, dict):
            return self._bad("the request body must be a JSON object")
        unknown = set(body) - {"filterGroups", "sorts", "properties", "limit", "after", "query"}
        if unknown:
            return self._bad(f"unknown fields {sorted(unknown)}")
        limit = body.get("limit", 10)
        if not isinstance(limit, int) or not 1 <= limit <= self.max_limit:
            return self._bad(f"limit must be between 1 and {self.max_limit}, not {limit!r}")
        rows = list(self.records[obj].values())
        groups = body.get("filterGroups") or []
        if len(groups) > 5:
            return self._bad("at most 5 filterGroups")
        if groups:
            matched: list[dict[str, Any]] = []
            for group in groups:
                filters = group.get("filters") or []
                if len(filters) > 6:
                    return self._bad("at most 6 filters in a filterGroup")
                keep = rows
                for flt in filters:
                    problem = _check_filter(obj, flt)
                    if problem:
                        return self._bad(problem)
                    keep = [r for r in keep if _passes(r["properties"], flt)]
                matched += [r for r in keep if r not in matched]
            rows = matched
        for sort in reversed(body.get("sorts") or []):
            if not isinstance(sort, dict) or "propertyName" not in sort:
                return self._bad(f"a sort must be {{propertyName, direction}}, not {sort!r}")
            if sort.get("direction", "ASCENDING") not in ("ASCENDING", "DESCENDING"):
                return self._bad(f"unknown sort direction {sort.get('direction')!r}")
            rows.sort(
                key=lambda r, p=sort["propertyName"]: _sort_key(r["properties"].get(p)),
                reverse=sort.get("direction") == "DESCENDING",
            )
        offset = 0
        if body.get("after") is not None:
            if body["after"] not in self._tokens:
                return self._bad(f"after {body['after']!r} is not a paging token of this search")
            offset = self._tokens[body["after"]]
        if offset + limit > self.window:
            return self._bad(f"the search cannot page past {self.window} results")
        wanted = body.get("properties") or ["createdate", MODIFIED[obj], "hs_object_id"]
        page = rows[offset : offset + limit]
        result: dict[str, Any] = {
            "total": len(rows),
            "results": [
                {
                    "id": r["id"],
                    "properties": {
                        p: r["properties"].get(p)
                        for p in dict.fromkeys(
                            [*wanted, "createdate", "hs_object_id", MODIFIED[obj]]
                        )
                    },
                    "createdAt": iso_ms(r["createdAt"]),
                    "updatedAt": r["properties"][MODIFIED[obj]],
                    "archived": False,
                }
                for r in page
            ],
        }
        if offset + limit < len(rows):
            token = base64.urlsafe_b64encode(f"{obj}:{offset + limit}".encode()).decode()
            self._tokens[token] = offset + limit
            result["paging"] = {"next": {"after": token, "link": f"?after={token}"}}
        return Reply(200, result)

    def _properties(self, obj: str) -> list[dict[str, Any]]:
        props = []
        for name, options in HUBSPOT_OPTIONS.get(obj, {}).items():
            props.append(
                {
                    "name": name,
                    "label": name.replace("_", " ").title(),
                    "type": "enumeration",
                    "fieldType": "select",
                    "groupName": f"{obj[:-1]}information",
                    "description": "",
                    "displayOrder": -1,
                    "hidden": False,
                    "formField": True,
                    "hubspotDefined": True,
                    "options": [
                        {"label": label, "value": value, "displayOrder": i, "hidden": False}
                        for i, (value, label) in enumerate(options.items())
                    ],
                }
            )
        props.append(
            {
                "name": MODIFIED[obj],
                "label": "Last Modified Date",
                "type": "datetime",
                "fieldType": "date",
                "groupName": f"{obj[:-1]}information",
                "description": "Most recent timestamp of any property update for this object.",
                "displayOrder": -1,
                "hidden": False,
                "formField": False,
                "hubspotDefined": True,
                "options": [],
            }
        )
        return props

    def _pipeline(self) -> dict[str, Any]:
        created = "2025-01-01T00:00:00.000Z"
        return {
            "id": "default",
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "archived": False,
            "createdAt": created,
            "updatedAt": created,
            "stages": [
                {
                    "id": sid,
                    "label": label,
                    "displayOrder": i,
                    "metadata": {"isClosed": str(closed).lower(), "probability": prob},
                    "archived": False,
                    "createdAt": created,
                    "updatedAt": created,
                    "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
                }
                for i, (sid, label, closed, prob) in enumerate(PIPELINE_STAGES)
            ],
        }

    def _associations(self, body: Any) -> Reply:
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not inputs or len(inputs) > 1000:
            return self._bad("inputs must list 1 to 1,000 {id} objects")
        stamp = iso_ms(self.now)
        results, errors = [], []
        for item in inputs:
            rid = str(item.get("id"))
            companies = self.deal_companies.get(rid, [])
            if not companies:
                errors.append(
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                        "message": f"No company is associated with deal {rid}.",
                        "context": {"fromObjectId": [rid]},
                    }
                )
                continue
            results.append(
                {
                    "from": {"id": rid},
                    "to": [
                        {
                            "toObjectId": int(cid),
                            "associationTypes": [
                                {"category": "HUBSPOT_DEFINED", "typeId": 5, "label": "Primary"}
                            ],
                        }
                        for cid in companies
                    ],
                }
            )
        answer: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": stamp,
            "completedAt": stamp,
        }
        if errors:
            answer |= {"numErrors": len(errors), "errors": errors}
        return Reply(207 if errors else 200, answer)


def _check_filter(obj: str, flt: Any) -> str | None:
    if not isinstance(flt, dict) or "propertyName" not in flt:
        return f"a filter needs a propertyName: {flt!r}"
    if flt.get("operator") not in OPERATORS:
        return f"unknown operator {flt.get('operator')!r}"
    if (
        flt["propertyName"] in (MODIFIED[obj], "createdate")
        and not str(flt.get("value", "")).isdigit()
    ):
        return f"{flt['propertyName']} is a datetime: filter on epoch milliseconds"
    return None


def _sort_key(value: Any) -> tuple[int, str]:
    return (0, "") if value is None else (1, str(value))


def _as_number(value: Any) -> float | None:
    if value is None:
        return None
    text = str(value)
    if text.isdigit():
        return float(text)
    try:
        return millis(datetime.fromisoformat(text.replace("Z", "+00:00"))) * 1.0
    except ValueError:
        return None


def _passes(props: dict[str, Any], flt: dict[str, Any]) -> bool:
    value = props.get(flt["propertyName"])
    op = flt["operator"]
    if op == "HAS_PROPERTY":
        return value is not None
    mine, theirs = _as_number(value), _as_number(flt.get("value"))
    if mine is None or theirs is None:
        return bool(op == "EQ" and value == flt.get("value"))
    return {
        "EQ": mine == theirs,
        "NEQ": mine != theirs,
        "LT": mine < theirs,
        "LTE": mine <= theirs,
        "GT": mine > theirs,
        "GTE": mine >= theirs,
    }.get(op, False)


# -- Salesforce ----------------------------------------------------------------------------------

SALESFORCE_TOKEN = "00D5e000000AbCd!AQ0AQHk.test.session.token"
API_VERSION = "62.0"
PREFIX = {
    "Account": "001",
    "Contact": "003",
    "Opportunity": "006",
    "Lead": "00Q",
    "User": "005",
    "Campaign": "701",
    "CampaignMember": "00v",
    "OpportunityHistory": "008",
    "OpportunityStage": "01J",
}
# (object, relationship) -> (foreign key field, related object)
RELATIONSHIPS = {
    ("OpportunityHistory", "Opportunity"): ("OpportunityId", "Opportunity"),
    ("Opportunity", "Account"): ("AccountId", "Account"),
    ("Opportunity", "Owner"): ("OwnerId", "User"),
    ("Opportunity", "Campaign"): ("CampaignId", "Campaign"),
    ("CampaignMember", "Campaign"): ("CampaignId", "Campaign"),
    ("CampaignMember", "Contact"): ("ContactId", "Contact"),
    ("CampaignMember", "Lead"): ("LeadId", "Lead"),
    ("Contact", "Account"): ("AccountId", "Account"),
}
# Fields each object has (beyond Id, CreatedDate, SystemModstamp): a query naming another fails.
FIELDS = {
    "Account": {"Name", "Website", "Industry", "NumberOfEmployees", "BillingCountry"},
    "User": {"Name", "Email"},
    "Contact": {"FirstName", "LastName", "Email", "AccountId", "Title"},
    "Lead": {"FirstName", "LastName", "Email", "Company", "Title"},
    "Campaign": {"Name", "Type", "Status"},
    "Opportunity": {
        "Name",
        "AccountId",
        "OwnerId",
        "CampaignId",
        "StageName",
        "Amount",
        "CloseDate",
        "IsClosed",
        "IsWon",
        "LeadSource",
        "Type",
        "LastModifiedDate",
    },
    "OpportunityHistory": {
        "OpportunityId",
        "StageName",
        "Amount",
        "CloseDate",
        "Probability",
        "ForecastCategory",
        "PrevAmount",
        "PrevCloseDate",
        "IsDeleted",
    },
    "OpportunityStage": {"ApiName", "MasterLabel", "IsClosed", "IsWon", "IsActive", "SortOrder"},
    "CampaignMember": {
        "CampaignId",
        "ContactId",
        "LeadId",
        "Status",
        "HasResponded",
        "FirstRespondedDate",
        "FirstName",
        "LastName",
        "Email",
        "CompanyOrAccount",
        "Type",
        "LeadOrContactId",
    },
}
SOQL = re.compile(
    r"SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<obj>\w+)"
    r"(?:\s+WHERE\s+(?P<field>\w+)\s*(?P<op>>=|<=|>|<|=)\s*(?P<value>\S+))?"
    r"(?:\s+ORDER\s+BY\s+(?P<order>\w+)(?:\s+(?P<dir>ASC|DESC))?)?",
    re.IGNORECASE,
)
DATETIME_LITERAL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?(Z|[+-]\d\d:\d\d)")


class SalesforceOrg:
    """A Salesforce org's records, served by the REST query resource."""

    batch_size = 2000

    def __init__(self, token: str = SALESFORCE_TOKEN, *, batch_size: int | None = None) -> None:
        self.token = token
        self.batch_size = batch_size or self.batch_size
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self.tables: dict[str, dict[str, dict[str, Any]]] = {o: {} for o in FIELDS}
        self.invalid: list[str] = []
        self.custom: dict[str, set[str]] = {o: set() for o in FIELDS}  # custom fields (…__c)
        self._counter = 0
        self._locators: dict[str, list[dict[str, Any]]] = {}

    def tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now

    def add(self, obj: str, **fields: Any) -> str:
        """A new record; returns its 18-character id."""
        moment = self.tick()
        self._counter += 1
        rid = f"{PREFIX[obj]}5e00000{self._counter:05d}AAA"[:15] + "QAA"
        record = {"Id": rid, "CreatedDate": moment, **fields, "SystemModstamp": moment}
        self.tables[obj][rid] = record
        return rid

    def update(self, obj: str, rid: str, **fields: Any) -> datetime:
        moment = self.tick()
        self.tables[obj][rid].update(fields, SystemModstamp=moment)
        return moment

    # -- the API -------------------------------------------------------------------------------

    def handle(self, req: Seen) -> Reply:
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(
                401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
            )
        base = f"/services/data/v{API_VERSION}/query"
        if req.method == "GET" and req.path.rstrip("/") == base and req.param("q"):
            return self._query(str(req.param("q")))
        if req.method == "GET" and req.path.startswith(base + "/"):
            return self._more(req.path.removeprefix(base + "/"))
        found = re.fullmatch(rf"/services/data/v{API_VERSION}/sobjects/(\w+)/describe", req.path)
        if req.method == "GET" and found and found.group(1) in FIELDS:
            return Reply(200, self._describe(found.group(1)))
        return Reply(
            404,
            [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}],
        )

    def _bad(self, code: str, message: str) -> Reply:
        self.invalid.append(message)
        return Reply(400, [{"message": message, "errorCode": code}])

    def _query(self, soql: str) -> Reply:
        found = SOQL.fullmatch(soql.strip())
        if not found:
            return self._bad("MALFORMED_QUERY", f"unexpected token in {soql!r}")
        obj = found.group("obj")
        if obj not in FIELDS:
            return self._bad("INVALID_TYPE", f"sObject type '{obj}' is not supported.")
        paths = [p.strip() for p in found.group("fields").split(",")]
        for path in paths:
            if not self._known(obj, path):
                return self._bad(
                    "INVALID_FIELD",
                    f"No such column '{path}' on entity '{obj}'. If you are attempting to use a "
                    "custom field, be sure to append the '__c' after the custom field name.",
                )
        rows = list(self.tables[obj].values())
        if found.group("field"):
            if not self._known(obj, found.group("field")):
                return self._bad("INVALID_FIELD", f"No such column '{found.group('field')}'")
            literal = found.group("value")
            if not DATETIME_LITERAL.fullmatch(literal):
                return self._bad("MALFORMED_QUERY", f"value of filter criterion {literal!r}")
            bound = datetime.fromisoformat(literal.replace("Z", "+00:00"))
            compare = {
                ">=": lambda a: a >= bound,
                ">": lambda a: a > bound,
                "<=": lambda a: a <= bound,
                "<": lambda a: a < bound,
                "=": lambda a: a == bound,
            }[found.group("op")]
            rows = [r for r in rows if compare(r[found.group("field")])]
        if found.group("order"):
            rows.sort(
                key=lambda r: r[found.group("order")],
                reverse=(found.group("dir") or "ASC").upper() == "DESC",
            )
        records = [self._record(obj, r, paths) for r in rows]
        return Reply(200, self._batch(records, 0))

    def _more(self, locator: str) -> Reply:
        key, _, offset = locator.rpartition("-")
        if key not in self._locators or not offset.isdigit():
            return self._bad("INVALID_QUERY_LOCATOR", f"invalid query locator {locator!r}")
        return Reply(200, self._batch(self._locators[key], int(offset), key))

    def _batch(
        self, records: list[dict[str, Any]], offset: int, key: str | None = None
    ) -> dict[str, Any]:
        end = offset + self.batch_size
        answer: dict[str, Any] = {
            "totalSize": len(records),
            "done": end >= len(records),
            "records": records[offset:end],
        }
        if end < len(records):
            key = key or f"01g5e00000{len(self._locators):08d}"
            self._locators[key] = records
            answer["nextRecordsUrl"] = f"/services/data/v{API_VERSION}/query/{key}-{end}"
        return answer

    def _describe(self, obj: str) -> dict[str, Any]:
        standard = sorted(FIELDS[obj] | {"Id", "CreatedDate", "SystemModstamp"})
        return {
            "name": obj,
            "label": obj,
            "custom": False,
            "queryable": True,
            "fields": [
                {"name": name, "label": name, "type": "string", "custom": name in custom}
                for custom in [self.custom[obj]]
                for name in [*standard, *sorted(custom)]
            ],
        }

    def _known(self, obj: str, path: str) -> bool:
        head, _, rest = path.partition(".")
        if not rest:
            return head in FIELDS[obj] | self.custom[obj] | {"Id", "CreatedDate", "SystemModstamp"}
        link = RELATIONSHIPS.get((obj, head))
        return link is not None and self._known(link[1], rest)

    def _record(self, obj: str, row: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attributes": {
                "type": obj,
                "url": f"/services/data/v{API_VERSION}/sobjects/{obj}/{row['Id']}",
            }
        }
        for path in paths:
            head, _, rest = path.partition(".")
            if not rest:
                out[head] = _sf_value(row.get(head))
                continue
            key, target = RELATIONSHIPS[(obj, head)]
            related = self.tables[target].get(row.get(key) or "")
            if related is None:
                out[head] = None
                continue
            out[head] = _merge(out.get(head) or {}, self._record(target, related, [rest]))
        return out


def _merge(into: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """Two partial records of one related record, as one (``Owner.Name`` and ``Owner.Email``)."""
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict) and key != "attributes":
            _merge(into[key], value)
        else:
            into[key] = value
    return into


def _sf_value(value: Any) -> Any:
    """A field value as Salesforce's JSON writes it."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    if isinstance(value, date):
        return value.isoformat()
    return value
