"""Components: the additive quantities every metric is built from, read with one query each.

A metric is never an average of ratios: it is a formula over components (sums and counts) taken
over the whole period (and dimension member). A component reads one canonical table with Ibis
and returns its value for several periods at once, so the same code runs on DuckDB, PostgreSQL
and Spark. Periods of one grain that tile the calendar (ISO weeks, months, calendar quarters) are
one GROUP BY on the period's start (``truncate``), however many there are; others (fiscal years
and quarters) are one conditional aggregate per period. :func:`fetch_many` reads the aggregates
that share a table, time column and filter with one query.

*Flows* (pipeline, spend, leads) add up over time; *stocks* (open opportunities, audience size)
are read at a moment. Trailing averages sum flows and average stocks.

Costs come from the monthly ``costs`` table. A period gets each month's cost in proportion to the
days of that month it covers: a month, quarter or year gets whole months; an ISO week gets 7/30
of a 30-day month (or its share of two months when it straddles them). Costs of category
``media`` are left out: media comes from ``spend``, daily, so it is never counted twice.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import accumulate
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
    matures_days: int = 0  # a period's value keeps changing this long after it ends (cohorts)

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
        return _aggregates(facts, [self], periods, by)[self.name]


_UNITS = {"week": "W", "month": "M", "quarter": "Q"}


def _unit(periods: Sequence[Period]) -> str | None:
    """The ``truncate`` unit that maps a row to its period's start, when one does."""
    grains = {p.grain for p in periods}
    if len(grains) != 1 or (grain := grains.pop()) not in _UNITS:
        return None
    if grain == "quarter" and any(p.start.month % 3 != 1 for p in periods):
        return None  # fiscal quarters that are not calendar quarters
    if not all(_whole(p) for p in periods):
        return None  # not whole calendar periods (e.g. a cumulative metric's windows)
    return _UNITS[grain]


def _whole(p: Period) -> bool:
    """Whether ``p`` is one whole ISO week, calendar month or calendar quarter."""
    if p.grain == "week":
        return p.start.weekday() == 0 and p.days == 7
    months = {"month": 1, "quarter": 3}.get(p.grain)
    return months is not None and p.start.day == 1 and p.end == _add_months(p.start, months)


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _buckets(rows: list[dict[str, Any]]) -> dict[str, list[tuple[date, Any]]]:
    """Rows of ``member, start, value``: each member's (bucket start, value), in time order."""
    out: dict[str, list[tuple[date, Any]]] = {}
    for row in rows:
        found = out.setdefault(row["member"], [])
        if row["start"] is not None:
            found.append((_day(row["start"]), row["value"]))
    return {member: sorted(found, key=lambda b: b[0]) for member, found in out.items()}


def _aggregates(
    facts: FactStore, comps: Sequence[Aggregate], periods: Sequence[Period], by: str | None
) -> dict[str, Series]:
    """Aggregates of one table, time column, filter and dimension column, in one query."""
    first = comps[0]
    assert first.time is not None
    t = facts.table(first.table)
    if first.where is not None:
        t = t.filter(first.where(t))
    kind = table_schema(first.table).column(first.time).type
    lo, hi = min(p.start for p in periods), max(p.end for p in periods)
    t = t.filter(in_period(t[first.time], kind, lo, hi))
    keys = [_member(t, first.dims[by])] if by else []
    unit = _unit(periods)
    if unit is None:
        aggs = {
            f"c{j}p{i}": c.measure(t, in_period(t[first.time], kind, p.start, p.end))
            for j, c in enumerate(comps)
            for i, p in enumerate(periods)
        }
        rows = _rows(t.group_by(keys).aggregate(**aggs) if keys else t.aggregate(**aggs))
        return {
            c.name: _series(
                [{"member": r.get("member"), **{f"p{i}": r[f"c{j}p{i}"] for i in
                  range(len(periods))}} for r in rows],
                len(periods), by, zero=c.additive,
            )
            for j, c in enumerate(comps)
        }  # fmt: skip
    everywhere = ibis.literal(True)
    aggs = {f"c{j}": c.measure(t, everywhere) for j, c in enumerate(comps)}
    start = t[first.time].truncate(unit).name("start")
    rows = _rows(t.group_by([*keys, start]).aggregate(**aggs))
    slots: dict[date, list[int]] = {}
    for i, p in enumerate(periods):
        slots.setdefault(p.start, []).append(i)
    out: dict[str, Series] = {}
    for j, c in enumerate(comps):
        found: dict[str | None, list[Any]] = {}
        for row in rows:
            values = found.setdefault(row["member"] if by else None, [None] * len(periods))
            for i in slots.get(_day(row["start"]), ()):
                values[i] = row[f"c{j}"]
        zero = 0.0 if c.additive else None
        series: Series = {
            key: [float(v) if v is not None else zero for v in values]
            for key, values in found.items()
        }
        if not series and by is None:
            series[None] = [zero] * len(periods)
        out[c.name] = series
    return out


def fetch_many(
    facts: FactStore, comps: Sequence[Component], periods: Sequence[Period], by: str | None
) -> dict[str, Series]:
    """Each component's series for ``periods``, by ``by`` where the component supports it.

    Aggregates that share a table, time column, filter (the same ``where`` function) and
    dimension column are read with one query; every other component with a query of its own.
    """
    out: dict[str, Series] = {}
    shared: dict[tuple[Any, ...], list[Aggregate]] = {}
    for comp in comps:
        dim = by if by is not None and comp.supports(by) else None
        if type(comp) is Aggregate:
            column = comp.dims[dim] if dim is not None else None
            shared.setdefault((comp.table, comp.time, comp.where, column, dim), []).append(comp)
        else:
            out[comp.name] = comp.fetch(facts, periods, dim)
    for (*_, dim), group in shared.items():
        out.update(_aggregates(facts, group, periods, dim))
    return out


@dataclass(frozen=True)
class OpenOpportunities(Component):
    """Opportunities open at the end of the period (a stock), from their latest state.

    Open at the end ``E``: created before ``E`` and not closed before ``E``; a closed deal
    without a close date counts as closed throughout.
    """

    stock: bool = True

    def fetch(self, facts: FactStore, periods: Sequence[Period], by: str | None) -> Series:
        unit = _unit(periods)
        if unit is not None:
            return self._bucketed(facts, periods, by, unit)
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

    def _bucketed(
        self, facts: FactStore, periods: Sequence[Period], by: str | None, unit: str
    ) -> Series:
        """Open at ``E`` = opened before ``E`` - gone before ``E``, from one grouped query.

        A deal *opens* at ``created_at`` and is *gone* at the later of ``created_at`` and its
        close date (at once without one) when closed; an unknown ``is_closed`` acts as closed,
        as in the per-period form. Periods end on a bucket boundary, so "before ``E``" is "in a
        bucket that starts before ``E``": a running sum over the buckets.
        """
        t = facts.table(self.table)
        member = _member(t, self.dims[by]) if by else ibis.literal(UNASSIGNED).name("member")
        closed_at = ibis.greatest(
            t.created_at, ibis.coalesce(t.close_date.cast("timestamp"), t.created_at)
        )
        gone = (t.created_at.notnull() & t.is_closed.fill_null(True)).ifelse(closed_at, None)
        opened = t.select(member, start=t.created_at.truncate(unit), delta=ibis.literal(1))
        closed = t.select(member, start=gone.truncate(unit), delta=ibis.literal(-1))
        moves = ibis.union(opened, closed, distinct=False)
        rows = _rows(moves.group_by("member", "start").aggregate(value=moves.delta.sum()))
        out: Series = {}
        for name, buckets in _buckets(rows).items():
            starts = [b for b, _ in buckets]
            running = list(accumulate(float(v) for _, v in buckets))
            into = out.setdefault(name if by else None, [0.0] * len(periods))
            for i, p in enumerate(periods):
                if k := bisect_left(starts, p.end):
                    into[i] = (into[i] or 0.0) + running[k - 1]
        if not out and by is None:
            out[None] = [0.0] * len(periods)
        return out


@dataclass(frozen=True)
class AudienceSize(Component):
    """Owned-audience size summed over channels, at the start or the end of the period.

    A channel's size at a moment is its last reading before it. Only channels read before the
    period starts count, at both ends, so a channel launched mid-period is not "growth".
    """

    at_end: bool = False
    stock: bool = True

    def fetch(self, facts: FactStore, periods: Sequence[Period], by: str | None) -> Series:
        unit = _unit(periods)
        if unit is not None:
            return self._bucketed(facts, periods, by, unit)
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

    def _bucketed(
        self, facts: FactStore, periods: Sequence[Period], by: str | None, unit: str
    ) -> Series:
        """The last reading of each channel in each bucket; a period's ends carry it forward."""
        t = facts.table(self.table)
        start = t.date.truncate(unit).name("start")
        last = t["size"].argmax(t.date)
        rows = _rows(t.group_by(_member(t, "channel"), start).aggregate(value=last))
        out: Series = {}
        for name, buckets in _buckets(rows).items():
            starts = [b for b, _ in buckets]
            into = out.setdefault(name if by else None, [0.0] * len(periods))
            for i, p in enumerate(periods):
                if k := bisect_left(starts, p.start):  # read before the period starts
                    at = bisect_left(starts, p.end) if self.at_end else k
                    into[i] = (into[i] or 0.0) + float(buckets[at - 1][1])
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
