"""cadence.yaml: rituals, their schedule and agenda."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from pydantic import ValidationError

from demandos.spec import Ritual
from demandos.spec.cadence import KIND_FREQUENCY

BASE: dict[str, Any] = {
    "id": "r",
    "name": "R",
    "kind": "weekly_review",
    "frequency": "weekly",
    "day": "monday",
    "time": "09:30",
    "duration_minutes": 45,
    "owner": "maya",
}


def message(**fields: Any) -> str:
    with pytest.raises(ValidationError) as info:
        Ritual.model_validate(BASE | fields)
    return str(info.value.errors()[0]["msg"])


def test_a_valid_ritual() -> None:
    ritual = Ritual.model_validate(BASE)
    assert ritual.time == time(9, 30) and ritual.month_of_quarter == 1


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"day": "mon"}, "'mon' is not a weekday"),
        ({"day": "first monday"}, "'first monday' is not a weekday"),
        (
            {"kind": "qbr", "frequency": "quarterly", "day": "monday"},
            "'monday' does not say which week of the month",
        ),
        (
            {"kind": "monthly_strategy", "frequency": "monthly", "day": "fifth monday"},
            "'fifth monday' does not say which week of the month",
        ),
        ({"kind": "qbr"}, "a qbr ritual is quarterly, not weekly"),
        ({"duration_minutes": 0}, "Input should be greater than or equal to 5"),
    ],
)
def test_schedule_is_checked(fields: dict[str, Any], expected: str) -> None:
    assert message(**fields) == expected


@pytest.mark.parametrize("day", ["first tuesday", "Last Friday", "third  wednesday"])
def test_monthly_days(day: str) -> None:
    fields = BASE | {"kind": "optimization_sprint", "frequency": "monthly", "day": day}
    assert Ritual.model_validate(fields).day == day


def test_custom_rituals_run_at_any_frequency() -> None:
    fields = BASE | {"kind": "custom", "frequency": "quarterly", "day": "last friday"}
    assert Ritual.model_validate(fields).frequency == "quarterly"


def test_every_kind_but_custom_has_a_frequency() -> None:
    kinds = Ritual.model_fields["kind"].annotation.__args__  # type: ignore[union-attr]
    assert set(KIND_FREQUENCY) == set(kinds) - {"custom"}
