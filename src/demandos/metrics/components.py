"""Components: the additive quantities every metric is built from, read with one query each.

A metric is never an average of ratios: it is a formula over components (sums and counts) taken
over the whole period (and dimension member). A component reads one canonical table with Ibis
and returns its value for several periods at once (one conditional aggregate per period), so the
same code runs on DuckDB and PostgreSQL.

*Flows* (pipeline, spend, leads) add up over time; *stocks* (open opportunities, audience size)
are read at a moment. Trailing averages sum flows and average stocks.

Costs come from the monthly ``costs`` table. A period gets each month's cost in proportion to the
days of that month it covers: a month, quarter or year gets whole months; an ISO week gets 7/30
of a 30-day month (or its share of two months when it straddles them). Costs of category
``media`` are left out: media comes from ``spend``, daily, so it is never counted twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import ibis

from demandos.metrics.periods import Period, _add_months
from demandos.store.facts import FactStore
from demandos.store.schema import table_schema

UNASSIGNED = "(unassigned)"
"""The member for rows without a value of the dimension, and for costs no dimension can carry."""

Series = dict[str | None, list[float | None]]
"""Values per dimension member (None: the total), one per period in the order asked."""

Measure = Callable[[Any, Any], Any]  # (ibis table, boolean "in the period") -> ibis scalar


def in_period(column: Any, kind: str, start: date, end: date) -> Any:
    """``start <= column < end`` with literals of the column's declared type."""
    if kind == "date":
        return (column >= ibis.literal(start)) & (column < ibis.literal(end))
    lo, hi = datetime.combine(start, time()), datetime.combine(end, time())
    return (column >= ibis.literal(lo, type="timestamp")) & (
        column < ibis.literal(hi, type="timestamp")
    )


def _member(t: Any, column: str) -> Any:
    return t[column].cast("string").fill_null(UNASSIGNED).name("member")


def _rows(expr: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = expr.to_pyarrow().to_pylist()
    return rows


def _series(rows: list[dict[str, Any]], count: int, by: str | None, *, zero: bool) -> Series:
    out: Series = {}
    for row in rows:
        key = row["member"] if by else None
        values = [row[f"p{i}"] for i in range(count)]
        out[key] = [float(v) if v is not None else (0.0 if zero else None) for v in values]
    if not out and by is None:
        out[None] = [0.0 if zero else None] * count
    return out


@dataclass(frozen=True)
class Component:
    """A quantity of one table, by period and optionally by a dimension."""

    name: str
    table: str
    dims: Mapping[str, str] = field(default_factory=dict)  # dimension -> column
    stock: bool = False
    additive: bool = True  # members sum to the total
    time: str | None = None  # the column that places a row in a period

    def supports(self, by: str) -> bool:
        return by in self.dims

    def fetch(self, facts: FactStore, periods: Sequence[Period], by: str | None) -> Series:
        raise NotImplementedError


@dataclass(frozen=True)
class Aggregate(Component):
    """An aggregate of the rows whose ``time`` falls in the period (a flow)."""

    measure: Measure = lambda t, w: t.count(where=w)
    where: Callable[[Any], Any] | None = None

    def fetch(self, facts: FactStore, periods: Sequence[Period], by: str | None) -> Series:
        assert self.time is not None
        t = facts.table(self.table)
        if self.where is not None:
            t = t.filter(self.where(t))
        kind = table_schema(self.table).column(self.time).type
        lo, hi = min(p.start for p in periods), max(p.end for p in periods)
        t = t.filter(in_period(t[self.time], kind, lo, hi))
        aggs = {
            f"p{i}": self.measure(t, in_period(t[self.time], kind, p.start, p.end))
            for i, p in enumerate(periods)
        }
        if by is None:
            expr = t.aggregate(**aggs)
        else:
            expr = t.group_by(_member(t, self.dims[by])).aggregate(**aggs)
        return _series(_rows(expr), len(periods), by, zero=self.additive)


@dataclass(frozen=True)
class OpenOpportunities(Component):
    """Opportunities open at the end of the period (a stock), from their latest state.

    Open at the end ``E``: created before ``E`` and not closed before ``E``; a closed deal
    without a close date counts as closed throughout.
    """

    stock: bool = True

    def fetch(self, facts: FactStore, periods: Sequence[Period], by: str | None) -> Series:
        t = facts.table(self.table)
        aggs = {}
        for i, p in enumerate(periods):
            end = ibis.literal(p.end)
            created = t.created_at < ibis.literal(datetime.combine(p.end, time()))
            closed = t.is_closed & (t.close_date.isnull() | (t.close_date < end))
            aggs[f"p{i}"] = t.count(where=created & ~closed)
        if by is None:
            expr = t.aggregate(**aggs)
        else:
            expr = t.group_by(_member(t, self.dims[by])).aggregate(**aggs)
        return _series(_rows(expr), len(periods), by, zero=True)


@dataclass(frozen=True)
class AudienceSize(Component):
    """Owned-audience size summed over channels, at the start or the end of the period.

    A channel's size at a moment is its last reading before it. Only channels read before the
    period starts count, at both ends, so a channel launched mid-period is not "growth".
    """

    at_end: bool = False
    stock: bool = True

    def fetch(self, facts: FactStore, periods: Sequence[Period], by: str | None) -> Series:
        t = facts.table(self.table)
        aggs = {}
        for i, p in enumerate(periods):
            aggs[f"s{i}"] = t["size"].argmax(t.date, where=t.date < ibis.literal(p.start))
            aggs[f"e{i}"] = t["size"].argmax(t.date, where=t.date < ibis.literal(p.end))
        rows = _rows(t.group_by(_member(t, "channel")).aggregate(**aggs))
        out: Series = {}
        for row in rows:
            key = row["member"] if by else None
            values = out.setdefault(key, [0.0] * len(periods))
            for i in range(len(periods)):
                if row[f"s{i}"] is not None:
                    values[i] = (values[i] or 0.0) + float(
                        row[("e" if self.at_end else "s") + str(i)]
                    )
        if not out and by is None:
            out[None] = [0.0] * len(periods)
        return out


@dataclass(frozen=True)
class AllocatedCosts(Component):
    """Non-media costs of the months a period covers, shared out by days (see module doc)."""

    def fetch(self, facts: FactStore, periods: Sequence[Period], by: str | None) -> Series:
        totals = self.monthly(facts, periods)
        values: list[float | None] = []
        for p in periods:
            values.append(sum(totals.get(m, 0.0) * share for m, share in month_shares(p)))
        return {(UNASSIGNED if by else None): values}

    def monthly(self, facts: FactStore, periods: Sequence[Period]) -> dict[date, float]:
        t = facts.table(self.table)
        lo = min(p.start for p in periods).replace(day=1)
        hi = max(p.end for p in periods)
        t = t.filter(t.category != "media", t.month >= ibis.literal(lo), t.month < ibis.literal(hi))
        rows = _rows(t.group_by(t.month.name("month")).aggregate(amount=t.amount.sum()))
        return {r["month"]: float(r["amount"] or 0.0) for r in rows}


def month_shares(period: Period) -> list[tuple[date, float]]:
    """Each month the period touches, with the share of that month's days it covers."""
    shares = []
    month = period.start.replace(day=1)
    while month < period.end:
        following = _add_months(month, 1)
        overlap = (min(following, period.end) - max(month, period.start)).days
        shares.append((month, overlap / (following - month).days))
        month = following
    return shares
