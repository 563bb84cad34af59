"""The rhythm of cadence.yaml as dates: when each ritual meets, and which instance a meeting is.

    occurrences(specs, date(2026, 11, 1), date(2026, 12, 1))   # every meeting in November
    ritual_instance(specs, "monday_review", "2026-W48")        # the Monday review of that week

A ritual *instance* is one meeting of a ritual, named by the ritual id and the period the meeting
falls in: a weekly ritual by its ISO week (``2026-W48``), a monthly one by its month
(``2026-11``), a quarterly one by its quarter (``2026-Q4``, or ``FY2027-Q1`` when the fiscal year
does not start in January). A Monday review held in week 48 is ``monday_review 2026-W48``; the
week it looks back on is the one before.

Times are wall-clock times in the workspace timezone: a ritual at 09:30 meets at 09:30 local time
on both sides of a daylight-saving change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from demandos.errors import CadenceError
from demandos.metrics.periods import Period, current_period, parse_period
from demandos.spec.cadence import ORDINALS, Ritual, weekdays_in
from demandos.spec.fields import WEEKDAYS
from demandos.suggest import did_you_mean

if TYPE_CHECKING:
    from demandos.spec import Specs

ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
GRAIN = {"weekly": "week", "monthly": "month", "quarterly": "quarter"}
"""The reporting grain of each frequency: the kind of period that names a ritual instance."""


@dataclass(frozen=True)
class Occurrence:
    """One meeting of a ritual: when it starts and ends (aware, workspace timezone), its period."""

    ritual: Ritual
    start: datetime
    end: datetime
    period: str  # the instance's period label: 2026-W48, 2026-11, 2026-Q4, FY2027-Q1

    @property
    def ritual_id(self) -> str:
        return self.ritual.id

    @property
    def key(self) -> str:
        """``monday_review 2026-W48``: how the operating log names this instance."""
        return f"{self.ritual.id} {self.period}"


def weekday_of(ritual: Ritual) -> tuple[int | None, int]:
    """(which week of the month: 1-4 or -1 for last, None for weekly; weekday 0 = Monday).

    A weekly ritual that meets on a range of days (``tuesday-thursday``) gives its first day;
    ``weekdays_of`` gives them all.
    """
    if ritual.frequency == "weekly":
        return None, weekdays_of(ritual)[0]
    words = " ".join(ritual.day.strip().lower().split()).split()
    weekday = WEEKDAYS.index(words[-1])
    ordinal = ORDINALS.index(words[0])
    return (-1 if words[0] == "last" else ordinal + 1), weekday


def weekdays_of(ritual: Ritual) -> tuple[int, ...]:
    """Every weekday (0 = Monday) a ritual meets on in its week: one, or a weekly range."""
    if ritual.frequency == "weekly":
        return weekdays_in(ritual.day) or ()
    return (weekday_of(ritual)[1],)


def ritual_months(ritual: Ritual, fiscal_year_start_month: int) -> tuple[int, ...]:
    """The months (1-12) a monthly or quarterly ritual meets in, in calendar order."""
    if ritual.frequency == "monthly":
        return tuple(range(1, 13))
    first = (fiscal_year_start_month - 1 + ritual.month_of_quarter - 1) % 3
    return tuple(month + 1 for month in range(first, 12, 3))


def nth_weekday(year: int, month: int, nth: int, weekday: int) -> date:
    """The ``nth`` (1-4, or -1 for the last) ``weekday`` (0 = Monday) of a month."""
    if nth == -1:
        following = date(year + month // 12, month % 12 + 1, 1)
        last = following - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def meeting_days(
    ritual: Ritual, start: date, end: date, *, fiscal_year_start_month: int = 1
) -> list[date]:
    """The days ``ritual`` meets on, ``start <= day < end``."""
    nth, weekday = weekday_of(ritual)
    if nth is None:
        days = []
        for weekday in weekdays_of(ritual):
            first = start + timedelta(days=(weekday - start.weekday()) % 7)
            weeks = max(0, (end - first).days + 6) // 7
            days += [first + timedelta(weeks=n) for n in range(weeks)]
        return sorted(days)
    months = ritual_months(ritual, fiscal_year_start_month)
    days = []
    year, month = start.year, start.month
    while date(year, month, 1) < end:
        if month in months:
            day = nth_weekday(year, month, nth, weekday)
            if start <= day < end:
                days.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


def instance_period(ritual: Ritual, day: date, *, fiscal_year_start_month: int = 1) -> Period:
    """The period that names the instance of ``ritual`` meeting on ``day``."""
    fy = fiscal_year_start_month
    if ritual.frequency == "weekly":
        return current_period("week", day, fiscal_year_start_month=fy)
    if ritual.frequency == "monthly":
        return current_period("month", day, fiscal_year_start_month=fy)
    if fy == 1:
        return current_period("quarter", day, fiscal_year_start_month=fy)
    fiscal_year = day.year + 1 if day.month >= fy else day.year
    quarter = (day.month - fy) % 12 // 3 + 1
    return parse_period(f"FY{fiscal_year}-Q{quarter}", fiscal_year_start_month=fy)


def _occurrence(ritual: Ritual, day: date, zone: ZoneInfo, fy: int) -> Occurrence:
    start = datetime.combine(day, ritual.time, tzinfo=zone)
    # Wall-clock arithmetic: a meeting spanning a DST change still lasts its minutes in practice,
    # and calendars compute the end from DTSTART + DURATION the same way.
    end = start + timedelta(minutes=ritual.duration_minutes)
    period = instance_period(ritual, day, fiscal_year_start_month=fy).label
    return Occurrence(ritual, start, end, period)


def occurrences(
    specs: Specs, start: date, end: date, *, rituals: tuple[str, ...] | None = None
) -> list[Occurrence]:
    """Every meeting of the rhythm with ``start <= day < end``, in time order.

    ``rituals`` limits the list to those ritual ids (unknown ids raise ``CadenceError``).
    """
    chosen = [find_ritual(specs, r) for r in rituals] if rituals else specs.cadence.rituals
    zone = ZoneInfo(specs.workspace.timezone)
    fy = specs.workspace.fiscal_year_start_month
    found = [
        _occurrence(ritual, day, zone, fy)
        for ritual in chosen
        for day in meeting_days(ritual, start, end, fiscal_year_start_month=fy)
    ]
    return sorted(found, key=lambda o: (o.start, o.ritual.id))


def find_ritual(specs: Specs, ritual_id: str) -> Ritual:
    """The ritual with this id in cadence.yaml; ``CadenceError`` with a did-you-mean otherwise."""
    ids = [r.id for r in specs.cadence.rituals]
    for ritual in specs.cadence.rituals:
        if ritual.id == ritual_id:
            return ritual
    guess = did_you_mean(ritual_id, ids)
    raise CadenceError(
        f"unknown ritual {ritual_id!r}: cadence.yaml has no ritual with this id",
        hint=(f"{guess} " if guess else "") + f"rituals in cadence.yaml: {', '.join(ids)}",
    )


def ritual_instance(specs: Specs, ritual_id: str, period: str) -> Occurrence:
    """The meeting of ``ritual_id`` in ``period`` (a week, month or quarter label).

    A period of the wrong kind for the ritual (a month for a weekly review) raises
    ``CadenceError`` naming the kind expected; so does a period the ritual does not meet in.
    """
    ritual = find_ritual(specs, ritual_id)
    fy = specs.workspace.fiscal_year_start_month
    grain = GRAIN[ritual.frequency]
    example = {"week": "2026-W47", "month": "2026-11", "quarter": "2026-Q4"}[grain]
    try:
        when = parse_period(period, fiscal_year_start_month=fy)
    except Exception as exc:  # MetricError: say it for this ritual
        raise CadenceError(
            f"{period!r} is not a period: {ritual_id} is {ritual.frequency}, "
            f"so its instances are named by {grain}",
            hint=f"write the {grain}, e.g. {example}",
        ) from exc
    if when.grain != grain:
        raise CadenceError(
            f"{period!r} is a {when.grain}, but {ritual_id} is {ritual.frequency}",
            hint=f"name the {grain} the meeting falls in, e.g. {example}",
        )
    days = meeting_days(ritual, when.start, when.end, fiscal_year_start_month=fy)
    if not days:
        raise CadenceError(
            f"{ritual_id} does not meet in {period} (it meets in month "
            f"{ritual.month_of_quarter} of each quarter)",
            hint="name a quarter it meets in, or check month_of_quarter in cadence.yaml",
        )
    return _occurrence(ritual, days[0], ZoneInfo(specs.workspace.timezone), fy)


def current_instance(specs: Specs, ritual_id: str, today: date) -> Occurrence:
    """The instance of ``ritual_id`` in the period that contains ``today``."""
    ritual = find_ritual(specs, ritual_id)
    fy = specs.workspace.fiscal_year_start_month
    period = instance_period(ritual, today, fiscal_year_start_month=fy)
    if ritual.frequency == "quarterly":  # the instance of the quarter, whatever month today is
        days = meeting_days(ritual, period.start, period.end, fiscal_year_start_month=fy)
        return _occurrence(ritual, days[0], ZoneInfo(specs.workspace.timezone), fy)
    return ritual_instance(specs, ritual_id, period.label)
