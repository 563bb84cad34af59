"""Driver decomposition: why a metric moved between two periods, in parts that add up exactly.

    why = explain(ws.facts, ws.specs, "der", "2026-11", against="previous", by="channel")
    why.change, [(p.name, p.contribution) for p in why.drivers()], why.to_pandas()

**Drivers.** A metric is written as a function of drivers by an identity of ``drivers.DRIVERS``
(pipeline = leads × lead→opportunity rate × average amount). The change is split over the
drivers with the *Shapley value*: each driver's part is its marginal effect averaged over every
order in which the drivers could move from the comparison period's value to the current one.
The parts add up exactly to the change for any identity (products, quotients, sums), and zeros
and sign changes need no special case. (LMDI, the other exact method, takes logarithms and needs
every factor positive in both periods; Shapley costs 2^n evaluations, 32 for DER's five drivers.)

A driver that is a ratio can be undefined in one period (no leads, so no lead→opportunity rate).
It then takes the other period's value, so it gets no part of the change — the change goes to
the driver that went to or from zero — provided the identity still gives the metric's value in
both periods. When it does not (opportunities but no leads), the next, coarser identity is used,
and the reason says why.

**Members.** With ``by``, the change is also split across the dimension's members. For a sum,
each member's part is its own change. For a ratio R = k Σnumᵢ ÷ Σdenᵢ (DER by channel), each
member's share of the denominator wᵢ and its own ratio rᵢ give R = Σ wᵢ rᵢ, and

    ΔR = Σ (w̄ᵢ Δrᵢ  +  r̄ᵢ Δwᵢ)      (bars: the mean of the two periods)
         rate effect     mix effect

exactly. A member with no denominator in one period but a numerator (pipeline from a channel
without cost) has no rate; its change in k numᵢ ÷ Σden is reported whole, as ``unsplit``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any, Literal

import pyarrow as pa

from demandos.errors import MetricError
from demandos.metrics.catalog import BUILTINS, COMPONENTS, MARGIN_KEY
from demandos.metrics.components import Component
from demandos.metrics.drivers import DRIVERS, Drivers, Identity, Point, Ratio, needed
from demandos.metrics.engine import DIMENSIONS, Readings, SpecsLike, read_components
from demandos.metrics.periods import Period, parse_period
from demandos.metrics.table import State
from demandos.spec.metrics import BUILTIN_CATALOG, Metric
from demandos.store.facts import FactStore
from demandos.suggest import did_you_mean

Against = Literal["previous", "last_year"]
AGAINST: tuple[Against, ...] = ("previous", "last_year")
Effect = Literal["driver", "member", "rate", "mix", "unsplit"]
_RANK: dict[State, int] = {"ok": 0, "partial": 1, "no_data": 2, "not_computed": 3}


# -- the arithmetic --------------------------------------------------------------------------


def shapley(
    f: Callable[[Mapping[str, float]], float | None],
    before: Mapping[str, float],
    after: Mapping[str, float],
) -> dict[str, float] | None:
    """Each input's Shapley share of ``f(after) − f(before)``; they sum to it exactly.

    None when ``f`` is undefined (None or not finite) at a mix of before and after values.
    """
    names = list(before)
    n = len(names)
    values: list[float] = []
    for mask in range(1 << n):
        point = {k: (after if mask >> i & 1 else before)[k] for i, k in enumerate(names)}
        value = f(point)
        if value is None or not math.isfinite(value):
            return None
        values.append(value)
    weight = [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    parts = {}
    for i, name in enumerate(names):
        bit = 1 << i
        terms = [
            weight[mask.bit_count()] * (values[mask | bit] - values[mask])
            for mask in range(1 << n)
            if not mask & bit
        ]
        parts[name] = math.fsum(terms)
    return parts


@dataclass(frozen=True)
class MemberSplit:
    """One member's part of a ratio's change: rate and mix effects, or its whole change."""

    member: str
    rate_before: float | None  # k numᵢ ÷ denᵢ; None without a denominator
    rate_after: float | None
    share_before: float  # denᵢ ÷ Σden
    share_after: float
    rate: float  # w̄ᵢ Δrᵢ
    mix: float  # r̄ᵢ Δwᵢ
    unsplit: float  # Δ(k numᵢ ÷ Σden) when rᵢ is undefined in a period with numᵢ ≠ 0
    reason: str | None = None

    @property
    def total(self) -> float:
        return self.rate + self.mix + self.unsplit


Pair = tuple[float, float]  # numerator, denominator of one member


def mix_rate(
    before: Mapping[str, Pair],
    after: Mapping[str, Pair],
    k: float = 1.0,
    labels: tuple[str, str] = ("before", "after"),
) -> list[MemberSplit]:
    """Split ``k Σnum ÷ Σden`` (after − before) over members into rate and mix effects.

    Both totals of the denominator must be non-zero. The splits sum to the change exactly.
    """
    den0 = math.fsum(d for _, d in before.values())
    den1 = math.fsum(d for _, d in after.values())
    if not den0 or not den1:
        raise ValueError("the denominator sums to zero; the ratio is undefined")
    out = []
    for member in sorted({*before, *after}):
        (n0, d0), (n1, d1) = before.get(member, (0.0, 0.0)), after.get(member, (0.0, 0.0))
        if not (n0 or d0 or n1 or d1):
            continue
        w0, w1 = d0 / den0, d1 / den1
        r0, r1 = (k * n0 / d0 if d0 else None), (k * n1 / d1 if d1 else None)
        if (r0 is None and n0) or (r1 is None and n1):
            where = labels[0] if r0 is None and n0 else labels[1]
            why = f"a numerator without a denominator in {where}: no rate"
            change = k * n1 / den1 - k * n0 / den0
            out.append(MemberSplit(member, r0, r1, w0, w1, 0.0, 0.0, change, why))
            continue
        a = r0 if r0 is not None else r1  # no denominator and no numerator: entered or left
        b = r1 if r1 is not None else r0
        assert a is not None and b is not None
        out.append(MemberSplit(member, r0, r1, w0, w1, (w0 + w1) / 2 * (b - a),
                               (a + b) / 2 * (w1 - w0), 0.0))  # fmt: skip
    return out


# -- the result ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One part of the change: a driver's, or a member's (its change, rate or mix effect).

    ``before``/``after`` are the driver's values, the member's values (``member``), the member's
    own ratio (``rate``), its share of the denominator (``mix``), or its term k numᵢ ÷ Σden
    (``unsplit``). None where undefined (``reason`` says what was used).
    """

    effect: Effect
    name: str
    unit: str
    member: str | None
    driver: str | None
    before: float | None
    after: float | None
    contribution: float
    reason: str | None = None


@dataclass
class Explanation:
    """Why ``metric`` moved from the comparison period to ``period``; tidy parts.

    ``state`` is about the two values; ``driver_state`` and ``member_state`` about each split
    (``member_state`` is None without ``by``). Parts exist only where the state is ok or partial.
    """

    metric: str
    name: str
    unit: str
    period: str
    against: str  # the comparison period's label
    comparison: Against
    by: str | None
    value: float | None
    before: float | None
    state: State
    reason: str | None = None
    identity: str | None = None
    driver_state: State = "no_data"
    driver_reason: str | None = None
    member_state: State | None = None
    member_reason: str | None = None
    parts: list[Part] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        if self.value is None or self.before is None:
            return None
        return self.value - self.before

    def drivers(self) -> list[Part]:
        return [p for p in self.parts if p.effect == "driver"]

    def members(self) -> list[Part]:
        return [p for p in self.parts if p.effect != "driver"]

    def to_arrow(self) -> pa.Table:
        change = self.change
        rows = [
            {"metric": self.metric, "period": self.period, "against": self.against,
             "dimension": self.by, **asdict(p),
             "share": p.contribution / change if change else None}
            for p in self.parts
        ]  # fmt: skip
        return pa.Table.from_pylist(rows, schema=_ARROW)

    def to_pandas(self) -> Any:
        return self.to_arrow().to_pandas()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        parts = data.pop("parts")
        data["change"] = self.change
        data["drivers"] = [p for p in parts if p["effect"] == "driver"]
        data["members"] = [p for p in parts if p["effect"] != "driver"]
        return data


_TYPES = {"float": pa.float64(), "float | None": pa.float64()}
_ARROW = pa.schema(
    [pa.field(n, pa.string()) for n in ("metric", "period", "against", "dimension")]
    + [pa.field(f.name, _TYPES.get(str(f.type), pa.string())) for f in fields(Part)]
    + [pa.field("share", pa.float64())]
)


# -- explaining ------------------------------------------------------------------------------


def find_metric(specs: SpecsLike, metric: str) -> Metric:
    """The metric of metrics.yaml with this id, else the built-in of that id."""
    for m in specs.metrics.metrics:
        if m.id == metric:
            return m
    if metric in BUILTIN_CATALOG:
        known = BUILTIN_CATALOG[metric]
        return Metric(id=metric, name=metric, tier=4, owner="builtin", unit=known.unit,
                      builtin=metric)  # fmt: skip
    options = [*(m.id for m in specs.metrics.metrics), *BUILTIN_CATALOG]
    raise MetricError(
        f"there is no metric {metric!r}",
        hint=did_you_mean(metric, options) or "name a metric id of metrics.yaml or a built-in",
    )


def _worst(states: Sequence[tuple[State, str | None]]) -> tuple[State, str | None]:
    state: State = max((s for s, _ in states), key=_RANK.__getitem__, default="ok")
    reasons = list(dict.fromkeys(r for s, r in states if r and s == state))
    return state, "; ".join(reasons) or None


class _Explainer:
    def __init__(self, readings: Readings, formula_comps: Sequence[Component],
                 known: Mapping[str, Component], now: Period, then: Period,
                 today: date, margin: float) -> None:  # fmt: skip
        self.readings, self.comps, self.known = readings, formula_comps, known
        self.margin = margin
        self.now, self.then, self.today = now, then, today

    def inputs(self, period: Period, member: str | None = None) -> dict[str, float | None]:
        out: dict[str, float | None] = {MARGIN_KEY: self.margin}
        for name in self.readings.series:
            out[name] = self.readings.value(name, period.label, member)
        return out

    def cell(self, formula_combine: Any, period: Period) -> tuple[float | None, State, str | None]:
        value, why = formula_combine(self.inputs(period))
        state, reason = _worst([self.readings.state(c.name, period.label) for c in self.comps])
        if state == "no_data" or value is None:
            return None, "no_data", f"{period.label}: {reason if state == 'no_data' else why}"
        late = period.partial_reason(self.today)
        if late:
            state, reason = "partial", "; ".join(r for r in (late, reason) if r)
        return value, state, f"{period.label}: {reason}" if reason else None

    def by_drivers(self, identities: Sequence[Identity], before: float, after: float
                   ) -> tuple[Identity | None, list[Part], list[str]]:  # fmt: skip
        why: list[str] = []
        for identity in identities:
            raw = [{d.id: d.value(self.inputs(p)) for d in identity.drivers}
                   for p in (self.then, self.now)]  # fmt: skip
            points: list[dict[str, float]] = [{}, {}]
            notes: dict[str, str] = {}
            for d in identity.drivers:
                for t, other in ((0, 1), (1, 0)):
                    value = raw[t][d.id] if raw[t][d.id] is not None else raw[other][d.id]
                    points[t][d.id] = value if value is not None else 0.0
                    if raw[t][d.id] is None:
                        label = (self.then, self.now)[t].label
                        notes[d.id] = f"undefined in {label}; held at the other period's value"

            def combine(
                x: Mapping[str, float], f: Callable[[Point], float | None] = identity.combine
            ) -> float | None:
                return f({**x, MARGIN_KEY: self.margin})

            held = [combine(points[0]), combine(points[1])]
            if not all(h is not None and math.isclose(h, v, rel_tol=1e-9, abs_tol=1e-12)
                       for h, v in zip(held, (before, after), strict=True)):  # fmt: skip
                missing = ", ".join(d.name for d in identity.drivers if d.id in notes)
                why.append(f"{identity.text} does not hold ({missing} undefined)")
                continue
            parts = shapley(combine, points[0], points[1])
            if parts is None:
                why.append(f"{identity.text} is undefined between the two periods")
                continue
            return identity, [
                Part("driver", d.name, d.unit, None, d.id, raw[0][d.id], raw[1][d.id],
                     parts[d.id], notes.get(d.id))
                for d in identity.drivers
            ], why  # fmt: skip
        return None, [], why

    def by_members(self, builtin: str, by: str, shape: Ratio | None
                   ) -> tuple[State, str | None, list[Part]]:  # fmt: skip
        formula = BUILTINS[builtin]
        if formula.additive:
            names = [c.name for c in self.comps]
        elif shape is not None:
            names = [*shape.numerator, *shape.denominator]
        else:
            return "no_data", (f"{builtin} is neither a sum nor a ratio of sums, so it has no "
                               "split across members"), []  # fmt: skip
        cannot = [n for n in dict.fromkeys(names) if not self.known[n].supports(by)]
        if cannot:
            return "no_data", f"{', '.join(cannot)} cannot be broken down by {by}", []
        members = sorted(set().union(*(self.readings.members(n) for n in names)))
        if formula.additive:
            parts = []
            for m in members:
                v0 = formula.combine(self.inputs(self.then, m))[0] or 0.0
                v1 = formula.combine(self.inputs(self.now, m))[0] or 0.0
                if v0 or v1:
                    parts.append(Part("member", m, "", m, None, v0, v1, v1 - v0))
            return "ok", None, parts
        assert shape is not None

        def pair(period: Period, member: str) -> Pair:
            def total(ns: tuple[str, ...]) -> float:
                return math.fsum(self.readings.value(n, period.label, member) or 0.0 for n in ns)

            return total(shape.numerator), total(shape.denominator)

        before = {m: pair(self.then, m) for m in members}
        after = {m: pair(self.now, m) for m in members}
        parts = []
        for s in mix_rate(before, after, shape.k, (self.then.label, self.now.label)):
            if s.reason:
                parts.append(
                    Part(
                        "unsplit",
                        "change without a rate",
                        "",
                        s.member,
                        None,
                        s.rate_before,
                        s.rate_after,
                        s.unsplit,
                        s.reason,
                    )
                )
                continue
            parts.append(
                Part("rate", shape.rate, "", s.member, None, s.rate_before, s.rate_after, s.rate)
            )
            parts.append(
                Part(
                    "mix",
                    shape.weight,
                    "percent",
                    s.member,
                    None,
                    s.share_before,
                    s.share_after,
                    s.mix,
                )
            )
        return "ok", None, parts  # fmt: skip


def explain(
    facts: FactStore,
    specs: SpecsLike,
    metric: str,
    period: str,
    *,
    against: str = "previous",
    by: str | None = None,
    today: date | None = None,
) -> Explanation:
    """Why ``metric`` moved in ``period`` against the previous period or the same one last year."""
    if against not in AGAINST:
        raise MetricError(
            f"cannot compare against {against!r}",
            hint=did_you_mean(against, AGAINST) or "use previous or last_year",
        )
    if by is not None and by not in DIMENSIONS:
        raise MetricError(
            f"cannot break metrics down by {by!r}",
            hint=did_you_mean(by, DIMENSIONS) or f"use one of: {', '.join(DIMENSIONS)}",
        )
    m = find_metric(specs, metric)
    now = parse_period(period, fiscal_year_start_month=specs.workspace.fiscal_year_start_month)
    then = now.previous() if against == "previous" else now.same_period_last_year()
    out = Explanation(m.id, m.name, m.unit, now.label, then.label, against,
                      by, None, None, "not_computed")  # fmt: skip
    if m.builtin is None or m.builtin not in BUILTINS:
        out.reason = out.driver_reason = (
            f"{m.id} is calculated in metrics.yaml, not by a built-in formula: only built-in "
            "formulas are split into drivers"
        )
        out.driver_state = "not_computed"
        return out
    formula = BUILTINS[m.builtin]
    drivers: Drivers | None = DRIVERS.get(m.builtin)
    comps = formula.components()
    extra = sorted(needed(drivers) - {c.name for c in comps}) if drivers else []
    known = {**COMPONENTS, **{c.name: c for c in comps}}
    readings = read_components(facts, specs, now, [*comps, *(known[n] for n in extra)], by=by)
    margin = specs.workspace.gross_margin
    ex = _Explainer(readings, comps, known, now, then, today or date.today(), margin)
    v1, s1, r1 = ex.cell(formula.combine, now)
    v0, s0, r0 = ex.cell(formula.combine, then)
    out.value, out.before = v1, v0
    out.state, out.reason = _worst([(s0, r0), (s1, r1)])
    if v0 is None or v1 is None:
        out.driver_state, out.driver_reason = "no_data", out.reason
        if by is not None:
            out.member_state, out.member_reason = "no_data", out.reason
        return out
    if drivers is None:
        out.driver_state = "not_computed"
        out.driver_reason = f"no driver identity for {m.builtin} yet"
    else:
        identity, parts, why = ex.by_drivers(drivers.identities, v0, v1)
        out.identity = identity.text if identity else None
        out.parts.extend(parts)
        out.driver_state = out.state if identity else "no_data"
        out.driver_reason = "; ".join(why) or None
    if by is not None:
        state, reason, parts = ex.by_members(m.builtin, by, drivers.ratio if drivers else None)
        out.member_state, out.member_reason = (out.state if state == "ok" else state), reason
        out.parts.extend(parts)
    return out
