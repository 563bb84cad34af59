"""A healthy small company for the audit tests: the starter workspace (`demandos init`) with
hand-made facts and an operating log built so that every audit check passes for 2026-Q3.

The numbers the tests expect are worked out from these rows by hand:

- 12 ICP accounts (Manufacturing, 500 people, $100M, US: mid_market_finance), 2 people each;
- every Wednesday from 2026-01-07 to 2026-09-30, one touch per account on each of the five
  always-on programs (website and newsletter touches carry an asset);
- every Monday, 500 of spend on each paid always-on program (linkedin_controllers,
  google_high_intent);
- every week from 2026-03-02, two opportunities of 10,000 (Monday and Thursday), sourced from
  organic search or the newsletter;
- the audit season campaign (2026-01-05 to 2026-03-27) touched people with an asset that the
  content hub keeps using, and those people are still reached on owned channels after it.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
from ruamel.yaml import YAML

from demandos.cadence.log import CadenceLog
from demandos.store import table_schema
from demandos.workspace import Workspace

QUARTER = "2026-Q3"
TODAY = date(2026, 10, 5)
START = date(2026, 1, 5)  # a Monday
END = date(2026, 10, 1)
ACCOUNTS = [f"a{i:02d}" for i in range(1, 13)]
ALWAYS_ON = {  # program: (channel, asset or None, touch type)
    "seo_content_hub": ("website", "as_hub", "page_view"),
    "close_notes": ("newsletter", "as_notes", "email_click"),
    "month_end_webinars": ("webinars", None, "webinar_attend"),
    "linkedin_controllers": ("linkedin_ads", None, "ad_click"),
    "google_high_intent": ("google_ads", None, "ad_click"),
}
PAID = ("linkedin_controllers", "google_high_intent")
SPEND = 500.0
OPP = 10_000.0


def batch(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = table_schema(table).arrow_schema()
    names = list(dict.fromkeys(k for row in rows for k in row))
    return pa.Table.from_pylist(rows, schema=pa.schema([schema.field(n) for n in names]))


def days(first: date, last: date, step: int = 7) -> list[date]:
    out, day = [], first
    while day < last:
        out.append(day)
        day += timedelta(days=step)
    return out


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour)


def account(account_id: str, industry: str = "Manufacturing", n: int = 0) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "name": account_id.upper(),
        "industry": industry,
        "employees": 500,
        "annual_revenue": 1e8,
        "country": "US",
        "created_at": datetime(2025, 12, 1) + timedelta(days=25 * n),
    }


def person(person_id: str, account_id: str, created: date = date(2026, 1, 2)) -> dict[str, Any]:
    mql, sql = created + timedelta(days=3), created + timedelta(days=7)
    return {
        "person_id": person_id,
        "account_id": account_id,
        "title": "Controller",
        "created_at": at(created),
        "lead_at": at(created),
        "mql_at": at(mql) if mql < END else None,
        "sql_at": at(sql) if sql < END else None,
        "lead_source": "Organic Search",
    }


def touch(
    tid: str,
    day: date,
    person_id: str,
    account_id: str,
    program: str,
    channel: str,
    asset: str | None,
    kind: str,
) -> dict[str, Any]:
    return {
        "touch_id": tid,
        "ts": at(day),
        "person_id": person_id,
        "account_id": account_id,
        "channel": channel,
        "program_id": program,
        "asset_id": asset,
        "touch_type": kind,
    }


def spend(day: date, program: str, channel: str, amount: float = SPEND) -> dict[str, Any]:
    return {
        "date": day,
        "channel": channel,
        "platform": channel,
        "program_id": program,
        "campaign": program,
        "amount": amount,
        "currency": "USD",
        "impressions": 10_000,
        "clicks": 100,
        "conversions": 5.0,
    }


def opp(
    opp_id: str,
    account_id: str,
    created: datetime,
    amount: float = OPP,
    source: str = "Organic Search",
) -> dict[str, Any]:
    closed = created.date() + timedelta(days=60)
    over = closed < END
    return {
        "opp_id": opp_id,
        "account_id": account_id,
        "created_at": created,
        "amount": amount,
        "stage": ("Won" if int(opp_id[1:]) % 2 else "Lost") if over else "Discovery",
        "close_date": closed,
        "is_closed": over,
        "is_won": over and int(opp_id[1:]) % 2 == 1,
        "source": source,
    }


def facts() -> dict[str, list[dict[str, Any]]]:
    """Every canonical table of the healthy company."""
    people = [person(f"{a}_p{n}", a) for a in ACCOUNTS for n in (1, 2)]
    people += [person(f"l{n}", ACCOUNTS[n % 12], d) for n, d in enumerate(days(START, END))]
    wednesdays = days(START + timedelta(days=2), END)
    touches = []
    for day in wednesdays:
        for i, a in enumerate(ACCOUNTS):
            for program, (channel, asset, kind) in ALWAYS_ON.items():
                who = f"{a}_p{1 + (i + day.toordinal()) % 2}"
                touches.append(
                    touch(f"t{len(touches)}", day, who, a, program, channel, asset, kind)
                )
    for day in days(START + timedelta(days=2), date(2026, 3, 28)):  # the audit season campaign
        for a in ACCOUNTS[:6]:
            touches.append(
                touch(
                    f"t{len(touches)}",
                    day,
                    f"{a}_p1",
                    a,
                    "audit_season_campaign",
                    "linkedin_ads",
                    "as_audit",
                    "ad_click",
                )
            )
    for day in days(date(2026, 4, 1), END, 14):  # the hub keeps using the campaign's asset
        touches.append(
            touch(
                f"t{len(touches)}",
                day,
                "a01_p1",
                "a01",
                "seo_content_hub",
                "website",
                "as_audit",
                "content_download",
            )
        )
    spends = [spend(d, p, ALWAYS_ON[p][0]) for d in days(START, END) for p in PAID]
    spends += [
        spend(d, "audit_season_campaign", "linkedin_ads") for d in days(START, date(2026, 3, 28))
    ]
    costs = [
        {"month": date(2026, m, 1), "category": c, "item": c, "amount": v}
        for m in range(1, 10)
        for c, v in (("people", 12_000.0), ("tools", 1_445.0))
    ]
    opps = []
    for monday in days(date(2026, 3, 2), END):
        for shift, source in ((0, "Organic Search"), (3, "Email Marketing")):
            n = len(opps) + 1
            opps.append(
                opp(
                    f"o{n}", ACCOUNTS[n % 12], at(monday + timedelta(days=shift), 15), source=source
                )
            )
    opps.append(
        {
            "opp_id": "o999",
            "account_id": "a13",
            "created_at": at(date(2026, 6, 3)),
            "amount": OPP,
            "stage": "Won",
            "close_date": date(2026, 8, 3),
            "is_closed": True,
            "is_won": True,
            "source": "Organic Search",
        }
    )  # a new customer won in Q3
    assets = [
        {
            "asset_id": a,
            "title": a,
            "type": "guide",
            "pillar": "close_faster",
            "status": "published",
            "published_at": datetime(2025, 11, 3),
        }
        for a in ("as_hub", "as_notes", "as_audit")
    ]
    for n, first in enumerate(days(date(2026, 1, 12), END, 14)):
        assets.append(
            {
                "asset_id": f"as{n:02d}",
                "title": f"Asset {n}",
                "type": "blog_post",
                "pillar": "audit_ready",
                "status": "published",
                "published_at": at(first),
                "parent_asset_id": "as_hub" if n % 2 else None,
            }
        )
    audiences = [
        {"date": d, "channel": c, "size": 1000 + 10 * k}
        for k, d in enumerate(days(START, END))
        for c in ("website", "newsletter")
    ]
    feedback = [
        {
            "feedback_id": f"f{n}",
            "ts": at(d),
            "kind": "survey",
            "score": 4.0,
            "text": "How is the close going?",
        }
        for n, d in enumerate(days(START, END, 14))
    ]
    feedback += [
        {
            "feedback_id": f"w{o['opp_id']}",
            "ts": at(o["close_date"]),
            "kind": "win_loss",
            "account_id": o["account_id"],
            "text": "Chose us for the audit trail",
        }
        for o in opps
        if o["is_closed"]
    ]
    signals = [
        {
            "signal_id": f"s{n}",
            "ts": at(d),
            "competitor": "erp_ap_module",
            "kind": "pricing",
            "note": "Raised prices",
        }
        for n, d in enumerate(days(START, END, 30))
    ]
    emails = [
        {
            "campaign_id": f"e{n}",
            "channel": "newsletter",
            "program_id": "close_notes",
            "title": f"Close Notes {n}",
            "send_time": at(d, 7),
            "recipients": 1000,
            "delivered": 990,
            "unique_opens": 400,
            "unique_clicks": 40,
        }
        for n, d in enumerate(days(START + timedelta(days=1), END, 14))
    ]
    return {
        "accounts": [account(a, n=n) for n, a in enumerate([*ACCOUNTS, "a13"])],
        "people": people,
        "touchpoints": touches,
        "spend": spends,
        "costs": costs,
        "opportunities": opps,
        "assets": assets,
        "audiences": audiences,
        "feedback": feedback,
        "competitor_signals": signals,
        "email_campaigns": emails,
    }


def load(ws: Workspace, tables: dict[str, list[dict[str, Any]]]) -> None:
    with ws.facts.transaction(source="test") as tx:
        for name, rows in tables.items():
            if rows:
                tx.load(name, batch(name, rows))


def cadence_log(ws: Workspace, when: datetime) -> CadenceLog:
    return CadenceLog(ws.log, ws.specs, read_metric=lambda m, p: (None, "test"), clock=lambda: when)


def operating_log(ws: Workspace) -> None:
    """Monday reviews W36-W39 held and recorded, four actions done on time, a decision a month."""
    for week, monday in (
        ("2026-W36", date(2026, 8, 31)),
        ("2026-W37", date(2026, 9, 7)),
        ("2026-W38", date(2026, 9, 14)),
        ("2026-W39", date(2026, 9, 21)),
    ):
        log = cadence_log(ws, at(monday, 11))
        done = log.add_action(
            f"Follow up {week}", owner="jonas", due=monday + timedelta(days=3)
        ).item
        log.record_review("monday_review", week, held_at=f"{monday} 09:35")
        cadence_log(ws, at(monday + timedelta(days=2), 16)).complete(done.id)
    for day in (date(2026, 7, 13), date(2026, 8, 10), date(2026, 9, 14)):
        cadence_log(ws, at(day, 10)).add_decision(f"Shift budget {day}", owner="maya", metric="der")


def build(root: Path) -> Path:
    """The healthy workspace at ``root``."""
    with Workspace.init(root, name="Acme") as ws:
        load(ws, facts())
        operating_log(ws)
    return root


def copy(healthy: Path, root: Path) -> Path:
    """A copy of the healthy workspace to break one thing in."""
    shutil.copytree(healthy, root)
    return root


def edit(root: Path, file: str, change: Any) -> None:
    """Change a spec file: ``change(data)`` edits the parsed YAML in place."""
    path = root / file
    yaml = YAML()
    data = yaml.load(path.read_text())
    change(data)
    with path.open("w") as fh:
        yaml.dump(data, fh)


def item(items: list[dict[str, Any]], item_id: str) -> dict[str, Any]:
    return next(i for i in items if i["id"] == item_id)
