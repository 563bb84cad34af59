"""``kernel.yaml``: the strategic kernel — positioning, ICP segments, personas, messaging."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, field_validator, model_validator

from demandos.spec.fields import Country, Id, Range, SpecModel, Text, spec_error


class Positioning(SpecModel):
    """Who the product is for, what it replaces, and why it wins."""

    statement: Text = Field(description="the positioning statement, one or two sentences")
    category: Text = Field(description="the market category the product competes in")
    target_customer: Text = Field(description="the customer the product is built for")
    problem: Text = Field(description="the problem the customer has, in their words")
    value: str = Field(
        "", description="the value the customer gets: the outcome, in their terms and numbers"
    )
    alternatives: tuple[Text, ...] = Field((), description="what customers do instead today")
    differentiators: tuple[Text, ...] = Field(
        (), description="what only this product does, versus those alternatives"
    )


class FieldRange(SpecModel):
    """A range on a number or a date column, both ends inclusive, either end may be open."""

    min: float | date | None = Field(None, description="smallest value that fits")
    max: float | date | None = Field(None, description="largest value that fits")

    @model_validator(mode="after")
    def _bounds(self) -> FieldRange:
        if self.min is None and self.max is None:
            raise spec_error("a range needs min, max or both", "write {min: 50, max: 500}")
        if self.min is not None and self.max is not None:
            if type(self.min) is not type(self.max):
                raise spec_error(
                    f"min ({self.min}) and max ({self.max}) are not both numbers or both dates",
                    "write both ends the same way",
                )
            if self.max < self.min:  # type: ignore[operator]
                raise spec_error(f"max ({self.max}) is below min ({self.min})", "swap them")
        return self


FieldRule = tuple[Text, ...] | FieldRange
"""A rule on one accounts column: values that fit (globs), or a range."""


DEDICATED = {
    "industry": "industries",
    "employees": "employees",
    "annual_revenue": "annual_revenue",
    "country": "countries",
    "technologies": "technologies",
}
"""Accounts columns with a fit rule of their own, and that rule's name."""


class FitRules(SpecModel):
    """Firmographic rules an account must meet to fit a segment (empty = no constraint)."""

    industries: tuple[Text, ...] = Field((), description="industries that fit, as in the CRM")
    employees: Range | None = Field(None, description="company size range {min, max}")
    annual_revenue: Range | None = Field(
        None, description="annual revenue range {min, max} in the workspace currency"
    )
    countries: tuple[Country, ...] = Field((), description="ISO 3166 country codes that fit")
    technologies: tuple[Text, ...] = Field(
        (),
        description="technologies the account uses, at least one of them (the accounts "
        "table's technologies, case-insensitive, * matches anything)",
        examples=[["netsuite", "sage intacct"]],
    )
    fields: dict[str, FieldRule] = Field(
        {},
        description="rules on any other column of the accounts table: a list of values (globs, "
        "case-insensitive) for text, or a range {min, max} for numbers and dates",
        examples=[{"domain": ["*.io"], "created_at": {"min": "2024-01-01"}}],
    )

    @field_validator("fields")
    @classmethod
    def _fields_not_dedicated(cls, fields: dict[str, FieldRule]) -> dict[str, FieldRule]:
        for column in fields:
            if rule := DEDICATED.get(column):
                raise spec_error(
                    f"fields: {column!r} has a rule of its own",
                    f"write it as `{rule}:` beside `fields:`",
                )
        return fields


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
        (),
        description="job-title patterns, case-insensitive, * matches anything",
        examples=[["*controller*", "head of finance*"]],
    )
    departments: tuple[Text, ...] = Field(
        (),
        description="department patterns (the people table's department), case-insensitive, "
        "* matches anything; with titles, a person must match both",
        examples=[["finance", "accounting*"]],
    )
    seniority: Literal["individual_contributor", "manager", "head", "director", "vp", "c_level"] = (
        Field("manager", description="typical seniority")
    )
    segments: tuple[Id, ...] = Field((), description="segment ids this persona is found in")

    @model_validator(mode="after")
    def _some_rule(self) -> Persona:
        if not self.titles and not self.departments:
            raise spec_error(
                f"persona {self.id!r} has no title or department pattern, so no one matches it",
                "add `titles: ['*controller*']` or `departments: ['finance']`",
            )
        return self


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


class Product(SpecModel):
    """One product the master narrative connects."""

    id: Id = Field(description="product id")
    name: Text = Field(description="product name")
    role: Text = Field(description="the part of the narrative this product delivers")
    segments: tuple[Id, ...] = Field((), description="ICP segment ids it is sold to")
    pillars: tuple[Id, ...] = Field((), description="message pillar ids it proves")
    programs: tuple[Id, ...] = Field((), description="program ids (channels.yaml) that carry it")


class Narrative(SpecModel):
    """The master narrative: one story every product team tells, each product a chapter of it."""

    statement: Text = Field(description="the story in two or three sentences")
    products: tuple[Product, ...] = Field(
        (), description="the products it connects, for workspaces with several products"
    )


class KernelSpec(SpecModel):
    """``kernel.yaml``: the constitution every program, asset and message maps to."""

    version: int = Field(1, ge=1, description="kernel version; raise it when the kernel changes")
    positioning: Positioning = Field(description="positioning")
    segments: tuple[Segment, ...] = Field(min_length=1, description="ICP segments")
    personas: tuple[Persona, ...] = Field((), description="buyer personas")
    pillars: tuple[Pillar, ...] = Field(min_length=1, description="message pillars")
    proof_points: tuple[ProofPoint, ...] = Field((), description="proof points")
    competitors: tuple[Competitor, ...] = Field((), description="competitors and alternatives")
    narrative: Narrative | None = Field(
        None, description="the master narrative connecting the products (several products)"
    )
