"""Multi-touch attribution of a workspace: which channels, programs, assets, segments or pillars
drove its leads, MQLs, pipeline and revenue, by every model (``Workspace.attribution``).

The models form a registry (:data:`MODELS`): the heuristics (``feedback/heuristics.py``), the
exact Markov chain of order 1-3 (``feedback/markov.py``) and Shapley (``feedback/shapley.py``).
:func:`attribute` reads the journeys once (``feedback/sources.py``) and runs one model;
:func:`compare` runs every model on the same journeys.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from demandos.feedback.heuristics import HEURISTICS, Credit, HeuristicOptions, heuristics
from demandos.feedback.journeys import AttributionError, Journeys
from demandos.feedback.markov import markov
from demandos.feedback.shapley import shapley
from demandos.feedback.sources import VALUE_OF, JourneyQuery, read_many
from demandos.metrics.cohorts import LOOKBACK_DAYS
from demandos.metrics.dimensions import KernelSpecs
from demandos.metrics.periods import Period, current_period, parse_period
from demandos.spec.metrics import ATTRIBUTION_MODELS
from demandos.store.facts import FactStore
from demandos.suggest import did_you_mean

if TYPE_CHECKING:
    from demandos.workspace import Workspace


@dataclass(frozen=True)
class Options:
    """How the models run: Markov order, non-converting journeys (Markov and Shapley),
    time-decay half-life and U-shaped weights."""

    order: int = 1
    nulls: bool = True
    heuristic: HeuristicOptions = field(default_factory=HeuristicOptions)


ModelFn = Callable[[Journeys, Options], Credit]


def _heuristic(name: str) -> ModelFn:
    return lambda j, o: heuristics(j, o.heuristic, (name,))[name]


MODELS: dict[str, ModelFn] = {name: _heuristic(name) for name in HEURISTICS}
MODELS["markov"] = lambda j, o: markov(j, o.order, nulls=o.nulls)
MODELS["shapley"] = lambda j, o: shapley(j, nulls=o.nulls)
"""Every attribution model by name: a function of the journeys and the options."""
assert tuple(MODELS) == ATTRIBUTION_MODELS, "metrics.yaml names the models of this registry"


@dataclass(frozen=True)
class Row:
    """One member's credit under one model."""

    member: str
    conversions: float
    value: float
    share: float  # of the attributed conversions
    low: float | None = None  # 95% interval of a sampled estimate
    high: float | None = None
    influenced: float | None = None  # won: revenue influenced (a deal counts in every member)
    sourced: float | None = None  # won: revenue sourced (the first touch's member)


@dataclass(frozen=True)
class Attribution:
    """One model's credit per member, with the question it answers."""

    model: str
    milestone: str
    level: str
    by: str
    period: str
    start: date
    end: date
    lookback_days: int
    value_name: str | None  # "pipeline", "revenue", or None (leads and MQLs carry no value)
    journeys: int
    converting: int
    conversions: float  # every conversion in the period
    value: float
    unattributed: float  # conversions without a touch in their window
    unattributed_value: float
    rows: tuple[Row, ...]

    @property
    def attributed(self) -> float:
        return sum(r.conversions for r in self.rows)

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in vars(self).items() if k != "rows"}
        data["rows"] = [vars(r) for r in self.rows]
        return data


@dataclass(frozen=True)
class Comparison:
    """Every model on the same journeys: ``credit[model][member]`` conversions and value."""

    models: tuple[Attribution, ...]

    @property
    def members(self) -> tuple[str, ...]:
        order = {r.member: r.conversions for r in self.models[0].rows} if self.models else {}
        return tuple(sorted(order, key=lambda m: (-order[m], m)))

    def as_dict(self) -> dict[str, Any]:
        return {"models": [m.as_dict() for m in self.models]}


def default_period(ws: Workspace, today: date) -> Period:
    """The last full quarter before ``today``."""
    fy = ws.specs.workspace.fiscal_year_start_month
    return current_period("quarter", today, fiscal_year_start_month=fy).previous()


def _query(ws: Workspace, period: str | None, today: date | None, **kw: Any) -> JourneyQuery:
    fy = ws.specs.workspace.fiscal_year_start_month
    p = (
        parse_period(period, fiscal_year_start_month=fy)
        if period
        else default_period(ws, today or date.today())
    )
    return JourneyQuery(period=p, **kw)


def _check_model(model: str) -> None:
    if model not in MODELS:
        hint = did_you_mean(model, MODELS) or f"use one of {', '.join(MODELS)}"
        raise AttributionError(f"--model {model!r} is not an attribution model", hint=hint)


def _result(credit: Credit, q: JourneyQuery, read: Any, model: str) -> Attribution:
    j = read.journeys
    total = credit.conversions.sum()
    rows = []
    low, high = credit.extra.get("ci_low"), credit.extra.get("ci_high")
    inf, src = read.influenced, read.sourced
    for i, label in enumerate(credit.labels):
        rows.append(Row(
            label, float(credit.conversions[i]), float(credit.value[i]),
            float(credit.conversions[i] / total) if total else 0.0,
            None if low is None else float(low[i]), None if high is None else float(high[i]),
            None if inf is None else float(inf[i]), None if src is None else float(src[i]),
        ))  # fmt: skip
    rows.sort(key=lambda r: (-r.conversions, -r.value, r.member))
    return Attribution(
        model=model, milestone=q.milestone, level=q.level, by=q.by, period=q.period.label,
        start=q.period.start, end=q.period.end, lookback_days=q.lookback_days,
        value_name=VALUE_OF.get(q.milestone), journeys=len(j), converting=int((j.conv > 0).sum()),
        conversions=read.conversions, value=read.value, unattributed=read.unattributed,
        unattributed_value=read.unattributed_value, rows=tuple(rows),
    )  # fmt: skip


def attribute(
    ws: Workspace,
    model: str = "markov",
    *,
    milestone: str = "opportunity",
    level: str = "account",
    by: str = "channel",
    period: str | None = None,
    lookback_days: int = LOOKBACK_DAYS,
    touch_types: tuple[str, ...] = (),
    weights: dict[str, float] | None = None,
    options: Options | None = None,
    today: date | None = None,
) -> Attribution:
    """``model``'s credit per member of ``by`` for the ``milestone`` reached in ``period``
    (default: the last full quarter)."""
    return compare(ws, (model,), milestone=milestone, level=level, by=by, period=period,
                   lookback_days=lookback_days, touch_types=touch_types, weights=weights,
                   options=options, today=today).models[0]  # fmt: skip


def compare(
    ws: Workspace,
    models: tuple[str, ...] | None = None,
    *,
    milestone: str = "opportunity",
    level: str = "account",
    by: str = "channel",
    period: str | None = None,
    lookback_days: int = LOOKBACK_DAYS,
    touch_types: tuple[str, ...] = (),
    weights: dict[str, float] | None = None,
    options: Options | None = None,
    today: date | None = None,
) -> Comparison:
    """Every model in ``models`` (default: all) on the same journeys, side by side."""
    o = options or Options()
    q = _query(ws, period, today, milestone=milestone, level=level, by=by,
               lookback_days=lookback_days, touch_types=touch_types,
               weights=dict(weights or {}))  # fmt: skip
    return run(ws.facts, ws.specs, q, models or tuple(MODELS), o)


def run(
    facts: FactStore, specs: KernelSpecs | None, q: JourneyQuery, models: tuple[str, ...],
    options: Options,
) -> Comparison:  # fmt: skip
    """``models`` on the journeys of ``q``, read once from ``facts``; ``specs`` (the kernel and
    channels) are needed for journeys by segment or pillar only."""
    return run_many(facts, specs, [q], models, options)[0]


def run_many(
    facts: FactStore, specs: KernelSpecs | None, queries: Sequence[JourneyQuery],
    models: tuple[str, ...], options: Options,
) -> list[Comparison]:  # fmt: skip
    """:func:`run` for queries that differ in their period only, their journeys read with one
    query: the metrics engine's ``attribution`` metrics ask for their periods together
    (``metrics/attributed.py``)."""
    for name in models:
        _check_model(name)
    rule_based = tuple(n for n in models if n in HEURISTICS)  # one pass for all of them
    out = []
    for q, read in zip(queries, read_many(facts, specs, queries, nulls=True), strict=True):
        j = read.journeys
        credits = heuristics(j, options.heuristic, rule_based) if rule_based else {}
        results = []
        for name in models:
            credit = credits[name] if name in credits else MODELS[name](j, options)
            higher = name == "markov" and options.order > 1
            label = f"markov (order {options.order})" if higher else name
            results.append(_result(credit, q, read, label))
        out.append(Comparison(tuple(results)))
    return out
