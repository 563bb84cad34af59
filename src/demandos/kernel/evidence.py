"""The evidence a kernel review reads: a window's deals, each placed in the kernel, and what the
market said about them.

The window is the quarters before a period's end (:func:`window_for`, four by default). A deal is
in it when it was created in it (it counts for pipeline and deal size) or closed in it (it counts
for win rate, and for cycle length when won), the way the metrics engine places deals in periods.

Where a deal sits in the kernel:

=========  ===============================================================================
segment    its account's segment (:mod:`demandos.kernel.fit`); ``(unassigned)`` without a
           known account
persona    the persona of the first lead on its account in the ``LOOKBACK_DAYS`` before the
           deal was created (the rule cohort DER and deals' channels use); ``(no lead)``
           when there is none
pillar     the message pillar of the first touch on its account (the touch's own account,
           else its person's) in the ``LOOKBACK_DAYS`` before the deal was created, among
           touches that carry one (asset pillar, else program pillar); ``(no pillar)`` when
           no such touch
=========  ===============================================================================

Win/loss notes (``feedback`` of kind ``win_loss``) are placed by their ``ts`` and take the
outcome of the last deal on their account closed in the ``NOTE_DAYS`` before them.
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from demandos.kernel.fit import segment_of
from demandos.kernel.mapping import NO_PILLAR, KernelMap
from demandos.metrics.components import UNASSIGNED, in_period
from demandos.metrics.periods import Period
from demandos.spec.channels import ChannelsSpec
from demandos.spec.kernel import KernelSpec
from demandos.store.facts import FactStore

LOOKBACK_DAYS = 180
"""How long before a deal its account's first lead and first pillar touch are looked for."""
NOTE_DAYS = 60
"""How long after a deal closed a win/loss note on its account is about that deal."""
NO_LEAD = "(no lead)"
"""The persona of a deal whose account had no lead in the ``LOOKBACK_DAYS`` before it."""
DIMENSIONS = ("segment", "persona", "pillar")


@dataclass(frozen=True)
class Window:
    """The days a kernel review reads: ``start`` inclusive, ``end`` exclusive."""

    start: date
    end: date
    label: str
    quarters: int

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end.toordinal() - 1)

    def describe(self) -> str:
        return f"{self.label} ({self.start.isoformat()} to {self.last_day.isoformat()})"


def months_before(day: date, months: int) -> date:
    """The same day ``months`` months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def window_for(period: Period, quarters: int = 4) -> Window:
    """The ``quarters`` quarters that end where ``period`` ends."""
    if quarters < 1:
        raise ValueError("a kernel review window needs at least one quarter")
    if period.grain == "quarter":
        first = period.shift(-(quarters - 1))
        label = period.label if quarters == 1 else f"{first.label} to {period.label}"
        return Window(first.start, period.end, label, quarters)
    start = months_before(period.end, 3 * quarters)
    label = f"the {quarters} quarters to {period.label}"
    return Window(start, period.end, label, quarters)


@dataclass(frozen=True)
class Deal:
    """One opportunity of the window, with its place in the kernel and its account's
    firmographics (what a segment's rules test)."""

    opp_id: str
    amount: float
    created: bool  # created in the window
    closed: bool  # closed in the window
    won: bool
    cycle_days: float | None  # won and closed in the window: close date - creation day
    segment: str
    persona: str
    pillar: str
    industry: str | None = None
    country: str | None = None
    employees: float | None = None
    annual_revenue: float | None = None

    def member(self, dimension: str) -> str:
        value: str = getattr(self, dimension)
        return value


def _timestamp(day: date) -> ir.TimestampScalar:
    return ibis.literal(datetime(day.year, day.month, day.day), type="timestamp")


def _first_persona(facts: FactStore, km: KernelMap, deals: ir.Table) -> ir.Table:
    p = km.add("people", facts.table("people"), ["persona"])
    p = p.filter(p.account_id.notnull(), p.lead_at.notnull())
    leads = p.select(_l_account=p.account_id, _l_at=p.lead_at, _l_persona=p._persona)
    j = deals.join(leads, deals.account_id == leads._l_account)
    j = j.filter(
        j._l_at <= j.created_at, j._l_at >= j.created_at - ibis.interval(days=LOOKBACK_DAYS)
    )
    return j.group_by(_p_opp=j.opp_id).aggregate(_p_persona=j._l_persona.argmin(j._l_at))


def _first_pillar(facts: FactStore, km: KernelMap, deals: ir.Table) -> ir.Table:
    t = km.add("touchpoints", facts.table("touchpoints"), ["pillar"])
    t = t.filter(t._pillar.notnull(), t._pillar != NO_PILLAR)
    people = facts.table("people").select(_t_person=ibis._.person_id, _t_acc=ibis._.account_id)
    t = t.left_join(people, t.person_id == people._t_person)
    t = t.select(_t_account=ibis.coalesce(t.account_id, t._t_acc), _t_at=t.ts, _t_pillar=t._pillar)
    j = deals.join(t, deals.account_id == t._t_account)
    j = j.filter(
        j._t_at <= j.created_at, j._t_at >= j.created_at - ibis.interval(days=LOOKBACK_DAYS)
    )
    return j.group_by(_q_opp=j.opp_id).aggregate(_q_pillar=j._t_pillar.argmin(j._t_at))


def read_deals(
    facts: FactStore, kernel: KernelSpec, channels: ChannelsSpec, window: Window
) -> list[Deal]:
    """Every deal created or closed in ``window``, placed in the kernel (see the module doc)."""
    km = KernelMap(kernel, channels, facts.table)
    o = facts.table("opportunities")
    created = in_period(o.created_at, "timestamp", window.start, window.end).fill_null(False)
    closed = (o.is_closed & in_period(o.close_date, "date", window.start, window.end)).fill_null(
        False
    )
    deals = o.filter(created | closed).select(
        "opp_id", "account_id", "created_at", "amount", "close_date", "is_won",
        _created=created, _closed=closed,
    )  # fmt: skip
    a = facts.table("accounts")
    accounts = a.select(
        _a_id=a.account_id,
        _a_segment=segment_of(a, kernel.segments),
        _a_industry=a.industry,
        _a_country=a.country,
        _a_employees=a.employees.cast("float64"),
        _a_revenue=a.annual_revenue.cast("float64"),
    )
    personas = _first_persona(facts, km, deals)
    pillars = _first_pillar(facts, km, deals)
    j = deals.left_join(accounts, deals.account_id == accounts._a_id)
    j = j.left_join(personas, j.opp_id == personas._p_opp)
    j = j.left_join(pillars, j.opp_id == pillars._q_opp)
    rows: list[dict[str, Any]] = (
        j.select(
            "opp_id", "created_at", "amount", "close_date", "is_won", "_created", "_closed",
            "_a_segment", "_a_industry", "_a_country", "_a_employees", "_a_revenue",
            "_p_persona", "_q_pillar",
        )
        .order_by("opp_id")
        .to_pyarrow()
        .to_pylist()
    )  # fmt: skip
    return [_deal(r) for r in rows]


def _deal(r: dict[str, Any]) -> Deal:
    won = bool(r["is_won"]) and bool(r["_closed"])
    cycle = None
    if won and r["close_date"] is not None and r["created_at"] is not None:
        cycle = float((r["close_date"] - r["created_at"].date()).days)
    return Deal(
        opp_id=str(r["opp_id"]),
        amount=float(r["amount"] or 0.0),
        created=bool(r["_created"]),
        closed=bool(r["_closed"]),
        won=won,
        cycle_days=cycle,
        segment=r["_a_segment"] or UNASSIGNED,
        persona=r["_p_persona"] or NO_LEAD,
        pillar=r["_q_pillar"] or NO_PILLAR,
        industry=r["_a_industry"],
        country=r["_a_country"],
        employees=r["_a_employees"],
        annual_revenue=r["_a_revenue"],
    )


def read_media(
    facts: FactStore, kernel: KernelSpec, channels: ChannelsSpec, window: Window, dimension: str
) -> dict[str, float] | None:
    """Media spend in ``window`` by the segment or pillar of its program (channels.yaml's first
    one, as the metrics engine maps spend); None for dimensions spend cannot carry (persona)."""
    if dimension not in ("segment", "pillar"):
        return None
    km = KernelMap(kernel, channels, facts.table)
    s = km.add("spend", facts.table("spend"), [dimension])
    s = s.filter(in_period(s.date, "date", window.start, window.end))
    column = f"_{dimension}"
    rows = (
        s.group_by(member=s[column].fill_null(UNASSIGNED))
        .aggregate(amount=s.amount.sum())
        .to_pyarrow()
        .to_pylist()
    )
    return {r["member"]: float(r["amount"] or 0.0) for r in rows}


@dataclass(frozen=True)
class Note:
    """A win/loss note of the window: who it is about and what it says."""

    ts: datetime
    segment: str
    outcome: str | None  # "won", "lost", or None when no deal of its account closed before it
    tags: tuple[str, ...]
    competitor: str | None


def read_notes(
    facts: FactStore, kernel: KernelSpec, channels: ChannelsSpec, window: Window
) -> list[Note]:
    """The win/loss notes written in ``window``, oldest first."""
    km = KernelMap(kernel, channels, facts.table)
    f = km.add("feedback", facts.table("feedback"), ["segment"])
    f = f.filter(f.kind == "win_loss", in_period(f.ts, "timestamp", window.start, window.end))
    o = facts.table("opportunities")
    o = o.filter(o.is_closed, o.close_date.notnull(), o.account_id.notnull())
    o = o.select(_o_account=o.account_id, _o_close=o.close_date, _o_won=o.is_won)
    j = f.join(o, f.account_id == o._o_account)
    day = j.ts.date()
    j = j.filter(j._o_close <= day, j._o_close >= day - ibis.interval(days=NOTE_DAYS))
    outcome = j.group_by(_n_id=j.feedback_id).aggregate(_n_won=j._o_won.argmax(j._o_close))
    f = f.left_join(outcome, f.feedback_id == outcome._n_id)
    rows: list[dict[str, Any]] = (
        f.select("feedback_id", "ts", "tags", "competitor", "_segment", "_n_won")
        .order_by(["ts", "feedback_id"])
        .to_pyarrow()
        .to_pylist()
    )
    return [
        Note(
            ts=r["ts"],
            segment=r["_segment"] or UNASSIGNED,
            outcome=None if r["_n_won"] is None else ("won" if r["_n_won"] else "lost"),
            tags=tuple(t for t in (r["tags"] or ()) if t),
            competitor=(r["competitor"] or "").strip() or None,
        )
        for r in rows
    ]


def read_data_end(facts: FactStore) -> date | None:
    """The last day an opportunity was created or closed on (None without opportunities)."""
    o = facts.table("opportunities")
    row = o.aggregate(
        created=o.created_at.max(), closed=o.close_date.max(where=o.is_closed)
    ).to_pyarrow()
    days = [v.date() if isinstance(v, datetime) else v for v in row.to_pylist()[0].values()]
    found = [d for d in days if d is not None]
    return max(found) if found else None


def read_signals(facts: FactStore, window: Window) -> Counter[str]:
    """Competitor signals observed in ``window``, by competitor."""
    s = facts.table("competitor_signals")
    s = s.filter(in_period(s.ts, "timestamp", window.start, window.end))
    rows = s.group_by("competitor").aggregate(n=s.count()).to_pyarrow().to_pylist()
    return Counter({str(r["competitor"]): int(r["n"]) for r in rows if r["competitor"]})
