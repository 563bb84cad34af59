"""A small hand-made company for the metric tests; every number the tests expect is worked out
by hand from these rows (March 2026 is the period under test)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from demandos.spec.channels import ChannelsSpec
from demandos.spec.kernel import KernelSpec
from demandos.spec.metrics import BUILTIN_CATALOG, Metric, MetricsSpec
from demandos.spec.workspace import WorkspaceSpec
from demandos.store import FactStore, open_facts, table_schema

BACKENDS = [
    "embedded",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("spark", marks=pytest.mark.spark),
]
TODAY = date(2026, 6, 1)  # March 2026 is over


def batch(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = table_schema(table).arrow_schema()
    names = list(dict.fromkeys(k for row in rows for k in row))
    return pa.Table.from_pylist(rows, schema=pa.schema([schema.field(n) for n in names]))


def spend(day: date, channel: str, program: str, amount: float, imp: int, clicks: int,
          conv: float) -> dict[str, Any]:  # fmt: skip
    return {"date": day, "channel": channel, "platform": channel, "program_id": program,
            "amount": amount, "currency": "USD", "impressions": imp, "clicks": clicks,
            "conversions": conv}  # fmt: skip


SPEND = [
    spend(date(2025, 3, 1), "google_ads", "prog_a", 80.0, 8000, 80, 4),
    spend(date(2026, 2, 15), "google_ads", "prog_a", 50.0, 4000, 40, 1),
    spend(date(2026, 3, 2), "google_ads", "prog_a", 100.0, 10000, 100, 5),
    spend(date(2026, 3, 10), "linkedin_ads", "prog_b", 300.0, 5000, 20, 2),
    spend(date(2026, 3, 31), "meta_ads", "prog_c", 100.0, 1000, 10, 1),
]

COSTS = [
    {"month": date(2025, 3, 1), "category": "people", "item": "team", "amount": 3100.0},
    {"month": date(2026, 2, 1), "category": "people", "item": "team", "amount": 2800.0},
    {"month": date(2026, 3, 1), "category": "people", "item": "team", "amount": 3100.0},
    {"month": date(2026, 3, 1), "category": "tools", "item": "crm", "amount": 620.0},
    {"month": date(2026, 3, 1), "category": "media", "item": "google", "amount": 9999.0},
    {"month": date(2026, 4, 1), "category": "people", "item": "team", "amount": 3000.0},
]


def opp(
    opp_id: str,
    account: str,
    created: datetime,
    amount: float,
    stage: str,
    close: date | None = None,
    won: bool = False,
    source: str | None = None,
) -> dict[str, Any]:
    return {"opp_id": opp_id, "account_id": account, "created_at": created, "amount": amount,
            "stage": stage, "close_date": close, "is_closed": close is not None, "is_won": won,
            "source": source}  # fmt: skip


OPPORTUNITIES = [
    opp("o1", "a1", datetime(2026, 3, 5, 9), 10000.0, "Won", date(2026, 3, 25), True, "webinar"),
    opp("o2", "a2", datetime(2026, 2, 10, 9), 5000.0, "Lost", date(2026, 3, 15)),
    opp("o3", "a1", datetime(2026, 3, 20, 9), 8000.0, "Discovery", source="webinar"),
    opp("o4", "a3", datetime(2026, 1, 10, 9), 6000.0, "Won", date(2026, 3, 31), True),
    opp("o5", "a1", datetime(2025, 6, 1, 9), 4000.0, "Won", date(2025, 7, 1), True),
    opp("o6", "a4", datetime(2026, 3, 31, 10), 2000.0, "Discovery", source="paid_social"),
    opp("o7", "a5", datetime(2025, 3, 3, 9), 1000.0, "Lost", date(2025, 4, 10)),
]


def person(pid: str, lead: datetime, mql: datetime | None = None, sql: datetime | None = None,
           source: str | None = None, account: str | None = None,
           title: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {"person_id": pid, "created_at": lead, "lead_at": lead, "mql_at": mql, "sql_at": sql,
            "lead_source": source, "account_id": account, "title": title}  # fmt: skip


PEOPLE = [
    person("p1", datetime(2026, 3, 2), datetime(2026, 3, 5), datetime(2026, 3, 9), "Paid Social",
           "a1", "Financial Controller"),
    person("p2", datetime(2026, 3, 3), datetime(2026, 3, 20), source="Webinar", account="a2",
           title="VP of Marketing"),
    person("p3", datetime(2026, 2, 20), datetime(2026, 3, 1), datetime(2026, 3, 15), "Paid Social",
           "a6", "  head of FINANCE & Ops"),
    person("p4", datetime(2026, 3, 31, 12)),  # no account, no title
    person("p5", datetime(2025, 3, 5), datetime(2025, 3, 6), account="a9", title="CFO"),  # a9: none
]  # fmt: skip

EMAILS = [
    {"campaign_id": "e1", "channel": "newsletter", "title": "One", "recipients": 1010,
     "send_time": datetime(2026, 3, 10, 6), "delivered": 1000, "unique_opens": 300,
     "unique_clicks": 50, "program_id": "prog_news"},
    {"campaign_id": "e2", "channel": "newsletter", "title": "Two", "recipients": 500,
     "send_time": datetime(2026, 3, 24, 6), "delivered": None, "unique_opens": 100,
     "unique_clicks": 10},
]  # fmt: skip

AUDIENCES = [
    {"date": date(2026, 2, 28), "channel": "newsletter", "size": 1000},
    {"date": date(2026, 3, 31), "channel": "newsletter", "size": 1100},
    {"date": date(2026, 3, 15), "channel": "webinars", "size": 50},  # launched mid-March
]

# Kernel breakdowns (segments, personas and pillars in KERNEL and CHANNELS below). Accounts and
# assets have no created/published time and touches fall inside the data's range, so no existing
# state or number changes.
ACCOUNTS = [
    {"account_id": a, "name": a.upper(), "industry": i, "employees": e, "annual_revenue": r,
     "country": c}
    for a, i, e, r, c in (
        ("a1", "software", 500, None, "US"),  # saas_mid: max employees is inclusive
        ("a2", "Financial Services", 2000, 2e8, "GB"),  # fits fin_ent and large: the first wins
        ("a3", "SaaS", 49, None, "US"),  # one below saas_mid's min: no segment
        ("a4", "Retail", 1000, 5e6, "DE"),  # large: min employees is inclusive
        ("a5", "Software", None, None, "US"),  # no employee count: no segment
        ("a6", " SOFTWARE ", 50, None, "ca"),  # saas_mid, despite case and spaces
    )
]  # fmt: skip

ASSETS = [
    {"asset_id": "as1", "title": "Case study", "type": "case_study", "pillar": "predictability",
     "status": "published"},
    {"asset_id": "as2", "title": "Webinar", "type": "webinar", "pillar": None,
     "status": "published"},
]  # fmt: skip


def touch(tid: str, ts: datetime, person_id: str | None, account: str | None,
          program: str | None, asset: str | None) -> dict[str, Any]:  # fmt: skip
    return {"touch_id": tid, "ts": ts, "person_id": person_id, "account_id": account,
            "channel": "web", "program_id": program, "asset_id": asset,
            "touch_type": "visit"}  # fmt: skip


TOUCHPOINTS = [
    touch("t1", datetime(2026, 3, 2), "p1", "a1", "prog_a", "as1"),  # asset's pillar wins
    touch("t2", datetime(2026, 3, 5), "p2", None, "prog_b", None),  # account via person: a2
    touch("t3", datetime(2026, 3, 10), None, "a4", "prog_a", "as2"),  # pillar from program
    touch("t4", datetime(2026, 3, 20), "p4", None, None, "as9"),  # nothing known
    touch("t5", datetime(2026, 2, 10), "p1", "a1", "prog_c", None),  # February
    touch("t6", datetime(2026, 3, 25), "p3", "a6", "prog_c", None),  # program without pillar
]

TABLES = {
    "spend": SPEND, "costs": COSTS, "opportunities": OPPORTUNITIES, "people": PEOPLE,
    "email_campaigns": EMAILS, "audiences": AUDIENCES, "accounts": ACCOUNTS, "assets": ASSETS,
    "touchpoints": TOUCHPOINTS,
}  # fmt: skip


def open_store(backend: str, root: Path, request: pytest.FixtureRequest) -> FactStore:
    if backend == "postgres":
        url = request.getfixturevalue("postgres_url")
        return open_facts(root, backend="postgres", url=url)
    if backend == "spark":
        session = request.getfixturevalue("spark_session")
        return open_facts(root, backend="spark", spark={"session": session})
    return open_facts(root)


def load(store: FactStore, tables: dict[str, list[dict[str, Any]]] = TABLES) -> FactStore:
    with store.transaction(source="test") as tx:
        for name, rows in tables.items():
            if rows:
                tx.load(name, batch(name, rows))
    return store


KERNEL = KernelSpec.model_validate({
    "positioning": {"statement": "s", "category": "c", "target_customer": "t", "problem": "p"},
    "segments": [
        {"id": "saas_mid", "name": "Mid-size SaaS", "rules": {
            "industries": ["Software", "SaaS"], "employees": {"min": 50, "max": 500},
            "countries": ["US", "CA"]}},
        {"id": "fin_ent", "name": "Financial enterprises", "rules": {
            "industries": ["financial services"], "annual_revenue": {"min": 1e8}}},
        {"id": "large", "name": "Large companies", "rules": {"employees": {"min": 1000}}},
    ],
    "personas": [
        {"id": "finance_lead", "name": "Finance lead",
         "titles": ["*controller*", "head of finance*", "cfo"]},
        {"id": "marketing_lead", "name": "Marketing lead", "titles": ["vp*marketing"]},
    ],
    "pillars": [{"id": "efficiency", "name": "Efficiency", "message": "m"},
                {"id": "predictability", "name": "Predictability", "message": "m"}],
})  # fmt: skip

CHANNELS = ChannelsSpec.model_validate({
    "channels": [{"id": c, "name": c, "type": "owned" if c == "newsletter" else "paid"}
                 for c in ("google_ads", "linkedin_ads", "meta_ads", "newsletter")],
    "programs": [
        {"id": "prog_a", "name": "A", "channel": "google_ads", "owner": "ana",
         "segments": ["saas_mid"], "pillars": ["efficiency"]},
        {"id": "prog_b", "name": "B", "channel": "linkedin_ads", "owner": "ana",
         "segments": ["fin_ent", "saas_mid"], "pillars": ["predictability", "efficiency"]},
        {"id": "prog_c", "name": "C", "channel": "meta_ads", "owner": "ana"},  # off-kernel
        {"id": "prog_news", "name": "News", "channel": "newsletter", "owner": "ana",
         "segments": ["saas_mid"], "pillars": ["predictability"]},
    ],
})  # fmt: skip


@dataclass(frozen=True)
class TestSpecs:
    """What compute() reads of a workspace's Specs: real spec models, built in code."""

    __test__ = False
    metrics: MetricsSpec
    workspace: WorkspaceSpec
    kernel: KernelSpec
    channels: ChannelsSpec


def specs(*metrics: dict[str, Any], fiscal_year_start_month: int = 1) -> TestSpecs:
    """A tree of the given metrics, or of every built-in under DER when none are given."""
    if not metrics:
        metrics = tuple(
            {"id": b, "name": b, "tier": 1 if b == "der" else 2,
             "parent": None if b == "der" else "der", "owner": "ana", "builtin": b}
            for b in BUILTIN_CATALOG
        )  # fmt: skip
    return TestSpecs(
        MetricsSpec(metrics=tuple(Metric.model_validate(m) for m in metrics)),
        WorkspaceSpec(name="Test", fiscal_year_start_month=fiscal_year_start_month),
        KERNEL,
        CHANNELS,
    )
