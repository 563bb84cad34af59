"""``experiments/<id>.yaml``: the registry of tests, as code.

One file per experiment: the hypothesis, its owner (team.yaml) and metric (metrics.yaml), what is
measured per unit (``kind``: a conversion rate, or the mean of a value), the variants — the first,
or the one named ``control``, is the baseline the others are compared with; a holdout is a control
variant that gets nothing — the dates it runs, and what it was sized for: the minimum detectable
effect (absolute, or relative to the baseline), alpha and power. ``demandos experiment plan``
sizes it, ``analyze`` reads its results and ``conclude`` logs the result as a decision.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from demandos.spec.fields import Id, OwnerRef, SpecModel, Text, spec_error

ExperimentKind = Literal["conversion_rate", "mean"]
EffectScale = Literal["absolute", "relative"]


class Variant(SpecModel):
    """One arm of an experiment."""

    id: Id = Field(description="variant id, e.g. control, holdout, new_subject_line")
    description: str | None = Field(None, description="what this arm gets")
    holdout: bool = Field(False, description="this arm gets nothing (a holdout group)")


StoreOutcome = Literal["opportunity", "won", "pipeline"]


class Assignment(SpecModel):
    """A holdout read from the canonical facts: the accounts a program touched between the
    experiment's start and end are the treatment, the others (of a segment) the holdout."""

    program: Id = Field(description="the program of channels.yaml the treatment accounts got")
    segment: Id | None = Field(
        None, description="the ICP segment of kernel.yaml the accounts belong to (default: all)"
    )
    outcome: StoreOutcome = Field(
        "opportunity",
        description="opportunity or won (an account's opportunity created in the window, won by "
        "now): a conversion rate; pipeline (its amount created in the window): a mean",
    )


class ExperimentSpec(SpecModel):
    """One experiment of the registry (``experiments/<id>.yaml``)."""

    id: Id = Field(description="experiment id; the file name without .yaml")
    name: str | None = Field(None, description="a readable name")
    hypothesis: Text = Field(description="what you expect, and why, e.g. 'shorter form: +20% CVR'")
    owner: OwnerRef = Field(description="the one person id from team.yaml who runs it")
    metric: Id = Field(description="the metric id from metrics.yaml the result moves")
    kind: ExperimentKind = Field(
        description="conversion_rate (converted or not, per unit) or mean (a value per unit)"
    )
    unit: str = Field("unit", description="what is randomised: account, person, visitor, email")
    variants: tuple[Variant, ...] = Field(
        min_length=2, description="two arms or more: a control or holdout, then the treatments"
    )
    control: Id | None = Field(
        None, description="the variant the others are compared with (default: the first)"
    )
    start: date = Field(description="first day, YYYY-MM-DD")
    end: date | None = Field(None, description="last day, YYYY-MM-DD (open-ended when absent)")
    mde: float = Field(gt=0, description="minimum detectable effect, e.g. 0.02 or 0.2 (relative)")
    mde_scale: EffectScale = Field(
        "absolute", description="absolute: in the metric's unit; relative: a share of baseline"
    )
    baseline: float | None = Field(
        None, gt=0, description="conversion_rate: the control's expected rate, e.g. 0.05"
    )
    sd: float | None = Field(None, gt=0, description="mean: the standard deviation of a value")
    assignment: Assignment | None = Field(
        None, description="read the units and outcome from the store (a program's holdout)"
    )
    alpha: float = Field(0.05, gt=0, lt=0.5, description="false-positive rate, two-sided")
    power: float = Field(0.8, ge=0.5, lt=1, description="chance of detecting the MDE if real")

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentSpec:
        ids = [v.id for v in self.variants]
        if len(set(ids)) != len(ids):
            dup = next(i for i in ids if ids.count(i) > 1)
            raise spec_error(f"variant {dup!r} is listed twice", "give each variant its own id")
        if self.control is not None and self.control not in ids:
            raise spec_error(
                f"control {self.control!r} is not one of the variants ({', '.join(ids)})",
                "name one of the variants, or leave control out to use the first",
            )
        if self.end is not None and self.end < self.start:
            raise spec_error(
                f"end {self.end} is before start {self.start}",
                "put the last day of the test after its first day",
            )
        if self.kind == "conversion_rate" and self.baseline is not None and self.baseline >= 1:
            raise spec_error(
                f"baseline {self.baseline} is not a rate", "write a rate between 0 and 1: 0.05"
            )
        if self.kind == "conversion_rate" and self.mde_scale == "absolute" and self.mde >= 1:
            raise spec_error(
                f"an absolute MDE of {self.mde} is not a rate difference",
                "write it as a difference of rates (0.01 = one point), or set mde_scale: relative",
            )
        if self.assignment is not None:
            want = "mean" if self.assignment.outcome == "pipeline" else "conversion_rate"
            if self.kind != want:
                raise spec_error(
                    f"the outcome {self.assignment.outcome!r} is measured as a {want}, "
                    f"not a {self.kind}",
                    f"set kind: {want}, or choose another outcome",
                )
            if len(self.variants) != 2:
                raise spec_error(
                    "a holdout read from the store has two variants: the holdout and the "
                    "accounts the program touched",
                    "keep two variants, the holdout first (or named in control:)",
                )
        if self.mde_scale == "relative" and self.kind == "mean" and self.baseline is None:
            raise spec_error(
                "a relative MDE on a mean needs the control's expected mean",
                "add baseline: <expected mean>, or write the MDE in the metric's unit",
            )
        return self

    @property
    def control_id(self) -> str:
        return self.control or self.variants[0].id

    @property
    def treatments(self) -> tuple[str, ...]:
        return tuple(v.id for v in self.variants if v.id != self.control_id)

    def status(self, today: date, concluded: bool = False) -> str:
        """planned, running, ended (waiting for its conclusion) or concluded."""
        if concluded:
            return "concluded"
        if today < self.start:
            return "planned"
        if self.end is not None and today > self.end:
            return "ended"
        return "running"
