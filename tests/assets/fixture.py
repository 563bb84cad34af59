"""A small hand-made asset library for the asset tests; every number the tests expect is worked
out by hand from these rows (2026-Q1 is the period under test, ``TODAY`` is after it).

- cs1, a case study published 2025-10-01; po1, a post derived from it (2026-01-15); nl1, a
  newsletter section derived from the post (2026-02-01, refreshed); wb1, a webinar
  (2026-01-05); id1, an idea for a post (no date). The families: cs1 → po1 → nl1.
- Opportunities created in Q1: o1 (a1, 02-01, 10,000), o2 (a2, 02-20, 6,000), o3 (a3, 03-20,
  4,000), o4 (a6, 03-25, 3,000), o7 (a1, 01-05, 2,000, no touch before it): 25,000 in all.
  o5 (a5, 2025-12-01, 5,000) is before the quarter, o6 (a7, 2026-04-10) after it.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from demandos.store import FactStore, open_facts, table_schema

TODAY = date(2026, 6, 1)  # the last full quarter is 2026-Q1


def asset(aid: str, type_: str, status: str, published: datetime | None, parent: str | None,
          pillar: str | None) -> dict[str, Any]:  # fmt: skip
    return {"asset_id": aid, "title": f"Title {aid}", "type": type_, "pillar": pillar,
            "segments": ["saas_mid"], "persona": None, "status": status,
            "published_at": published, "parent_asset_id": parent, "owner": "maya"}  # fmt: skip


ASSETS = [
    asset("cs1", "case_study", "published", datetime(2025, 10, 1, 9), None, "efficiency"),
    asset("po1", "post", "published", datetime(2026, 1, 15, 9), "cs1", "efficiency"),
    asset("nl1", "newsletter_section", "refreshed", datetime(2026, 2, 1, 9), "po1", "efficiency"),
    asset("wb1", "webinar", "published", datetime(2026, 1, 5, 9), None, "predictability"),
    asset("id1", "post", "idea", None, None, None),
]


def touch(tid: str, ts: datetime, person: str | None, account: str, asset_id: str | None,
          kind: str = "visit") -> dict[str, Any]:  # fmt: skip
    return {"touch_id": tid, "ts": ts, "person_id": person, "account_id": account,
            "channel": "web", "program_id": None, "asset_id": asset_id,
            "touch_type": kind}  # fmt: skip


TOUCHPOINTS = [
    touch("t1", datetime(2026, 1, 10), "p1", "a1", "cs1"),
    touch("t2", datetime(2026, 1, 20), "p2", "a1", "po1"),
    touch("t3", datetime(2026, 2, 5), "p3", "a2", "nl1"),
    touch("t4", datetime(2026, 2, 10), "p1", "a1", "cs1"),  # after o1: no influence
    touch("t5", datetime(2026, 2, 12), "p4", "a3", "wb1"),
    touch("t6", datetime(2025, 12, 20), "p5", "a2", "cs1"),  # before Q1: influences o2 only
    touch("t7", datetime(2026, 3, 1), "p6", "a3", None, "sales_call"),
    touch("t8", datetime(2026, 3, 5), "p4", "a3", "wb1", "sales_email"),  # a sales touch
    touch("t9", datetime(2026, 3, 10), None, "a4", "zz9"),  # an asset the library lacks
    touch("t10", datetime(2025, 11, 1), "p7", "a5", "cs1"),  # influences o5 (2025)
    touch("t11", datetime(2026, 3, 1), "p8", "a6", None, "sales_call"),  # o4's first touch
    touch("t12", datetime(2026, 3, 2), "p8", "a6", "po1"),
    touch("t13", datetime(2026, 3, 20), "p9", "a7", "cs1"),  # its opportunity is in April
]


def opp(oid: str, account: str, created: datetime, amount: float) -> dict[str, Any]:
    return {"opp_id": oid, "account_id": account, "created_at": created, "amount": amount,
            "stage": "Discovery", "close_date": None, "is_closed": False,
            "is_won": False, "source": None}  # fmt: skip


OPPORTUNITIES = [
    opp("o1", "a1", datetime(2026, 2, 1, 9), 10000.0),
    opp("o2", "a2", datetime(2026, 2, 20, 9), 6000.0),
    opp("o3", "a3", datetime(2026, 3, 20, 9), 4000.0),
    opp("o4", "a6", datetime(2026, 3, 25, 9), 3000.0),
    opp("o5", "a5", datetime(2025, 12, 1, 9), 5000.0),
    opp("o6", "a7", datetime(2026, 4, 10, 9), 9999.0),
    opp("o7", "a1", datetime(2026, 1, 5, 9), 2000.0),
]

TABLES = {"assets": ASSETS, "touchpoints": TOUCHPOINTS, "opportunities": OPPORTUNITIES}


def batch(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = table_schema(table).arrow_schema()
    names = list(dict.fromkeys(k for row in rows for k in row))
    return pa.Table.from_pylist(rows, schema=pa.schema([schema.field(n) for n in names]))


def load(store: FactStore, tables: dict[str, list[dict[str, Any]]] = TABLES) -> FactStore:
    with store.transaction(source="test") as tx:
        for name, rows in tables.items():
            if rows:
                tx.load(name, batch(name, rows))
    return store


def store(root: Path) -> FactStore:
    return load(open_facts(root))
