"""SLA clocks: when a step is due, and how much of its time has gone, in calendar time or in
business hours.

Pure functions of aware datetimes (any zone in, UTC out):

    clock = Clock.business(BusinessHours(), "Europe/Berlin")
    clock.due(friday_16h, clock.allowance(timedelta(hours=4)))   # Monday 12:00 Berlin
    clock.elapsed(start, end)                                     # working time between them

Calendar time is elapsed time: ``1d`` is 24 hours, so across a daylight-saving change the due
time moves by an hour on the wall clock. Business time counts only the working hours of the
working days (holidays excluded), read on the wall clock of the workspace timezone, so a working
day is 09:00-17:00 local on both sides of a DST change.

An SLA becomes working time through :meth:`Clock.allowance`: hours and minutes are working hours
and minutes, a day is one working day (``end - start``), a week the working days of one week.
``24h`` is the same duration as ``1d`` in a spec, so it reads as one working day too.

Laws (tested with Hypothesis): ``due(s, a + b) == due(due(s, a), b)`` and
``elapsed(s, due(s, d)) == d`` for working time ``a, b, d >= 0``; ``elapsed`` is additive over
adjacent intervals and ``elapsed(a, b) == -elapsed(b, a)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from demandos.spec.workflows import BusinessHours
from demandos.spec.workspace import WorkspaceSpec

ZERO = timedelta()
_MAX_DAYS = 366 * 20  # a clock that finds no working time in 20 years has no working days


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment} has no timezone; SLA clocks take aware datetimes")
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Clock:
    """How SLAs are counted: every hour (``hours is None``) or the business hours in ``zone``."""

    zone: ZoneInfo
    hours: BusinessHours | None = None

    @classmethod
    def calendar(cls, zone: str = "UTC") -> Clock:
        return cls(ZoneInfo(zone))

    @classmethod
    def business(cls, hours: BusinessHours, zone: str = "UTC") -> Clock:
        return cls(ZoneInfo(zone), hours)

    @property
    def is_business(self) -> bool:
        return self.hours is not None

    @property
    def label(self) -> str:
        return "business hours" if self.hours else "calendar time"

    # -- SLA → working time --------------------------------------------------------------

    def allowance(self, sla: timedelta) -> timedelta:
        """The working time an SLA allows: itself in calendar time; in business hours, whole
        days are working days and weeks are the working days of a week."""
        if self.hours is None:
            return sla
        day = _day_length(self.hours)
        weeks, days = divmod(sla.days, 7)
        rest = sla - timedelta(days=sla.days)
        return (weeks * len(self.hours.days) + days) * day + rest

    def describe(self, span: timedelta) -> str:
        """A span as a person reads it: ``1d 4h`` in calendar time; in business hours whole
        working days first (``2 working days 3h``), since a working day is not 24 hours."""
        if self.hours is None:
            return format_span(span)
        day = _day_length(self.hours)
        sign, rest = ("-" if span < ZERO else ""), abs(span)
        days, rest = divmod(rest, day)
        head = f"{days} working day{'s' if days != 1 else ''}" if days else ""
        tail = format_span(rest) if rest or not days else ""
        return sign + " ".join(part for part in (head, tail) if part)

    # -- the clock -----------------------------------------------------------------------

    def due(self, start: datetime, allowed: timedelta) -> datetime:
        """When ``allowed`` working time after ``start`` runs out (UTC)."""
        if allowed < ZERO:
            raise ValueError("an SLA allowance cannot be negative")
        begin = _utc(start)
        if self.hours is None or allowed == ZERO:
            return begin + allowed
        left = allowed
        for opens, closes in self._windows(begin):
            at = max(begin, opens)
            if at >= closes:
                continue
            if left <= closes - at:
                return at + left
            left -= closes - at
        raise ValueError("business hours have no working time: check days and holidays")

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time from ``start`` to ``end`` (negative when ``end`` is earlier)."""
        a, b = _utc(start), _utc(end)
        if b < a:
            return -self.elapsed(end, start)
        if self.hours is None:
            return b - a
        total = ZERO
        for opens, closes in self._windows(a):
            if opens >= b:
                break
            overlap = min(closes, b) - max(opens, a)
            if overlap > ZERO:
                total += overlap
        return total

    def _windows(self, begin: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals (UTC) from the local day of ``begin`` on."""
        assert self.hours is not None
        hours = self.hours
        day = begin.astimezone(self.zone).date()
        holidays = set(hours.holidays)
        for _ in range(_MAX_DAYS):
            if day.weekday() in hours.days and day not in holidays:
                yield (
                    _local(day, hours.start, self.zone),
                    _local(day, hours.end, self.zone),
                )
            day += timedelta(days=1)


def workflow_clock(workspace: WorkspaceSpec, kind: str) -> Clock:
    """The clock of a workflow with ``clock: kind`` in a workspace: its timezone, and its
    business hours for ``business``."""
    if kind == "business":
        return Clock.business(workspace.business_hours, workspace.timezone)
    return Clock.calendar(workspace.timezone)


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _day_length(hours: BusinessHours) -> timedelta:
    return datetime.combine(date.min, hours.end) - datetime.combine(date.min, hours.start)


def format_span(value: timedelta) -> str:
    """``1d 4h 5m`` for a span (days of 24 hours), ``-2h`` when negative, ``0m`` when none."""
    sign = "-" if value < ZERO else ""
    minutes = int(abs(value).total_seconds() // 60)
    parts = []
    for unit, size in (("d", 24 * 60), ("h", 60), ("m", 1)):
        if minutes >= size:
            parts.append(f"{minutes // size}{unit}")
            minutes %= size
    return sign + (" ".join(parts) or "0m")
