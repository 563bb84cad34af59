"""``channels.yaml``: distribution channels (owned, earned, paid) and the programs run on them."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from demandos.spec.fields import Id, Money, OwnerRef, SpecModel, Text, spec_error


class UtmRule(SpecModel):
    """Touches whose UTM tags match these globs belong to the channel (``*`` = anything)."""

    source: str = Field("*", min_length=1, description="utm_source glob, e.g. linkedin")
    medium: str = Field("*", min_length=1, description="utm_medium glob, e.g. paid_social")
    campaign: str = Field("*", min_length=1, description="utm_campaign glob, e.g. q3_*")

    @model_validator(mode="after")
    def _not_everything(self) -> UtmRule:
        if self.source == self.medium == self.campaign == "*":
            raise spec_error(
                "a UTM rule that matches everything would claim every touch",
                "set at least one of source, medium or campaign",
            )
        return self


class Channel(SpecModel):
    """A distribution channel."""

    id: Id = Field(description="channel id, referenced by programs and touchpoints")
    name: Text = Field(description="channel name")
    type: Literal["owned", "earned", "paid"] = Field(
        description="owned: audiences you keep; earned: others' audiences; paid: rented reach"
    )
    platform: str = Field("", description="where it runs, e.g. LinkedIn, HubSpot email, website")
    utm: tuple[UtmRule, ...] = Field((), description="UTM rules that map touches to the channel")
    sources: tuple[Text, ...] = Field(
        (),
        description="CRM lead-source values that mean this channel, as globs (case-insensitive): "
        "HubSpot's 'Original Source / Drill-Down 1', Salesforce's Lead Source",
        examples=[["Paid Social / LinkedIn", "LinkedIn*"]],
    )


class Program(SpecModel):
    """An always-on program, a campaign or a launch, running on one channel."""

    id: Id = Field(description="program id, as in spend and touchpoints")
    name: Text = Field(description="program name")
    channel: Id = Field(description="channel id it runs on")
    kind: Literal["always_on", "campaign", "launch"] = Field(
        "always_on", description="always_on runs continuously; campaign and launch have dates"
    )
    segments: tuple[Id, ...] = Field((), description="ICP segment ids (kernel.yaml) it targets")
    pillars: tuple[Id, ...] = Field((), description="message pillar ids (kernel.yaml) it carries")
    owner: OwnerRef = Field(description="the one person accountable for it (id in team.yaml)")
    start: date | None = Field(None, description="first day; required for campaigns and launches")
    end: date | None = Field(None, description="last day; required for campaigns")
    monthly_budget: Money | None = Field(None, description="planned spend per month")
    description: str = Field("", description="what it does and for whom")
    hands_to: Id | None = Field(
        None,
        description="launches only: the always-on program that keeps the audience it built "
        "(a launch reuses the kernel, leaves assets and hands its audience on)",
    )

    @model_validator(mode="after")
    def _dates(self) -> Program:
        if self.kind in ("campaign", "launch") and self.start is None:
            raise spec_error(f"a {self.kind} needs a start date", "add `start: 2025-09-01`")
        if self.kind == "campaign" and self.end is None:
            raise spec_error(
                "a campaign needs an end date",
                "add `end:`, or make it `kind: always_on` if it keeps running",
            )
        if self.start and self.end and self.end < self.start:
            raise spec_error(
                f"end ({self.end}) is before start ({self.start})", "swap start and end"
            )
        if self.hands_to is not None and self.kind != "launch":
            raise spec_error(
                f"only a launch hands its audience on, and this is a {self.kind}",
                "remove `hands_to:`, or make it `kind: launch`",
            )
        return self


class ChannelsSpec(SpecModel):
    """``channels.yaml``."""

    channels: tuple[Channel, ...] = Field(min_length=1, description="distribution channels")
    programs: tuple[Program, ...] = Field((), description="programs running on the channels")
