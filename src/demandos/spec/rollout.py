"""``rollout.yaml``: the implementation plan, by default the 12-week plan in four phases."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from demandos.spec.fields import Id, OwnerRef, SpecModel, Text, spec_error

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


class Task(SpecModel):
    """One task of a phase. A task whose id is one the system judges (``rollout.plan.JUDGED``,
    e.g. ``define_kpis``) is measured from the workspace; any other is recorded by hand in
    ``done:``."""

    id: Id = Field(description="task id, e.g. define_kpis; unique across the plan")
    name: Text = Field(description="what the task achieves")


class Done(SpecModel):
    """A task the system cannot judge, recorded done by a person."""

    task: Id = Field(description="the task id from the plan")
    date: dt.date = Field(description="the day it was done")
    evidence: Text = Field(description="what shows it is done: a document, a link, a decision")
    by: OwnerRef | None = Field(None, description="who did it (person id in team.yaml)")


class Phase(SpecModel):
    """One phase of the rollout."""

    id: PhaseId = Field(description="foundation, rhythm, optimization or maturation")
    name: Text = Field(description="phase name")
    weeks: Annotated[WeekRange, BeforeValidator(_weeks)] = Field(
        description="weeks of the plan, '1-3' or {start, end}"
    )
    goals: tuple[Text, ...] = Field((), description="what the phase achieves")
    deliverables: tuple[Text, ...] = Field((), description="what exists when it is done")
    tasks: tuple[Task, ...] = Field(
        (), description="the phase's tasks; empty = the default tasks of the phase id"
    )


DEFAULT_TASKS: dict[str, tuple[tuple[str, str], ...]] = {
    "foundation": (
        ("define_kpis", "Define KPIs"),
        ("build_dashboard", "Build the dashboard"),
        ("clarify_roles", "Clarify roles"),
        ("document_workflows", "Document core workflows"),
    ),
    "rhythm": (
        ("weekly_meetings", "Weekly meetings"),
        ("optimization_routine", "Optimization routine"),
        ("playbooks", "Playbooks"),
    ),
    "optimization": (
        ("adjust_cadence", "Adjust cadence"),
        ("refine_processes", "Refine processes"),
        ("plan_capacity", "Plan capacity"),
    ),
    "maturation": (
        ("quarterly_audits", "Quarterly audits"),
        ("continuous_improvement", "Continuous improvement"),
        ("team_development", "Team development"),
    ),
}
"""The tasks of each phase of the 12-week plan."""

DEFAULT_WEEKS: dict[str, tuple[int, int]] = {
    "foundation": (1, 4),
    "rhythm": (5, 8),
    "optimization": (9, 12),
    "maturation": (13, 26),
}
"""Weeks 1-4, 5-8 and 9-12; maturation runs on from week 13 (its first quarter: 13-26)."""


def default_tasks(phase: str) -> tuple[Task, ...]:
    return tuple(Task(id=i, name=n) for i, n in DEFAULT_TASKS[phase])


def default_phases() -> tuple[Phase, ...]:
    """The 12-week plan: foundation 1-4, rhythm 5-8, optimization 9-12, then maturation."""
    names = ("Foundation", "Rhythm", "Optimization", "Maturation")
    return tuple(
        Phase(
            id=pid,
            name=name,
            weeks=WeekRange(start=DEFAULT_WEEKS[pid][0], end=DEFAULT_WEEKS[pid][1]),
            tasks=default_tasks(pid),
        )
        for pid, name in zip(PHASE_ORDER, names, strict=True)
    )


class RolloutSpec(SpecModel):
    """``rollout.yaml``."""

    start_date: date | None = Field(None, description="Monday of week 1; empty = not started")
    phases: tuple[Phase, ...] = Field(
        default_factory=default_phases, min_length=1, description="the phases, in order"
    )
    done: tuple[Done, ...] = Field(
        (), description="tasks the system cannot judge, recorded done: task, date, evidence, by"
    )

    def tasks(self, phase: Phase) -> tuple[Task, ...]:
        """The phase's tasks: those it lists, else the default tasks of its id."""
        return phase.tasks or default_tasks(phase.id)

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
