"""``workflows/<id>.yaml``: documented procedures with owners, checklists and SLAs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from demandos.spec.fields import Duration, Id, OwnerRef, SpecModel, Text

Milestone = Literal["lead", "mql", "sql", "opportunity", "won"]


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
        description="CRM stage that marks the step done, so its SLA is measured from CRM data",
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
    steps: tuple[Step, ...] = Field(min_length=1, description="steps, in order")
