"""``metrics.yaml``: the metric tree — tier, parent, owner, target and how each is calculated.

A metric is either one of the built-in formulas (``builtin: der``, see ``BUILTIN_METRICS``) or a
custom ``calculation`` discriminated by ``type``: simple, ratio, derived, cumulative, conversion,
attribution.
"""

from __future__ import annotations

import ast
import re
from datetime import date
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from demandos.spec.fields import Id, OwnerRef, SpecModel, Text, spec_error
from demandos.store.schema import TABLES
from demandos.suggest import closest, did_you_mean

DIMENSIONS: tuple[str, ...] = (
    "channel", "platform", "program", "segment", "persona", "pillar", "asset_type",
)  # fmt: skip
"""What metrics can be broken down by (``demandos metrics --by``)."""

Unit = Literal["currency", "ratio", "percent", "count", "days", "months", "currency_per_day"]
Direction = Literal["higher_is_better", "lower_is_better"]
Grain = Literal["week", "month", "quarter", "year"]


class Builtin(NamedTuple):
    description: str
    unit: Unit
    direction: Direction = "higher_is_better"


_LOWER: Direction = "lower_is_better"
BUILTIN_CATALOG: dict[str, Builtin] = {
    "der": Builtin("Demand Efficiency Ratio: pipeline created ÷ fully loaded demand cost", "ratio"),
    "der_bookings": Builtin("bookings DER: won amount ÷ fully loaded demand cost", "ratio"),
    "der_cohort": Builtin("cohort DER: pipeline from leads acquired in P ÷ cost of P", "ratio"),
    "pipeline_created": Builtin("sum of amount of opportunities created", "currency"),
    "pipeline_velocity": Builtin(
        "open qualified opps × win rate × avg won deal ÷ avg sales cycle days", "currency_per_day"
    ),
    "win_rate": Builtin("won ÷ (won + lost), by count, for opps closed in the period", "percent"),
    "win_rate_value": Builtin("won ÷ (won + lost), by amount", "percent"),
    "sales_cycle_days": Builtin("average days from opportunity created to won", "days", _LOWER),
    "lead_to_mql": Builtin("share of leads that become MQLs", "percent"),
    "mql_to_sql": Builtin("share of MQLs that become SQLs", "percent"),
    "sql_to_opp": Builtin("share of SQLs that become opportunities", "percent"),
    "opp_to_won": Builtin("share of opportunities that are won", "percent"),
    "lead_to_mql_cohort": Builtin(
        "of the period's new leads, the share MQL within 90 days", "percent"
    ),
    "mql_to_sql_cohort": Builtin(
        "of the period's new MQLs, the share SQL within 90 days", "percent"
    ),
    "sql_to_opp_cohort": Builtin(
        "of the period's new SQLs, the share with an opportunity within 90 days", "percent"
    ),
    "opp_to_won_cohort": Builtin(
        "of the period's new opportunities, the share won within 180 days", "percent"
    ),
    "leads": Builtin("new leads", "count"),
    "mqls": Builtin("new marketing-qualified leads", "count"),
    "sqls": Builtin("new sales-qualified leads", "count"),
    "opportunities_created": Builtin("opportunities created", "count"),
    "cpl": Builtin("cost per lead: media spend ÷ leads", "currency", _LOWER),
    "cac": Builtin("acquisition cost ÷ new customers won", "currency", _LOWER),
    "cac_fully_loaded": Builtin("fully loaded cost ÷ new customers won", "currency", _LOWER),
    "cac_payback_months": Builtin(
        "CAC ÷ (new ARR per customer ÷ 12 × gross margin)", "months", _LOWER
    ),
    "revenue_influenced": Builtin("won amount on accounts with a demand touch before", "currency"),
    "revenue_sourced": Builtin("won amount whose first touch was a demand touch", "currency"),
    "impressions": Builtin("ad and content impressions", "count"),
    "clicks": Builtin("clicks", "count"),
    "ctr": Builtin("click-through rate: clicks ÷ impressions", "percent"),
    "cpc": Builtin("cost per click: spend ÷ clicks", "currency", _LOWER),
    "cpm": Builtin("cost per thousand impressions", "currency", _LOWER),
    "conversion_rate": Builtin("conversions ÷ clicks", "percent"),
    "email_open_rate": Builtin("email opens ÷ delivered", "percent"),
    "email_click_rate": Builtin("email clicks ÷ delivered", "percent"),
    "owned_audience_growth": Builtin(
        "growth of owned audiences (subscribers, followers)", "percent"
    ),
    "media_spend": Builtin("paid media spend", "currency", _LOWER),
    "fully_loaded_cost": Builtin(
        "media + people + tools + agency + other demand cost", "currency", _LOWER
    ),
}
BUILTIN_METRICS: dict[str, str] = {k: v.description for k, v in BUILTIN_CATALOG.items()}
"""Every built-in metric id and what it measures (formulas in DESIGN.md)."""


def suggest_builtin(word: str) -> str:
    """A did-you-mean for a built-in metric id, by spelling or by the words of its description.

    ``cost_per_lead`` finds ``cpl``, whose description is "cost per lead: …".
    """
    guess = did_you_mean(word, BUILTIN_METRICS)
    if guess:
        return guess
    words = [w for w in re.split(r"[^a-z]+", word.lower()) if w]
    matches = [
        k for k, text in BUILTIN_METRICS.items() if words and all(w in text.lower() for w in words)
    ]
    if matches:
        return f"did you mean {matches[0]!r}? ({BUILTIN_METRICS[matches[0]]})"
    return f"built-in metrics: {', '.join(BUILTIN_METRICS)}"


def _check_table(value: str) -> str:
    if value not in TABLES:
        raise spec_error(
            f"{value!r} is not a canonical table",
            did_you_mean(value, TABLES) or f"tables are: {', '.join(TABLES)}",
        )
    return value


Table = Annotated[str, AfterValidator(_check_table)]
Stage = Literal["lead", "mql", "sql", "opportunity", "won"]
STAGES: tuple[str, ...] = ("lead", "mql", "sql", "opportunity", "won")

_PERIOD = re.compile(
    r"^(\d{4}(-Q[1-4]|-(0[1-9]|1[0-2])|-W(0[1-9]|[1-4]\d|5[0-3]))?|FY\d{4}(-Q[1-4])?)$"
)


def _check_period(value: str) -> str:
    if not _PERIOD.match(value):
        raise spec_error(
            f"{value!r} is not a period",
            "name periods as 2025 (year), 2025-Q1 (quarter), 2025-03 (month), 2025-W09 (week), "
            "FY2025 (fiscal year) or FY2025-Q1 (fiscal quarter)",
        )
    return value


PeriodKey = Annotated[str, AfterValidator(_check_period)]


def _scalar(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


FilterScalar = Annotated[str | bool | int | float, BeforeValidator(_scalar)]


class Levels(SpecModel):
    """A target value and its warning thresholds."""

    value: float = Field(allow_inf_nan=False, description="the target")
    amber: float | None = Field(
        None, allow_inf_nan=False, description="status turns amber past this value"
    )
    red: float | None = Field(None, allow_inf_nan=False, description="status turns red past this")


class Target(Levels):
    """The target of a metric, with optional overrides for named periods."""

    per: Grain = Field("month", description="the period the target value is for")
    periods: dict[PeriodKey, Levels] = Field(
        default_factory=dict, description="overrides for named periods, e.g. 2025-Q4"
    )


class Filter(SpecModel):
    """A row filter: ``{column, op, value}``."""

    column: Id = Field(description="column of the table")
    op: Literal[
        "eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains", "is_null", "not_null"
    ] = Field("eq", description="comparison")  # fmt: skip
    value: FilterScalar | tuple[FilterScalar, ...] | None = Field(
        None, description="value to compare with; a list for in and not_in"
    )

    @model_validator(mode="after")
    def _value_fits_op(self) -> Filter:
        listy = isinstance(self.value, tuple)
        if self.op in ("in", "not_in") and not listy:
            raise spec_error(f"op {self.op!r} needs a list value", "write value: [a, b]")
        if self.op in ("is_null", "not_null") and self.value is not None:
            raise spec_error(f"op {self.op!r} takes no value", "remove `value:`")
        if self.op not in ("in", "not_in", "is_null", "not_null") and (listy or self.value is None):
            raise spec_error(f"op {self.op!r} needs a single value", "write e.g. value: webinar")
        return self


class SimpleCalc(SpecModel):
    """Aggregate one column of one canonical table."""

    type: Literal["simple"] = Field(description="simple: aggregate a table column")
    table: Table = Field(description="canonical table, e.g. spend, people, opportunities")
    agg: Literal["sum", "count", "count_distinct", "avg", "min", "max"] = Field(
        description="aggregation"
    )
    column: Id | None = Field(None, description="column to aggregate (not needed for count)")
    filters: tuple[Filter, ...] = Field((), description="row filters, all must hold")
    time_column: Id | None = Field(None, description="column that places a row in a period")

    @model_validator(mode="after")
    def _column_for_agg(self) -> SimpleCalc:
        if self.agg != "count" and self.column is None:
            raise spec_error(f"agg {self.agg!r} needs a column", "add `column: <column name>`")
        return self


class RatioCalc(SpecModel):
    """One metric divided by another."""

    type: Literal["ratio"] = Field(description="ratio: numerator ÷ denominator")
    numerator: Id = Field(description="metric id on top")
    denominator: Id = Field(description="metric id below")


_ALLOWED_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant)
_ALLOWED_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub, ast.UAdd)


class DerivedCalc(SpecModel):
    """Arithmetic over other metrics, e.g. ``(pipeline_created - media_spend) / leads``."""

    type: Literal["derived"] = Field(description="derived: an expression over other metrics")
    expression: Text = Field(description="arithmetic with + - * / ( ), numbers and metric ids")
    metrics: tuple[Id, ...] = Field(min_length=1, description="metric ids the expression uses")

    @model_validator(mode="after")
    def _expression_parses(self) -> DerivedCalc:
        try:
            tree = ast.parse(self.expression, mode="eval")
        except SyntaxError:
            raise spec_error(
                f"cannot read expression {self.expression!r}",
                "use metric ids, numbers, + - * / and parentheses",
            ) from None
        for node in ast.walk(tree):
            if isinstance(node, ast.operator | ast.unaryop):
                if not isinstance(node, _ALLOWED_OPS):
                    raise spec_error(f"operator not allowed in {self.expression!r}", "use + - * /")
            elif not isinstance(node, _ALLOWED_NODES) or (
                isinstance(node, ast.Constant) and not isinstance(node.value, int | float)
            ):
                raise spec_error(
                    f"{ast.unparse(node)!r} is not allowed in an expression",
                    "use metric ids, numbers, + - * / and parentheses",
                )
            elif isinstance(node, ast.Name) and node.id not in self.metrics:
                hint = did_you_mean(node.id, self.metrics)
                raise spec_error(
                    f"expression uses {node.id!r}, which is not listed in metrics",
                    (hint + " " if hint else "") + f"add {node.id!r} to `metrics:`",
                )
        return self


class CumulativeCalc(SpecModel):
    """A running total of another metric over a window or period-to-date."""

    type: Literal["cumulative"] = Field(description="cumulative: running total of a metric")
    metric: Id = Field(description="metric id to accumulate")
    window_days: int | None = Field(None, ge=1, description="trailing window in days")
    grain_to_date: Literal["month", "quarter", "year"] | None = Field(
        None, description="accumulate from the start of the month, quarter or year"
    )

    @model_validator(mode="after")
    def _one_window(self) -> CumulativeCalc:
        if (self.window_days is None) == (self.grain_to_date is None):
            raise spec_error(
                "a cumulative metric needs exactly one of window_days and grain_to_date",
                "e.g. `window_days: 90` for a trailing 90 days, or `grain_to_date: quarter`",
            )
        return self


class ConversionCalc(SpecModel):
    """Of those reaching ``base_event``, the share reaching ``conversion_event`` within N days."""

    type: Literal["conversion"] = Field(description="conversion: cohort stage conversion")
    entity: Literal["people", "accounts", "opportunities"] = Field(
        "people", description="what converts"
    )
    base_event: Stage = Field(description="stage the cohort enters")
    conversion_event: Stage = Field(description="later stage it must reach")
    within_days: int = Field(90, ge=1, description="days allowed to convert")

    @model_validator(mode="after")
    def _forward(self) -> ConversionCalc:
        if STAGES.index(self.conversion_event) <= STAGES.index(self.base_event):
            raise spec_error(
                f"conversion_event {self.conversion_event!r} does not come after "
                f"base_event {self.base_event!r}",
                "stages run lead → mql → sql → opportunity → won",
            )
        return self


ATTRIBUTION_MODELS: tuple[str, ...] = (
    "first", "last", "linear", "time_decay", "position", "w_shaped", "full_path", "markov",
    "shapley",
)  # fmt: skip
"""The attribution models an ``attribution`` metric can name (``demandos.feedback.MODELS``)."""
Milestone = Literal["lead", "mql", "opportunity", "won"]


class AttributionCalc(SpecModel):
    """A milestone's conversions or value credited to channels, programs, segments or pillars by
    an attribution model: pipeline by Markov credit, won deals by W-shaped credit (the members
    add up to the total: every conversion in the period, those without a touch as
    ``(unassigned)``)."""

    type: Literal["attribution"] = Field(description="attribution: model credit of a milestone")
    model: str = Field("markov", description="attribution model, e.g. markov, shapley, w_shaped")
    milestone: Milestone = Field("opportunity", description="lead, mql, opportunity or won")
    measure: Literal["value", "conversions"] = Field(
        "value", description="value (pipeline, revenue) or conversions credited"
    )
    level: Literal["person", "account"] = Field("account", description="journeys of whom")
    lookback_days: int = Field(90, ge=1, description="days of touches before the milestone")
    order: int = Field(1, ge=1, le=3, description="Markov chain order")

    @field_validator("model")
    @classmethod
    def _known_model(cls, model: str) -> str:
        if model not in ATTRIBUTION_MODELS:
            raise spec_error(
                f"{model!r} is not an attribution model",
                did_you_mean(model, ATTRIBUTION_MODELS)
                or f"use one of {', '.join(ATTRIBUTION_MODELS)}",
            )
        return model

    @model_validator(mode="after")
    def _consistent(self) -> AttributionCalc:
        if self.measure == "value" and self.milestone in ("lead", "mql"):
            raise spec_error(
                f"{self.milestone} carries no value to credit",
                "use measure: conversions, or milestone: opportunity (pipeline) or won (revenue)",
            )
        if self.level == "person" and self.milestone in ("opportunity", "won"):
            raise spec_error(
                f"{self.milestone} journeys are account journeys",
                "use level: account (the buying committee's touches)",
            )
        if self.order > 1 and self.model != "markov":
            raise spec_error(f"order {self.order} is for the markov model only", "drop `order:`")
        return self


Calculation = Annotated[
    SimpleCalc | RatioCalc | DerivedCalc | CumulativeCalc | ConversionCalc | AttributionCalc,
    Field(discriminator="type"),
]


class Metric(SpecModel):
    """One metric in the tree."""

    id: Id = Field(description="metric id")
    name: Text = Field(description="display name")
    description: str = Field("", description="what it measures and why it matters")
    tier: int = Field(ge=1, le=4, description="1 north star, 2 pipeline, 3 acquisition, 4 channel")
    parent: Id | None = Field(None, description="the metric this one drives (none for tier 1)")
    owner: OwnerRef = Field(description="the one person accountable for it (id in team.yaml)")
    unit: Unit = Field(description="unit; percent is a fraction (0.25 = 25%)")
    format: str | None = Field(None, description="display format, e.g. '0.0x', '$0,0', '0.0%'")
    direction: Direction = Field("higher_is_better", description="which way is good")
    builtin: Id | None = Field(None, description="built-in formula id (see BUILTIN_METRICS)")
    calculation: Calculation | None = Field(None, description="custom formula")
    target: Target | None = Field(None, description="target and thresholds")
    dimensions: tuple[Id, ...] = Field(
        (),
        description="the breakdowns allowed, e.g. [channel, segment] (none listed: any of "
        + ", ".join(DIMENSIONS)
        + ")",
    )

    @model_validator(mode="before")
    @classmethod
    def _builtin_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("builtin"), str):
            known = BUILTIN_CATALOG.get(data["builtin"])
            if known is None:
                # The unknown builtin fails validation anyway: one error, not also "unit missing".
                return {"unit": "count", **data}
            data = {"unit": known.unit, "direction": known.direction, **data}
        return data

    @model_validator(mode="after")
    def _one_formula(self) -> Metric:
        if self.builtin is not None and self.calculation is not None:
            raise spec_error(
                f"metric {self.id!r} has both builtin and calculation",
                "keep one: `builtin:` for a built-in formula, `calculation:` for your own",
            )
        if self.builtin is None and self.calculation is None:
            if self.id in BUILTIN_METRICS:
                hint = f"add `builtin: {self.id}`"
            else:
                guess = closest(self.id, BUILTIN_METRICS)
                hint = (f"add `builtin: {guess}`, or " if guess else "add ") + (
                    "`calculation:` with a type: simple, ratio, derived, cumulative, conversion or "
                    "attribution"
                )
            raise spec_error(f"metric {self.id!r} has no formula", hint)
        return self

    @field_validator("dimensions")
    @classmethod
    def _known_dimensions(cls, dimensions: tuple[str, ...]) -> tuple[str, ...]:
        for dimension in dimensions:
            if dimension not in DIMENSIONS:
                raise spec_error(
                    f"{dimension!r} is not a dimension metrics can be broken down by",
                    did_you_mean(dimension, DIMENSIONS) or f"use {', '.join(DIMENSIONS)}",
                )
        return dimensions

    @field_validator("builtin")
    @classmethod
    def _known_builtin(cls, builtin: str | None) -> str | None:
        if builtin is not None and builtin not in BUILTIN_METRICS:
            raise spec_error(f"{builtin!r} is not a built-in metric", suggest_builtin(builtin))
        return builtin

    @field_validator("target")
    @classmethod
    def _thresholds_ordered(cls, target: Target | None, info: ValidationInfo) -> Target | None:
        direction = info.data.get("direction")
        formula = info.data.get("builtin") or info.data.get("calculation")
        if target is None or direction is None or formula is None:
            return target  # the direction of a metric without a valid formula is not known
        for levels in (target, *target.periods.values()):
            values = [v for v in (levels.value, levels.amber, levels.red) if v is not None]
            if values != sorted(values, reverse=direction == "higher_is_better"):
                order = "≥" if direction == "higher_is_better" else "≤"
                raise spec_error(
                    f"target thresholds are out of order for a {direction} metric",
                    f"write them so that value {order} amber {order} red",
                )
        return target


class MetricsSpec(SpecModel):
    """``metrics.yaml``: the four-tier metric tree with DER at the top."""

    metrics: tuple[Metric, ...] = Field(min_length=1, description="the metrics, any order")
