"""``cadence.yaml``: the rituals of the weekly, monthly and quarterly rhythm."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from demandos.spec.fields import (
    WEEKDAYS,
    ClockTime,
    Id,
    OwnerRef,
    SpecModel,
    Text,
    spec_error,
)
from demandos.suggest import did_you_mean

RitualKind = Literal[
    "weekly_review", "weekly_optimization", "weekly_planning", "monthly_deep_dive",
    "monthly_strategy", "optimization_sprint", "monthly_planning", "qbr", "demand_audit",
    "strategy_refresh", "custom",
]  # fmt: skip
Frequency = Literal["weekly", "monthly", "quarterly"]

KIND_FREQUENCY: dict[str, str] = {
    "weekly_review": "weekly",
    "weekly_optimization": "weekly",
    "weekly_planning": "weekly",
    "monthly_deep_dive": "monthly",
    "monthly_strategy": "monthly",
    "optimization_sprint": "monthly",
    "monthly_planning": "monthly",
    "qbr": "quarterly",
    "demand_audit": "quarterly",
    "strategy_refresh": "quarterly",
}
"""The frequency each kind of ritual runs at (``custom`` runs at any)."""

ORDINALS: tuple[str, ...] = ("first", "second", "third", "fourth", "last")


def weekdays_in(day: str) -> tuple[int, ...] | None:
    """The weekdays (0 = Monday) a weekly ritual's ``day`` names: ``monday``, or a range of
    days it meets on each week, ``tuesday-thursday``; None when it names none."""
    words = " ".join(day.strip().lower().replace(" to ", "-").split())
    first, _, last = (w.strip() for w in words.partition("-"))
    if first not in WEEKDAYS or (last and last not in WEEKDAYS):
        return None
    start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
    return tuple(range(start, end + 1)) if end >= start else None


class AgendaItem(SpecModel):
    """One item of a ritual's agenda."""

    item: Text = Field(description="what is discussed or decided")
    minutes: int = Field(ge=1, description="time box in minutes")
    owner: OwnerRef | None = Field(None, description="who leads the item (id in team.yaml)")


class Ritual(SpecModel):
    """A recurring meeting of the operating cadence."""

    id: Id = Field(description="ritual id")
    name: Text = Field(description="ritual name")
    kind: RitualKind = Field(description="which ritual of the cadence this is")
    frequency: Frequency = Field(description="weekly, monthly or quarterly")
    day: str = Field(
        description="weekly: a weekday (monday); monthly/quarterly: 'first monday', 'last friday'…",
        examples=["monday", "first tuesday"],
    )
    month_of_quarter: int = Field(
        1, ge=1, le=3, description="quarterly rituals: month of the quarter (1-3) they fall in"
    )
    time: ClockTime = Field(description="start time, HH:MM in the workspace timezone")
    duration_minutes: int = Field(ge=5, le=600, description="length in minutes")
    owner: OwnerRef = Field(description="the one person who runs it (id in team.yaml)")
    attendees: tuple[Id, ...] = Field((), description="person ids who attend")
    agenda: tuple[AgendaItem, ...] = Field((), description="agenda items, in order")

    @field_validator("frequency")
    @classmethod
    def _frequency_fits_kind(cls, frequency: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        expected = KIND_FREQUENCY.get(kind or "")
        if expected and expected != frequency:
            raise spec_error(
                f"a {kind} ritual is {expected}, not {frequency}",
                f"set `frequency: {expected}`, or `kind: custom` for a ritual of your own",
            )
        return frequency

    @field_validator("day")
    @classmethod
    def _day_fits_frequency(cls, day: str, info: ValidationInfo) -> str:
        frequency = info.data.get("frequency")
        words = " ".join(day.strip().lower().split())
        if frequency == "weekly" and weekdays_in(words) is None:
            guess = did_you_mean(words, WEEKDAYS)
            raise spec_error(
                f"{day!r} is not a weekday",
                (f"{guess} " if guess else "")
                + "weekly rituals name a day (monday … sunday) or a range (tuesday-thursday)",
            )
        if frequency in ("monthly", "quarterly") and not re.fullmatch(
            rf"({'|'.join(ORDINALS)}) ({'|'.join(WEEKDAYS)})", words
        ):
            raise spec_error(
                f"{day!r} does not say which week of the month",
                f"{frequency} rituals name the week and the day, e.g. 'first monday', "
                "'third wednesday' or 'last friday'",
            )
        return day


class CadenceSpec(SpecModel):
    """``cadence.yaml``: the rhythm the team runs on."""

    rituals: tuple[Ritual, ...] = Field(min_length=1, description="the rituals")
