"""SLA clock arithmetic: hand cases across weekends, holidays and DST, and the laws."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demandos.spec.workflows import BusinessHours
from demandos.workflows.clock import Clock, format_span

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
HOURS = BusinessHours()  # mon-fri 09:00-17:00
H = timedelta(hours=1)


def at(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


def test_friday_afternoon_plus_four_business_hours_is_monday_noon() -> None:
    clock = Clock.business(HOURS, "America/New_York")
    due = clock.due(at(NEW_YORK, 2026, 11, 20, 16), 4 * H)  # Friday 16:00
    assert due.astimezone(NEW_YORK) == at(NEW_YORK, 2026, 11, 23, 12)  # Monday 12:00
    assert due.tzinfo is UTC


def test_a_start_outside_hours_waits_for_the_next_opening() -> None:
    clock = Clock.business(HOURS, "UTC")
    # Saturday 10:00 + 1h -> Monday 10:00; Tuesday 20:00 + 30m -> Wednesday 09:30
    assert clock.due(at(UTC, 2026, 11, 21, 10), H) == at(UTC, 2026, 11, 23, 10)
    assert clock.due(at(UTC, 2026, 11, 24, 20), H / 2) == at(UTC, 2026, 11, 25, 9, 30)
    # exactly the rest of the day ends at 17:00 the same day, not at the next opening
    assert clock.due(at(UTC, 2026, 11, 20, 16), H) == at(UTC, 2026, 11, 20, 17)


def test_days_of_sla_are_working_days_and_weeks_their_working_week() -> None:
    clock = Clock.business(HOURS, "UTC")
    assert clock.allowance(timedelta(days=2)) == 16 * H
    assert clock.allowance(timedelta(weeks=1)) == 40 * H  # five working days
    assert clock.allowance(timedelta(days=1, hours=4)) == 12 * H
    # Friday 16:00 + 2d -> Tuesday 16:00
    due = clock.due(at(UTC, 2026, 11, 20, 16), clock.allowance(timedelta(days=2)))
    assert due == at(UTC, 2026, 11, 24, 16)
    assert Clock.calendar().allowance(timedelta(days=2)) == timedelta(days=2)


def test_holidays_are_skipped() -> None:
    hours = BusinessHours(holidays=(date(2026, 12, 25),))
    clock = Clock.business(hours, "Europe/Berlin")
    # Thursday 24 Dec 16:00 + 2h: 1h on Thursday, Friday 25 is a holiday, weekend -> Mon 10:00
    due = clock.due(at(BERLIN, 2026, 12, 24, 16), 2 * H)
    assert due.astimezone(BERLIN) == at(BERLIN, 2026, 12, 28, 10)
    assert clock.elapsed(at(BERLIN, 2026, 12, 24, 16), at(BERLIN, 2026, 12, 28, 10)) == 2 * H


def test_business_hours_follow_the_wall_clock_across_dst_in_berlin() -> None:
    # Europe/Berlin springs forward on Sunday 29 March 2026 (CET -> CEST)
    clock = Clock.business(HOURS, "Europe/Berlin")
    start = at(BERLIN, 2026, 3, 27, 16)  # Friday 16:00 CET = 15:00 UTC
    due = clock.due(start, 4 * H)
    assert due.astimezone(BERLIN) == at(BERLIN, 2026, 3, 30, 12)  # Monday 12:00 CEST
    assert due == datetime(2026, 3, 30, 10, tzinfo=UTC)
    assert due - start == timedelta(hours=67)  # 68 wall-clock hours, one of them skipped
    assert clock.elapsed(start, due) == 4 * H


def test_business_hours_follow_the_wall_clock_across_dst_in_new_york() -> None:
    # America/New_York falls back on Sunday 1 November 2026 (EDT -> EST)
    clock = Clock.business(HOURS, "America/New_York")
    start = at(NEW_YORK, 2026, 10, 30, 15)  # Friday 15:00 EDT = 19:00 UTC
    due = clock.due(start, 3 * H)
    assert due.astimezone(NEW_YORK) == at(NEW_YORK, 2026, 11, 2, 10)  # Monday 10:00 EST
    assert due == datetime(2026, 11, 2, 15, tzinfo=UTC)
    assert due - start == timedelta(hours=68)  # 67 wall-clock hours, one repeated


def test_calendar_time_is_elapsed_time_across_dst() -> None:
    clock = Clock.calendar("Europe/Berlin")
    start = at(BERLIN, 2026, 3, 28, 12)  # Saturday 12:00 CET
    due = clock.due(start, timedelta(days=1))
    assert due.astimezone(BERLIN) == at(BERLIN, 2026, 3, 29, 13)  # 24 h later: 13:00 CEST
    assert clock.elapsed(start, due) == timedelta(days=1)


def test_elapsed_counts_only_working_time_and_is_signed() -> None:
    clock = Clock.business(HOURS, "UTC")
    fri, mon = at(UTC, 2026, 11, 20, 15, 30), at(UTC, 2026, 11, 23, 9, 45)
    assert clock.elapsed(fri, mon) == timedelta(hours=2, minutes=15)  # 1h30 + 45m
    assert clock.elapsed(mon, fri) == -timedelta(hours=2, minutes=15)
    assert clock.elapsed(at(UTC, 2026, 11, 21, 8), at(UTC, 2026, 11, 22, 20)) == timedelta()


def test_clocks_refuse_naive_times_and_negative_allowances() -> None:
    clock = Clock.business(HOURS, "UTC")
    with pytest.raises(ValueError, match="no timezone"):
        clock.due(datetime(2026, 1, 1), H)
    with pytest.raises(ValueError, match="negative"):
        clock.due(at(UTC, 2026, 1, 1), -H)


def test_business_hours_spec_parses_days_and_refuses_bad_hours() -> None:
    assert BusinessHours.model_validate({"days": "sun-thu"}).days == (0, 1, 2, 3, 6)
    assert BusinessHours.model_validate({"days": ["Mon", "wednesday"]}).days == (0, 2)
    assert BusinessHours.model_validate({"days": "fri-mon"}).days == (0, 4, 5, 6)
    with pytest.raises(ValueError, match="not a day of the week"):
        BusinessHours.model_validate({"days": "mon-fry"})
    with pytest.raises(ValueError, match="not after they start"):
        BusinessHours.model_validate({"start": "17:00", "end": "09:00"})


def test_format_span() -> None:
    assert format_span(timedelta(days=1, hours=4, minutes=5)) == "1d 4h 5m"
    assert format_span(-timedelta(hours=2)) == "-2h"
    assert format_span(timedelta()) == "0m"


# -- laws --------------------------------------------------------------------------------------

ZONES = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])
HOURS_ST = st.builds(
    lambda days, start, length, holidays: BusinessHours(
        days=days, start=time(start), end=time(start + length), holidays=holidays
    ),
    st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True).map(
        lambda d: tuple(sorted(d))
    ),
    st.integers(6, 10),
    st.integers(1, 10),
    st.lists(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=5).map(tuple),
)
STARTS = st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC))
WORK = st.integers(0, 60 * 80).map(lambda m: timedelta(minutes=m))


@settings(max_examples=150, deadline=None)
@given(HOURS_ST, ZONES, STARTS, WORK, WORK)
def test_due_adds_up(hours: BusinessHours, zone: str, start: datetime, a: timedelta,
                     b: timedelta) -> None:  # fmt: skip
    clock = Clock.business(hours, zone)
    assert clock.due(start, a + b) == clock.due(clock.due(start, a), b)


@settings(max_examples=150, deadline=None)
@given(HOURS_ST, ZONES, STARTS, WORK)
def test_elapsed_undoes_due(hours: BusinessHours, zone: str, start: datetime,
                            d: timedelta) -> None:  # fmt: skip
    clock = Clock.business(hours, zone)
    due = clock.due(start, d)
    assert clock.elapsed(start, due) == d
    assert due >= start


@settings(max_examples=100, deadline=None)
@given(HOURS_ST, ZONES, STARTS, WORK, WORK)
def test_elapsed_is_additive_and_never_more_than_wall_time(
    hours: BusinessHours, zone: str, start: datetime, a: timedelta, b: timedelta
) -> None:
    clock = Clock.business(hours, zone)
    mid, end = start + a, start + a + b
    total = clock.elapsed(start, end)
    assert total == clock.elapsed(start, mid) + clock.elapsed(mid, end)
    assert timedelta() <= total <= end - start
    assert clock.elapsed(end, start) == -total


@settings(max_examples=50, deadline=None)
@given(ZONES, STARTS, WORK, WORK)
def test_calendar_clock_laws(zone: str, start: datetime, a: timedelta, b: timedelta) -> None:
    clock = Clock.calendar(zone)
    assert clock.due(start, a + b) == clock.due(clock.due(start, a), b)
    assert clock.elapsed(start, clock.due(start, a)) == a


def test_spans_read_in_working_days_on_a_business_clock() -> None:
    clock = Clock.business(HOURS, "UTC")
    assert clock.describe(17 * H + timedelta(minutes=5)) == "2 working days 1h 5m"
    assert clock.describe(8 * H) == "1 working day"
    assert clock.describe(-45 * timedelta(minutes=1)) == "-45m"
    assert Clock.calendar().describe(26 * H) == "1d 2h"
