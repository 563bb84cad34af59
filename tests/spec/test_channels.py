"""channels.yaml: channels, UTM rules and programs."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from demandos.spec import Program, UtmRule

BASE: dict[str, Any] = {"id": "p", "name": "P", "channel": "c", "owner": "maya"}


def message(model: Any, data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return str(info.value.errors()[0]["msg"])


def test_always_on_needs_no_dates() -> None:
    program = Program.model_validate(BASE)
    assert program.kind == "always_on" and program.start is None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"kind": "campaign"}, "a campaign needs a start date"),
        ({"kind": "campaign", "start": "2025-01-01"}, "a campaign needs an end date"),
        ({"kind": "launch"}, "a launch needs a start date"),
        (
            {"start": "2025-02-01", "end": "2025-01-01"},
            "end (2025-01-01) is before start (2025-02-01)",
        ),
        ({"monthly_budget": -1}, "Input should be greater than or equal to 0"),
    ],
)
def test_program_dates_and_budget(fields: dict[str, Any], expected: str) -> None:
    assert message(Program, BASE | fields) == expected


def test_launch_needs_only_a_start() -> None:
    launch = Program.model_validate(BASE | {"kind": "launch", "start": date(2025, 3, 1)})
    assert launch.end is None


def test_utm_rule_must_narrow_something() -> None:
    assert UtmRule(source="linkedin").medium == "*"
    assert message(UtmRule, {}) == "a UTM rule that matches everything would claim every touch"
