"""A small company for the distribution tests: the starter workspace with its own channels.yaml
and hand-made facts; 2026-Q2 is the period under test, 2026-Q1 the one before.

Worked out by hand (see the tests for each number):

- owned audiences: website 1,000 (2026-03-31) to 1,250 (2026-06-30); newsletter 400
  (2026-03-15) to 480 (last reading 2026-06-20); webinars first read 2026-05-01 (no start);
- Q2 pipeline 30,000: o1 10,000 (no source: its account's lead p1 came from Paid Social, so
  linkedin_ads, paid), o2 6,000 (Organic Search: website, owned), o3 4,000 (Partner: partners,
  earned), o4 2,000 (Trade show: unmapped), o6 8,000 (Paid Social: paid);
- credited by last touch: o1 to product_launch (t2), o2 to notes (t5), o3 to bad_launch (t6),
  o6 to li_ads (t11), o4 to none; o5 (Q1, 5,000) to spring_campaign (t7);
- spend: li_ads 500 in Q1 and 2 × 1,000 in Q2; spring_campaign 700 in Q1;
- spring_campaign (Feb) reached p3 with as_spring, neither seen again: started from scratch;
  march_campaign (March) reached p5 with as_checklist, both seen on the website in April.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from demandos.store import table_schema
from demandos.workspace import Workspace

PERIOD = "2026-Q2"
TODAY = date(2026, 7, 15)

CHANNELS = """\
channels:
  - {id: website, name: Website, type: owned, sources: ["Organic Search*"]}
  - {id: newsletter, name: Newsletter, type: owned, sources: ["Email Marketing*"]}
  - {id: webinars, name: Webinars, type: owned}
  - {id: partners, name: Partners, type: earned, sources: ["Partner*"]}
  - {id: linkedin_ads, name: LinkedIn Ads, type: paid, sources: ["Paid Social*"]}
programs:
  - id: blog
    name: Blog
    channel: website
    segments: [mid_market_finance]
    pillars: [close_faster]
    owner: priya
  - id: notes
    name: Notes newsletter
    channel: newsletter
    segments: [mid_market_finance]
    pillars: [close_faster]
    owner: priya
    monthly_budget: 300
  - id: li_ads
    name: LinkedIn always-on
    channel: linkedin_ads
    segments: [mid_market_finance]
    pillars: [close_faster]
    owner: maya
    monthly_budget: 9000
  - id: spring_campaign
    name: Spring campaign
    channel: linkedin_ads
    kind: campaign
    segments: [mid_market_finance]
    pillars: [audit_ready]
    owner: maya
    start: 2026-02-02
    end: 2026-02-27
  - id: march_campaign
    name: March campaign
    channel: partners
    kind: campaign
    segments: [mid_market_finance]
    pillars: [audit_ready]
    owner: jonas
    start: 2026-03-02
    end: 2026-03-27
  - id: product_launch
    name: Product launch
    channel: website
    kind: launch
    segments: [mid_market_finance]
    pillars: [close_faster]
    owner: priya
    start: 2026-04-06
    monthly_budget: 2000
    hands_to: notes
  - id: bad_launch
    name: Launch off the system
    channel: linkedin_ads
    kind: launch
    owner: maya
    start: 2026-05-04
"""


def batch(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = table_schema(table).arrow_schema()
    names = list(dict.fromkeys(k for row in rows for k in row))
    return pa.Table.from_pylist(rows, schema=pa.schema([schema.field(n) for n in names]))


def touch(tid: str, day: date, person: str, account: str, program: str, channel: str,
          asset: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {"touch_id": tid, "ts": datetime(day.year, day.month, day.day, 10),
            "person_id": person, "account_id": account, "channel": channel,
            "program_id": program, "asset_id": asset, "touch_type": "visit"}  # fmt: skip


def person(pid: str, account: str, lead: date, source: str) -> dict[str, Any]:
    at = datetime(lead.year, lead.month, lead.day, 12)
    return {"person_id": pid, "account_id": account, "created_at": at, "lead_at": at,
            "lead_source": source}  # fmt: skip


def opp(oid: str, account: str, created: date, amount: float, source: str | None) -> dict[str, Any]:
    return {"opp_id": oid, "account_id": account,
            "created_at": datetime(created.year, created.month, created.day, 9),
            "amount": amount, "stage": "Discovery", "close_date": None, "is_closed": False,
            "is_won": False, "source": source}  # fmt: skip


def spend(day: date, program: str, amount: float) -> dict[str, Any]:
    return {"date": day, "channel": "linkedin_ads", "platform": "linkedin", "program_id": program,
            "amount": amount, "currency": "USD", "impressions": 1000, "clicks": 10,
            "conversions": 1.0}  # fmt: skip


FACTS: dict[str, list[dict[str, Any]]] = {
    "audiences": [
        {"date": date(2026, 3, 31), "channel": "website", "size": 1000},
        {"date": date(2026, 6, 30), "channel": "website", "size": 1250},
        {"date": date(2026, 3, 15), "channel": "newsletter", "size": 400},
        {"date": date(2026, 5, 10), "channel": "newsletter", "size": 500},
        {"date": date(2026, 6, 20), "channel": "newsletter", "size": 480},
        {"date": date(2026, 5, 1), "channel": "webinars", "size": 50},
    ],
    "people": [
        person("p1", "a1", date(2026, 4, 10), "Paid Social / LinkedIn"),
        person("p2", "a2", date(2026, 5, 6), "Organic Search"),
        person("p3", "a3", date(2026, 2, 10), "Paid Social"),
        person("p4", "a4", date(2026, 6, 1), "Partner referral"),
    ],
    "opportunities": [
        opp("o1", "a1", date(2026, 4, 20), 10_000.0, None),
        opp("o2", "a2", date(2026, 5, 20), 6_000.0, "Organic Search"),
        opp("o3", "a4", date(2026, 6, 10), 4_000.0, "Partner"),
        opp("o4", "a5", date(2026, 6, 15), 2_000.0, "Trade show"),
        opp("o5", "a3", date(2026, 2, 20), 5_000.0, "Paid Social"),
        opp("o6", "a7", date(2026, 6, 20), 8_000.0, "Paid Social"),
    ],
    "touchpoints": [
        touch("t01", date(2026, 4, 8), "p1", "a1", "li_ads", "linkedin_ads"),
        touch("t02", date(2026, 4, 12), "p1", "a1", "product_launch", "website", "as_guide"),
        touch("t03", date(2026, 5, 1), "p2", "a2", "blog", "website", "as_guide"),
        touch("t04", date(2026, 5, 5), "p2", "a2", "product_launch", "website", "as_page"),
        touch("t05", date(2026, 5, 15), "p2", "a2", "notes", "newsletter"),
        touch("t06", date(2026, 5, 10), "p4", "a4", "bad_launch", "linkedin_ads", "as_ad"),
        touch("t07", date(2026, 2, 5), "p3", "a3", "spring_campaign", "linkedin_ads", "as_spring"),
        touch("t08", date(2026, 3, 10), "p5", "a6", "march_campaign", "partners", "as_checklist"),
        touch("t09", date(2026, 4, 15), "p5", "a6", "blog", "website", "as_checklist"),
        touch("t10", date(2026, 1, 8), "p6", "a7", "li_ads", "linkedin_ads"),
        touch("t11", date(2026, 6, 18), "p6", "a7", "li_ads", "linkedin_ads"),
    ],
    "spend": [
        spend(date(2026, 1, 5), "li_ads", 500.0),
        spend(date(2026, 2, 2), "spring_campaign", 700.0),
        spend(date(2026, 4, 6), "li_ads", 1000.0),
        spend(date(2026, 5, 4), "li_ads", 1000.0),
    ],
}


def build(root: Path) -> Path:
    """The workspace at ``root``."""
    with Workspace.init(root, name="Acme") as ws:
        (root / "channels.yaml").write_text(CHANNELS)
        with ws.facts.transaction(source="test") as tx:
            for name, rows in FACTS.items():
                tx.load(name, batch(name, rows))
    return root
