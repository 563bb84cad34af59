"""``assets.yaml``: the asset library's production targets — how many of each type a month."""

from __future__ import annotations

from pydantic import Field, model_validator

from demandos.spec.fields import Id, OwnerRef, SpecModel, spec_error


class ProductionTarget(SpecModel):
    """How many assets of one type the team publishes a month, and who answers for it."""

    type: Id = Field(description="asset type, as in the assets table (case_study, blog_post, …)")
    per_month: float = Field(gt=0, description="assets of this type published per month")
    owner: OwnerRef = Field(description="the one person accountable for it (id in team.yaml)")
    derivatives: bool = Field(
        True,
        description="whether derivatives (assets with a parent asset) count toward the target",
    )


class AssetsSpec(SpecModel):
    """``assets.yaml`` (optional): production targets per asset type."""

    production: tuple[ProductionTarget, ...] = Field(
        (), description="one target per asset type; a type without one is held to its own rhythm"
    )

    @model_validator(mode="after")
    def _one_target_per_type(self) -> AssetsSpec:
        seen: set[str] = set()
        for target in self.production:
            if target.type in seen:
                raise spec_error(
                    f"asset type {target.type!r} has two production targets",
                    "keep one target per type: add them up, or remove one",
                )
            seen.add(target.type)
        return self
