"""``workflows/<id>.yaml``: documented procedures with owners, checklists and SLAs.

Business hours (``business_hours`` in ``demandos.yaml``) are the team's working week in the
workspace timezone; a workflow with ``clock: business`` counts its SLAs in them.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, model_validator

from demandos.spec.fields import ClockTime, Duration, Id, OwnerRef, SpecModel, Text, spec_error

Milestone = Literal["lead", "sales_touch", "mql", "sql", "opportunity", "won"]
"""The CRM event that marks a step done: a lifecycle stage, or the first sales touch."""

_FUNNEL = {"lead": 0, "mql": 1, "sales_touch": 1, "sql": 2, "opportunity": 3, "won": 4}
"""Funnel stage of each milestone: mql and sales_touch may come in either order."""

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _day(value: str) -> int:
    key = value.strip().lower()[:3]
    if key not in DAY_NAMES or not value.strip().lower().startswith(key):
        raise spec_error(
            f"{value!r} is not a day of the week",
            "write days as mon, tue, wed, thu, fri, sat, sun, a range like mon-fri, or a list",
        )
    return DAY_NAMES.index(key)


def _parse_days(value: Any) -> Any:
    """``"mon-fri"``, ``"sun-thu"``, ``["mon", "wed"]`` or ``"mon, wed"`` → weekday numbers."""
    if isinstance(value, str):
        parts = [p for p in value.replace(";", ",").split(",") if p.strip()]
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        return value
    days: set[int] = set()
    for part in parts:
        if isinstance(part, int):
            days.add(part)
            continue
        first, _, last = str(part).partition("-")
        a = _day(first)
        b = _day(last) if last else a
        days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    if not days:
        raise spec_error("business hours need at least one working day", "e.g. days: mon-fri")
    return tuple(sorted(days))


def _format_days(days: tuple[int, ...]) -> str:
    return ", ".join(DAY_NAMES[d] for d in days)


WorkDays = Annotated[
    tuple[Annotated[int, Field(ge=0, le=6)], ...],
    BeforeValidator(_parse_days),
    PlainSerializer(_format_days, return_type=str, when_used="json"),
]
"""Working days: ``mon-fri``, ``sun-thu`` or a list of day names (0 = Monday once parsed)."""


class BusinessHours(SpecModel):
    """The team's working week, in the workspace timezone (``business_hours`` in demandos.yaml)."""

    days: WorkDays = Field(
        (0, 1, 2, 3, 4), description="working days: mon-fri, sun-thu, or a list of day names"
    )
    start: ClockTime = Field(time(9), description="start of the working day, HH:MM")
    end: ClockTime = Field(time(17), description="end of the working day, HH:MM")
    holidays: tuple[date, ...] = Field((), description="days off (YYYY-MM-DD), not counted")

    @model_validator(mode="after")
    def _end_after_start(self) -> BusinessHours:
        if self.end <= self.start:
            raise spec_error(
                f"business hours end at {self.end:%H:%M}, not after they start at "
                f"{self.start:%H:%M}",
                "set end later than start on the same day, e.g. start: '09:00', end: '17:00'",
            )
        return self


class Step(SpecModel):
    """One step of a workflow."""

    id: Id = Field(description="step id, unique within the workflow")
    name: Text = Field(description="what happens in this step")
    owner: OwnerRef | None = Field(
        None, description="who does it (id in team.yaml); defaults to the workflow owner"
    )
    sla: Duration | None = Field(
        None, description="time allowed from the previous step, e.g. 15m, 4h, 2d"
    )
    milestone: Milestone | None = Field(
        None,
        description="CRM event that marks the step done (lead, sales_touch, mql, sql, "
        "opportunity, won), so its SLA is measured from CRM data",
    )
    checklist: tuple[Text, ...] = Field((), description="what must be true before it is done")


class WorkflowSpec(SpecModel):
    """One procedure, e.g. inbound lead → sales opportunity."""

    id: Id = Field(description="workflow id; the file is workflows/<id>.yaml")
    name: Text = Field(description="workflow name")
    owner: OwnerRef = Field(description="the one person accountable for it (id in team.yaml)")
    description: str = Field("", description="why the workflow exists and what done means")
    trigger: Text = Field(description="the event that starts a run, e.g. 'demo request'")
    sla: Duration | None = Field(None, description="time allowed end to end, e.g. 2d")
    clock: Literal["calendar", "business"] = Field(
        "calendar",
        description="calendar: SLAs count every hour; business: only the business hours of "
        "demandos.yaml (a day of SLA is a working day, a week the working days of a week)",
    )
    steps: tuple[Step, ...] = Field(min_length=1, description="steps, in order")

    @model_validator(mode="after")
    def _milestones_in_funnel_order(self) -> WorkflowSpec:
        seen: dict[str, str] = {}
        last: tuple[int, str] | None = None
        for step in self.steps:
            if step.milestone is None:
                continue
            if step.milestone in seen:
                raise spec_error(
                    f"steps {seen[step.milestone]!r} and {step.id!r} both have milestone "
                    f"{step.milestone!r}",
                    "a CRM event marks one step done: keep the milestone on one of them",
                )
            rank = _FUNNEL[step.milestone]
            if last is not None and rank < last[0]:
                raise spec_error(
                    f"step {step.id!r} ({step.milestone}) comes after step {last[1]!r}, a later "
                    "stage of the funnel",
                    "order milestone steps as the funnel runs: lead, then mql and sales_touch, "
                    "then sql, opportunity, won",
                )
            seen[step.milestone] = step.id
            last = (rank, step.id)
        return self

    def owner_of(self, step: Step) -> str:
        """The person who answers for ``step``: its own owner, else the workflow's."""
        return step.owner or self.owner
