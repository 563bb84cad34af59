"""A small simulation output folder of exactly the engine's shape (``simulate/__init__.py``).

``write_sim(sim_dir)`` writes ``sim_dir/<table>/part-0000N.parquet`` for every canonical table
(with the engine's extra columns) and the two auxiliary tables, from a seeded generator: a few
dozen accounts, a few hundred people in two parts, deals with their stage history, five days of
spend on three ad platforms, web sessions, email campaigns, feedback and competitor signals.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from demandos.store.schema import TABLES

START = date(2025, 5, 1)
DAYS = 5
CHANNEL_PLATFORM = {
    "google_ads": "google_ads",
    "linkedin_ads": "linkedin_ads",
    "meta_ads": "meta_ads",
}
# program → (channel, days it spends, daily budget)
PAID = {
    "google_high_intent": ("google_ads", 5, 1_260.37),
    "google_competitor": ("google_ads", 5, 90.05),
    "linkedin_controllers": ("linkedin_ads", 5, 300.11),
    "close_in_3_days_launch": ("linkedin_ads", 3, 1_500.99),
    "meta_retargeting": ("meta_ads", 5, 80.42),
}
PROGRAMS = {
    "google_high_intent": "Google — High intent search",
    "google_competitor": "Google — Competitor terms",
    "linkedin_controllers": "LinkedIn — Controllers, mid-market",
    "close_in_3_days_launch": "Close in 3 days (launch)",
    "meta_retargeting": "Meta — Retargeting",
    "close_notes": "Close Notes newsletter",
    "seo_content_hub": "SEO content hub",
}
LEAD_SOURCES = [
    "organic_search", "direct", "newsletter", "webinars", "review_sites", "partners",
    "events", "outbound_sdr", "google_ads", "linkedin_ads", "meta_ads", "website",
]  # fmt: skip
STAGES = ["Discovery", "Evaluation", "Proposal", "Negotiation"]

EXTRA: dict[str, list[tuple[str, pa.DataType]]] = {
    "accounts": [("segment", pa.string()), ("in_icp", pa.bool_())],
    "people": [
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("persona", pa.string()),
        ("segment", pa.string()),
        ("causal_channel", pa.string()),
        ("lifecycle_stage", pa.string()),
    ],
    "touchpoints": [
        ("utm_source", pa.string()),
        ("utm_medium", pa.string()),
        ("utm_campaign", pa.string()),
        ("is_causal", pa.bool_()),
    ],
    "opportunities": [
        ("name", pa.string()),
        ("causal_channel", pa.string()),
        ("segment", pa.string()),
        ("owner", pa.string()),
    ],
    "spend": [("campaign", pa.string()), ("cost_micros", pa.int64())],
}
AUX: dict[str, list[tuple[str, pa.DataType]]] = {
    "web_sessions": [
        ("date", pa.date32()),
        ("source", pa.string()),
        ("medium", pa.string()),
        ("campaign", pa.string()),
        ("sessions", pa.int64()),
        ("engaged_sessions", pa.int64()),
        ("new_users", pa.int64()),
        ("key_events", pa.int64()),
    ],
    "email_campaigns": [
        ("campaign_id", pa.string()),
        ("title", pa.string()),
        ("subject", pa.string()),
        ("send_time", pa.timestamp("us")),
        ("list_name", pa.string()),
        ("recipients", pa.int64()),
        ("delivered", pa.int64()),
        ("unique_opens", pa.int64()),
        ("unique_clicks", pa.int64()),
        ("unsubscribes", pa.int64()),
        ("hard_bounces", pa.int64()),
        ("soft_bounces", pa.int64()),
    ],
}


def schema(table: str) -> pa.Schema:
    if table in AUX:
        return pa.schema(AUX[table])
    base = TABLES[table].arrow_schema()
    for name, dtype in EXTRA.get(table, []):
        base = base.append(pa.field(name, dtype))
    return base


def _write(sim_dir: Path, table: str, rows: Sequence[dict[str, Any]], parts: int = 1) -> None:
    folder = sim_dir / table
    folder.mkdir(parents=True, exist_ok=True)
    size = max(1, -(-len(rows) // parts))
    for i in range(parts):
        chunk = rows[i * size : (i + 1) * size]
        pq.write_table(
            pa.Table.from_pylist(list(chunk), schema=schema(table)),
            folder / f"part-{i:05d}.parquet",
        )


def _ts(rng: random.Random, day: date) -> datetime:
    return datetime(
        day.year, day.month, day.day, rng.randrange(7, 19), rng.randrange(60), rng.randrange(60)
    )


def _change(opp: str, at: datetime, stage: str, amount: float, won: bool | None) -> dict[str, Any]:
    closed = won is not None
    return {"opp_id": opp, "changed_at": at, "stage": stage, "amount": amount,
            "is_closed": closed, "is_won": bool(won)}  # fmt: skip


def write_sim(sim_dir: Path, *, people: int = 240, accounts: int = 40, seed: int = 7) -> Path:
    """Write the fixture simulation into ``sim_dir`` and return it."""
    rng = random.Random(seed)
    acc = [
        {
            "account_id": f"acc{i:04d}",
            "name": f"Company {i}, Inc." if i % 7 == 0 else f"Company {i}",
            "domain": f"company{i}.example",
            "industry": rng.choice(["manufacturing", "software", "professional_services"]),
            "employees": rng.randrange(20, 3_000),
            "annual_revenue": float(rng.randrange(1, 900)) * 100_000,
            "country": rng.choice(["US", "GB", "DE"]),
            "created_at": _ts(rng, START - timedelta(days=rng.randrange(400))),
            "segment": rng.choice(["mid_market_finance", "scaling_saas", "off_icp"]),
            "in_icp": i % 3 != 0,
        }
        for i in range(1, accounts + 1)
    ]
    _write(sim_dir, "accounts", acc)

    ppl = []
    for i in range(1, people + 1):
        created = _ts(rng, START + timedelta(days=rng.randrange(120)))
        stage = rng.choice(
            ["lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"]
        )
        ppl.append(
            {
                "person_id": f"p{i:06d}",
                "account_id": rng.choice(acc)["account_id"] if i % 11 else None,
                "email": f"person{i}@company.example" if i % 17 else None,
                "title": rng.choice(["Controller", "CFO", "Finance Operations Manager"]),
                "created_at": created,
                "lead_at": created + timedelta(hours=2),
                "mql_at": created + timedelta(days=9) if stage != "lead" else None,
                "sql_at": created + timedelta(days=20)
                if stage not in ("lead", "marketingqualifiedlead")
                else None,
                "lead_source": LEAD_SOURCES[i % len(LEAD_SOURCES)],
                "first_name": rng.choice(["Ada", "Grace", "Alan", "Édith", "Zoë"]),
                "last_name": rng.choice(["Lovelace", "Hopper", "Turing", "O'Neil", "Smith, Jr."]),
                "persona": rng.choice(["controller", "cfo", None]),
                "segment": "mid_market_finance",
                "causal_channel": LEAD_SOURCES[(i * 7) % len(LEAD_SOURCES)],
                "lifecycle_stage": stage,
            }
        )
    _write(sim_dir, "people", ppl, parts=2)

    touches = [
        {
            "touch_id": f"t{i:06d}",
            "ts": p["created_at"],
            "person_id": p["person_id"],
            "account_id": p["account_id"],
            "channel": p["lead_source"],
            "program_id": None,
            "asset_id": None,
            "touch_type": "form_fill",
            "utm_source": "google",
            "utm_medium": "cpc",
            "utm_campaign": None,
            "is_causal": True,
        }
        for i, p in enumerate(ppl[:50])
    ]
    _write(sim_dir, "touchpoints", touches)

    opps, history = [], []
    for i in range(1, 31):
        a = acc[i % len(acc)]
        created = _ts(rng, START + timedelta(days=rng.randrange(60)))
        amount = float(rng.randrange(80, 600)) * 100 + (0.5 if i % 4 == 0 else 0)
        path = STAGES[: rng.randrange(1, 5)]
        outcome = rng.choice(["Closed Won", "Closed Lost", None])
        changed = created
        for stage in path:
            history.append(_change(f"opp{i:05d}", changed, stage, amount, None))
            changed += timedelta(days=rng.randrange(3, 20), minutes=rng.randrange(600))
        if outcome:
            history.append(
                _change(f"opp{i:05d}", changed, outcome, amount, outcome == "Closed Won")
            )
        opps.append(
            {
                "opp_id": f"opp{i:05d}",
                "account_id": a["account_id"],
                "created_at": created,
                "amount": amount if i != 5 else None,
                "stage": outcome or path[-1],
                "close_date": (changed.date() + timedelta(days=30)) if i % 6 else None,
                "is_closed": outcome is not None,
                "is_won": outcome == "Closed Won",
                "source": "partners",
                "name": f"{a['name']} — Finance Cloud",
                "causal_channel": "partners",
                "segment": a["segment"],
                "owner": rng.choice(["Dana Reyes", "Sam Okafor"]),
            }
        )
    _write(sim_dir, "opportunities", opps)
    _write(sim_dir, "opportunity_history", history)

    spend = []
    for program, (channel, days, budget) in PAID.items():
        for d in range(days):
            amount = round(budget * (0.8 + 0.4 * rng.random()), 2)
            clicks = int(amount / 4.5)
            spend.append(
                {
                    "date": START + timedelta(days=d),
                    "channel": channel,
                    "platform": CHANNEL_PLATFORM[channel],
                    "program_id": program,
                    "amount": amount,
                    "currency": "USD",
                    "impressions": clicks * 41 + rng.randrange(50),
                    "clicks": clicks if d != 2 or program != "meta_retargeting" else 0,
                    "conversions": round(clicks * 0.07, 1),
                    "campaign": program,
                    "cost_micros": round(amount * 1_000_000),
                }
            )
    _write(sim_dir, "spend", spend)

    costs = [
        {"month": date(2025, m, 1), "category": cat, "item": item, "amount": amount}
        for m in (5, 6, 7)
        for cat, item, amount in [
            ("people", "Demand team salaries and benefits (6 FTE)", 78_000.0),
            ("tools", "CRM and marketing automation", 4_200.0),
            ("agency", "Freelance writers and design", 3_500.5),
        ]
    ]
    _write(sim_dir, "costs", costs)

    feedback = []
    for i in range(1, 25):
        kind = ["nps", "nps", "survey", "win_loss", "interview"][i % 5]
        p = ppl[i * 3]
        feedback.append(
            {
                "feedback_id": f"fb{i:04d}",
                "ts": _ts(rng, START + timedelta(days=i)),
                "account_id": p["account_id"],
                "person_id": p["person_id"] if i % 4 else None,
                "kind": kind,
                "score": float(rng.randrange(0, 11)) if kind != "survey" else 4.5,
                "text": rng.choice(
                    ["Setup took longer than expected", 'Loved the "close" view, really', ""]
                ),
                "tags": rng.choice([["onboarding", "pricing"], [], ["reporting"]]),
                "competitor": "Ledgerly" if kind == "win_loss" else None,
            }
        )
    _write(sim_dir, "feedback", feedback)

    signals = [
        {
            "signal_id": f"sig{i:03d}",
            "ts": _ts(rng, START + timedelta(days=i * 3)),
            "competitor": rng.choice(["Ledgerly", "PayStack ERP", "BillBox"]),
            "kind": rng.choice(["pricing_change", "hiring", "launch"]),
            "note": "Observed on the competitor's website, pricing page",
            "source": "manual",
        }
        for i in range(1, 9)
    ]
    _write(sim_dir, "competitor_signals", signals)

    web = []
    for d in range(DAYS):
        for source, medium, campaign in [
            ("google", "organic", None),
            ("(direct)", "(none)", None),
            ("google", "cpc", "google_high_intent"),
            ("newsletter", "email", "close_notes"),
            ("g2", "referral", None),
        ]:
            sessions = rng.randrange(0, 900) if d != 1 else 0
            web.append(
                {
                    "date": START + timedelta(days=d),
                    "source": source,
                    "medium": medium,
                    "campaign": campaign,
                    "sessions": sessions,
                    "engaged_sessions": sessions * 2 // 3,
                    "new_users": sessions // 2,
                    "key_events": sessions // 40,
                }
            )
    _write(sim_dir, "web_sessions", web)

    emails = [
        {
            "campaign_id": f"em{i:03d}",
            "title": f"[{i:02d}] Close Notes — month-end tips",
            "subject": f"Close in {i + 2} days, not {i + 9}",
            "send_time": datetime(2025, 5, 1 + i, 21 if i % 2 else 9, 30),
            "list_name": "Close Notes subscribers",
            "recipients": 4_000 + i * 10,
            "delivered": 3_950 + i * 10,
            "unique_opens": 1_085 + i,
            "unique_clicks": 32 + i,
            "unsubscribes": 4,
            "hard_bounces": 20,
            "soft_bounces": 30,
        }
        for i in range(1, 5)
    ]
    _write(sim_dir, "email_campaigns", emails)

    _write(sim_dir, "assets", [])
    _write(sim_dir, "audiences", [{"date": START, "channel": "newsletter", "size": 4_000}])
    return sim_dir
