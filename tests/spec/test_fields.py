"""The shared field types: ids, one owner, times of day, durations, timezones, currencies."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from demandos.spec.fields import (
    ClockTime,
    Currency,
    Duration,
    Id,
    OwnerRef,
    Range,
    Timezone,
    format_duration,
    slugify,
)


def _error(adapter: TypeAdapter[object], value: object) -> tuple[str, str | None]:
    with pytest.raises(ValidationError) as info:
        adapter.validate_python(value)
    (detail,) = info.value.errors()
    return detail["msg"], (detail.get("ctx") or {}).get("hint")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("1d4h", timedelta(days=1, hours=4)),
        ("1d 4h 30m", timedelta(days=1, hours=4, minutes=30)),
        (" 2D ", timedelta(days=2)),
    ],
)
def test_duration_parses(text: str, expected: timedelta) -> None:
    assert TypeAdapter(Duration).validate_python(text) == expected


@pytest.mark.parametrize("text", ["4", "4 days", "h", "0h", "-1h", "1.5h", ""])
def test_duration_refuses(text: str) -> None:
    message, hint = _error(TypeAdapter(Duration), text)
    assert "duration" in message
    assert hint


@given(st.integers(min_value=1, max_value=10**7))
def test_duration_format_is_the_inverse_of_parse(minutes: int) -> None:
    value = timedelta(minutes=minutes)
    assert TypeAdapter(Duration).validate_python(format_duration(value)) == value


def test_duration_serializes_as_text() -> None:
    assert TypeAdapter(Duration).dump_python(timedelta(hours=28), mode="json") == "1d4h"


@pytest.mark.parametrize(
    ("text", "expected"), [("09:30", time(9, 30)), ("9:05", time(9, 5)), ("23:59", time(23, 59))]
)
def test_clock_time_parses(text: str, expected: time) -> None:
    assert TypeAdapter(ClockTime).validate_python(text) == expected


@pytest.mark.parametrize("text", ["24:00", "9.30", "9am", "12:60", "0930", 930])
def test_clock_time_refuses(text: object) -> None:
    message, hint = _error(TypeAdapter(ClockTime), text)
    assert message.endswith("is not a time of day")
    assert hint == "write times as HH:MM on a 24-hour clock, e.g. 09:30 or 14:00"


@pytest.mark.parametrize("value", ["maya", ["maya"]])
def test_owner_accepts_one_person(value: object) -> None:
    assert TypeAdapter(OwnerRef).validate_python(value) == "maya"


@pytest.mark.parametrize(
    ("value", "names"),
    [
        (["maya", "jonas"], "'maya', 'jonas'"),
        ("maya, jonas", "'maya', 'jonas'"),
        ("maya & jonas", "'maya', 'jonas'"),
        ("maya/jonas", "'maya', 'jonas'"),
        ("maya and jonas", "'maya', 'jonas'"),
        ([], "none"),
    ],
)
def test_owner_refuses_shared_ownership(value: object, names: str) -> None:
    message, hint = _error(TypeAdapter(OwnerRef), value)
    assert message == f"exactly one owner is allowed, got {names}"
    assert hint is not None and hint.startswith("shared ownership is no ownership")


@pytest.mark.parametrize(
    ("value", "suggestion"), [("Maya", "maya"), ("lead-to-opp", "lead_to_opp"), ("1st", "x_1st")]
)
def test_id_refuses_and_suggests(value: str, suggestion: str) -> None:
    message, hint = _error(TypeAdapter(Id), value)
    assert message == f"{value!r} is not a valid id"
    assert hint is not None and hint.endswith(f"e.g. {suggestion!r}")
    assert slugify(value) == suggestion


def test_timezone() -> None:
    assert TypeAdapter(Timezone).validate_python("Europe/Berlin") == "Europe/Berlin"
    message, hint = _error(TypeAdapter(Timezone), "Europe/Berln")
    assert message == "'Europe/Berln' is not a known timezone"
    assert hint is not None and hint.startswith("did you mean 'Europe/Berlin'?")
    assert _error(TypeAdapter(Timezone), "../etc/passwd")[0].endswith("is not a known timezone")


@pytest.mark.parametrize(("value", "guess"), [("eur", "did you mean 'EUR'? "), ("EURO", "")])
def test_currency(value: str, guess: str) -> None:
    assert TypeAdapter(Currency).validate_python("EUR") == "EUR"
    message, hint = _error(TypeAdapter(Currency), value)
    assert message == f"{value!r} is not a currency code"
    assert hint == guess + "use a three-letter ISO 4217 code in capitals, e.g. USD, EUR or GBP"


def test_range_must_be_ordered() -> None:
    assert Range(min=1, max=1).max == 1
    message, hint = _error(TypeAdapter(Range), {"min": 10, "max": 5})
    assert message == "min (10) is greater than max (5)"
    assert hint == "swap min and max"
