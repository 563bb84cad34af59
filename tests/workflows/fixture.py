"""A small inbound-lead flow for the CRM measurements; every number the tests expect is counted
by hand from these rows (November 2026, America/New_York, business hours mon-fri 09:00-17:00;
2 November is a Monday). Times are wall clock in the workspace timezone, as the facts keep them.

The starter lead_to_opportunity workflow (business clock) measures:
capture (lead, 15m from created), score_and_route (mql, 1h from lead), first_touch
(sales_touch, 4h from mql), qualify (sql, 2d = 16 working hours from the touch),
create_opportunity (opportunity, 1d = 8 working hours from sql).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa

from demandos.store import FactStore, table_schema

NOW = datetime(2026, 12, 1, 10)  # Tuesday, New York


def d(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute)


def lead(pid: str, account: str | None, created: datetime, lead_at: datetime,
         mql: datetime | None = None, sql: datetime | None = None) -> dict[str, Any]:  # fmt: skip
    return {"person_id": pid, "account_id": account, "created_at": created, "lead_at": lead_at,
            "mql_at": mql, "sql_at": sql}  # fmt: skip


PEOPLE = [
    # L1: on time everywhere
    lead("L1", "acc1", d(2, 10), d(2, 10, 10), d(2, 10, 40), d(4, 11)),
    # L2: Friday afternoon; the first touch comes Monday 13:00, 15 minutes late
    lead("L2", "acc1", d(6, 16, 30), d(6, 16, 30), d(6, 16, 45)),
    # L3: late capture, late MQL, never touched: fell through
    lead("L3", "acc2", d(10, 9), d(10, 9, 30), d(10, 12)),
    # L4: a Saturday lead that never became an MQL; touched Monday 09:30
    lead("L4", "acc3", d(14, 10), d(14, 10)),
    # L5: routed at 16:30 on 30 November: its touch is due Tuesday 12:30, after NOW (pending)
    lead("L5", None, d(30, 16), d(30, 16), d(30, 16, 30)),
    # L6: an October lead, outside the period
    lead("L6", "acc1", d(30, 9, month=10), d(30, 9, month=10), d(2, 9)),
    # L7: touched between lead and MQL; the opportunity comes late
    lead("L7", "acc2", d(18, 10), d(18, 10, 5), d(18, 10, 30), d(19, 9)),
]  # fmt: skip


def touch(tid: str, person: str, ts: datetime, touch_type: str = "sdr_call") -> dict[str, Any]:
    return {"touch_id": tid, "ts": ts, "person_id": person, "channel": "outbound_sdr",
            "touch_type": touch_type}  # fmt: skip


TOUCHPOINTS = [
    touch("t0", "L1", d(28, 9, month=10)),  # before L1 was a lead: not its first touch
    touch("t1", "L1", d(2, 12)),
    touch("t2", "L1", d(3, 9)),  # a second touch
    touch("t3", "L2", d(9, 13), "sales_call"),
    touch("t4", "L3", d(10, 13), "page_view"),  # not a sales touch
    touch("t5", "L4", d(16, 9, 30)),
    touch("t6", "L7", d(18, 10, 20), "meeting"),
]

OPPORTUNITIES = [
    {"opp_id": "o1", "account_id": "acc1", "created_at": d(5, 10), "stage": "Discovery",
     "is_closed": False, "is_won": False},
    {"opp_id": "o2", "account_id": "acc2", "created_at": d(20, 15), "stage": "Discovery",
     "is_closed": False, "is_won": False},
]  # fmt: skip

ACCOUNTS = [
    {"account_id": "acc1", "name": "Acme Manufacturing", "industry": "Manufacturing",
     "employees": 500, "annual_revenue": 1e8, "country": "US"},  # mid_market_finance
    {"account_id": "acc2", "name": "Initech", "industry": "Software", "employees": 300,
     "country": "US"},  # scaling_saas
    {"account_id": "acc3", "name": "Shop", "industry": "Retail", "employees": 100,
     "country": "US"},  # no segment
]  # fmt: skip

TABLES = {
    "people": PEOPLE,
    "touchpoints": TOUCHPOINTS,
    "opportunities": OPPORTUNITIES,
    "accounts": ACCOUNTS,
}


def batch(table: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = table_schema(table).arrow_schema()
    names = list(dict.fromkeys(k for row in rows for k in row))
    return pa.Table.from_pylist(rows, schema=pa.schema([schema.field(n) for n in names]))


def load(store: FactStore) -> FactStore:
    with store.transaction(source="test") as tx:
        for name, rows in TABLES.items():
            tx.load(name, batch(name, rows))
    return store
