"""Compute the workspace's metric tree for a period, with comparisons, targets and states.

    table = compute(ws.facts, ws.specs, "2026-11", by="channel", today=date(2026, 12, 2))
    table.get("der").value, table.to_pandas(), table.as_dict()

Each component is read once for the period, the four before it and the same period last year.
A value's state is ``no_data`` when a table it needs has no data for the period or its
denominator is zero, ``partial`` when the period is not over on ``today`` or its data stops inside
it, ``not_computed`` for metrics the engine cannot compute yet — never a NaN or a silent zero.

Targets are per ``target.per``; for additive metrics they are scaled to the period's grain by
the number of periods in a year (a monthly target ×3 for a quarter, ×12/52 for a week); ratios
keep theirs. Status: green, amber once the value is past ``amber`` in the bad direction (past the
target itself when no amber is set), red once past ``red``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from demandos.errors import MetricError
from demandos.kernel.mapping import KERNEL_DIMENSIONS
from demandos.metrics.catalog import BUILTINS, MARGIN_KEY, Formula
from demandos.metrics.components import (
    AllocatedCosts,
    Component,
    Series,
    fetch_many,
    month_shares,
)
from demandos.metrics.custom import (
    Evaluate,
    attribution_formula,
    conversion_formula,
    reference_formula,
    simple_formula,
)
from demandos.metrics.dimensions import for_dimension
from demandos.metrics.periods import PER_YEAR, Period, _add_months, parse_period
from demandos.metrics.table import MetricTable, MetricValue, State, Status
from demandos.spec.channels import ChannelsSpec
from demandos.spec.kernel import KernelSpec
from demandos.spec.metrics import (
    BUILTIN_CATALOG,
    AttributionCalc,
    ConversionCalc,
    CumulativeCalc,
    DerivedCalc,
    Metric,
    MetricsSpec,
    RatioCalc,
    SimpleCalc,
    Target,
)
from demandos.store.facts import FactStore
from demandos.suggest import did_you_mean

DIMENSIONS = ("channel", "platform", "program", *KERNEL_DIMENSIONS)
"""What ``by`` can break metrics down by (segment, persona, pillar, asset_type: see
``demandos.kernel.mapping``)."""

TRAILING = 4
_NOT_ACTIVITY = ("quarantine", "costs", "competitor_signals", "feedback")


class _WorkspaceSettings(Protocol):
    @property
    def fiscal_year_start_month(self) -> int: ...
    @property
    def gross_margin(self) -> float: ...


class SpecsLike(Protocol):
    """What the engine reads of ``Specs``: the metric tree, the fiscal calendar, and the kernel
    and channels that segment, persona and pillar breakdowns map rows to."""

    @property
    def metrics(self) -> MetricsSpec: ...
    @property
    def workspace(self) -> _WorkspaceSettings: ...
    @property
    def kernel(self) -> KernelSpec: ...
    @property
    def channels(self) -> ChannelsSpec: ...


Cell = tuple[float | None, State, str | None]
_RANK: dict[State, int] = {"ok": 0, "partial": 1, "no_data": 2, "not_computed": 3}


@dataclass
class _Plan:
    metric: Metric
    formula: Formula | None = None
    refs: tuple[str, ...] = ()
    evaluate: Evaluate | None = None
    missing: str | None = None  # why it is not computed
    cumulative: CumulativeCalc | None = None  # refs[0] accumulated over a window

    @property
    def additive(self) -> bool:
        return self.formula is not None and self.formula.additive


@dataclass
class _Result:
    cells: dict[str | None, list[Cell]] = field(default_factory=dict)  # member -> per period
    # member -> the trailing value of each period reported on (``_Engine.reports``)
    trailing: dict[str | None, list[float | None]] = field(default_factory=dict)


def _plan(metric: Metric) -> _Plan:
    calc = metric.calculation
    if metric.builtin is not None:
        return _Plan(metric, formula=BUILTINS[metric.builtin])
    if isinstance(calc, SimpleCalc):
        return _Plan(metric, formula=simple_formula(metric.id, calc))
    if isinstance(calc, ConversionCalc):
        return _Plan(metric, formula=conversion_formula(metric.id, calc))
    if isinstance(calc, AttributionCalc):
        return _Plan(metric, formula=attribution_formula(metric.id, calc))
    if isinstance(calc, CumulativeCalc):
        return _Plan(metric, refs=(calc.metric,), cumulative=calc)
    if isinstance(calc, RatioCalc | DerivedCalc):
        refs, evaluate = reference_formula(calc)
        return _Plan(metric, refs=refs, evaluate=evaluate)
    kind = calc.type if calc is not None else "unknown"
    return _Plan(metric, missing=f"not yet computed: {kind} metrics are not supported yet")


def _hidden(builtin: str) -> Metric:
    known = BUILTIN_CATALOG[builtin]
    return Metric(
        id=builtin, name=builtin, tier=4, owner="builtin", unit=known.unit, builtin=builtin
    )


def _worst(states: Sequence[tuple[State, str | None]]) -> tuple[State, str | None]:
    state: State = max((s for s, _ in states), key=_RANK.__getitem__, default="ok")
    reasons = list(dict.fromkeys(r for s, r in states if r and s == state))
    return state, "; ".join(reasons) or None


def _as_date(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


class _Engine:
    def __init__(
        self, facts: FactStore, specs: SpecsLike, period: Period | Sequence[Period],
        by: str | None, today: date, gross_margin: float, extra: Sequence[Period] = (),
    ) -> None:  # fmt: skip
        self.reports = [period] if isinstance(period, Period) else list(period)  # reported on
        self.period, self.by, self.today = self.reports[0], by, today
        self.facts = for_dimension(facts, specs, by)  # kernel dimensions: a view that adds them
        self.margin = gross_margin
        unique = {p.label: p for p in self.reports}  # then what they are compared with
        for p in self.reports:
            for q in (*p.trailing(TRAILING), p.same_period_last_year()):
                unique.setdefault(q.label, q)
        for q in extra:
            unique.setdefault(q.label, q)
        self.periods = list(unique.values())
        self.index = {label: i for i, label in enumerate(unique)}
        self.trailing_idx = [[self.index[q.label] for q in p.trailing(TRAILING)]
                             for p in self.reports]  # fmt: skip
        self.compared = [(self.index[p.previous().label],
                          self.index[p.same_period_last_year().label])
                         for p in self.reports]  # fmt: skip
        self.plans = {m.id: _plan(m) for m in specs.metrics.metrics}
        self.data: dict[str, Series] = {}
        self.coverage: dict[str, list[tuple[State, str | None]]] = {}
        self.results: dict[str, _Result] = {}
        self._ranges: dict[str, tuple[date | None, date | None]] | None = None

    # -- reading ----------------------------------------------------------------------------

    def ranges(self) -> dict[str, tuple[date | None, date | None]]:
        if self._ranges is None:
            self._ranges = {
                s.table: (_as_date(s.min_time), _as_date(s.max_time)) for s in self.facts.summary()
            }
        return self._ranges

    def read(self, comp: Component) -> None:
        self.read_all([comp])

    def read_all(self, comps: Sequence[Component]) -> None:
        """Read the components not read yet; those of one table together (``fetch_many``)."""
        todo = list({c.name: c for c in comps if c.name not in self.data}.values())
        fetched = fetch_many(self.facts, todo, self.periods, self.by)
        for comp in todo:
            series = fetched[comp.name]
            if self.by and comp.supports(self.by):
                if comp.additive:
                    sums = [sum(v[i] or 0.0 for v in series.values())
                            for i in range(len(self.periods))]  # fmt: skip
                    series[None] = list[float | None](sums)
                else:
                    series.update(comp.fetch(self.facts, self.periods, None))
            self.data[comp.name] = series
            self.coverage[comp.name] = self.covered(comp)

    def covered(self, comp: Component) -> list[tuple[State, str | None]]:
        out: list[tuple[State, str | None]] = []
        if isinstance(comp, AllocatedCosts):
            monthly = comp.monthly(self.facts, self.periods)
            for p in self.periods:
                months = [m for m, _ in month_shares(p)]
                gaps = [f"{m:%Y-%m}" for m in months if m not in monthly]
                why = f"no costs (people, tools, agency, other) for {', '.join(gaps)}"
                out.append(("no_data" if len(gaps) == len(months) else "partial", why))
                if not gaps:
                    out[-1] = ("ok", None)
            return out
        lo, hi = self.ranges()[comp.table]
        ends = [h for t, (_, h) in self.ranges().items() if h and t not in _NOT_ACTIVITY]
        through = max(ends, default=None)  # the store's data stops here
        starts = [lo for t, (lo, _) in self.ranges().items() if lo and t not in _NOT_ACTIVITY]
        since = min(starts, default=None)  # and starts here
        for p in self.periods:
            if lo is None or hi is None:
                out.append(("no_data", f"the {comp.table} table is empty"))
            elif hi < p.start or lo >= p.end:
                out.append(("no_data", f"{comp.table} data runs {lo} to {hi}, outside {p.label}"))
            elif through is not None and through < p.last_day:
                out.append(("partial", f"data ends {through}, inside {p.label}"))
            elif since is not None and since > p.start:
                out.append(("partial", f"data starts {since}, inside {p.label}"))
            elif comp.matures_days and (
                through is None or through < p.last_day + timedelta(days=comp.matures_days)
            ):
                until = p.last_day + timedelta(days=comp.matures_days)
                out.append(("partial", f"the {p.label} cohort is still maturing: it has until "
                                       f"{until} to convert, and data ends {through}"))  # fmt: skip
            else:
                out.append(("ok", None))
        return out

    # -- evaluating --------------------------------------------------------------------------

    def plan_of(self, metric_id: str, user: str) -> _Plan:
        if metric_id in self.plans:
            return self.plans[metric_id]
        if metric_id in BUILTINS:
            self.plans[metric_id] = _plan(_hidden(metric_id))
            return self.plans[metric_id]
        options = [*self.plans, *BUILTIN_CATALOG]
        raise MetricError(
            f"metric {user!r} uses {metric_id!r}, which is neither in metrics.yaml nor built in",
            hint=did_you_mean(metric_id, options) or "name a metric id of metrics.yaml",
        )

    def result(self, metric_id: str, stack: tuple[str, ...] = ()) -> _Result:
        if metric_id in self.results:
            return self.results[metric_id]
        if metric_id in stack:
            cycle = " → ".join((*stack, metric_id))
            raise MetricError(f"metrics depend on each other in a cycle: {cycle}",
                              hint="break the cycle in metrics.yaml")  # fmt: skip
        plan = self.plans[metric_id]
        if plan.formula is not None:
            result = self.from_formula(plan.formula)
        elif plan.cumulative is not None:
            result = self.accumulate(plan.cumulative, metric_id, (*stack, metric_id))
        elif plan.evaluate is not None:
            refs = {r: self.result(self.plan_of(r, metric_id).metric.id, (*stack, metric_id))
                    for r in plan.refs}  # fmt: skip
            result = self.from_refs(refs, plan.evaluate)
        else:
            cells: list[Cell] = [(None, "not_computed", plan.missing)] * len(self.periods)
            result = _Result({None: cells}, {None: [None] * len(self.reports)})
        self.results[metric_id] = result
        return result

    def accumulate(self, calc: CumulativeCalc, user: str, stack: tuple[str, ...]) -> _Result:
        """``calc.metric`` over each period's window (its last N days, or the month, quarter or
        year to its end); the trailing value is the mean of the trailing periods' values."""
        ref = self.plan_of(calc.metric, user).metric.id
        windows = [_window(calc, p) for p in self.periods]
        child = copy.copy(self)
        child.periods, child.index = windows, {w.label: i for i, w in enumerate(windows)}
        child.reports, child.trailing_idx = [], []
        child.data, child.coverage, child.results = {}, {}, {}
        inner = child.result(ref, stack)
        result = _Result()
        for member, cells in inner.cells.items():
            result.cells[member] = cells
            result.trailing[member] = []
            for idx in self.trailing_idx:
                values = [cells[i][0] for i in idx if cells[i][1] != "no_data"]
                known = [v for v in values if v is not None]
                result.trailing[member].append(sum(known) / len(known) if known else None)
        return result

    def from_formula(self, formula: Formula) -> _Result:
        comps = formula.components()
        self.read_all(comps)
        members: set[str | None] = {None}
        if self.by and all(c.supports(self.by) for c in comps):
            members |= {m for c in comps for m in self.data[c.name]}
        result = _Result()
        covered = [_worst([self.coverage[c.name][i] for c in comps])
                   for i in range(len(self.periods))]  # fmt: skip
        for member in members:
            cells: list[Cell] = []
            for i in range(len(self.periods)):
                values = self.values(comps, member, [i])
                value, why = formula.combine(values)
                state, reason = covered[i]
                if state == "no_data" or value is None:
                    cells.append((None, "no_data", reason if state == "no_data" else why))
                else:
                    cells.append((value, state, reason))
            result.cells[member] = cells
            result.trailing[member] = [self.pooled(formula, comps, member, cells, idx)
                                       for idx in self.trailing_idx]  # fmt: skip
        return result

    def values(
        self, comps: list[Component], member: str | None, idx: list[int]
    ) -> dict[str, float | None]:
        out: dict[str, float | None] = {MARGIN_KEY: self.margin}
        for comp in comps:
            series = self.data[comp.name].get(member)
            if series and len(idx) == 1:  # one period: its value (most calls, 30k for a year)
                out[comp.name] = series[idx[0]]
                continue
            got = [series[i] if series else (0.0 if comp.additive else None) for i in idx]
            if any(v is None for v in got):
                out[comp.name] = None
            else:
                total = sum(v for v in got if v is not None)
                out[comp.name] = total / len(idx) if comp.stock else total
        return out

    def pooled(self, formula: Formula, comps: list[Component], member: str | None,
               cells: list[Cell], trailing: list[int]) -> float | None:  # fmt: skip
        """The trailing periods' value: flows summed, stocks averaged; additive ÷ periods."""
        if not all(c.additive for c in comps):
            return None
        used = [i for i in trailing if cells[i][1] != "no_data"]
        if not used:
            return None
        value, _ = formula.combine(self.values(comps, member, used))
        if value is None:
            return None
        return value / len(used) if formula.additive else value

    def from_refs(self, refs: Mapping[str, _Result], evaluate: Evaluate) -> _Result:
        members: set[str | None] = {None}
        if self.by and all(len(r.cells) > 1 for r in refs.values()):
            members |= {m for r in refs.values() for m in r.cells}
        result = _Result()
        for member in members:
            cells: list[Cell] = []
            for i in range(len(self.periods)):
                got = {k: r.cells[member][i] if member in r.cells else (0.0, "ok", None)
                       for k, r in refs.items()}  # fmt: skip
                missing = [f"{k}: {c[2]}" for k, c in got.items() if c[0] is None]
                if missing:
                    cells.append((None, "no_data", "; ".join(missing)))
                    continue
                value, why = evaluate({k: c[0] for k, c in got.items() if c[0] is not None})
                state, reason = _worst([(c[1], c[2]) for c in got.values()])
                cells.append(
                    (value, state, reason) if value is not None else (None, "no_data", why)
                )
            result.cells[member] = cells
            result.trailing[member] = []
            for j in range(len(self.reports)):
                trailing = {k: r.trailing[member][j] if member in r.trailing else None
                            for k, r in refs.items()}  # fmt: skip
                known = {k: v for k, v in trailing.items() if v is not None}
                pooled = evaluate(known)[0] if len(known) == len(refs) else None
                result.trailing[member].append(pooled)
        return result

    def splits(self, metric_id: str) -> bool | None:
        """Whether the metric can be broken down by ``by`` (None: it is not computed)."""
        plan = self.plan_of(metric_id, metric_id)
        if plan.formula is not None:
            comps = plan.formula.components()
            return self.by is not None and all(c.supports(self.by) for c in comps)
        if plan.cumulative is not None:
            return self.splits(self.plan_of(plan.refs[0], metric_id).metric.id)
        if plan.evaluate is not None:
            refs = [self.splits(self.plan_of(r, metric_id).metric.id) for r in plan.refs]
            return None if None in refs else all(refs)
        return None

    # -- presenting --------------------------------------------------------------------------

    def row(self, plan: _Plan, member: str | None, result: _Result, report: int = 0) -> MetricValue:
        """The row of ``self.reports[report]``."""
        m, p = plan.metric, self.reports[report]
        cells = result.cells[member]
        value, state, reason = cells[self.index[p.label]]
        if member is None and state in ("ok", "partial"):
            late = p.partial_reason(self.today)
            if late:
                state, reason = "partial", "; ".join(r for r in (late, reason) if r)
        before, last_year = self.compared[report]
        previous = cells[before][0]
        change = value - previous if value is not None and previous is not None else None
        levels = _target(m.target, p, plan.additive) if member is None else None
        return MetricValue(
            metric=m.id, name=m.name, tier=m.tier, parent=m.parent, owner=m.owner, unit=m.unit,
            direction=m.direction, period=p.label, dimension=self.by, member=member, value=value,
            state=state, reason=reason, previous=previous, change=change,
            change_ratio=change / abs(previous) if change is not None and previous else None,
            last_year=cells[last_year][0],
            trailing_avg=result.trailing[member][report],
            target=levels[0] if levels else None,
            amber=levels[1] if levels else None,
            red=levels[2] if levels else None,
            status=status(value, levels, m.direction) if levels else None,
            additive=plan.additive,
        )  # fmt: skip


def _window(calc: CumulativeCalc, p: Period) -> Period:
    """The days a cumulative metric covers for period ``p``: they end where ``p`` ends."""
    if calc.window_days is not None:
        start = p.end - timedelta(days=calc.window_days)
    else:
        month = p.last_day.replace(day=1)
        into = (month.month - p.fiscal_year_start_month) % 12  # months into the fiscal year
        back = {"month": 0, "quarter": into % 3, "year": into}[calc.grain_to_date or "month"]
        start = _add_months(month, -back)
    label = f"{start.isoformat()}..{p.last_day.isoformat()}"
    return Period(label, p.grain, start, p.end, p.fiscal_year_start_month)


Levels3 = tuple[float, float | None, float | None]  # target, amber, red


def _target(target: Target | None, period: Period, additive: bool) -> Levels3 | None:
    if target is None:
        return None
    if period.label in target.periods:
        named = target.periods[period.label]
        return named.value, named.amber, named.red
    k = PER_YEAR[target.per] / PER_YEAR[period.grain] if additive else 1.0
    return (target.value * k, target.amber * k if target.amber is not None else None,
            target.red * k if target.red is not None else None)  # fmt: skip


def status(
    value: float | None, levels: tuple[float, float | None, float | None], direction: str
) -> Status | None:
    """Green, amber or red for ``value`` against (target, amber, red) thresholds."""
    if value is None:
        return None
    sign = 1.0 if direction == "higher_is_better" else -1.0
    target, amber, red = levels
    if red is not None and sign * (value - red) < 0:
        return "red"
    if sign * (value - (amber if amber is not None else target)) < 0:
        return "amber"
    return "green"


def compute(
    facts: FactStore,
    specs: SpecsLike,
    period: str,
    *,
    by: str | None = None,
    today: date | None = None,
    gross_margin: float | None = None,
) -> MetricTable:
    """The metric tree of ``specs`` for ``period`` (e.g. ``2026-W47``, ``2026-11``, ``FY2026``).

    ``gross_margin`` (for CAC payback) defaults to demandos.yaml's ``gross_margin``.
    """
    return compute_many(facts, specs, [period], by=by, today=today, gross_margin=gross_margin)[0]


def compute_many(
    facts: FactStore,
    specs: SpecsLike,
    periods: Sequence[str],
    *,
    by: str | None = None,
    today: date | None = None,
    gross_margin: float | None = None,
) -> list[MetricTable]:
    """The metric tree for each of ``periods``, in order: a trend (13 weeks of DER, a year).

    Each table has the numbers :func:`compute` gives for its period, but every component is read
    once for all the periods (and the periods they are compared with): ISO weeks, months and
    calendar quarters with one grouped query per table. With ``by``, every table lists the
    members found anywhere in the periods read, so a trend has the same members throughout.
    """
    if by is not None and by not in DIMENSIONS:
        raise MetricError(
            f"cannot break metrics down by {by!r}",
            hint=did_you_mean(by, DIMENSIONS) or f"use one of: {', '.join(DIMENSIONS)}",
        )
    if not periods:
        return []
    fy = specs.workspace.fiscal_year_start_month
    whens = [parse_period(p, fiscal_year_start_month=fy) for p in periods]
    margin = gross_margin if gross_margin is not None else specs.workspace.gross_margin
    engine = _Engine(facts, specs, whens, by, today or date.today(), margin)
    engine.read_all([c for p in engine.plans.values() if p.formula for c in p.formula.components()])
    tables = [MetricTable(w.label, w.start.isoformat(), w.end.isoformat(), by) for w in whens]
    for metric in specs.metrics.metrics:
        plan = engine.plans[metric.id]
        result = engine.result(metric.id)
        members = sorted(m for m in result.cells if m is not None)
        if by is not None and metric.dimensions and by not in metric.dimensions:
            members = []  # metrics.yaml does not allow this breakdown for the metric
            for table in tables:
                table.not_allowed.append(metric.id)
        elif by is not None and engine.splits(metric.id) is False:
            for table in tables:
                table.unsupported.append(metric.id)
        for report, table in enumerate(tables):
            table.rows.append(engine.row(plan, None, result, report))
            table.rows.extend(engine.row(plan, member, result, report) for member in members)
    return tables


@dataclass(frozen=True)
class Readings:
    """Components read for several periods: values per member and how the data covers each period.

    ``value(name, label)`` is the total (``member=None``) or one member's value; a member a
    component has no row for reads 0 for additive components (None otherwise).
    """

    periods: tuple[Period, ...]
    series: Mapping[str, Series]
    coverage: Mapping[str, Sequence[tuple[State, str | None]]]
    additive: Mapping[str, bool]

    def _at(self, label: str) -> int:
        return next(i for i, p in enumerate(self.periods) if p.label == label)

    def value(self, name: str, label: str, member: str | None = None) -> float | None:
        series = self.series[name].get(member)
        if series is None:
            return 0.0 if self.additive[name] else None
        return series[self._at(label)]

    def state(self, name: str, label: str) -> tuple[State, str | None]:
        return self.coverage[name][self._at(label)]

    def members(self, name: str) -> set[str]:
        return {m for m in self.series[name] if m is not None}


def read_components(
    facts: FactStore,
    specs: SpecsLike,
    period: Period,
    components: Sequence[Component],
    *,
    by: str | None = None,
    extra: Sequence[Period] = (),
) -> Readings:
    """``components`` for ``period``, the periods before it, the same period last year and
    ``extra``, as the engine reads them (one query each): what decomposition and health use."""
    engine = _Engine(facts, specs, period, by, date.today(), specs.workspace.gross_margin, extra)
    for comp in components:
        engine.read(comp)
    names = [c.name for c in components]
    return Readings(
        tuple(engine.periods),
        {n: engine.data[n] for n in names},
        {n: engine.coverage[n] for n in names},
        {c.name: c.additive for c in components},
    )
