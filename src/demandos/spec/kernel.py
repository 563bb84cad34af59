"""``kernel.yaml``: the strategic kernel — positioning, ICP segments, personas, messaging."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from demandos.spec.fields import Country, Id, Range, SpecModel, Text


class Positioning(SpecModel):
    """Who the product is for, what it replaces, and why it wins."""

    statement: Text = Field(description="the positioning statement, one or two sentences")
    category: Text = Field(description="the market category the product competes in")
    target_customer: Text = Field(description="the customer the product is built for")
    problem: Text = Field(description="the problem the customer has, in their words")
    alternatives: tuple[Text, ...] = Field((), description="what customers do instead today")
    differentiators: tuple[Text, ...] = Field(
        (), description="what only this product does, versus those alternatives"
    )


class FitRules(SpecModel):
    """Firmographic rules an account must meet to fit a segment (empty = no constraint)."""

    industries: tuple[Text, ...] = Field((), description="industries that fit, as in the CRM")
    employees: Range | None = Field(None, description="company size range {min, max}")
    annual_revenue: Range | None = Field(
        None, description="annual revenue range {min, max} in the workspace currency"
    )
    countries: tuple[Country, ...] = Field((), description="ISO 3166 country codes that fit")


class Segment(SpecModel):
    """One ICP segment."""

    id: Id = Field(description="segment id, referenced by personas and programs")
    name: Text = Field(description="segment name")
    description: str = Field("", description="who is in this segment and why they buy")
    priority: Literal["primary", "secondary", "exploratory"] = Field(
        "primary", description="how much of the effort the segment gets"
    )
    rules: FitRules = Field(default_factory=FitRules, description="firmographic fit rules")


class Persona(SpecModel):
    """A buyer role inside the segments."""

    id: Id = Field(description="persona id")
    name: Text = Field(description="persona name")
    titles: tuple[Text, ...] = Field(
        min_length=1,
        description="job-title patterns, case-insensitive, * matches anything",
        examples=[["*controller*", "head of finance*"]],
    )
    seniority: Literal["individual_contributor", "manager", "head", "director", "vp", "c_level"] = (
        Field("manager", description="typical seniority")
    )
    segments: tuple[Id, ...] = Field((), description="segment ids this persona is found in")


class Pillar(SpecModel):
    """A message pillar: one thing the market must believe."""

    id: Id = Field(description="pillar id, referenced by programs and assets")
    name: Text = Field(description="pillar name")
    message: Text = Field(description="the message in one sentence")
    proof_points: tuple[Id, ...] = Field((), description="proof point ids that back it")


class ProofPoint(SpecModel):
    """Evidence for a claim."""

    id: Id = Field(description="proof point id")
    claim: Text = Field(description="what is claimed")
    evidence: Text = Field(description="the evidence, with numbers")
    source: str = Field("", description="where the evidence comes from (study, customer, data)")


class Competitor(SpecModel):
    """A competitor or alternative, tracked in competitor signals."""

    id: Id = Field(description="competitor id")
    name: Text = Field(description="competitor name")
    positioning: str = Field("", description="how they position themselves, and how we differ")


class KernelSpec(SpecModel):
    """``kernel.yaml``: the constitution every program, asset and message maps to."""

    version: int = Field(1, ge=1, description="kernel version; raise it when the kernel changes")
    positioning: Positioning = Field(description="positioning")
    segments: tuple[Segment, ...] = Field(min_length=1, description="ICP segments")
    personas: tuple[Persona, ...] = Field((), description="buyer personas")
    pillars: tuple[Pillar, ...] = Field(min_length=1, description="message pillars")
    proof_points: tuple[ProofPoint, ...] = Field((), description="proof points")
    competitors: tuple[Competitor, ...] = Field((), description="competitors and alternatives")
