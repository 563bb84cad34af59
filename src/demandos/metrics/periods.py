"""Reporting periods: ISO weeks, months, quarters and fiscal years, as half-open date ranges.

    parse_period("2026-W47")            # ISO week (Monday to Sunday)
    parse_period("2026-11")             # calendar month
    parse_period("2026-Q4")             # calendar quarter
    parse_period("FY2026", fiscal_year_start_month=4)     # 2025-04-01 .. 2026-03-31
    parse_period("FY2026-Q1", fiscal_year_start_month=4)  # 2025-04-01 .. 2025-06-30

A fiscal year is named by the calendar year it *ends* in (FY2026 starting in April runs from
April 2025 to March 2026); with ``fiscal_year_start_month: 1`` FY2026 is the calendar year 2026.
``start`` is the first day and ``end`` the day after the last (half-open, ``start <= d < end``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from demandos.errors import MetricError

Grain = Literal["week", "month", "quarter", "year"]

PER_YEAR: dict[str, int] = {"week": 52, "month": 12, "quarter": 4, "year": 1}
"""How many of each grain a year holds; targets are scaled between grains by these counts."""

_FORMS = "2026-W47 (ISO week), 2026-11 (month), 2026-Q4 (quarter), FY2026 or FY2026-Q1 (fiscal)"
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q(\d)$")
_FISCAL = re.compile(r"^FY(\d{4})(?:-Q(\d))?$")


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _iso_weeks(year: int) -> int:
    return date(year, 12, 28).isocalendar().week


@dataclass(frozen=True)
class Period:
    """One reporting period: ``start`` inclusive, ``end`` exclusive."""

    label: str
    grain: Grain
    start: date
    end: date
    fiscal_year_start_month: int = 1
    fiscal: bool = False  # a fiscal quarter or year (named FY…)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def shift(self, steps: int) -> Period:
        """The period ``steps`` periods later (negative: earlier), of the same kind."""
        if self.grain == "week":
            moved = week_period(self.start + timedelta(weeks=steps))
            return _with_fy(moved, self.fiscal_year_start_month)
        months = {"month": 1, "quarter": 3, "year": 12}[self.grain] * steps
        start = _add_months(self.start, months)
        return _from_start(self.grain, start, self.fiscal_year_start_month, fiscal=self.fiscal)

    def previous(self) -> Period:
        return self.shift(-1)

    def same_period_last_year(self) -> Period:
        """The same week number, month, quarter or fiscal year one year earlier.

        Week 53 of a year maps to week 52 of a year that has no week 53.
        """
        if self.grain == "week":
            iso = self.start.isocalendar()
            year = iso.year - 1
            day = date.fromisocalendar(year, min(iso.week, _iso_weeks(year)), 1)
            return _with_fy(week_period(day), self.fiscal_year_start_month)
        return self.shift(-PER_YEAR[self.grain])

    def trailing(self, count: int = 4) -> tuple[Period, ...]:
        """The ``count`` periods before this one, oldest first (this one is not included)."""
        return tuple(self.shift(-n) for n in range(count, 0, -1))

    def partial_reason(self, today: date) -> str | None:
        """Why the period is not complete on ``today``, or None when it is over."""
        if today < self.start:
            return f"{self.label} has not started yet (today is {today.isoformat()})"
        if today < self.end:
            return (
                f"{self.label} runs to {self.last_day.isoformat()} (today is {today.isoformat()})"
            )
        return None

    def __str__(self) -> str:
        return self.label


def week_period(day: date) -> Period:
    """The ISO week (Monday to Sunday) that contains ``day``."""
    iso = day.isocalendar()
    start = day - timedelta(days=iso.weekday - 1)
    return Period(f"{iso.year}-W{iso.week:02d}", "week", start, start + timedelta(days=7))


def _from_start(grain: Grain, start: date, fy_month: int, *, fiscal: bool) -> Period:
    if grain == "month":
        return Period(f"{start:%Y-%m}", "month", start, _add_months(start, 1), fy_month)
    if grain == "quarter":
        end = _add_months(start, 3)
        if fiscal:
            fy = _fiscal_year_of(start, fy_month)
            fy_start = date(fy - 1 if fy_month != 1 else fy, fy_month, 1)
            number = ((start.year - fy_start.year) * 12 + start.month - fy_start.month) // 3 + 1
            return Period(f"FY{fy}-Q{number}", "quarter", start, end, fy_month, fiscal=True)
        return Period(
            f"{start.year}-Q{(start.month - 1) // 3 + 1}", "quarter", start, end, fy_month
        )
    fy = _fiscal_year_of(start, fy_month)
    return Period(f"FY{fy}", "year", start, _add_months(start, 12), fy_month, fiscal=True)


def _fiscal_year_of(day: date, fy_month: int) -> int:
    """The fiscal year (named by the year it ends in) that ``day`` falls in."""
    if fy_month == 1:
        return day.year
    return day.year + 1 if day.month >= fy_month else day.year


def fiscal_year_start(fiscal_year: int, fy_month: int) -> date:
    return date(fiscal_year if fy_month == 1 else fiscal_year - 1, fy_month, 1)


def parse_period(text: str, *, fiscal_year_start_month: int = 1) -> Period:
    """The period named by ``text``; MetricError with the accepted forms when it names none."""
    value = text.strip()
    fy_month = fiscal_year_start_month
    if not 1 <= fy_month <= 12:
        raise MetricError(
            f"fiscal_year_start_month {fy_month} is not a month",
            hint="set fiscal_year_start_month in demandos.yaml to 1-12",
        )
    if match := _WEEK.match(value):
        year, week = int(match[1]), int(match[2])
        if not 1 <= week <= _iso_weeks(year):
            raise MetricError(
                f"{value!r}: {year} has ISO weeks 1 to {_iso_weeks(year)}",
                hint=f"use {year}-W01 … {year}-W{_iso_weeks(year):02d}",
            )
        return _with_fy(week_period(date.fromisocalendar(year, week, 1)), fy_month)
    if match := _MONTH.match(value):
        month = int(match[2])
        if not 1 <= month <= 12:
            raise MetricError(f"{value!r}: there is no month {month}", hint="months run 01 to 12")
        return _from_start("month", date(int(match[1]), month, 1), fy_month, fiscal=False)
    if match := _QUARTER.match(value):
        quarter = int(match[2])
        if not 1 <= quarter <= 4:
            raise MetricError(f"{value!r}: there is no quarter {quarter}", hint="use Q1 to Q4")
        start = date(int(match[1]), 3 * quarter - 2, 1)
        return _from_start("quarter", start, fy_month, fiscal=False)
    if match := _FISCAL.match(value):
        start = fiscal_year_start(int(match[1]), fy_month)
        if match[2] is None:
            return _from_start("year", start, fy_month, fiscal=True)
        quarter = int(match[2])
        if not 1 <= quarter <= 4:
            raise MetricError(f"{value!r}: there is no quarter {quarter}", hint="use Q1 to Q4")
        return _from_start("quarter", _add_months(start, 3 * (quarter - 1)), fy_month, fiscal=True)
    raise MetricError(f"{text!r} is not a period", hint=f"write a period as {_FORMS}")


def _with_fy(period: Period, fy_month: int) -> Period:
    return Period(period.label, period.grain, period.start, period.end, fy_month, period.fiscal)


def current_period(grain: Grain, today: date, *, fiscal_year_start_month: int = 1) -> Period:
    """The period of ``grain`` that contains ``today`` (years are fiscal years)."""
    fy_month = fiscal_year_start_month
    if grain == "week":
        return _with_fy(week_period(today), fy_month)
    if grain == "month":
        return _from_start("month", today.replace(day=1), fy_month, fiscal=False)
    if grain == "quarter":
        start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return _from_start("quarter", start, fy_month, fiscal=False)
    start = fiscal_year_start(_fiscal_year_of(today, fy_month), fy_month)
    return _from_start("year", start, fy_month, fiscal=True)
