"""``rollout.yaml``: the implementation plan, by default the 12-week plan in four phases."""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from demandos.spec.fields import SpecModel, Text, spec_error

PhaseId = Literal["foundation", "rhythm", "optimization", "maturation"]
PHASE_ORDER: tuple[str, ...] = ("foundation", "rhythm", "optimization", "maturation")


def _weeks(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return {"start": value, "end": value}
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", value)
        if not match:
            raise spec_error(
                f"weeks {value!r} is not a range of weeks",
                "write weeks as '1-3' or {start: 1, end: 3}",
            )
        return {"start": int(match[1]), "end": int(match[2] or match[1])}
    return value


class WeekRange(SpecModel):
    """Weeks of the rollout, counted from 1 at ``start_date``."""

    start: int = Field(ge=1, description="first week")
    end: int = Field(ge=1, description="last week, inclusive")

    @model_validator(mode="after")
    def _ordered(self) -> WeekRange:
        if self.end < self.start:
            raise spec_error(f"weeks run backwards ({self.start}-{self.end})", "write start-end")
        return self


class Phase(SpecModel):
    """One phase of the rollout."""

    id: PhaseId = Field(description="foundation, rhythm, optimization or maturation")
    name: Text = Field(description="phase name")
    weeks: Annotated[WeekRange, BeforeValidator(_weeks)] = Field(
        description="weeks of the plan, '1-3' or {start, end}"
    )
    goals: tuple[Text, ...] = Field((), description="what the phase achieves")
    deliverables: tuple[Text, ...] = Field((), description="what exists when it is done")


def default_phases() -> tuple[Phase, ...]:
    """The 12-week plan: foundation, rhythm, optimization, maturation — three weeks each."""
    names = ("Foundation", "Rhythm", "Optimization", "Maturation")
    return tuple(
        Phase(id=pid, name=name, weeks=WeekRange(start=3 * i + 1, end=3 * i + 3))
        for i, (pid, name) in enumerate(zip(PHASE_ORDER, names, strict=True))
    )


class RolloutSpec(SpecModel):
    """``rollout.yaml``."""

    start_date: date | None = Field(None, description="Monday of week 1; empty = not started")
    phases: tuple[Phase, ...] = Field(
        default_factory=default_phases, min_length=1, description="the phases, in order"
    )

    @field_validator("phases")
    @classmethod
    def _phases_in_order(cls, phases: tuple[Phase, ...]) -> tuple[Phase, ...]:
        seen = [p.id for p in phases]
        if len(set(seen)) != len(seen):
            dup = next(p for p in seen if seen.count(p) > 1)
            raise spec_error(f"phase {dup!r} is listed twice", "list each phase once")
        if seen != sorted(seen, key=PHASE_ORDER.index):
            raise spec_error(
                "phases are out of order",
                "list them as foundation, rhythm, optimization, maturation",
            )
        for before, after in itertools.pairwise(phases):
            if after.weeks.start <= before.weeks.end:
                raise spec_error(
                    f"phase {after.id!r} starts in week {after.weeks.start}, before "
                    f"{before.id!r} ends (week {before.weeks.end})",
                    "phases follow each other without overlapping",
                )
        return phases
