"""Periods: parsing, boundaries, comparisons and partial periods."""

from __future__ import annotations

from datetime import date

import pytest

from demandos.errors import MetricError
from demandos.metrics.components import month_shares
from demandos.metrics.periods import current_period, parse_period


@pytest.mark.parametrize(
    ("text", "start", "end", "grain"),
    [
        ("2026-W47", date(2026, 11, 16), date(2026, 11, 23), "week"),
        ("2026-W01", date(2025, 12, 29), date(2026, 1, 5), "week"),  # across the year end
        ("2020-W53", date(2020, 12, 28), date(2021, 1, 4), "week"),
        ("2026-11", date(2026, 11, 1), date(2026, 12, 1), "month"),
        ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1), "quarter"),
        ("FY2026", date(2026, 1, 1), date(2027, 1, 1), "year"),
    ],
)
def test_parse(text: str, start: date, end: date, grain: str) -> None:
    period = parse_period(text)
    assert (period.label, period.start, period.end, period.grain) == (text, start, end, grain)


def test_fiscal_year_starting_in_april() -> None:
    fy = parse_period("FY2026", fiscal_year_start_month=4)
    assert (fy.start, fy.end, fy.days) == (date(2025, 4, 1), date(2026, 4, 1), 365)
    q1 = parse_period("FY2026-Q1", fiscal_year_start_month=4)
    assert (q1.start, q1.end) == (date(2025, 4, 1), date(2025, 7, 1))
    assert q1.previous().label == "FY2025-Q4"
    assert q1.previous().start == date(2025, 1, 1)
    assert fy.previous().label == "FY2025" == fy.same_period_last_year().label
    assert current_period("year", date(2026, 3, 31), fiscal_year_start_month=4).label == "FY2026"
    assert current_period("year", date(2026, 4, 1), fiscal_year_start_month=4).label == "FY2027"


def test_previous_last_year_and_trailing() -> None:
    week = parse_period("2026-W01")
    assert week.previous().label == "2025-W52"
    assert week.same_period_last_year().label == "2025-W01"
    assert [p.label for p in week.trailing(4)] == ["2025-W49", "2025-W50", "2025-W51", "2025-W52"]
    assert parse_period("2020-W53").same_period_last_year().label == "2019-W52"
    assert parse_period("2026-01").previous().label == "2025-12"
    assert parse_period("2026-Q1").previous().label == "2025-Q4"
    assert parse_period("2026-Q1").same_period_last_year().label == "2025-Q1"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("2021-W53", "weeks 1 to 52"),
        ("2026-13", "no month 13"),
        ("2026-Q5", "no quarter 5"),
        ("Nov 2026", "is not a period"),
        ("FY2026-Q0", "no quarter 0"),
    ],
)
def test_bad_periods(text: str, needle: str) -> None:
    with pytest.raises(MetricError, match=needle) as error:
        parse_period(text)
    assert error.value.hint


def test_partial_relative_to_today() -> None:
    month = parse_period("2026-11")
    assert (
        month.partial_reason(date(2026, 11, 18))
        == "2026-11 runs to 2026-11-30 (today is 2026-11-18)"
    )
    assert month.partial_reason(date(2026, 12, 1)) is None
    assert "not started" in (month.partial_reason(date(2026, 10, 1)) or "")


def test_week_gets_its_share_of_monthly_costs_by_days() -> None:
    # 2026-W05 runs Mon 26 Jan to Sun 1 Feb: 6 of January's 31 days, 1 of February's 28.
    shares = month_shares(parse_period("2026-W05"))
    assert shares == [(date(2026, 1, 1), 6 / 31), (date(2026, 2, 1), 1 / 28)]
    assert month_shares(parse_period("2026-Q1")) == [
        (date(2026, 1, 1), 1.0), (date(2026, 2, 1), 1.0), (date(2026, 3, 1), 1.0)
    ]  # fmt: skip
