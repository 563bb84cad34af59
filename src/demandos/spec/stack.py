"""``stack.yaml``: the tool inventory — purpose, owner, cost and the processes each serves."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from demandos.spec.fields import Id, Money, OwnerRef, SpecModel, Text

ToolCategory = Literal[
    "crm", "marketing_automation", "analytics", "attribution", "ads", "content", "data",
    "collaboration", "other",
]  # fmt: skip


class Tool(SpecModel):
    """One tool in the stack."""

    id: Id = Field(description="tool id")
    name: Text = Field(description="product name")
    category: ToolCategory = Field(description="what kind of tool it is")
    owner: OwnerRef = Field(description="the one person accountable for it (id in team.yaml)")
    monthly_cost: Money = Field(0, description="cost per month in the workspace currency")
    seats: int | None = Field(None, ge=0, description="paid seats")
    purpose: Text = Field(description="the need it serves; no purpose, no tool")
    processes: tuple[Id, ...] = Field(
        (), description="workflow or ritual ids it serves (an empty list is the tool-first trap)"
    )
    usage: Literal["active", "low", "unused"] = Field("active", description="how much it is used")


class StackSpec(SpecModel):
    """``stack.yaml``."""

    tools: tuple[Tool, ...] = Field(min_length=1, description="the tools")
