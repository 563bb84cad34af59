"""rollout.yaml: the 12-week plan and phase order."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from demandos.spec import RolloutSpec, WeekRange


def test_default_is_the_twelve_week_plan() -> None:
    plan = RolloutSpec()
    assert [(p.id, p.weeks.start, p.weeks.end) for p in plan.phases] == [
        ("foundation", 1, 4),
        ("rhythm", 5, 8),
        ("optimization", 9, 12),
        ("maturation", 13, 26),
    ]
    assert plan.start_date is None


@pytest.mark.parametrize(
    ("weeks", "expected"),
    [
        ("1-3", WeekRange(start=1, end=3)),
        ("2", WeekRange(start=2, end=2)),
        (4, WeekRange(start=4, end=4)),
        ({"start": 1, "end": 5}, WeekRange(start=1, end=5)),
        (" 1 - 3 ", WeekRange(start=1, end=3)),
    ],
)
def test_weeks(weeks: Any, expected: WeekRange) -> None:
    spec = RolloutSpec.model_validate(
        {"phases": [{"id": "foundation", "name": "F", "weeks": weeks}]}
    )
    assert spec.phases[0].weeks == expected


@pytest.mark.parametrize(
    ("phases", "expected"),
    [
        ([("rhythm", "1-3"), ("foundation", "4-6")], "phases are out of order"),
        ([("foundation", "1-3"), ("foundation", "4-6")], "phase 'foundation' is listed twice"),
        (
            [("foundation", "1-4"), ("rhythm", "4-6")],
            "phase 'rhythm' starts in week 4, before 'foundation' ends (week 4)",
        ),
        ([("foundation", "3-1")], "weeks run backwards (3-1)"),
        ([("foundation", "one")], "weeks 'one' is not a range of weeks"),
    ],
)
def test_phase_order(phases: list[tuple[str, str]], expected: str) -> None:
    data = {"phases": [{"id": p, "name": p, "weeks": w} for p, w in phases]}
    with pytest.raises(ValidationError) as info:
        RolloutSpec.model_validate(data)
    assert info.value.errors()[0]["msg"] == expected
