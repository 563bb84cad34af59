"""The building blocks every spec model shares: the base model and the field types.

Each type validates one kind of value a spec file holds (an id, one owner, a time of day, an
SLA, a timezone, a currency) and fails with a plain message plus a hint, carried in the error
context as ``hint`` so the loader can show it next to the file and line.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import time, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from demandos.suggest import did_you_mean


class SpecModel(BaseModel):
    """Base of every spec model: unknown keys are errors and loaded specs never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def spec_error(message: str, hint: str | None = None) -> PydanticCustomError:
    """A validation error whose message is shown as is, with a hint for the fix."""
    # Braces would be read as placeholders by pydantic's message template.
    safe = message.replace("{", "(").replace("}", ")")
    return PydanticCustomError("spec", safe, {"hint": hint} if hint else None)


# ids ---------------------------------------------------------------------------------------

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def slugify(text: str) -> str:
    """``"Lead → Opp 2"`` → ``"lead_opp_2"``: the id a name would have."""
    slug = re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
    if not slug or not slug[0].isalpha():
        slug = f"x_{slug}" if slug else "x"
    return slug


def _check_id(value: str) -> str:
    if not ID_PATTERN.match(value):
        raise spec_error(
            f"{value!r} is not a valid id",
            "ids are lower_snake_case: a letter, then letters, digits or _, "
            f"e.g. {slugify(value)!r}",
        )
    return value


Id = Annotated[str, AfterValidator(_check_id)]
"""A lower_snake_case identifier, unique within its list."""

_OWNER_SEPARATORS = re.compile(r"\s*(?:,|;|/|&|\+|\band\b)\s*")


def _one_owner(value: Any) -> Any:
    if isinstance(value, list | tuple):
        names = ", ".join(repr(str(v)) for v in value)
        many = len(value) != 1
    elif isinstance(value, str) and len(_OWNER_SEPARATORS.split(value.strip())) > 1:
        names = ", ".join(repr(v) for v in _OWNER_SEPARATORS.split(value.strip()) if v)
        many = True
    else:
        return value
    if many:
        raise spec_error(
            f"exactly one owner is allowed, got {names or 'none'}",
            "shared ownership is no ownership: keep one person id from team.yaml as the owner "
            "(others can attend the rituals or own a child metric)",
        )
    return value[0]


OwnerRef = Annotated[str, BeforeValidator(_one_owner), AfterValidator(_check_id)]
"""Exactly one person id from team.yaml (a list or ``"ana, ben"`` is refused)."""

Text = Annotated[str, Field(min_length=1)]
"""Non-empty free text."""

# time of day, durations ----------------------------------------------------------------------

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def _parse_clock(value: Any) -> Any:
    if isinstance(value, time):
        return value
    match = _CLOCK.match(value) if isinstance(value, str) else None
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise spec_error(
            f"{value!r} is not a time of day",
            "write times as HH:MM on a 24-hour clock, e.g. 09:30 or 14:00",
        )
    return time(int(match[1]), int(match[2]))


ClockTime = Annotated[
    time,
    BeforeValidator(_parse_clock),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str, when_used="json"),
]
"""A time of day written ``HH:MM`` (24-hour clock), in the workspace timezone."""

_DURATION_PART = re.compile(r"(\d+)\s*(w|d|h|m)")
_UNIT = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
}


def _parse_duration(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value
    text = value.strip().lower().replace(" ", "") if isinstance(value, str) else ""
    parts = _DURATION_PART.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise spec_error(
            f"{value!r} is not a duration",
            "write a number and a unit: 30m, 4h, 2d or 1w (combine them: 1d4h)",
        )
    total = sum((int(n) * _UNIT[u] for n, u in parts), timedelta())
    if total <= timedelta():
        raise spec_error(f"{value!r} is not a positive duration", "an SLA must be longer than 0")
    return total


def format_duration(value: timedelta) -> str:
    """``timedelta(days=1, hours=4)`` → ``"1d4h"``: the inverse of the SLA parser."""
    minutes = int(value.total_seconds() // 60)
    out = []
    for unit, size in (("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60), ("m", 1)):
        if minutes >= size:
            out.append(f"{minutes // size}{unit}")
            minutes %= size
    return "".join(out) or "0m"


def _whole_minutes(value: timedelta) -> timedelta:
    if value.total_seconds() % 60:
        raise spec_error("durations are counted in whole minutes", "e.g. 90m or 1h30m")
    return value


Duration = Annotated[
    timedelta,
    BeforeValidator(_parse_duration),
    AfterValidator(_whole_minutes),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""An SLA or lead time: ``30m``, ``4h``, ``2d``, ``1w`` or combinations like ``1d4h``."""

# places and money ----------------------------------------------------------------------------


def _check_timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        guess = did_you_mean(value, zoneinfo.available_timezones())
        raise spec_error(
            f"{value!r} is not a known timezone",
            (guess + " " if guess else "")
            + "use an IANA timezone name such as 'Europe/Berlin', 'America/New_York' or 'UTC'",
        ) from None
    return value


Timezone = Annotated[str, AfterValidator(_check_timezone)]
"""An IANA timezone name, e.g. ``Europe/Berlin``."""


def _check_currency(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value):
        fix = f"did you mean {value.upper()!r}? " if re.fullmatch(r"[A-Za-z]{3}", value) else ""
        raise spec_error(
            f"{value!r} is not a currency code",
            fix + "use a three-letter ISO 4217 code in capitals, e.g. USD, EUR or GBP",
        )
    return value


Currency = Annotated[str, AfterValidator(_check_currency)]
"""A three-letter ISO 4217 currency code in capitals, e.g. ``USD``."""


def _check_country(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise spec_error(
            f"{value!r} is not a country code",
            "use two-letter ISO 3166 codes in capitals, e.g. US, GB, DE",
        )
    return value


Country = Annotated[str, AfterValidator(_check_country)]

Money = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""An amount of money in the workspace currency, 0 or more."""

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
)  # fmt: skip


class Range(SpecModel):
    """An inclusive ``{min, max}`` range; either end may be left open."""

    min: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="lowest value, inclusive"
    )
    max: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="highest value, inclusive"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise spec_error(
                f"min ({self.min:g}) is greater than max ({self.max:g})", "swap min and max"
            )
        return self
