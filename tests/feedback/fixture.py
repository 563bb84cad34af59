"""A small hand-made company for the attribution tests: two accounts with deals in 2026-Q2 and
one that only browsed. Every number the tests expect is worked out by hand from these rows.

    a1: p1 lead Apr 10 12:00 (MQL Apr 20), p2 lead May 1 12:00;
        o1 created May 10, 10,000, won Jun 30
        t1 Apr 1 linkedin_ads ad_click · t2 Apr 8 website page_view · t3 Apr 10 10:00 newsletter
        email_click (p1) · t4 Apr 25 webinars webinar_attend · t5 May 1 10:00 website page_view
        (p2) · t10 Jun 15 events event_visit (p1, during the deal)
    a2: p3 lead May 6 12:00; o2 created May 25, 5,000, lost Jun 15
        t6 May 5 linkedin_ads ad_click · t7 May 20 outbound_sdr sdr_call (p3)
    a3: p4 lead Mar 1 (before the quarter), p5 never a lead
        t8 Jun 10 website page_view (p5) · t9 Jan 1 linkedin_ads ad_click (p4)
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from demandos.store import table_schema
from demandos.workspace import Workspace

TODAY = date(2026, 8, 1)


def batch(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = table_schema(table).arrow_schema()
    names = list(dict.fromkeys(k for row in rows for k in row))
    return pa.Table.from_pylist(rows, schema=pa.schema([schema.field(n) for n in names]))


def touch(tid: str, ts: datetime, person: str, account: str, channel: str, kind: str,
          program: str | None = None, asset: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {"touch_id": tid, "ts": ts, "person_id": person, "account_id": account,
            "channel": channel, "program_id": program, "asset_id": asset,
            "touch_type": kind}  # fmt: skip


def person(
    pid: str, account: str, lead: datetime | None, mql: datetime | None = None
) -> dict[str, Any]:
    return {"person_id": pid, "account_id": account, "created_at": lead or datetime(2026, 1, 1),
            "lead_at": lead, "mql_at": mql}  # fmt: skip


def opp(
    oid: str, account: str, created: datetime, amount: float, close: date, won: bool
) -> dict[str, Any]:
    return {"opp_id": oid, "account_id": account, "created_at": created, "amount": amount,
            "stage": "Closed Won" if won else "Closed Lost", "close_date": close,
            "is_closed": True, "is_won": won}  # fmt: skip


FACTS: dict[str, list[dict[str, Any]]] = {
    "people": [
        person("p1", "a1", datetime(2026, 4, 10, 12), datetime(2026, 4, 20, 9)),
        person("p2", "a1", datetime(2026, 5, 1, 12)),
        person("p3", "a2", datetime(2026, 5, 6, 12)),
        person("p4", "a3", datetime(2026, 3, 1, 12)),
        person("p5", "a3", None),
    ],
    "opportunities": [
        opp("o1", "a1", datetime(2026, 5, 10, 9), 10_000.0, date(2026, 6, 30), True),
        opp("o2", "a2", datetime(2026, 5, 25, 9), 5_000.0, date(2026, 6, 15), False),
    ],
    "touchpoints": [
        touch("t1", datetime(2026, 4, 1, 9), "p1", "a1", "linkedin_ads", "ad_click", "li", "as1"),
        touch("t2", datetime(2026, 4, 8, 9), "p1", "a1", "website", "page_view", "blog", "as1"),
        touch("t3", datetime(2026, 4, 10, 10), "p1", "a1", "newsletter", "email_click", "news"),
        touch("t4", datetime(2026, 4, 25, 9), "p2", "a1", "webinars", "webinar_attend", "web"),
        touch("t5", datetime(2026, 5, 1, 10), "p2", "a1", "website", "page_view", "blog", "as2"),
        touch("t6", datetime(2026, 5, 5, 9), "p3", "a2", "linkedin_ads", "ad_click", "li"),
        touch("t7", datetime(2026, 5, 20, 9), "p3", "a2", "outbound_sdr", "sdr_call", "sdr"),
        touch("t8", datetime(2026, 6, 10, 9), "p5", "a3", "website", "page_view", "blog"),
        touch("t9", datetime(2026, 1, 1, 9), "p4", "a3", "linkedin_ads", "ad_click", "li"),
        touch("t10", datetime(2026, 6, 15, 9), "p1", "a1", "events", "event_visit", "summit"),
    ],
}


def build(root: Path) -> Path:
    with Workspace.init(root, name="Acme") as ws, ws.facts.transaction(source="test") as tx:
        for name, rows in FACTS.items():
            tx.load(name, batch(name, rows))
    return root
