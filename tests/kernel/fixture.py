"""A seeded company of a few thousand deals whose true differences the tests set.

``Truth`` says how deals behave by segment (and, inside mid_market_finance, by industry), by
persona and by message pillar, and how often a competitor is named; :func:`build` draws a company
from it and loads it into a starter workspace (the starter kernel: segments mid_market_finance
and scaling_saas, personas controller, finance_leader and ap_manager, pillars close_faster,
control_spend and audit_ready). :data:`NULL` makes every group the same, :data:`SIGNAL` builds in
one difference of each kind a proposal can be made for.

Each deal has one account, one lead on it a few days before the deal (its persona) and one touch
with an asset (its pillar); win probability adds the segment's (or industry's) rate and the
pillar's shift; deal size multiplies a lognormal amount by the persona's factor; cycles are gamma
with the segment's mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from demandos.store.schema import table_schema
from demandos.workspace import Workspace

START = datetime(2025, 4, 1)  # first deal created
END = datetime(2026, 10, 1)  # last deal created before this; the data ends here
SEGMENTS = {  # segment: (share, industries, employees, revenue, countries)
    "mid_market_finance": (
        0.4, ("Manufacturing", "Wholesale", "Professional Services", "Healthcare"), (300, 1500),
        (1e8, 5e8), ("US", "CA"),
    ),
    "scaling_saas": (0.3, ("Software", "Internet"), (150, 800), (2e7, 9e7), ("US", "GB")),
    "(no segment)": (0.3, ("Retail", "Education"), (20, 5000), (1e6, 1e9), ("FR", "BR")),
}  # fmt: skip
PERSONAS = {  # persona: a title it matches ("" matches none)
    "controller": "Financial Controller",
    "finance_leader": "CFO",
    "ap_manager": "Accounts Payable Manager",
    "(no persona)": "Office Manager",
}
PILLARS = ("close_faster", "control_spend", "audit_ready", "")  # "" an asset without a pillar
COMPETITORS = ("BillBox", "Ledgerly")


@dataclass(frozen=True)
class Truth:
    win_rate: dict[str, float]  # by segment; "healthcare" overrides inside mid_market_finance
    cycle_days: dict[str, float]  # by segment
    deal_factor: dict[str, float]  # by persona
    pillar_shift: dict[str, float]  # added to the win rate, by pillar ("" none)
    mention: dict[str, tuple[float, float]]  # competitor: (share of notes before, last quarter)
    deals: int = 4000
    deal_mean: float = 20_000.0
    note_share: float = 0.5  # of closed deals that get a win/loss note
    extra: dict[str, Any] = field(default_factory=dict)


NULL = Truth(
    win_rate=dict.fromkeys((*SEGMENTS, "healthcare"), 0.3),
    cycle_days=dict.fromkeys(SEGMENTS, 60.0),
    deal_factor=dict.fromkeys(PERSONAS, 1.0),
    pillar_shift=dict.fromkeys(PILLARS, 0.0),
    mention={"BillBox": (0.15, 0.15), "Ledgerly": (0.15, 0.15)},
)
"""Every segment, industry, persona, pillar and quarter alike: no proposal is true."""

# fmt: off
SIGNAL = Truth(
    # mid_market_finance wins 0.45 outside Healthcare and 0.12 in it (0.37 overall); the rest of
    # the deals win about 0.25: promote mid_market_finance, deprioritize scaling_saas, and drop
    # Healthcare from mid_market_finance's industries.
    win_rate={"mid_market_finance": 0.45, "healthcare": 0.12, "scaling_saas": 0.18,
              "(no segment)": 0.3},
    # scaling_saas closes in half the time: counter-evidence to deprioritizing it.
    cycle_days={"mid_market_finance": 60.0, "scaling_saas": 30.0, "(no segment)": 60.0},
    # finance_leader deals are 1.5x, ap_manager 0.6x; controller equals the rest of the deals:
    # 1.05 against (1.5 + 0.6 + 1.05 [no persona]) / 3 = 1.05
    deal_factor={"controller": 1.05, "finance_leader": 1.5, "ap_manager": 0.6,
                 "(no persona)": 1.05},
    # close_faster +0.1, audit_ready -0.1, control_spend equals the rest (0 against +0.1, -0.1, 0)
    pillar_shift={"close_faster": 0.1, "control_spend": 0.0, "audit_ready": -0.1, "": 0.0},
    # BillBox triples in the last quarter; Ledgerly stays
    mention={"BillBox": (0.08, 0.3), "Ledgerly": (0.15, 0.15)},
)
# fmt: on
"""One built-in difference of each kind: segment (both ways), rule, persona, pillar, rising
competitor; and members that equal the rest (controller, control_spend, Ledgerly)."""


def _pick(g: np.random.Generator, options: tuple[Any, ...] | list[Any], n: int) -> list[Any]:
    return [options[i] for i in g.integers(0, len(options), size=n)]


def tables(truth: Truth, seed: int) -> dict[str, list[dict[str, Any]]]:
    """The canonical rows of a company drawn from ``truth``."""
    g = np.random.default_rng(seed)
    n = truth.deals
    names = list(SEGMENTS)
    shares = np.array([SEGMENTS[s][0] for s in names])
    seg = [names[i] for i in g.choice(len(names), size=n, p=shares / shares.sum())]
    persona = _pick(g, list(PERSONAS), n)
    pillar = _pick(g, PILLARS, n)
    span = (END - START).total_seconds()
    accounts, people, opps, touches, notes = [], [], [], [], []
    assets = [
        {"asset_id": f"as-{p or 'none'}", "title": f"Guide {p}", "type": "guide",
         "pillar": p or None, "status": "published"}
        for p in PILLARS
    ]  # fmt: skip
    for i in range(n):
        s = seg[i]
        _, industries, emp, rev, countries = SEGMENTS[s]
        industry = _pick(g, industries, 1)[0]
        acc = f"acc-{i:05d}"
        accounts.append({
            "account_id": acc, "name": f"Company {i}", "industry": industry,
            "employees": int(g.integers(emp[0], emp[1] + 1)),
            "annual_revenue": float(round(g.uniform(*rev), -3)),
            "country": _pick(g, countries, 1)[0],
        })  # fmt: skip
        created = START + timedelta(seconds=float(g.uniform(0, span)))
        people.append({
            "person_id": f"p-{i:05d}", "account_id": acc, "title": PERSONAS[persona[i]],
            "created_at": created - timedelta(days=20), "lead_at": created - timedelta(days=20),
        })  # fmt: skip
        touches.append({
            "touch_id": f"t-{i:05d}", "ts": created - timedelta(days=10), "person_id": None,
            "account_id": acc, "channel": "website", "program_id": None,
            "asset_id": f"as-{pillar[i] or 'none'}", "touch_type": "content_download",
        })  # fmt: skip
        rate = truth.win_rate["healthcare" if industry == "Healthcare" else s]
        won = bool(g.random() < rate + truth.pillar_shift[pillar[i]])
        cycle = float(g.gamma(3.0, truth.cycle_days[s] / 3.0))
        close = (created + timedelta(days=cycle)).date()
        closed = close < END.date()
        amount = round(float(g.lognormal(np.log(truth.deal_mean) - 0.125, 0.5))
                       * truth.deal_factor[persona[i]], -2)  # fmt: skip
        opps.append({
            "opp_id": f"o-{i:05d}", "account_id": acc, "created_at": created, "amount": amount,
            "stage": ("Closed Won" if won else "Closed Lost") if closed else "Proposal",
            "close_date": close, "is_closed": closed, "is_won": won and closed, "source": None,
        })  # fmt: skip
        if closed and g.random() < truth.note_share:
            ts = datetime.combine(close, datetime.min.time()) + timedelta(days=2)
            recent = ts.date() >= date(2026, 7, 1)
            competitor = None
            draw = g.random()
            for name in COMPETITORS:
                share = truth.mention[name][1 if recent else 0]
                if draw < share:
                    competitor = name
                    break
                draw -= share
            if ts < END:
                notes.append({
                    "feedback_id": f"wl-{i:05d}", "ts": ts, "account_id": acc,
                    "person_id": f"p-{i:05d}", "kind": "win_loss",
                    "text": "Chose us" if won else "Went elsewhere",
                    "tags": ["automation"] if won else ["price"], "competitor": competitor,
                })  # fmt: skip
    return {
        "accounts": accounts, "people": people, "opportunities": opps, "touchpoints": touches,
        "assets": assets, "feedback": notes,
    }  # fmt: skip


def build(root: Path, truth: Truth, seed: int) -> Workspace:
    """A starter workspace at ``root`` with the company drawn from ``truth`` loaded."""
    return load(root, tables(truth, seed))


def load(root: Path, rows_by_table: dict[str, list[dict[str, Any]]]) -> Workspace:
    """A starter workspace at ``root`` with these canonical rows loaded (``Workspace.load``)."""
    ws = Workspace.init(root, name="Kernel fixture")
    data = root / "data"
    data.mkdir()
    paths = []
    for name, rows in rows_by_table.items():
        schema = table_schema(name).arrow_schema()
        cols = list(dict.fromkeys(k for row in rows for k in row))
        table = pa.Table.from_pylist(rows, schema=pa.schema([schema.field(c) for c in cols]))
        path = data / f"{name}.parquet"
        pq.write_table(table, path)
        paths.append(path)
    ws.load(paths)
    return ws
